"""Contracts over time -> ghost monitor state, plain checks and invariants.

A `contract` declaration (one of Dwyer et al.'s safety specification patterns,
per instance of its parameters) is rewritten on the AST, before lowering, into
what both engines already understand:

* a ghost variable `NAME.open` per contract (a bool, or nested maps of bools
  over the parameters' sorts) that says whether the scope is open, and for
  `at most N` a ghost counter `NAME.count`;
* at every site where an opening or closing occurrence happens (a process
  step, an action, an `emit` statement), assignments that open or close the
  scope of the matching instances;
* at every site of a forbidden or counted occurrence, an `assert NAME: ...`
  (so a violation is a built-in-style check at that step, with the shortest
  counterexample ending in the offending step), and for `at most` the count;
* for `always EXPR`, the invariant `forall params: NAME.open => EXPR`.

So the monitors are ordinary state: BFS, BMC, k-induction, replay and the
oracle need no special case, and counterexamples show the ghost variables
changing. Occurrences in one step take effect in program order: a step's or
action's own occurrence at its start, an event's at its `emit` statement;
checks read the state before the occurrence's own ghost updates.
"""
from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass

from kspec.report import diagnostics as D
from kspec.report.diagnostics import KspecError, did_you_mean
from kspec.syntax import ast as A


def err(code: str, message: str, span, hint: str | None = None) -> KspecError:
    return KspecError(D.diag(code, message, span, hint=hint))


@dataclass(frozen=True, slots=True)
class Site:
    """Where an occurrence can happen: ("step", process, label),
    ("action", name) or ("event", name)."""

    kind: str
    name: str
    label: str = ""


@dataclass(slots=True)
class Edits:
    """Statements to insert at each site: `pre` before the occurrence's own
    updates, `post` after, each as (values of the site -> statements)."""

    pre: dict[Site, list] = dataclasses.field(default_factory=dict)
    post: dict[Site, list] = dataclasses.field(default_factory=dict)

    def add(self, site: Site, pre=None, post=None) -> None:
        if pre is not None:
            self.pre.setdefault(site, []).append(pre)
        if post is not None:
            self.post.setdefault(site, []).append(post)

    def statements(self, site: Site, values: list[A.Expr]) -> tuple[tuple, tuple]:
        pre = tuple(st for make in self.pre.get(site, ()) for st in make(values))
        post = tuple(st for make in self.post.get(site, ()) for st in make(values))
        return pre, post


def desugar_contracts(decls: list, declare, used_names: set[str]) -> list:
    """The declarations with every `ContractDecl` replaced by ghost variables,
    checks inserted into the steps, actions and emits it mentions, and (for
    `always`) an invariant. `declare(name, decl, span)` registers the
    contract's name; KspecError for a contract that names unknown things."""
    contracts = [d for d in decls if isinstance(d, A.ContractDecl)]
    if not contracts:
        return decls
    rest = [d for d in decls if not isinstance(d, A.ContractDecl)]
    world = _World(rest)
    edits = Edits()
    added: list = []
    fresh = _Fresh(used_names)
    for k in contracts:
        if k.pattern != "always":  # an `always` contract is declared as the invariant it becomes
            declare(k.name, k, k.span)
        added.extend(_Monitor(k, world, fresh).plan(edits))
    ghosts = {(k.name, "open") for k in contracts if k.scope != "globally"} | \
        {(k.name, "count") for k in contracts if k.pattern == "at_most"}
    out = [_rewrite(d, edits, world) for d in rest] + added
    return [_ghost_reads(d, ghosts) for d in out]


