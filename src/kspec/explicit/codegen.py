"""Optimising code generation for the explicit engine's `expand` and state properties.

`compile.py` translates the IR node by node for the per-transition functions
(replay, reports); the hot code -- the fused `expand(s, active, ld)` and the
invariant and witness functions -- is generated here, in three steps:

* **interning**: the IR expressions of a model become a DAG with one integer
  id per distinct expression (IR nodes hash recursively and uncached; ids make
  equality, memoisation and common-subexpression counting O(1));
* **simplification** under what is known at that point of the generated code:
  slot sorts (states are well typed, as the plain translation already assumes
  when it indexes a `Select` without a bounds check), the program counter of
  the dispatch branch, and the conditions already tested on the way (guard
  conjuncts, `and`/`or` prefixes, `if` branches) as sets of values of single
  "atoms" (a slot, a map read, ...). Boolean formulas over one atom are decided
  or rewritten as one test (`x in {..}`); `if` chains over one atom become
  minimal case tables; checks that can never fire disappear;
* **emission** with every repeated expression that cannot raise bound to a
  local, placed just before its first use in the innermost block holding all
  its uses.

Invariants of the rewrites: in a value position the value is unchanged (also
its Python type); in a boolean position (guards, blocks, checks, conditions,
operands of `not`) its truthiness is. No rewrite drops, adds or reorders the
evaluation of an expression that can raise (a `Select` whose index may be out
of range, a division, a set literal with a computed element): the generated
code raises in exactly the states, and with the message, the plain
translation does -- the symbolic engine models where `expand` raises.
"""
from __future__ import annotations

from kspec.ir import nodes as N

(LIT, BOOLC, VAR, SEL, NOT, AND, OR, ITE, CMP, ARITH, SETLIT, MEMBER, SETOP, SIZE, INSET) = range(15)
# positions: the exact value matters (also bool vs int: slots may hold either) / only as a
# number (operands of comparisons, arithmetic, indices) / only its truthiness
VAL, BOOL, NUM = 0, 1, 2
MAX_DOMAIN = 64           # atoms with at most this many values take part in value-set reasoning
MAX_SPLIT = 16            # a dispatch branch is split on atoms with at most this many values ...
SPLIT_GAIN = 0.8          # ... when the estimated work per state drops below this fraction
MAX_CANDIDATES = 1        # atoms tried per branch
_CMP = {"==": int.__eq__, "!=": int.__ne__, "<": int.__lt__, "<=": int.__le__, ">": int.__gt__,
        ">=": int.__ge__}


