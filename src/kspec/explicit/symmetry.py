"""Symmetry reduction: states -> representatives of their orbits under
permutations of `symmetric` sorts.

A symmetric sort's values can only be compared for equality, used as keys and
quantified over (the type checker enforces it), so every permutation of them
maps behaviours to behaviours, provided the initial state is invariant (checked
here). Each state is replaced by the permuted state that orders the sort's
values by a permutation-invariant signature (the data indexed by the value and
which slots refer to it). This is sound (the representative lies in the
state's orbit, so no behaviour is lost and BFS depths are kept); it is exact
whenever signatures differ, and otherwise may keep a few members of one orbit.
Permutations are compiled to Python once per ordering met.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import permutations
from typing import Callable

from kspec.ir import nodes as N


def _sym_components(address: tuple) -> list[tuple]:
    return [c for c in address if isinstance(c, tuple) and len(c) == 3 and c[0] == "#"]


def _permute_address(address: tuple, sort: str, perm: tuple[int, ...]) -> tuple:
    out = []
    for c in address:
        if isinstance(c, tuple) and len(c) == 3 and c[0] == "#" and c[1] == sort:
            out.append(("#", sort, perm[c[2]]))
        else:
            out.append(c)
    return tuple(out)


@dataclass(slots=True)
class _SortSymmetry:
    """Canonicalisation for one symmetric sort."""

    model: N.Model
    sort: str
    size: int
    by_address: dict[tuple, int]
    pid_value: dict[int, int]  # pid -> value of the sort it is keyed by
    pid_of: dict[tuple[int, tuple], int]  # (value, address without that key) -> pid
    signature: Callable = None  # type: ignore[assignment]
    cache: dict[tuple[int, ...], Callable] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.signature = self._compile_signature()

    # -- signatures --------------------------------------------------------------
    def _compile_signature(self) -> Callable:
        per_value: list[list[str]] = [[] for _ in range(self.size)]
        for i, sl in enumerate(self.model.slots):
            comps = _sym_components(sl.address)
            own = [c for c in comps if c[1] == self.sort]
            if len(own) == 1 and len(comps) == 1:
                v = own[0][2]
                per_value[v].append(self._own_term(i, sl, v))
            elif not own:
                for v in range(self.size):
                    term = self._ref_term(i, sl, v)
                    if term:
                        per_value[v].append(term)
        body = ", ".join("(" + ", ".join(terms) + ",)" for terms in per_value)
        return eval(f"lambda s: ({body},)", {})  # generated from slot numbers only

    def _own_term(self, i: int, sl: N.Slot, v: int) -> str:
        kind = sl.sym
        if not kind:
            return f"s[{i}]"
        if kind[0] in ("value", "option") and kind[1] == self.sort:
            return f"(0 if s[{i}] == -1 else 1 if s[{i}] == {v} else 2)" if kind[0] == "option" else \
                f"(s[{i}] == {v})"
        if kind[0] == "set" and kind[1] == self.sort:
            return f"((s[{i}] >> {v}) & 1, s[{i}].bit_count())"
        if kind[0] == "pid":
            own = [p for p, val in self.pid_value.items() if val == v]
            return f"(s[{i}] in {tuple(own)!r}, s[{i}] in {tuple(self.pid_value)!r})"
        return f"s[{i}]"

    def _ref_term(self, i: int, sl: N.Slot, v: int) -> str | None:
        kind = sl.sym
        if not kind:
            return None
        if kind[0] in ("value", "option") and kind[1] == self.sort:
            return f"(s[{i}] == {v})"
        if kind[0] == "set" and kind[1] == self.sort:
            return f"((s[{i}] >> {v}) & 1)"
        if kind[0] == "pid":
            own = [p for p, val in self.pid_value.items() if val == v]
            return f"(s[{i}] in {tuple(own)!r})" if own else None
        return None

    # -- permutations ----------------------------------------------------------------
    def permuter(self, perm: tuple[int, ...]) -> Callable:
        """The function applying value permutation `perm` (old value -> new)."""
        f = self.cache.get(perm)
        if f is None:
            f = self.cache[perm] = self._compile(perm)
        return f

    def _compile(self, perm: tuple[int, ...]) -> Callable:
        slots = self.model.slots
        n = len(slots)
        target = [""] * n
        env: dict = {}
        pid_map = self._pid_map(perm)
        for i, sl in enumerate(slots):
            j = self.by_address[_permute_address(sl.address, self.sort, perm)] if sl.address else i
            target[j] = self._value_expr(i, sl, perm, pid_map, env)
        return eval("lambda s: (" + ", ".join(target) + ",)", env)  # generated from slot numbers only

    def _value_expr(self, i: int, sl: N.Slot, perm, pid_map, env: dict) -> str:
        kind = sl.sym
        if kind and kind[0] == "value" and kind[1] == self.sort:
            env[f"P{i}"] = perm
            return f"P{i}[s[{i}]]"
        if kind and kind[0] == "option" and kind[1] == self.sort:
            env[f"P{i}"] = (-1,) + perm
            return f"P{i}[s[{i}] + 1]"
        if kind and kind[0] == "set" and kind[1] == self.sort:
            env[f"P{i}"] = tuple(sum(1 << perm[k] for k in range(self.size) if (m >> k) & 1)
                                 for m in range(1 << self.size))
            return f"P{i}[s[{i}]]"
        if kind and kind[0] == "pid" and pid_map:
            lo = -1
            env[f"P{i}"] = tuple(pid_map.get(p, p) for p in range(lo, len(self.model.pids)))
            return f"P{i}[s[{i}] + 1]"
        return f"s[{i}]"

    def _pid_map(self, perm) -> dict[int, int]:
        out = {}
        for p, v in self.pid_value.items():
            addr = self.model.pid_addresses[p]
            out[p] = self.pid_of[(perm[v], _strip(addr, self.sort))]
        return out

    def canonical(self, s: tuple) -> tuple:
        return self.canonical_with_perm(s)[0]

    def canonical_with_perm(self, s: tuple) -> tuple[tuple, tuple[int, ...]]:
        """The representative and the permutation (old value -> new) giving it."""
        sig = self.signature(s)
        order = sorted(range(self.size), key=sig.__getitem__)
        perm = [0] * self.size
        for new, old in enumerate(order):
            perm[old] = new
        perm_t = tuple(perm)
        if perm_t == tuple(range(self.size)):
            return s, perm_t
        return self.permuter(perm_t)(s), perm_t


def _inverse(p: tuple[int, ...]) -> tuple[int, ...]:
    out = [0] * len(p)
    for old, new in enumerate(p):
        out[new] = old
    return tuple(out)


def _compose(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    """v -> a[b[v]]"""
    return tuple(a[b[v]] for v in range(len(b)))


def _strip(address: tuple, sort: str) -> tuple:
    return tuple(("#", sort) if isinstance(c, tuple) and len(c) == 3 and c[0] == "#" and c[1] == sort else c
                 for c in address)


class Symmetry:
    """Representatives under all declared symmetric sorts (one after the other)."""

    def __init__(self, model: N.Model):
        self.model = model
        by_address = {sl.address: i for i, sl in enumerate(model.slots) if sl.address}
        self.sorts = []
        for name, size in model.symmetric:
            pid_value, pid_of = {}, {}
            for p, addr in enumerate(model.pid_addresses):
                own = [c for c in _sym_components(addr) if c[1] == name]
                if own:
                    pid_value[p] = own[0][2]
                    pid_of[(own[0][2], _strip(addr, name))] = p
            self.sorts.append(_SortSymmetry(model, name, size, by_address, pid_value, pid_of))

    def canonical(self, s: tuple) -> tuple:
        for srt in self.sorts:
            s = srt.canonical(s)
        return s

    def canonical_with_perms(self, s: tuple) -> tuple[tuple, list[tuple[int, ...]]]:
        perms = []
        for srt in self.sorts:
            s, p = srt.canonical_with_perm(s)
            perms.append(p)
        return s, perms

    def apply(self, perms: list[tuple[int, ...]], s: tuple) -> tuple:
        for srt, p in zip(self.sorts, perms):
            if p != tuple(range(srt.size)):
                s = srt.permuter(p)(s)
        return s

    def concretize(self, init: tuple, reps: list[tuple[int | None, tuple]], applies) -> list[tuple]:
        """Concrete states along a path of representatives: each representative
        c_i stands for x_i = sigma_i(c_i); the successor of c_i by the stored
        transition, mapped by sigma_i, is the concrete successor of x_i, and
        sigma_{i+1} = sigma_i o pi^-1 where pi canonicalised it."""
        c0, pi0 = self.canonical_with_perms(init)
        sigma = [_inverse(p) for p in pi0]
        xs = [init]
        c_prev = reps[0][1]
        for tid, rep in reps[1:]:
            s2 = applies[tid](c_prev)
            c2, pi = self.canonical_with_perms(s2)
            xs.append(self.apply(sigma, s2))
            sigma = [_compose(a, _inverse(b)) for a, b in zip(sigma, pi)]
            c_prev = c2
        return xs

    def broken_by_initial_state(self) -> str | None:
        """The name of a sort whose permutations change the initial state."""
        init = tuple(self.model.init)
        for srt in self.sorts:
            for perm in ([1, 0] + list(range(2, srt.size)), list(range(1, srt.size)) + [0]):
                if srt.size >= 2 and srt.permuter(tuple(perm))(init) != init:
                    return srt.sort
        return None

    def all_images(self, s: tuple) -> set[tuple]:
        """Every permutation of s (for tests on small sorts)."""
        out = {s}
        for srt in self.sorts:
            out = {srt.permuter(p)(x) for x in out for p in permutations(range(srt.size))}
        return out