def _ghost_reads(node, ghosts: set[tuple[str, str]]):
    """`K.open` / `K.count` written in expressions (helper invariants, proof
    lemmas) read contract K's ghost variables."""
    if isinstance(node, A.Field) and isinstance(node.base, A.Name) and (node.base.name, node.name) in ghosts:
        return A.Name(f"{node.base.name}.{node.name}", span=node.span)
    if isinstance(node, tuple):
        return tuple(_ghost_reads(x, ghosts) for x in node)
    if dataclasses.is_dataclass(node) and not isinstance(node, type) and not isinstance(node, A.Occurrence):
        changes = {f.name: _ghost_reads(getattr(node, f.name), ghosts) for f in dataclasses.fields(node)
                   if f.name != "span" and isinstance(getattr(node, f.name), (tuple, object))}
        return dataclasses.replace(node, **changes)
    return node


class _World:
    """The processes, actions and events a contract may name."""

    def __init__(self, decls: list):
        self.procs = {d.name: d for d in decls if isinstance(d, A.ProcessDecl)}
        self.actions = {d.name: d for d in decls if isinstance(d, A.ActionDecl)}
        self.events = {d.name: d for d in decls if isinstance(d, A.EventDecl)}
        self.sorts = {d.name for d in decls if isinstance(d, (A.SortDecl, A.EnumDecl))}

    def site_of(self, occ: A.Occurrence) -> tuple[Site, int]:
        """The site an occurrence names and how many values it is matched on."""
        if occ.label is not None:
            proc = self.procs.get(occ.name)
            if proc is None:
                raise err(D.NOT_A_PROCESS, f"`{occ.name}` is not a process", occ.span,
                          hint=did_you_mean(occ.name, self.procs))
            labels = [s.label for s in _all_steps(proc.steps)]
            if occ.label not in labels:
                raise err(D.UNKNOWN_LABEL, f"process `{occ.name}` has no step `{occ.label}` in this variant",
                          occ.span, hint=did_you_mean(occ.label, labels))
            step = next(s for s in _all_steps(proc.steps) if s.label == occ.label)
            if isinstance(step, A.WhileStep):
                raise err(D.STATEMENT_NOT_ALLOWED, f"step `{occ.label}` is a `while` test; a contract can name "
                          "a plain step", occ.span)
            if (occ.index is None) != (proc.index is None):
                raise err(D.INDEX_ARITY, f"process `{occ.name}` " + ("is indexed: name an instance, "
                          f"`{occ.name}[i].{occ.label}`" if proc.index else "has one instance: "
                          f"`{occ.name}.{occ.label}`"), occ.span)
            return Site("step", occ.name, occ.label), 0 if proc.index is None else 1
        if occ.name in self.events:
            n, site = len(self.events[occ.name].params), Site("event", occ.name)
        elif occ.name in self.actions:
            n, site = len(self.actions[occ.name].params), Site("action", occ.name)
        else:
            raise err(D.UNKNOWN_NAME, f"`{occ.name}` is neither an event nor an action", occ.span,
                      hint=did_you_mean(occ.name, [*self.events, *self.actions]) or
                      "a contract names events (`ev(args)`), actions (`a(args)`) or steps (`p[i].LABEL`)")
        if len(occ.args) != n:
            raise err(D.BAD_CALL, f"`{occ.name}` takes {n} argument(s); `_` matches any value", occ.span)
        return site, n


class _Fresh:
    def __init__(self, used: set[str]):
        self.used = used
        self.k = itertools.count()

    def __call__(self, base: str) -> str:
        while True:
            name = f"_{base}{next(self.k)}"
            if name not in self.used:
                self.used.add(name)
                return name