def _div(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


class Dag:
    """Interned expressions: `key[n]` is (kind, ...children ids / params); per-node
    attributes are computed once, when the node is created."""

    def __init__(self, slots: tuple[N.Slot, ...]):
        self.slots = slots
        self.key: list[tuple] = []
        self.ids: dict[tuple, int] = {}
        self.total: list[bool] = []      # evaluation cannot raise (in a well-typed state)
        self.iv: list[tuple[int, int] | None] = []
        self.mask: list[int] = []        # slots read, as a bitmask
        self.height: list[int] = []
        self.size: list[int] = []        # tree size, capped
        self._obj: dict[int, tuple[int, N.Expr]] = {}  # id(IR node) -> (node, the IR node kept alive)
        self._vs: dict[int, tuple | None] = {}
        self.TRUE = self.mk((BOOLC, True))
        self.FALSE = self.mk((BOOLC, False))

    # ---- construction ---------------------------------------------------------------
    def lit(self, v: int) -> int:
        return self.mk((LIT, int(v)))

    def mk(self, key: tuple) -> int:
        n = self.ids.get(key)
        if n is not None:
            return n
        n = len(self.key)
        total, iv, mask, h, size = self._attrs(key)
        self.key.append(key)
        self.total.append(total)
        self.iv.append(iv)
        self.mask.append(mask)
        self.height.append(h)
        self.size.append(min(size, 1 << 20))
        self.ids[key] = n
        return n

    def children(self, key: tuple) -> tuple[int, ...]:
        k = key[0]
        if k in (LIT, BOOLC, VAR):
            return ()
        if k == SEL:
            return key[1] + (key[2],)
        if k in (NOT, INSET):
            return (key[1],)
        if k in (AND, OR):
            return key[1]
        if k == ITE:
            return key[1:4]
        if k in (CMP, ARITH, SETOP):
            return key[2:4]
        if k == SETLIT:
            return key[1]
        if k == MEMBER:
            return key[1:3]
        if k == SIZE:
            return (key[1],)
        raise AssertionError(key)

    def _attrs(self, key: tuple):
        k = key[0]
        ch = self.children(key)
        tot = all(self.total[c] for c in ch)
        mask = 0
        for c in ch:
            mask |= self.mask[c]
        h = 1 + max((self.height[c] for c in ch), default=-1)
        size = 1 + sum(self.size[c] for c in ch)
        iv: tuple[int, int] | None = (0, 1)
        if k == LIT:
            iv = (key[1], key[1])
        elif k == BOOLC:
            iv = (int(key[1]), int(key[1]))
        elif k == VAR:
            s = self.slots[key[1]].sort
            iv = (s.lo, s.hi) if isinstance(s, N.IntSort) else (0, 1) if isinstance(s, N.BoolSort) else None
            mask = 1 << key[1]
        elif k == SEL:
            ivs = [self.iv[o] for o in key[1]]
            iv = (min(i[0] for i in ivs), max(i[1] for i in ivs)) if all(ivs) else None  # type: ignore[index]
            ix = self.iv[key[2]]
            tot = tot and ix is not None and key[3] <= ix[0] and ix[1] < key[3] + len(key[1])
        elif k == ITE:
            a, b = self.iv[key[2]], self.iv[key[3]]
            iv = (min(a[0], b[0]), max(a[1], b[1])) if a and b else None
        elif k == ARITH:
            op, a, b = key[1], self.iv[key[2]], self.iv[key[3]]
            if a is None or b is None:
                iv = None
            elif op == "+":
                iv = (a[0] + b[0], a[1] + b[1])
            elif op == "-":
                iv = (a[0] - b[1], a[1] - b[0])
            elif op == "*":
                c = [a[0] * b[0], a[0] * b[1], a[1] * b[0], a[1] * b[1]]
                iv = (min(c), max(c))
            else:
                iv = None
            if op in ("/", "%"):
                tot = tot and b is not None and (b[0] > 0 or b[1] < 0)
        elif k == SETLIT:
            iv = None
            lo, size_ = key[2], key[3]
            for e in key[1]:
                r = self.iv[e]
                tot = tot and r is not None and lo <= r[0] and r[1] < lo + size_
        elif k == SETOP:
            iv = None
        elif k == SIZE:
            iv = (0, key[2])
        return tot, iv, mask, h, size

    def intern(self, e: N.Expr) -> int:
        hit = self._obj.get(id(e))
        if hit is not None:
            return hit[0]
        mk, it = self.mk, self.intern
        match e:
            case N.Lit(value=v):
                n = mk((LIT, int(v)))
            case N.Var(slot=i):
                n = mk((VAR, i))
            case N.Select(options=opts, index=idx, offset=off):
                n = mk((SEL, tuple(it(o) for o in opts), it(idx), off))
            case N.Not(arg=a):
                n = mk((NOT, it(a)))
            case N.And(args=args):
                n = mk((AND, tuple(it(a) for a in args)))
            case N.Or(args=args):
                n = mk((OR, tuple(it(a) for a in args)))
            case N.Ite(cond=c, then=a, else_=b):
                n = mk((ITE, it(c), it(a), it(b)))
            case N.Cmp(op=op, left=a, right=b):
                n = mk((CMP, op, it(a), it(b)))
            case N.Arith(op=op, left=a, right=b):
                n = mk((ARITH, op, it(a), it(b)))
            case N.SetLit(elems=elems, sort=sort):
                n = mk((SETLIT, tuple(it(x) for x in elems), sort.lo, sort.size))
            case N.Member(elem=x, set=st, sort=sort):
                n = mk((MEMBER, it(x), it(st), sort.lo, sort.size))
            case N.SetOp(op=op, left=a, right=b):
                n = mk((SETOP, op, it(a), it(b)))
            case N.Size(set=st, sort=sort):
                n = mk((SIZE, it(st), sort.size))
            case _:
                raise AssertionError(e)
        self._obj[id(e)] = (n, e)
        return n

    # ---- constants --------------------------------------------------------------------
    def const(self, n: int) -> int | bool | None:
        """The value of a literal node, else None."""
        k = self.key[n]
        return k[1] if k[0] in (LIT, BOOLC) else None

    def truthy(self, n: int) -> bool | None:
        c = self.const(n)
        return None if c is None else bool(c)

    # ---- single-atom value sets -------------------------------------------------------
    def domain(self, n: int) -> tuple[int, int] | None:
        iv = self.iv[n]
        if iv is None or not self.total[n] or iv[1] - iv[0] >= MAX_DOMAIN or self.key[n][0] in (LIT, BOOLC):
            return None
        return iv

    def vs(self, n: int) -> tuple[int, int, int, int] | None:
        """(atom, lo, bits, full): n (total) is truthy exactly when the value v of
        the atom has bit v - lo set in `bits`; `full` has a bit per domain value."""
        if n in self._vs:
            return self._vs[n]
        r = self._vs[n] = self._vs_of(n) if self.total[n] else None
        return r

    def _atom(self, n: int):
        d = self.domain(n)
        if d is None:
            return None
        lo, hi = d
        full = (1 << (hi - lo + 1)) - 1
        return n, lo, full & ~(1 << (0 - lo)) if lo <= 0 <= hi else full, full

    def _vs_of(self, n: int):
        key = self.key
        k = key[n]
        kind = k[0]
        if kind in (LIT, BOOLC):
            return None
        if kind == CMP:
            op, a, b = k[1], k[2], k[3]
            ca, cb = self.const(a), self.const(b)
            if cb is not None and ca is None and self.domain(a):
                lo, hi = self.domain(a)  # type: ignore[misc]
                f = _CMP[op]
                bits = sum(1 << (v - lo) for v in range(lo, hi + 1) if f(v, int(cb)))
                return a, lo, bits, (1 << (hi - lo + 1)) - 1
            if ca is not None and cb is None and self.domain(b):
                lo, hi = self.domain(b)  # type: ignore[misc]
                f = _CMP[op]
                bits = sum(1 << (v - lo) for v in range(lo, hi + 1) if f(int(ca), v))
                return b, lo, bits, (1 << (hi - lo + 1)) - 1
            return self._atom(n)
        if kind == INSET:
            a = k[1]
            if self.domain(a) is None:
                return self._atom(n)
            lo, hi = self.domain(a)  # type: ignore[misc]
            bits = sum(1 << (v - lo) for v in k[2] if lo <= v <= hi)
            return a, lo, bits, (1 << (hi - lo + 1)) - 1
        if kind == NOT:
            x = self.vs(k[1])
            if x is None:
                return self._atom(n)
            return x[0], x[1], x[3] & ~x[2], x[3]
        if kind in (AND, OR):
            parts = [self.vs(a) for a in k[1]]
            if all(parts) and len({p[0] for p in parts}) == 1:  # type: ignore[index]
                bits = parts[0][2]  # type: ignore[index]
                for p in parts[1:]:
                    bits = bits & p[2] if kind == AND else bits | p[2]  # type: ignore[index]
                return parts[0][0], parts[0][1], bits, parts[0][3]  # type: ignore[index]
            return self._atom(n)
        if kind == ITE:
            c, a, b = (self.vs(x) for x in k[1:4])
            if c and a and b and c[0] == a[0] == b[0]:
                return c[0], c[1], (c[2] & a[2]) | (c[3] & ~c[2] & b[2]), c[3]
            return self._atom(n)
        return self._atom(n)


class Facts(dict):
    """{atom: bits of its possible values}; never changed once handed out.
    Caches the slots its atoms read and its items in order."""

    __slots__ = ("_mask", "_items")

    def __init__(self, *a):
        super().__init__(*a)
        self._mask: int | None = None
        self._items: tuple | None = None

    def mask(self, d: "Dag") -> int:
        if self._mask is None:
            m = 0
            for a in self:
                m |= d.mask[a]
            self._mask = m
        return self._mask

    def items_sorted(self) -> tuple:
        if self._items is None:
            self._items = tuple(sorted(self.items()))
        return self._items


NO_FACTS = Facts()


def _facts_items(F: dict) -> tuple:
    return F.items_sorted() if isinstance(F, Facts) else tuple(sorted(F.items()))


class Simplifier:
    """Rewrites interned expressions under facts: {atom: bits of its possible
    values} (see `Dag.vs`). Results are memoised per (node, position, facts
    about atoms sharing a slot with the node)."""

    def __init__(self, dag: Dag, bool_slots: frozenset[int] = frozenset()):
        self.d = dag
        self.memo: dict[tuple, int] = {}
        self.bool_slots = bool_slots  # slots that may hold a Python bool (a comparison's value)
        self._normalising = False

    # ---- facts ----------------------------------------------------------------------
    def facts_of(self, n: int, F: dict, positive: bool = True) -> dict:
        """F strengthened with what holds when n is truthy (falsy)."""
        d = self.d
        k = d.key[n]
        if k[0] == AND and positive or k[0] == OR and not positive:
            for a in k[1]:
                F = self.facts_of(a, F, positive)
            return F
        if k[0] == NOT:
            return self.facts_of(k[1], F, not positive)
        v = d.vs(n)
        if v is None:
            return F
        atom, _lo, bits, full = v
        bits = bits if positive else full & ~bits
        return self.add_fact(F, atom, bits)

    def add_fact(self, F: dict, atom: int, bits: int) -> dict:
        """F and `atom` in bits. A slot value becoming known may simplify the
        atoms of other facts (`m[s[3]]` with s[3] = 1 is `s[8]`): those facts
        then also hold for the simplified atoms."""
        d = self.d
        lo, hi = d.domain(atom)  # type: ignore[misc]
        full = (1 << (hi - lo + 1)) - 1
        old = F.get(atom, full)
        if old & bits == old:
            return F
        F = Facts(F)
        new = F[atom] = old & bits
        if d.key[atom][0] == VAR and new and new & (new - 1) == 0 and not self._normalising:
            self._normalising = True
            try:
                self._normalise(F, atom)
            finally:
                self._normalising = False
        return F

    def _normalise(self, F: dict, atom: int) -> None:
        d = self.d
        for a, b in list(F.items()):
            if a == atom or not d.mask[a] & d.mask[atom] or d.key[a][0] not in (SEL, ARITH):
                continue
            a2 = self.simp(a, NUM, F)
            if a2 != a and d.const(a2) is None and d.iv[a2] == d.iv[a] and d.domain(a2):
                F[a2] = F.get(a2, b) & b
                F._mask = F._items = None  # type: ignore[attr-defined]

    # ---- entry --------------------------------------------------------------------------
    def simp(self, n: int, ctx: int, F: dict) -> int:
        d = self.d
        rel: tuple = ()
        if F:
            if not isinstance(F, Facts):
                F = Facts(F)
            m = d.mask[n]
            if F.mask(d) & m:
                mask = d.mask
                rel = tuple(ab for ab in F.items_sorted() if mask[ab[0]] & m)
        key = (n, ctx, rel)
        r = self.memo.get(key)
        if r is None:
            if not rel:
                F = NO_FACTS
            elif len(rel) != len(F):
                F = Facts(rel)
            r = self.memo[key] = self._simp(n, ctx, F)
        return r

    def _simp(self, n: int, ctx: int, F: dict) -> int:  # noqa: C901 -- one case per node kind
        d = self.d
        k = d.key[n]
        kind = k[0]
        S = self.simp
        if kind in (LIT, BOOLC):
            return n
        if kind == VAR:
            v = F.get(n)
            if v and v & (v - 1) == 0 and (ctx != VAL or k[1] not in self.bool_slots):
                return d.lit(d.iv[n][0] + v.bit_length() - 1)  # type: ignore[index]
            return n
        if kind == SEL:
            opts, idx, off = k[1], k[2], k[3]
            i2 = S(idx, NUM, F)
            # the plain translation evaluates every option (a tuple display), then the index
            c = d.const(i2)
            j = None if c is None else int(c) - off
            if j is None and d.domain(i2) and F.get(i2) is not None:
                v = F[i2]
                if v and v & (v - 1) == 0:
                    j = d.iv[i2][0] + v.bit_length() - 1 - off  # type: ignore[index]
            if j is not None and 0 <= j < len(opts) and all(d.total[o] for i, o in enumerate(opts) if i != j):
                return S(opts[j], ctx, F)
            opts2 = tuple(S(o, ctx, F) for o in opts)
            r = d.mk((SEL, opts2, i2, off))
            if d.total[r] and len(set(opts2)) == 1:
                return opts2[0]
            return self.fold(r, ctx, F)
        if kind == NOT:
            a = S(k[1], BOOL, F)
            t = d.truthy(a)
            if t is not None:
                return d.TRUE if not t else d.FALSE
            if ctx == BOOL and d.key[a][0] == NOT:
                return d.key[a][1]
            return self.fold(d.mk((NOT, a)), ctx, F)
        if kind in (AND, OR):
            return self._andor(kind, k[1], ctx, F)
        if kind == ITE:
            c = S(k[1], BOOL, F)
            t = d.truthy(c)
            if t is not None:
                return S(k[2] if t else k[3], ctx, F)
            a = S(k[2], ctx, self.facts_of(c, F, True))
            b = S(k[3], ctx, self.facts_of(c, F, False))
            if a == b and d.total[c]:
                return a
            if ctx == BOOL:  # a constant branch: `and` / `or` (same evaluations, same truthiness)
                ta, tb = d.truthy(a), d.truthy(b)
                if ta is not None or tb is not None:
                    if ta is True:
                        r = d.mk((OR, (c, b)))
                    elif ta is False:
                        r = d.mk((AND, (d.mk((NOT, c)), b)))
                    elif tb is False:
                        r = d.mk((AND, (c, a)))
                    else:
                        r = d.mk((OR, (d.mk((NOT, c)), a)))
                    return S(r, BOOL, F)
            r = self._cases(d.mk((ITE, c, a, b)), F)
            return self.fold(r, ctx, F)
        if kind == CMP:
            op = k[1]
            a, b = S(k[2], NUM, F), S(k[3], NUM, F)
            ca, cb = d.const(a), d.const(b)
            if ca is not None and cb is not None:
                return d.TRUE if _CMP[op](int(ca), int(cb)) else d.FALSE
            # a comparison with a constant goes into an if-chain with constant branches
            for x, y, left in ((a, b, True), (b, a, False)):
                kx = d.key[x]
                if (cb if left else ca) is None:
                    continue
                if kx[0] == ITE and (d.const(kx[2]) is not None or d.const(kx[3]) is not None):
                    arms = [d.mk((CMP, op, z, y) if left else (CMP, op, y, z)) for z in kx[2:4]]
                    return S(d.mk((ITE, kx[1], arms[0], arms[1])), ctx, F)
            ia, ib = d.iv[a], d.iv[b]
            if ia and ib and d.total[a] and d.total[b]:
                dec = _decide(op, ia, ib)
                if dec is not None:
                    return d.TRUE if dec else d.FALSE
            return self.fold(d.mk((CMP, op, a, b)), ctx, F)
        if kind == ARITH:
            op = k[1]
            a, b = S(k[2], NUM, F), S(k[3], NUM, F)
            ca, cb = d.const(a), d.const(b)
            if ca is not None and cb is not None and d.key[a][0] == LIT and d.key[b][0] == LIT:
                if op == "+":
                    return d.lit(ca + cb)
                if op == "-":
                    return d.lit(ca - cb)
                if op == "*":
                    return d.lit(ca * cb)
                if cb != 0:
                    q = _div(int(ca), int(cb))
                    return d.lit(q if op == "/" else ca - q * cb)
            return d.mk((ARITH, op, a, b))
        if kind == SETLIT:
            elems = tuple(S(x, NUM, F) for x in k[1])
            lo, size = k[2], k[3]
            if all(d.key[x][0] == LIT and 0 <= d.key[x][1] - lo < size for x in elems):
                bits = 0  # the plain translation's integer
                for x in elems:
                    bits |= 1 << (d.key[x][1] - lo)
                return d.lit(bits)
            # `_setbit(x, ...)` checks computed elements: keep them computed
            elems = tuple(x if d.key[x][0] != LIT or d.key[o][0] == LIT else o for x, o in zip(elems, k[1]))
            return d.mk((SETLIT, elems, lo, size))
        if kind == MEMBER:
            x, st = S(k[1], NUM, F), S(k[2], NUM, F)
            if d.key[x][0] == LIT and d.key[k[1]][0] != LIT and not d.total[st]:
                x = k[1]  # `_bit(x, ...)` evaluates the set; a literal element outside the sort would not
            cx, cs = d.const(x), d.const(st)
            if cx is not None and d.key[x][0] == LIT:
                j = cx - k[3]
                if not 0 <= j < k[4]:
                    return d.lit(0)
                if cs is not None and d.key[st][0] == LIT:
                    return d.lit((cs >> j) & 1)
            return self.fold(d.mk((MEMBER, x, st, k[3], k[4])), ctx, F)
        if kind == SETOP:
            a, b = S(k[2], VAL, F), S(k[3], VAL, F)
            return d.mk((SETOP, k[1], a, b))
        if kind == SIZE:
            st = S(k[1], NUM, F)
            c = d.const(st)
            if c is not None and d.key[st][0] == LIT:
                return d.lit(int(c).bit_count())
            return d.mk((SIZE, st, k[2]))
        if kind == INSET:
            a = S(k[1], NUM, F)
            c = d.const(a)
            if c is not None:
                return d.TRUE if int(c) in k[2] else d.FALSE
            return self.fold(d.mk((INSET, a, k[2])), ctx, F)
        raise AssertionError(k)

    def _andor(self, kind: int, args: tuple[int, ...], ctx: int, F: dict) -> int:
        d = self.d
        is_and = kind == AND
        out: list[int] = []
        G = F
        last = len(args) - 1
        stop = None  # a constant that ends the evaluation
        for i, a in enumerate(args):
            a2 = self.simp(a, ctx, G)
            parts = d.key[a2][1] if d.key[a2][0] == kind else (a2,)  # flatten: same value, same order
            for j, p in enumerate(parts):
                t = d.truthy(p)
                if t is not None:
                    if t == is_and:  # neutral: `x and 1 and y` == `x and y` (not as the last operand)
                        if ctx == BOOL or i < last or j < len(parts) - 1:
                            continue
                        out.append(p)
                        continue
                    stop = p  # absorbing: evaluation ends here
                    break
                out.append(p)
                G = self.facts_of(p, G, is_and)
            if stop is not None:
                break
        if ctx == BOOL:
            out = self._merge(kind, out, F)
            if out and out[-1] in (d.TRUE, d.FALSE) and (out[-1] == d.FALSE) == is_and:
                stop, out = out[-1], out[:-1]
            if is_and:
                out = self._factor(out, F)
        if stop is not None:
            if not out or ctx == BOOL and all(d.total[x] for x in out):
                return stop if ctx != BOOL else (d.FALSE if is_and else d.TRUE)
            out.append(stop)
        if not out:
            return d.TRUE if is_and else d.FALSE
        if len(out) == 1:
            return out[0]
        r = d.mk((kind, tuple(out)))
        return self.fold(r, ctx, F)

    def _factor(self, args: list[int], F: dict) -> list[int]:
        """Conjunction, boolean position: `(not a or b) and (not b or a)` over
        0/1 values -> `a == b`; a run `not (p and x) and not (p and y)` with p
        unable to raise -> `not p or (not x and not y)` (p evaluated once)."""
        d = self.d
        key = d.key
        out: list[int] = []
        i = 0
        while i < len(args):
            a = args[i]
            if i + 1 < len(args):
                x, y = _implication(key, a), _implication(key, args[i + 1])
                if x and y and x == (y[1], y[0]) and all(d.total[z] and d.iv[z] and 0 <= d.iv[z][0] and
                                                         d.iv[z][1] <= 1 for z in x):
                    out.append(d.mk((CMP, "==", x[0], x[1])))
                    i += 2
                    continue
            pre = _neg_conj(key, a)
            if pre:
                j, common = _shared_prefix(args, i, pre, lambda b: _neg_conj(key, b), d.total)
                if j - i >= 2 and common:
                    p = pre[0] if common == 1 else d.mk((AND, pre[:common]))
                    rests = []
                    for b in args[i:j]:
                        r = _neg_conj(key, b)[common:]
                        rests.append(d.mk((NOT, r[0] if len(r) == 1 else d.mk((AND, r)))) if r else d.FALSE)
                    body = rests[0] if len(rests) == 1 else d.mk((AND, tuple(rests)))
                    out.append(self.simp(d.mk((OR, (d.mk((NOT, p)), body))), BOOL, F))
                    i = j
                    continue
            out.append(a)
            i += 1
        return out

    def _merge(self, kind: int, args: list[int], F: dict) -> list[int]:
        """Boolean position: operands over the same atom, within a run of
        operands that cannot raise, become one test (at the first one's place);
        a run decided by its tests ends or drops out."""
        d = self.d
        is_and = kind == AND
        out: list[int] = []
        i = 0
        while i < len(args):
            if not d.total[args[i]]:
                out.append(args[i])
                i += 1
                continue
            j = i
            while j < len(args) and d.total[args[j]]:
                j += 1
            run = args[i:j]
            groups: dict[int, list] = {}
            order: list = []
            for a in run:
                v = d.vs(a)
                if v is None:
                    order.append(a)
                    continue
                g = groups.get(v[0])
                if g is None:
                    g = groups[v[0]] = [v[1], v[2], v[3], [a]]
                    order.append(("g", v[0]))
                else:
                    g[1] = g[1] & v[2] if is_and else g[1] | v[2]
                    g[3].append(a)
            for o in order:
                if not isinstance(o, tuple):
                    out.append(o)
                    continue
                atom = o[1]
                lo, bits, full, members = groups[atom]
                allowed = F.get(atom, full)
                b = bits & allowed
                if b == 0:
                    if is_and:
                        return out + [d.FALSE]
                    continue
                if b == allowed:
                    if not is_and:
                        return out + [d.TRUE]
                    continue
                if len(members) == 1 and allowed == full:
                    out.append(members[0])
                else:
                    out.append(self.test(atom, lo, b, allowed, members[0] if len(members) == 1 else None))
            i = j
        return out

    # ---- value-set folding ------------------------------------------------------------
    def fold(self, n: int, ctx: int, F: dict) -> int:
        """Decide n, or rewrite it as one test, from its single-atom value set
        (boolean positions; in value positions only `not`, comparisons and set
        tests, whose value is a bool, are decided)."""
        d = self.d
        if not d.total[n]:
            return n
        v = d.vs(n)
        if v is None or v[0] == n:
            return n
        atom, lo, bits, full = v
        allowed = F.get(atom, full)
        b = bits & allowed
        kind = d.key[n][0]
        if ctx != BOOL and kind not in (NOT, CMP, INSET):
            return n
        if b == 0:
            return d.FALSE
        if b == allowed:
            return d.TRUE
        if ctx != BOOL:
            return n
        return self.test(atom, lo, b, allowed, n)

    def test(self, atom: int, lo: int, b: int, allowed: int, orig: int | None = None) -> int:
        """The cheapest boolean-position test of `atom` that holds exactly for the
        values in b among those in allowed (orig, when no larger)."""
        d = self.d
        vals = [lo + i for i in range(allowed.bit_length()) if b >> i & 1]
        rest = [lo + i for i in range(allowed.bit_length()) if (allowed & ~b) >> i & 1]
        boolish = d.iv[atom] == (0, 1)
        if boolish and vals == [1] or boolish and rest == [0]:
            r = atom
        elif boolish and vals == [0] or boolish and rest == [1]:
            r = d.mk((NOT, atom))
        elif len(vals) == 1:
            r = d.mk((CMP, "==", atom, d.lit(vals[0])))
        elif len(rest) == 1:
            r = d.mk((CMP, "!=", atom, d.lit(rest[0])))
        elif max(rest) < min(vals):
            r = d.mk((CMP, "<=", d.lit(min(vals)), atom))
        elif min(rest) > max(vals):
            r = d.mk((CMP, "<=", atom, d.lit(max(vals))))
        else:
            r = d.mk((INSET, atom, frozenset(vals)))
        if orig is not None and d.size[orig] <= d.size[r]:
            return orig
        return r

    def _cases(self, n: int, F: dict) -> int:
        """An if-chain whose conditions test one atom: the fewest tests giving
        each atom value its branch."""
        d = self.d
        c = d.key[n][1]
        v = d.vs(c)
        if v is None:
            return n
        atom, lo, _bits, full = v
        allowed = F.get(atom, full)
        leaves: dict[int, int] = {}
        order: list[int] = []
        tests = 0

        def walk(m: int, reach: int) -> None:
            nonlocal tests
            if reach == 0:
                return
            km = d.key[m]
            if km[0] == ITE:
                vc = d.vs(km[1])
                if vc is not None and vc[0] == atom:
                    tests += 1
                    walk(km[2], reach & vc[2])
                    walk(km[3], reach & ~vc[2])
                    return
            if m not in leaves:
                leaves[m] = 0
                order.append(m)
            leaves[m] |= reach

        walk(n, allowed)
        if len(order) == 1:
            return order[0]
        if len(order) - 1 >= tests:
            return n
        default = max(order, key=lambda m: (leaves[m].bit_count(), -order.index(m)))
        rest = [m for m in order if m != default]
        r = default
        remaining = allowed
        chain = []
        for m in rest:
            chain.append((m, remaining))
            remaining &= ~leaves[m]
        for m, reach in reversed(chain):
            r = d.mk((ITE, self.test(atom, lo, leaves[m], reach), m, r))
        return r


def _implication(key: list, n: int) -> tuple[int, int] | None:
    """(a, b) for `not a or b`."""
    k = key[n]
    if k[0] == OR and len(k[1]) == 2 and key[k[1][0]][0] == NOT:
        return key[k[1][0]][1], k[1][1]
    return None


def _neg_conj(key: list, n: int) -> tuple[int, ...]:
    """The conjuncts of x for `not x`, x a conjunction."""
    k = key[n]
    if k[0] == NOT and key[k[1]][0] == AND:
        return key[k[1]][1]
    return ()


class _Identity:
    """The simplifier of the plain translation: no rewriting, no facts."""

    def __init__(self, dag: Dag):
        self.d = dag

    def simp(self, n: int, ctx: int, F: dict) -> int:
        return n

    def facts_of(self, n: int, F: dict, positive: bool = True) -> dict:
        return F


def _decide(op: str, a: tuple[int, int], b: tuple[int, int]) -> bool | None:
    if op == "==":
        if a[1] < b[0] or b[1] < a[0]:
            return False
        if a[0] == a[1] == b[0] == b[1]:
            return True
    elif op == "!=":
        r = _decide("==", a, b)
        return None if r is None else not r
    elif op == "<":
        if a[1] < b[0]:
            return True
        if a[0] >= b[1]:
            return False
    elif op == "<=":
        if a[1] <= b[0]:
            return True
        if a[0] > b[1]:
            return False
    elif op == ">":
        return _decide("<", b, a)
    elif op == ">=":
        return _decide("<=", b, a)
    return None


# ---- emission ------------------------------------------------------------------------------

class Stmt:
    """One generated statement: arms (head, nodes, body) -- `head` with {0},
    {1}, ... for the sources of `nodes`, an optional indented `body` -- the
    first the statement itself, the others `elif`/`else` parts."""

    __slots__ = ("arms",)

    def __init__(self, head: str, nodes: tuple[int, ...] = (), body: list["Stmt"] | None = None):
        self.arms: list[tuple[str, tuple[int, ...], list[Stmt] | None]] = [(head, nodes, body)]

    def arm(self, head: str, nodes: tuple[int, ...] = (), body: list["Stmt"] | None = None) -> "Stmt":
        self.arms.append((head, nodes, body))
        return self


class Emitter:
    """Source text of interned expressions; `emit_block` binds repeated
    expressions that cannot raise to locals (`prefix` + number)."""

    def __init__(self, dag: Dag, prefix: str = "c", hoist: bool = True):
        self.d = dag
        self.prefix = prefix
        self.hoist = hoist

    # ---- plain source ---------------------------------------------------------------
    def _stride(self, k: tuple) -> tuple[int, int] | None:
        """Select over slots in arithmetic progression, index in range: s[a + d*k]."""
        d = self.d
        opts = k[1]
        if len(opts) < 2 or not d.total[d.mk(k)]:
            return None
        keys = [d.key[o] for o in opts]
        if any(x[0] != VAR for x in keys):
            return None
        a, step = keys[0][1], keys[1][1] - keys[0][1]
        if step <= 0 or any(x[1] != a + i * step for i, x in enumerate(keys)):
            return None
        return a, step

    def render_children(self, n: int) -> tuple[int, ...]:
        k = self.d.key[n]
        if k[0] == SEL and self._stride(k) is not None:
            return (k[2],)
        if k[0] == SETLIT and all(self.d.key[x][0] == LIT for x in k[1]):
            return ()
        return self.d.children(k)

    def src(self, n: int, names: dict[int, str], memo: dict[int, str], top: bool = False) -> str:
        if not top:
            nm = names.get(n)
            if nm is not None:
                return nm
            hit = memo.get(n)
            if hit is not None:
                return hit
        r = self._src(n, names, memo)
        if not top:
            memo[n] = r
        return r

    def _src(self, n: int, names: dict, memo: dict) -> str:  # noqa: C901
        d = self.d
        k = d.key[n]
        kind = k[0]
        S = lambda m: self.src(m, names, memo)  # noqa: E731
        if kind == LIT:
            return repr(k[1])
        if kind == BOOLC:
            return "True" if k[1] else "False"
        if kind == VAR:
            return f"s[{k[1]}]"
        if kind == SEL:
            opts, idx, off = k[1], k[2], k[3]
            st = self._stride(k)
            if st is not None:
                a, step = st
                base = a - step * off
                ix = S(idx)
                if step != 1:
                    ix = f"{step} * {ix}"
                return f"s[{ix} + {base}]" if base > 0 else f"s[{ix} - {-base}]" if base < 0 else f"s[{ix}]"
            body = "(" + ", ".join(S(o) for o in opts) + ",)"
            ix = S(idx) if off == 0 else f"({S(idx)} - {off})"
            if d.total[n] or (d.iv[idx] is not None and off <= d.iv[idx][0] and d.iv[idx][1] < off + len(opts)):
                return f"{body}[{ix}]"
            return f"_sel({body}, {ix})"
        if kind == NOT:
            return f"(not {S(k[1])})"
        if kind == AND:
            return "(" + " and ".join(S(a) for a in k[1]) + ")"
        if kind == OR:
            return "(" + " or ".join(S(a) for a in k[1]) + ")"
        if kind == ITE:
            return f"({S(k[2])} if {S(k[1])} else {S(k[3])})"
        if kind == CMP:
            return f"({S(k[2])} {k[1]} {S(k[3])})"
        if kind == ARITH:
            if k[1] == "/":
                return f"_div({S(k[2])}, {S(k[3])})"
            if k[1] == "%":
                return f"_mod({S(k[2])}, {S(k[3])})"
            return f"({S(k[2])} {k[1]} {S(k[3])})"
        if kind == SETLIT:
            elems, lo, size = k[1], k[2], k[3]
            if not elems:
                return "0"
            if all(d.key[x][0] == LIT for x in elems):
                bits = 0
                for x in elems:
                    bits |= 1 << (d.key[x][1] - lo)
                return repr(bits)
            return "(" + " | ".join(f"_setbit({S(x)}, {lo}, {size})" for x in elems) + ")"
        if kind == MEMBER:
            x, st, lo, size = k[1], k[2], k[3], k[4]
            if d.key[x][0] == LIT:
                j = d.key[x][1] - lo
                if j == 0:
                    return f"({S(st)} & 1)"
                return f"(({S(st)} >> {j}) & 1)" if 0 <= j < size else "0"
            return f"_bit({S(x)}, {lo}, {size}, {S(st)})"
        if kind == SETOP:
            if k[1] == "union":
                return f"({S(k[2])} | {S(k[3])})"
            if k[1] == "diff":
                return f"({S(k[2])} & ~{S(k[3])})"
            return f"({S(k[2])} & {S(k[3])})"
        if kind == SIZE:
            return f"({S(k[1])}).bit_count()"
        if kind == INSET:
            return f"({S(k[1])} in {{{', '.join(map(repr, sorted(k[2])))}}})"
        raise AssertionError(k)

    # ---- blocks with common subexpressions -------------------------------------------
    def _hoistable(self, n: int, count: int) -> bool:
        d = self.d
        kind = d.key[n][0]
        if kind in (LIT, BOOLC) or not d.total[n]:
            return False
        if kind == VAR:
            return count >= 3
        if kind == SEL and self._stride(d.key[n]) is not None and d.key[d.key[n][2]][0] == VAR:
            return count >= 2
        return count >= 2

    def _uncond_children(self, n: int) -> tuple[int, ...]:
        """The children of n evaluated whenever n is (optimistically: all the
        operands of `and` / `or`, usually evaluated to the end)."""
        k = self.d.key[n]
        if k[0] == ITE:
            return (k[1],)
        return self.render_children(n)

    def emit_block(self, stmts: list[Stmt], ind: str, out: list[str]) -> None:
        self._nid = 0
        self._emit(stmts, ind, out, {})

    def _emit(self, block: list[Stmt], ind: str, out: list[str], names: dict[int, str]) -> None:
        """Bind to locals, at the top of this block, the expressions that it
        evaluates unconditionally (in the heads of its statements) and that
        are evaluated more than once within it; then the statements, each
        nested block likewise."""
        d = self.d
        rc = self.render_children
        # root occurrences in this block (all depths), and which statement reaches each node first
        cnt: dict[int, int] = {}
        first: dict[int, int] = {}
        for i, st in enumerate(block):
            stack = []
            for r in _roots([st]):
                if r not in names:
                    cnt[r] = cnt.get(r, 0) + 1
                    stack.append(r)
            while stack:
                m = stack.pop()
                if m in first:
                    continue
                first[m] = i
                stack.extend(c for c in rc(m) if c not in names)
        # evaluated unconditionally by the heads of this block's statements
        unc: set[int] = set()
        stack = [r for st in block for r in st.arms[0][1] if r not in names]
        while stack:
            m = stack.pop()
            if m in unc:
                continue
            unc.add(m)
            stack.extend(c for c in self._uncond_children(m) if c not in names)
        hoisted: list[int] = []
        for m in sorted(first, key=lambda m: -d.height[m]):
            c = cnt.get(m, 0)
            if c == 0:
                continue
            if m in unc and self.hoist and self._hoistable(m, c):
                hoisted.append(m)
                c = 1
                for ch in rc(m):
                    if ch not in names:
                        unc.add(ch)
            for ch in rc(m):
                if ch not in names:
                    cnt[ch] = cnt.get(ch, 0) + c
        at: dict[int, list[int]] = {}
        if hoisted:
            names = dict(names)
            for h in sorted(hoisted, key=lambda m: d.height[m]):
                at.setdefault(first[h], []).append(h)
                names[h] = f"{self.prefix}{self._nid}"
                self._nid += 1
        memo: dict[int, str] = {}
        for i, st in enumerate(block):
            for h in at.get(i, ()):
                out.append(f"{ind}{names[h]} = {self.src(h, names, memo, top=True)}")
            for head, nodes, body in st.arms:
                out.append(ind + head.format(*(self.src(r, names, memo) for r in nodes)))
                if body is not None:
                    if body:
                        self._emit(body, ind + "    ", out, names)
                    else:
                        out.append(ind + "    pass")


# ---- the generated functions ------------------------------------------------------------------

class Codegen:
    """With `optimise=False`, the plain translation (for tests): no rewriting,
    no case splits, no locals."""

    def __init__(self, model: N.Model, optimise: bool = True):
        self.model = model
        self.optimise = optimise
        self.dag = Dag(model.slots)
        self.simp = Simplifier(self.dag, self._bool_slots()) if optimise else _Identity(self.dag)
        self.em = Emitter(self.dag, hoist=optimise)

    def _bool_slots(self) -> frozenset[int]:
        """Slots some reachable state may hold a bool in (True == 1, but a
        successor's values must keep their type): a fixpoint over the updates."""
        dag = self.dag
        ups = [(slot, dag.intern(e)) for t in self.model.transitions for slot, e in t.updates]
        out = {i for i, v in enumerate(self.model.init) if isinstance(v, bool)}
        key = dag.key

        def may(n: int, memo: dict) -> bool:
            r = memo.get(n)
            if r is None:
                k = key[n]
                kind = k[0]
                if kind in (CMP, NOT, INSET, BOOLC):
                    r = True
                elif kind == VAR:
                    r = k[1] in out
                elif kind in (SEL, AND, OR):
                    r = any(may(x, memo) for x in k[1])
                elif kind == ITE:
                    r = may(k[2], memo) or may(k[3], memo)
                elif kind == SETOP:
                    r = may(k[2], memo) or may(k[3], memo)
                else:
                    r = False
                memo[n] = r
            return r

        changed = True
        while changed:
            changed = False
            memo: dict[int, bool] = {}
            for slot, n in ups:
                if slot not in out and may(n, memo):
                    out.add(slot)
                    changed = True
        return frozenset(out)

    # ---- case splits ------------------------------------------------------------------
    def _block(self, recs: tuple, F: dict, depth: int = 2) -> tuple[list[Stmt], float]:
        """The statements of one dispatch branch and their estimated cost; when
        it pays, an if-chain over the values of one atom, each arm specialised
        to its values (and split again, up to `depth` levels). Only one arm
        runs, and it performs the same evaluations, checks and successors in the
        same order as the unsplit code would in that state."""
        base = self._render(recs)
        out, cost = base, self._cost(base)
        if depth > 0 and base and self.optimise:
            for atom, lo, allowed in self._candidates(base, F):
                arms: list[list] = []
                bysig: dict = {}
                for i in range(allowed.bit_length()):
                    if not allowed >> i & 1:
                        continue
                    G = self.simp.add_fact(F, atom, 1 << i)
                    r = self._spec(recs, G)
                    hit = bysig.get(r)
                    if hit is not None:
                        hit[0] |= 1 << i
                    else:
                        bysig[r] = [1 << i, r]
                        arms.append(bysig[r])
                if len(arms) < 2:
                    continue
                arms.sort(key=lambda a: -a[0].bit_count())
                total = sum(a[0].bit_count() for a in arms)
                bodies = []
                for bits, r in arms:
                    if bits & (bits - 1):  # several values, one code: specialise to all of them
                        G = self.simp.add_fact(F, atom, bits)
                        r = self._spec(recs, G)
                    else:
                        G = self.simp.add_fact(F, atom, bits)
                    bodies.append(self._block(r, G, depth - 1))
                c = sum(a[0].bit_count() * b[1] for a, b in zip(arms, bodies)) / total + 3 * (len(arms) + 1) / 2
                if c >= SPLIT_GAIN * cost:
                    continue
                # statements every arm starts (ends) with run before (after) the chain
                sigs = [[_sig([st]) for st in b[0]] for b in bodies]
                pre = 0
                while all(len(x) > pre for x in sigs) and all(x[pre] == sigs[0][pre] for x in sigs):
                    pre += 1
                post = 0
                while all(len(x) > pre + post for x in sigs) and all(x[-1 - post] == sigs[0][-1 - post]
                                                                     for x in sigs):
                    post += 1
                head, tail = bodies[0][0][:pre], bodies[0][0][len(bodies[0][0]) - post:]
                bodies = [(b[0][pre:len(b[0]) - post], b[1]) for b in bodies]
                chain: Stmt | None = None
                remaining = allowed
                for i, (a, (body, _c)) in enumerate(zip(arms, bodies)):
                    if i == len(arms) - 1:
                        chain.arm("else:", (), body)  # type: ignore[union-attr]
                        break
                    test = self.simp.test(atom, lo, a[0], remaining)
                    remaining &= ~a[0]
                    if chain is None:
                        chain = Stmt("if {0}:", (test,), body)
                    else:
                        chain.arm("elif {0}:", (test,), body)
                out, cost = head + [chain] + tail, c  # type: ignore[list-item]
        return out, cost

    def _candidates(self, stmts: list[Stmt], F: dict) -> list[tuple[int, int, int]]:
        """Atoms tested (or used as a map index) in several places, with 2..16
        possible values: (atom, lo, allowed values as bits)."""
        d = self.dag
        cnt: dict[int, int] = {}
        seen: set[int] = set()
        stack = [r for r in _roots(stmts)]
        while stack:
            m = stack.pop()
            if m in seen:
                continue
            seen.add(m)
            k = d.key[m]
            if k[0] in (CMP, INSET, NOT, AND, OR, ITE):
                v = d.vs(m)
                if v is not None and v[0] != m:
                    cnt[v[0]] = cnt.get(v[0], 0) + 1
            elif k[0] == SEL and d.domain(k[2]):
                cnt[k[2]] = cnt.get(k[2], 0) + 2
            stack.extend(d.children(k))
        out = []
        # slots before map reads indexed by them (`m[s[3]]` becomes a slot once s[3] is known)
        for atom, c in sorted(cnt.items(), key=lambda x: (d.key[x[0]][0] != VAR, -x[1])):
            if c < 3:
                continue
            lo, hi = d.domain(atom)  # type: ignore[misc]
            allowed = F.get(atom, (1 << (hi - lo + 1)) - 1)
            if 2 <= allowed.bit_count() <= MAX_SPLIT:
                out.append((atom, lo, allowed))
            if len(out) == MAX_CANDIDATES:
                break
        return out

    def _cost(self, stmts: list[Stmt]) -> float:
        """Static estimate of the work of a block: its distinct expression nodes,
        statements and stores."""
        d = self.dag
        seen: set[int] = set()
        c = 0
        stack = []
        todo = list(stmts)
        while todo:
            st = todo.pop()
            for head, nodes, body in st.arms:
                c += 2 + head.count("l[")
                stack.extend(nodes)
                if body:
                    todo.extend(body)
        while stack:
            m = stack.pop()
            if m in seen:
                continue
            seen.add(m)
            c += 1
            stack.extend(self.em.render_children(m))
        return c

    def expand_source(self, lockdep: bool = True) -> str:
        """`expand(s, active, ld=None)`: dispatch on each process's program
        counter; within a branch the transitions in id order: guard, checks
        (identical ones once), lockdep events, then the successor or, blocked
        on a lock, a wait-for candidate -- the plain translation's order."""
        model = self.model
        by_pc: dict[int, dict[int, list[int]]] = {}
        free: list[int] = []
        for tid, t in enumerate(model.transitions):
            if t.pc is None:
                free.append(tid)
            else:
                by_pc.setdefault(t.pc[0], {}).setdefault(t.pc[1], []).append(tid)
        lockdep = lockdep and any(t.lock_attempts for t in model.transitions)
        out = ["def expand(s, active, ld=None):", "    out = []", "    bad = []"]
        if lockdep:
            out.append("    if ld is not None: known_e, known_u, events = ld")
        dag = self.dag

        def branch(slot: int, value: int, tids: list[int], ind: str) -> None:
            pcv = dag.mk((VAR, slot))
            lo = dag.iv[pcv][0]  # type: ignore[index]
            F = Facts({pcv: 1 << (value - lo)}) if dag.domain(pcv) and 0 <= value - lo < MAX_DOMAIN else NO_FACTS
            n0 = len(out)
            self.em.emit_block(self._nest(self._block(self._trans(tids, F, lockdep), F)[0]), ind, out)
            if len(out) == n0:
                out.append(ind + "pass")

        def dispatch(slot: int, table: list, ind: str) -> None:
            """Binary search on the counter; a chain of tests at the leaves."""
            if len(table) <= 3 or not self.optimise:
                for i, (value, tids) in enumerate(table):
                    out.append(f"{ind}{'if' if i == 0 else 'elif'} v == {value}:")
                    branch(slot, value, tids, ind + "    ")
                return
            mid = len(table) // 2
            out.append(f"{ind}if v < {table[mid][0]}:")
            dispatch(slot, table[:mid], ind + "    ")
            out.append(f"{ind}else:")
            dispatch(slot, table[mid:], ind + "    ")

        for slot, table in by_pc.items():
            out.append(f"    v = s[{slot}]")
            dispatch(slot, sorted(table.items()), "    ")
        self.em.emit_block(self._nest(self._block(self._trans(free, NO_FACTS, lockdep), NO_FACTS)[0]), "    ", out)
        out.append("    return out, bad")
        return "\n".join(out)

    # ---- one dispatch branch ------------------------------------------------------------
    # A branch is first a list of transition records, every expression simplified:
    #   (tid, guard, checks ((k, prop, error, bad), ...), lockdep ((k, when, items), ...),
    #    block, updates ((slot, value), ...), waits-on-a-lock)
    # with lockdep items ('u' | 'r' | 'e', key source, lock name, condition); identical checks
    # and attempts already dropped (fact-independent). Arms of a split re-simplify the records
    # under one more fact (small, already simplified trees), then records become statements.

    def _trans(self, tids: list[int], F: dict, lockdep: bool) -> tuple:
        dag, S = self.dag, self.simp.simp
        recs = []
        seen: set = set()
        for tid in tids:
            t = self.model.transitions[tid]
            g0 = dag.intern(t.guard)
            g = S(g0, BOOL, F)
            tg = dag.truthy(g)
            if tg is False:
                # never attempted here; like the plain translation, nothing else is evaluated --
                # but identical checks of later transitions still count as seen
                for c in t.checks:
                    seen.add((c.prop, g0, dag.intern(c.bad)))
                if lockdep:
                    for a in t.lock_attempts:
                        seen.add(self._ld_key(a, g0))
                continue
            G = self.simp.facts_of(g, F)
            checks = []
            for k, c in enumerate(t.checks):
                b0 = dag.intern(c.bad)
                key = (c.prop, g0, b0)
                if key in seen:
                    continue
                seen.add(key)
                b = S(b0, BOOL, G)
                if dag.truthy(b) is not False:
                    checks.append((k, c.prop, c.error, b))
            lds = self._lockdep(t, g0, G, seen) if lockdep and t.lock_attempts else ()
            b = S(dag.intern(t.block), BOOL, G)
            upd: list[tuple[int, int]] = []
            if dag.truthy(b) is not False:
                H = self.simp.facts_of(b, G)
                for slot, e in dict(t.updates).items():  # a slot written twice: the last value, like the plain one
                    v = S(dag.intern(e), VAL, H)
                    if dag.key[v] != (VAR, slot):
                        upd.append((slot, v))
            recs.append((tid, g, tuple(checks), lds, b, tuple(upd), bool(t.blockers)))
        return tuple(recs)

    def _ld_key(self, a: N.LockAttempt, g0: int) -> tuple:
        dag = self.dag
        return ("#lockdep", g0, a.lock, dag.intern(a.when), a.context, dag.intern(a.softirq_off),
                dag.intern(a.hardirq_off))

    def _lockdep(self, t: N.Transition, g0: int, G: dict, seen: set) -> tuple:
        """For each acquisition attempt: irq-usage bits of the target class and one
        dependency edge per held lock, reported only when not yet known."""
        dag, S = self.dag, self.simp.simp
        out = []
        for k, a in enumerate(t.lock_attempts):
            key = self._ld_key(a, g0)
            if key in seen:
                continue
            seen.add(key)
            when = S(dag.intern(a.when), BOOL, G)
            if dag.truthy(when) is False:
                continue
            W = self.simp.facts_of(when, G)
            items = []
            if a.context == "softirq":
                items.append(("u", repr((a.lock_class, "USED_IN_SOFTIRQ")), None, dag.TRUE))
            if a.context == "hardirq":
                items.append(("u", repr((a.lock_class, "USED_IN_HARDIRQ")), None, dag.TRUE))
            for bit, off in (("ENABLED_SOFTIRQ", a.softirq_off), ("ENABLED_HARDIRQ", a.hardirq_off)):
                items.append(("u", repr((a.lock_class, bit)), None, S(dag.mk((NOT, dag.intern(off))), BOOL, W)))
            for hname, hclass, cond in a.held:
                ekey = repr((hclass, a.lock_class))
                if hclass == a.lock_class:
                    if hname != a.lock and a.kind != "ww_mutex":
                        items.append(("r", ekey, hname, S(dag.intern(cond), BOOL, W)))
                elif not a.trylock:
                    items.append(("e", ekey, hname, S(dag.intern(cond), BOOL, W)))
            out.append((k, when, tuple(i for i in items if dag.truthy(i[3]) is not False)))
        return tuple(out)

    def _spec(self, recs: tuple, F: dict) -> tuple:
        """The records under stronger facts."""
        dag, S, facts = self.dag, self.simp.simp, self.simp.facts_of
        out = []
        for tid, g, checks, lds, b, upd, wait in recs:
            g = S(g, BOOL, F)
            if dag.truthy(g) is False:
                continue
            G = facts(g, F)
            checks = tuple((k, p, e, x) for k, p, e, x in ((k, p, e, S(x, BOOL, G)) for k, p, e, x in checks)
                           if dag.truthy(x) is not False)
            lds2 = []
            for k, when, items in lds:
                when = S(when, BOOL, G)
                if dag.truthy(when) is False:
                    continue
                W = facts(when, G)
                items = tuple((i[0], i[1], i[2], c) for i, c in ((i, S(i[3], BOOL, W)) for i in items)
                              if dag.truthy(c) is not False)
                lds2.append((k, when, items))
            b = S(b, BOOL, G)
            if dag.truthy(b) is False:
                upd = ()
            else:
                H = facts(b, G)
                upd = tuple((slot, v) for slot, v in ((slot, S(v, VAL, H)) for slot, v in upd)
                            if dag.key[v] != (VAR, slot))
            out.append((tid, g, checks, tuple(lds2), b, upd, wait))
        return tuple(out)

    def _render(self, recs: tuple) -> list[Stmt]:
        dag = self.dag
        n = len(self.model.slots)
        block: list[Stmt] = []
        for tid, g, checks, lds, b, upd, wait in recs:
            tg = dag.truthy(g)
            inner: list[Stmt] = block if tg else []
            for k, prop, error, x in checks:
                tb = dag.truthy(x)
                p = _esc(repr(prop))
                if error:
                    act = f"bad.append(({tid}, -2)); {p} in active and bad.append(({tid}, {k}))"
                    inner.append(Stmt(act) if tb else Stmt("if {0}: " + act, (x,)))
                elif tb:
                    inner.append(Stmt(f"if {p} in active: bad.append(({tid}, {k}))"))
                elif dag.total[x]:
                    inner.append(Stmt("if {0} and " + p + f" in active: bad.append(({tid}, {k}))", (x,)))
                else:
                    inner.append(Stmt(f"if {p} in active and {{0}}: bad.append(({tid}, {k}))", (x,)))
            ld = []
            for k, when, items in lds:
                body = []
                for kind, key, hname, c in items:
                    tc = dag.truthy(c)
                    key, hname = _esc(key), _esc(repr(hname))
                    if kind == "u":
                        act = f"events.append(('u', {key}, {tid}, {k}, None))"
                        body.append(Stmt(f"if {key} not in known_u: {act}") if tc else
                                    Stmt(f"if {key} not in known_u and {{0}}: {act}", (c,)))
                    elif kind == "r":
                        act = f"events.append(('r', {key}, {tid}, {k}, {hname}))"
                        body.append(Stmt(act) if tc else Stmt("if {0}: " + act, (c,)))
                    else:
                        act = f"events.append(('e', {key}, {tid}, {k}, {hname}))"
                        body.append(Stmt(f"if {key} not in known_e: {act}") if tc else
                                    Stmt(f"if {key} not in known_e and {{0}}: {act}", (c,)))
                if dag.truthy(when):
                    ld.extend(body)
                elif body:
                    ld.append(Stmt("if {0}:", (when,), body))
                else:
                    ld.append(Stmt("if {0}: pass", (when,)))  # evaluated all the same
            if ld:
                inner.append(Stmt("if ld is not None:", (), ld))
            tb = dag.truthy(b)
            w = f"'wait_cycle' in active: bad.append(({tid}, -1))" if wait else ""
            if tb is False:
                if w:
                    inner.append(Stmt("if " + w))
            else:
                succ = _succ_stmt(n, list(upd), tid)
                if tb:
                    inner.append(succ)
                else:
                    st = Stmt("if {0}:", (b,), [succ])
                    inner.append(st.arm("elif " + w) if w else st)
            if not tg:
                if inner:
                    block.append(Stmt("if {0}:", (g,), inner))
                elif not dag.total[g]:
                    block.append(Stmt("if {0}: pass", (g,)))  # evaluated all the same: it may raise
        return block

    def _nest(self, stmts: list[Stmt]) -> list[Stmt]:
        """Consecutive statements testing first the same conjuncts (that cannot
        raise) test them once: `if p and q: A` `if p and r: B` -> `if p:` `if q: A`
        `if r: B`."""
        d = self.dag
        if not self.optimise:
            return stmts
        out: list[Stmt] = []
        i = 0
        while i < len(stmts):
            c0 = _lead(stmts[i])
            if c0 is not None:
                pre = _conj(d, c0)
                j, common = _shared_prefix(stmts, i, pre, lambda st: _conj(d, c) if (c := _lead(st)) is not None
                                           else None, d.total)
                if j - i >= 2 and common:
                    inner: list[Stmt] = []
                    for st in stmts[i:j]:
                        rest = _conj(d, _lead(st))[common:]  # type: ignore[arg-type]
                        r = None if not rest else rest[0] if len(rest) == 1 else d.mk((AND, rest))
                        inner.extend(_with_cond(st, r))
                    p = pre[0] if common == 1 else d.mk((AND, pre[:common]))
                    out.append(Stmt("if {0}:", (p,), self._nest(inner)))
                    i = j
                    continue
            st = stmts[i]
            new = Stmt.__new__(Stmt)
            new.arms = [(h, n, self._nest(b) if b else b) for h, n, b in st.arms]
            out.append(new)
            i += 1
        return out

    def property_source(self, name: str, e: N.Expr) -> str:
        """`def name(s)`, truthy exactly when e is (invariants and witnesses are
        only tested for truth)."""
        dag = self.dag
        r = self.simp.simp(dag.intern(e), BOOL, NO_FACTS)
        out = [f"def {name}(s):"]
        self.em.emit_block([Stmt("return {0}", (r,))], "    ", out)
        return "\n".join(out)


def _esc(text: str) -> str:
    """Literal text in a statement head (heads are `str.format` templates)."""
    return text.replace("{", "{{").replace("}", "}}")


def _lead(st: Stmt) -> int | None:
    """The condition a one-armed statement evaluates first, if any."""
    if len(st.arms) != 1:
        return None
    head, nodes, _body = st.arms[0]
    if len(nodes) == 1 and head.startswith("if {0}") and "{0}" not in head[6:]:
        return nodes[0]
    return None


def _conj(d: Dag, n: int) -> tuple[int, ...]:
    k = d.key[n]
    return k[1] if k[0] == AND else (n,)


def _with_cond(st: Stmt, r: int | None) -> list[Stmt]:
    """st with its leading condition replaced by r (None: true)."""
    head, _nodes, body = st.arms[0]
    if r is not None:
        return [Stmt(head, (r,), body)]
    if head == "if {0}:":
        return list(body or ())
    if head.startswith("if {0} and "):
        return [Stmt("if " + head[len("if {0} and "):], (), body)]
    assert head.startswith("if {0}: ")
    return [Stmt(head[len("if {0}: "):], (), body)]


def _roots(stmts: list[Stmt]):
    for st in stmts:
        for _h, nodes, body in st.arms:
            yield from nodes
            if body:
                yield from _roots(body)


def _sig(stmts: list[Stmt]) -> tuple:
    return tuple(tuple((h, nodes, _sig(body) if body else body) for h, nodes, body in st.arms) for st in stmts)


def _succ_stmt(n: int, upd: list[tuple[int, int]], tid: int) -> Stmt:
    """Appends (tid, successor) to `out`; every right-hand side reads the
    pre-state. A list copy and item assignments beat a tuple display once
    states are long."""
    if not upd:
        return Stmt(f"out.append(({tid}, s))")
    if n <= 12:
        m = dict(upd)
        parts = []
        nodes = []
        for i in range(n):
            if i in m:
                parts.append("{%d}" % len(nodes))
                nodes.append(m[i])
            else:
                parts.append(f"s[{i}]")
        return Stmt(f"out.append(({tid}, (" + ", ".join(parts) + ",)))", tuple(nodes))
    if len(upd) == 1:
        return Stmt(f"l = list(s); l[{upd[0][0]}] = {{0}}; out.append(({tid}, tuple(l)))", (upd[0][1],))
    lhs = ", ".join(f"l[{i}]" for i, _ in upd)
    rhs = ", ".join("{%d}" % j for j in range(len(upd)))
    return Stmt(f"l = list(s); {lhs} = {rhs}; out.append(({tid}, tuple(l)))", tuple(v for _, v in upd))


def _shared_prefix(items, i: int, pre, conjuncts_of, total) -> tuple[int, int]:
    """From items[i], whose leading conjuncts are `pre`, the run of items that
    share a non-empty prefix of them: (end of the run, length of the shared
    prefix, shortened until every conjunct in it cannot raise)."""
    j, common = i + 1, len(pre)
    while j < len(items):
        nxt = conjuncts_of(items[j])
        if not nxt:
            break
        m = 0
        while m < min(common, len(nxt)) and nxt[m] == pre[m]:
            m += 1
        if m == 0:
            break
        common = m
        j += 1
    while common and not all(total[z] for z in pre[:common]):
        common -= 1
    return j, common