class _Monitor:
    """The ghost state and inserted statements of one contract."""

    def __init__(self, k: A.ContractDecl, world: _World, fresh: _Fresh):
        self.k, self.world = k, world
        for p in k.params:
            if not (isinstance(p.type, A.NamedType) and p.type.name in world.sorts):
                raise err(D.NOT_A_TYPE, f"contract parameter `{p.name}` must range over a named sort or enum",
                          p.span, hint="declare `sort S = 0..N-1` and write `[x: S]`")
        self.binders = [fresh(p.name) for p in k.params]
        self.rename = {p.name: A.Name(b) for p, b in zip(k.params, self.binders)}
        self.open_var = f"{k.name}.open" if k.scope != "globally" else None
        self.count_var = f"{k.name}.count" if k.pattern == "at_most" else None
        self.message = f"contract `{k.name}` violated"

    # ---- declarations ------------------------------------------------------------
    def plan(self, edits: Edits) -> list:
        k = self.k
        out = []
        if self.open_var is not None:
            initially = k.scope == "before"
            out.append(self._ghost(self.open_var, A.BoolType(), A.BoolLit(initially),
                                   f"Ghost monitor of contract `{k.name}`: its scope is open."))
        if self.count_var is not None:
            out.append(self._ghost(self.count_var, A.RangeType(A.IntLit(0), A.IntLit(k.bound)), A.IntLit(0),
                                   f"Ghost monitor of contract `{k.name}`: occurrences in the open scope."))
        for occ in k.events:
            site, _ = self.world.site_of(occ)
            edits.add(site, pre=self._checker(occ), post=self._counter(occ) if self.count_var else None)
        for occ in k.close:
            site, _ = self.world.site_of(occ)
            edits.add(site, post=self._updater(occ, opening=False))
        for occ in k.open:
            site, _ = self.world.site_of(occ)
            edits.add(site, post=self._updater(occ, opening=True))
        if k.pattern == "always":
            body = k.expr if self.open_var is None else \
                A.Binary("=>", self._read(self.open_var, False), k.expr, span=k.span)
            if k.params:
                body = A.Quant("forall", tuple(A.Binder((p.name,), A.Name(p.type.name)) for p in k.params), body,
                               span=k.span)
            out.append(A.PropertyDecl("invariant", k.name, body, doc=k.doc, span=k.span))
        return out

    def _ghost(self, name: str, t: A.Type, init: A.Expr, doc: str) -> A.VarDecl:
        for p in reversed(self.k.params):
            t = A.MapType(A.NamedType(p.type.name), t)
        return A.VarDecl(name, t, init, doc=doc, span=self.k.span)

    def _read(self, var: str, renamed: bool = True) -> A.Expr:
        e: A.Expr = A.Name(var)
        for p, b in zip(self.k.params, self.binders):
            e = A.Index(e, A.Name(b if renamed else p.name))
        return e

    # ---- inserted statements ---------------------------------------------------------
    def _match(self, occ: A.Occurrence, values: list[A.Expr]) -> A.Expr | None:
        """The condition under which the site's values are this occurrence of
        the instance named by the binders (None: always)."""
        wanted = [occ.index] if occ.label is not None else list(occ.args)
        parts = [A.Binary("==", v, _subst(w, self.rename), span=occ.span)
                 for v, w in zip(values, wanted) if not _wildcard(w)]
        return _conj(parts)

    def _instances(self, cond: A.Expr | None) -> A.Expr:
        """`exists binders: cond` over the contract's parameters."""
        cond = cond if cond is not None else A.BoolLit(True)
        if not self.k.params:
            return cond
        return A.Quant("exists", tuple(A.Binder((b,), A.Name(p.type.name))
                                       for p, b in zip(self.k.params, self.binders)), cond)

    def _each(self, cond: A.Expr | None, body: tuple) -> tuple:
        """The statements for every instance satisfying cond."""
        if not self.k.params:
            return body if cond is None else (A.If(cond, body, ()),)
        out = body
        for i in reversed(range(len(self.k.params))):
            where = cond if i == len(self.k.params) - 1 else None
            out = (A.Foreach(self.binders[i], A.Name(self.k.params[i].type.name), where, out),)
        return out

    def _checker(self, occ: A.Occurrence):
        k = self.k

        def make(values: list[A.Expr]) -> tuple:
            bad = [self._match(occ, values)]
            if self.open_var is not None:
                bad.append(self._read(self.open_var))
            if self.count_var is not None:
                bad.append(A.Binary(">=", self._read(self.count_var), A.IntLit(k.bound)))
            return (A.Assert(k.name, A.Unary("not", self._instances(_conj([b for b in bad if b is not None]))),
                             self.message, span=occ.span),)
        return make

    def _counter(self, occ: A.Occurrence):
        k = self.k

        def make(values: list[A.Expr]) -> tuple:
            n = self._read(self.count_var)  # type: ignore[arg-type]
            room = A.Binary("<", n, A.IntLit(k.bound))
            if self.open_var is not None:
                room = A.Binary("and", self._read(self.open_var), room)
            bump = A.Assign(n, A.Ite(room, A.Binary("+", n, A.IntLit(1)), n), span=occ.span)
            return self._each(self._match(occ, values), (bump,))
        return make

    def _updater(self, occ: A.Occurrence, opening: bool):
        def make(values: list[A.Expr]) -> tuple:
            is_open = self._read(self.open_var)  # type: ignore[arg-type]
            body: list = []
            if opening and self.count_var is not None:
                n = self._read(self.count_var)
                body.append(A.Assign(n, A.Ite(is_open, n, A.IntLit(0)), span=occ.span))
            body.append(A.Assign(is_open, A.BoolLit(opening), span=occ.span))
            return self._each(self._match(occ, values), tuple(body))
        return make


# ---- rewriting the processes and actions ------------------------------------------------
def _rewrite(d, edits: Edits, world: _World):
    if isinstance(d, A.ProcessDecl):
        values = [A.SelfRef()] if d.index is not None else []
        steps = tuple(_rewrite_step(s, d.name, values, edits) for s in d.steps)
        return dataclasses.replace(d, steps=steps)
    if isinstance(d, A.ActionDecl):
        pre, post = edits.statements(Site("action", d.name), [A.Name(p.name) for p in d.params])
        return dataclasses.replace(d, body=pre + post + _rewrite_stmts(d.body, edits))
    return d


def _rewrite_step(s, proc: str, values: list, edits: Edits):
    if isinstance(s, A.WhileStep):
        return dataclasses.replace(s, body=tuple(_rewrite_step(x, proc, values, edits) for x in s.body))
    pre, post = edits.statements(Site("step", proc, s.label), values)
    return dataclasses.replace(s, body=pre + post + _rewrite_stmts(s.body, edits))


def _rewrite_stmts(stmts: tuple, edits: Edits) -> tuple:
    out: list = []
    for st in stmts:
        if isinstance(st, A.Emit):
            pre, post = edits.statements(Site("event", st.name), list(st.args))
            out.extend((*pre, st, *post))
        elif isinstance(st, (A.If, A.TryLock)):
            out.append(dataclasses.replace(st, then=_rewrite_stmts(st.then, edits),
                                           else_=_rewrite_stmts(st.else_, edits)))
        elif isinstance(st, A.Either):
            out.append(dataclasses.replace(st, branches=tuple(_rewrite_stmts(b, edits) for b in st.branches)))
        elif isinstance(st, A.Foreach):
            out.append(dataclasses.replace(st, body=_rewrite_stmts(st.body, edits)))
        else:
            out.append(st)
    return tuple(out)


# ---- helpers ------------------------------------------------------------------------
def _wildcard(e: A.Expr | None) -> bool:
    return isinstance(e, A.Name) and e.name == "_"


def _conj(parts: list) -> A.Expr | None:
    out = None
    for p in parts:
        out = p if out is None else A.Binary("and", out, p)
    return out


def _subst(e, names: dict[str, A.Expr]):
    """e with the free names in `names` replaced (the binders they become are
    fresh, so nothing is captured)."""
    if isinstance(e, A.Name):
        return names.get(e.name, e)
    if isinstance(e, tuple):
        return tuple(_subst(x, names) for x in e)
    if dataclasses.is_dataclass(e) and not isinstance(e, type):
        return dataclasses.replace(e, **{f.name: _subst(getattr(e, f.name), names)
                                         for f in dataclasses.fields(e) if f.name != "span"})
    return e


def _all_steps(steps):
    for s in steps:
        yield s
        if isinstance(s, A.WhileStep):
            yield from _all_steps(s.body)
