"""AST expressions -> symbolic values (IR expressions over the pre-state).

`tr(expr, ctx)` resolves names (constants, enum members, variables, locals,
parameters, quantified and chosen names), type-checks, and reads variables
through `ctx.store`, which maps each slot to its current value within a step
(so later statements of a step see earlier assignments). Quantifiers over
finite sorts expand; `define`s inline; lock, object and process names become
references that only the built-in functions and statements accept.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kspec.ir import nodes as N
from kspec.ir.symbols import LockRef, MapPlace, ObjRef, Place, ProcRef, RecPlace, Ref, SlotPlace
from kspec.ir.types import (MapVal, RecVal, Scalar, TBool, TEnum, TInt, TMap, TNone, TOption,
                            TRecord, TSet, TType, Val, compatible, domain, is_finite_scalar, lit,
                            mk_and, mk_arith, mk_cmp, mk_implies, mk_ite, mk_not, mk_or, mk_select,
                            none_value, slot_sort, value_name)
from kspec.report import diagnostics as D
from kspec.report.diagnostics import KspecError, Span, did_you_mean
from kspec.syntax import ast as A

BUILTIN_FUNCS = ("size", "held", "locked", "holds", "alive", "refs", "at", "running", "finished", "idle")


@dataclass(slots=True)
class Ctx:
    scope: dict[str, Any] = field(default_factory=dict)
    store: dict[int, N.Expr] | None = None  # None: constant context (no state)
    self_index: int | None = None
    pid: int | None = None
    proc: Any = None  # ProcessInfo of the enclosing process
    inst: int | None = None  # process instance index
    context: str = "process"
    defines_in_progress: tuple[str, ...] = ()
    inst_pos: int | None = None  # position of the instance in its process's index domain

    def child(self, **bind: Any) -> "Ctx":
        scope = dict(self.scope)
        scope.update(bind)
        return Ctx(scope, self.store, self.self_index, self.pid, self.proc, self.inst, self.context,
                   self.defines_in_progress, self.inst_pos)


def err(code: str, msg: str, span: Span | None, **kw) -> KspecError:
    return KspecError(D.diag(code, msg, span, **kw))


class ExprMixin:
    # provided by the Lowerer
    consts: dict[str, tuple[int, TType]]
    types: dict[str, TType]
    enum_members: dict[str, tuple[TEnum, int]]
    vars: dict[str, Place]
    locks: dict[str, Any]
    objects: dict[str, Any]
    procs: dict[str, Any]
    defines: dict[str, A.DefineDecl]
    variant: str | None
    variants: tuple[str, ...]
    slots: list[N.Slot]
    lock_instances: list[N.LockInstance]
    proc_instances: list[N.ProcessInstance]
    used_names: set[str]

    # ---- names visible in expressions --------------------------------------------
    def _all_names(self, ctx: Ctx) -> list[str]:
        return [*ctx.scope, *self.consts, *self.enum_members, *self.vars, *self.locks, *self.objects,
                *self.procs, *self.defines, *(ctx.proc.locals if ctx.proc else ())]

    def read_place(self, place: Place, ctx: Ctx) -> Val:
        if isinstance(place, SlotPlace):
            assert ctx.store is not None
            return Scalar(ctx.store.get(place.slot, N.Var(place.slot)), place.type)
        if isinstance(place, MapPlace):
            return MapVal(place.type, tuple(self.read_place(p, ctx) for p in place.elems))
        return RecVal(place.type, tuple(self.read_place(p, ctx) for p in place.fields))

    def tr_name(self, name: str, span: Span | None, ctx: Ctx) -> Val | Ref:
        if name in ctx.scope:
            return ctx.scope[name]
        self.used_names.add(name)
        if name in self.consts:
            v, t = self.consts[name]
            return Scalar(lit(v) if isinstance(t, TBool) and False else lit(v), t)
        if name in self.enum_members:
            t, k = self.enum_members[name]
            return Scalar(lit(k), t)
        if ctx.proc is not None and name in ctx.proc.locals:
            self._need_state(ctx, name, span)
            return self.read_place(ctx.proc.locals[name][ctx.inst_pos], ctx)
        if name in self.vars:
            self._need_state(ctx, name, span)
            return self.read_place(self.vars[name], ctx)
        if name in self.locks:
            info = self.locks[name]
            info.used = True
            if info.index_type is not None:
                raise err(D.INDEX_ARITY, f"lock `{name}` is indexed; write `{name}[...]`", span)
            return LockRef(info, ((N.TRUE, info.instances[0]),))
        if name in self.objects:
            raise err(D.INDEX_ARITY, f"object family `{name}` needs an index: `{name}[...]`", span)
        if name in self.procs:
            info = self.procs[name]
            if info.index_type is not None:
                raise err(D.INDEX_ARITY, f"process `{name}` is indexed; write `{name}[...]`", span)
            return ProcRef(info, ((N.TRUE, info.instances[0]),))
        if name in self.defines and not self.defines[name].params:
            return self.tr_define(name, (), span, ctx)
        if name in self.variants:
            return Scalar(lit(self.variants.index(name)), TEnum("variant", self.variants))
        if name in self.types:
            raise err(D.SORT_MISMATCH, f"`{name}` is a type, not a value", span,
                      hint="quantify over it: `forall x in " + name + ": ...`")
        if ctx.store is None and name in self.state_names:
            raise err(D.STATE_IN_CONSTANT, f"`{name}` is state; a constant expression cannot read it", span)
        raise err(D.UNKNOWN_NAME, f"unknown name `{name}`", span, hint=did_you_mean(name, self._all_names(ctx)))

    def _need_state(self, ctx: Ctx, name: str, span: Span | None) -> None:
        if ctx.store is None:
            raise err(D.STATE_IN_CONSTANT, f"`{name}` is state; a constant expression cannot read it", span)

    # ---- scalar helpers ----------------------------------------------------------
    def scalar(self, v: Val | Ref, span: Span | None, what: str = "a value") -> Scalar:
        if not isinstance(v, Scalar):
            raise err(D.SORT_MISMATCH, f"expected {what}, found {_describe(v)}", span)
        return v

    def boolean(self, e: A.Expr, ctx: Ctx) -> N.Expr:
        v = self.scalar(self.tr(e, ctx), e.span, "a boolean")
        if not isinstance(v.type, TBool):
            raise err(D.SORT_MISMATCH, f"expected a boolean, found a value of type `{v.type}`", e.span)
        return v.expr

    def integer(self, e: A.Expr, ctx: Ctx) -> N.Expr:
        v = self.scalar(self.tr(e, ctx), e.span, "an integer")
        if not isinstance(v.type, TInt):
            raise err(D.SORT_MISMATCH, f"expected an integer, found a value of type `{v.type}`", e.span)
        return v.expr

    def const_int(self, e: A.Expr, ctx: Ctx | None = None) -> int:
        v = self.scalar(self.tr(e, ctx or Ctx()), e.span, "a constant")
        if not isinstance(v.expr, N.Lit):
            raise err(D.STATE_IN_CONSTANT, "expected a constant expression", e.span)
        return v.expr.value

    # ---- the translator ----------------------------------------------------------
    def tr(self, e: A.Expr, ctx: Ctx) -> Val | Ref:
        match e:
            case A.IntLit(value=v):
                return Scalar(lit(v), TInt(v, v))
            case A.BoolLit(value=v):
                return Scalar(lit(v), TBool())
            case A.NoneLit():
                return Scalar(lit(-1), TNone())
            case A.SelfRef():
                if ctx.self_index is None or ctx.proc is None or ctx.proc.index_type is None:
                    raise err(D.UNKNOWN_NAME, "`self` is only defined inside an indexed process", e.span)
                return Scalar(lit(ctx.self_index), ctx.proc.index_type)
            case A.VariantRef():
                if not self.variants:
                    raise err(D.NO_VARIANTS, "`variant` is used but the spec declares no variants", e.span)
                return Scalar(lit(self.variants.index(self.variant)), TEnum("variant", self.variants))
            case A.Name(name=name):
                return self.tr_name(name, e.span, ctx)
            case A.SetLit(items=items):
                return self.tr_setlit(items, e.span, ctx)
            case A.RecordLit(fields=fields):
                raise err(D.SORT_MISMATCH, "a record literal needs a known record type here", e.span,
                          hint="record literals are allowed as initial values and right-hand sides")
            case A.Index(base=b, index=i):
                return self.tr_index(b, i, e.span, ctx)
            case A.Field(base=b, name=f):
                return self.tr_field(b, f, e.span, ctx)
            case A.Call(func=f, args=args):
                return self.tr_call(f, args, e.span, ctx)
            case A.Unary(op="not", operand=a):
                return Scalar(mk_not(self.boolean(a, ctx)), TBool())
            case A.Unary(op="-", operand=a):
                x = self.integer(a, ctx)
                return Scalar(mk_arith("-", lit(0), x), TInt(-999999, 999999))
            case A.Binary():
                return self.tr_binary(e, ctx)
            case A.Ite(cond=c, then=a, else_=b):
                return self.tr_ite(c, a, b, e.span, ctx)
            case A.Quant():
                return self.tr_quant(e, ctx)
            case A.SetComp():
                return self.tr_setcomp(e, ctx)
        raise err(D.INTERNAL_ERROR, f"unhandled expression {type(e).__name__}", getattr(e, "span", None))

    def tr_setlit(self, items, span, ctx: Ctx) -> Scalar:
        if not items:
            return Scalar(N.SetLit((), N.SetSort(0)), TSet(TNone()))
        vals = [self.scalar(self.tr(x, ctx), x.span) for x in items]
        et = vals[0].type
        for v, x in zip(vals, items):
            if not is_finite_scalar(v.type) or not compatible(et, v.type):
                raise err(D.SORT_MISMATCH, f"set elements must be of one finite type; found `{v.type}`", x.span)
        if isinstance(et, TInt):
            et = TInt(min(v.type.lo for v in vals), max(v.type.hi for v in vals))  # type: ignore[union-attr]
        return Scalar(N.SetLit(tuple(v.expr for v in vals), slot_sort(TSet(et))), TSet(et))

    def index_options(self, keytype: TType, idx: Scalar, span) -> list[tuple[N.Expr, int]]:
        """(condition, position) pairs for reading at `idx` in a key domain.
        An optional or wider index is accepted; `outside_condition` says when
        it falls outside (reading there is a `range` error at run time)."""
        dom = domain(keytype)
        inner = idx.type.inner if isinstance(idx.type, TOption) else idx.type
        if not compatible(keytype, inner):
            raise err(D.SORT_MISMATCH, f"index of type `{idx.type}` does not fit key type `{keytype}`", span)
        if isinstance(idx.expr, N.Lit):
            if idx.expr.value not in dom:
                what = "`none`" if isinstance(idx.type, TOption) and idx.expr.value not in dom else \
                    str(idx.expr.value)
                raise err(D.SORT_MISMATCH, f"index {what} is outside `{keytype}`", span)
            return [(N.TRUE, dom.index(idx.expr.value))]
        return [(mk_cmp("==", idx.expr, lit(v)), k) for k, v in enumerate(dom)]

    @staticmethod
    def outside_condition(keytype: TType, idx: Scalar, options) -> N.Expr:
        if isinstance(idx.expr, N.Lit):
            return N.FALSE
        dom = domain(keytype)
        t = idx.type
        if isinstance(t, TInt) and dom[0] <= t.lo and t.hi <= dom[-1] or t == keytype:
            return N.FALSE
        return mk_not(mk_or(*(c for c, _ in options)))

    def tr_index(self, base: A.Expr, index: A.Expr, span, ctx: Ctx) -> Val | Ref:
        if isinstance(base, A.Name) and base.name not in ctx.scope:
            name = base.name
            for table, refcls in ((self.locks, LockRef), (self.objects, ObjRef), (self.procs, ProcRef)):
                if name in table:
                    return self._indexed_ref(table[name], refcls, index, span, ctx)
        b = self.tr(base, ctx)
        if not isinstance(b, MapVal):
            raise err(D.SORT_MISMATCH, f"only maps can be indexed; this is {_describe(b)}", span)
        idx = self.scalar(self.tr(index, ctx), index.span, "an index")
        dom = domain(b.type.key)  # type: ignore[union-attr]
        opts = self.index_options(b.type.key, idx, index.span)  # type: ignore[union-attr]
        if isinstance(idx.expr, N.Lit):
            return b.elems[opts[0][1]]
        return select_val(b.elems, idx.expr, dom[0])

    def _indexed_ref(self, info, refcls, index: A.Expr, span, ctx: Ctx) -> Ref:
        info.used = True
        if info.index_type is None:
            raise err(D.INDEX_ARITY, f"`{info.decl.name}` is not indexed", span)
        idx = self.scalar(self.tr(index, ctx), index.span, "an index")
        opts = self.index_options(info.index_type, idx, index.span)
        outside = self.outside_condition(info.index_type, idx, opts)
        if refcls is ObjRef:
            dyn = None if isinstance(idx.expr, N.Lit) else idx.expr
            return ObjRef(info, tuple(opts), outside, dyn)
        return refcls(info, tuple((c, info.instances[k]) for c, k in opts), outside)

    def tr_field(self, base: A.Expr, name: str, span, ctx: Ctx) -> Val:
        b = self.tr(base, ctx)
        if isinstance(b, ProcRef):
            return self.read_local(b, name, span, ctx)
        if not isinstance(b, RecVal):
            raise err(D.SORT_MISMATCH, f"only records have fields; this is {_describe(b)}", span)
        names = [f for f, _ in b.type.fields]
        if name not in names:
            raise err(D.UNKNOWN_FIELD, f"record `{b.type}` has no field `{name}`", span,
                      hint=did_you_mean(name, names))
        return b.fields[names.index(name)]

    def read_local(self, ref: ProcRef, name: str, span, ctx: Ctx) -> Val:
        """`p[i].x`: the local `x` of process instance p[i]."""
        info = ref.info
        if name not in info.locals:
            raise err(D.UNKNOWN_FIELD, f"process `{info.decl.name}` has no local `{name}`", span,
                      hint=did_you_mean(name, info.locals))
        if ctx.store is None:
            raise err(D.STATE_IN_CONSTANT, f"`{name}` is state; a constant expression cannot read it", span)
        vals = [(c, self.read_place(info.locals[name][info.instances.index(i)], ctx)) for c, i in ref.options]
        out = vals[-1][1]
        for c, v in reversed(vals[:-1]):
            out = merge_vals(c, v, out, span)
        return out

    def tr_ite(self, c, a, b, span, ctx: Ctx) -> Val:
        cond = self.boolean(c, ctx)
        x, y = self.tr(a, ctx), self.tr(b, ctx)
        return merge_vals(cond, x, y, span)

    def tr_binary(self, e: A.Binary, ctx: Ctx) -> Val:
        op = e.op
        if op in ("and", "or", "=>"):
            a = self.boolean(e.left, ctx)
            b = self.boolean(e.right, ctx)
            f = {"and": mk_and, "or": mk_or, "=>": mk_implies}[op]
            return Scalar(f(a, b), TBool())
        if op in ("==", "!="):
            x, y = self.tr(e.left, ctx), self.tr(e.right, ctx)
            eq = equal_vals(x, y, e.span)
            return Scalar(eq if op == "==" else mk_not(eq), TBool())
        if op in ("in", "notin"):
            return self.tr_member(e, ctx)
        x = self.scalar(self.tr(e.left, ctx), e.left.span)
        y = self.scalar(self.tr(e.right, ctx), e.right.span)
        if isinstance(x.type, TSet) or isinstance(y.type, TSet):
            return self.tr_setop(op, x, y, e.span)
        for v, sub in ((x, e.left), (y, e.right)):
            if not isinstance(v.type, TInt):
                sym = isinstance(v.type, TEnum) and v.type.symmetric
                raise err(D.SORT_MISMATCH, f"`{op}` needs integers; found `{v.type}`", sub.span,
                          hint=f"`{v.type}` is symmetric: its values can only be compared with `==`/`!=`, "
                          "used as keys and quantified over" if sym else None)
        if op in ("<", "<=", ">", ">="):
            if op in (">", ">="):
                return Scalar(mk_cmp("<" if op == ">" else "<=", y.expr, x.expr), TBool())
            return Scalar(mk_cmp(op, x.expr, y.expr), TBool())
        if op == "&":
            raise err(D.SORT_MISMATCH, "`&` is set intersection; its operands must be sets", e.span)
        return Scalar(mk_arith(op, x.expr, y.expr), _arith_type(op, x.type, y.type))

    def tr_setop(self, op: str, x: Scalar, y: Scalar, span) -> Scalar:
        if not (isinstance(x.type, TSet) and isinstance(y.type, TSet)):
            raise err(D.SORT_MISMATCH, f"`{op}` mixes a set and a non-set", span,
                      hint="add an element with `S + {x}`")
        # the result has the encoding of the operand that is not a literal (a set
        # literal's own range may be narrower, e.g. {t + 1})
        t = y.type if isinstance(x.expr, N.SetLit) and not isinstance(y.type.elem, TNone) else x.type
        if isinstance(t.elem, TNone):
            t = y.type
        if not (compatible(x.type, y.type) or compatible(y.type, x.type)):
            raise err(D.SORT_MISMATCH, f"sets of `{x.type.elem}` and `{y.type.elem}` cannot be combined", span)
        name = {"+": "union", "-": "diff", "&": "inter"}.get(op)
        if name is None:
            raise err(D.SORT_MISMATCH, f"`{op}` is not a set operation (use +, - or &)", span)
        if isinstance(t.elem, TNone):
            return x
        sort = slot_sort(t)
        a, b = coerce(x, t, span), coerce(y, t, span)
        return Scalar(N.SetOp(name, a.expr, b.expr, sort), t)  # type: ignore[arg-type,union-attr]

    def tr_member(self, e: A.Binary, ctx: Ctx) -> Scalar:
        x = self.scalar(self.tr(e.left, ctx), e.left.span)
        s = self.scalar(self.tr(e.right, ctx), e.right.span, "a set")
        if isinstance(e.right, A.SetLit) or isinstance(s.type, TEnum) and False:
            pass
        if not isinstance(s.type, TSet):
            raise err(D.SORT_MISMATCH, f"`{e.op}` needs a set on the right; found `{s.type}`", e.right.span)
        if isinstance(s.type.elem, TNone):
            res: N.Expr = N.FALSE
        elif isinstance(s.expr, N.SetLit):
            res = mk_or(*(equal_vals(x, Scalar(el, s.type.elem), e.span) for el in s.expr.elems))
        else:
            if not compatible(s.type.elem, x.type):
                raise err(D.SORT_MISMATCH, f"`{x.type}` values are never in a `{s.type}`", e.span)
            res = N.Member(x.expr, s.expr, slot_sort(s.type))  # type: ignore[arg-type]
        return Scalar(res if e.op == "in" else mk_not(res), TBool())

    def tr_quant(self, e: A.Quant, ctx: Ctx) -> Scalar:
        bindings: list[list[tuple[dict[str, Val], N.Expr]]] = []
        for b in e.binders:
            values = self.binder_values(b.domain, ctx)
            for name in b.names:
                bindings.append([({name: v}, cond) for v, cond in values])
        combos: list[tuple[dict[str, Val], N.Expr]] = [({}, N.TRUE)]
        for opts in bindings:
            combos = [({**env, **bind}, mk_and(c1, c2)) for env, c1 in combos for bind, c2 in opts]
            if len(combos) > 100_000:
                raise err(D.SPEC_TOO_LARGE, "quantifier expands to more than 100000 instances", e.span)
        parts = []
        for env, cond in combos:
            body = self.boolean(e.body, ctx.child(**env))
            parts.append(mk_implies(cond, body) if e.kind == "forall" else mk_and(cond, body))
        if e.kind == "count":
            total: N.Expr = lit(0)
            for part in parts:
                total = mk_arith("+", total, mk_ite(part, lit(1), lit(0)))
            return Scalar(total, TInt(0, len(parts)))
        return Scalar(mk_and(*parts) if e.kind == "forall" else mk_or(*parts), TBool())

    def tr_setcomp(self, e: A.SetComp, ctx: Ctx) -> Scalar:
        """{elem for x in S if P}: the union of {elem} over the x that qualify."""
        parts = []
        for val, member in self.binder_values(e.domain, ctx):
            sub = ctx.child(**{e.name: val})
            cond = member if e.cond is None else mk_and(member, self.boolean(e.cond, sub))
            if cond == N.FALSE:
                continue
            elem = self.scalar(self.tr(e.elem, sub), e.elem.span, "a set element")
            if not is_finite_scalar(elem.type):
                raise err(D.SORT_MISMATCH, f"set elements must be of a finite type, not `{elem.type}`", e.elem.span)
            parts.append((cond, elem))
        if not parts:
            return Scalar(N.SetLit((), N.SetSort(0)), TSet(TNone()))
        t = parts[0][1].type
        if isinstance(t, TInt):
            t = TInt(min(p.type.lo for _, p in parts), max(p.type.hi for _, p in parts))  # type: ignore
        sort = slot_sort(TSet(t))
        out: N.Expr = N.SetLit((), sort)  # type: ignore[arg-type]
        for cond, elem in parts:
            one = N.SetLit((elem.expr,), sort)  # type: ignore[arg-type]
            out = N.SetOp("union", out, mk_ite(cond, one, N.SetLit((), sort)), sort)  # type: ignore[arg-type]
        return Scalar(out, TSet(t))

    def binder_values(self, dom: A.Expr, ctx: Ctx) -> list[tuple[Scalar, N.Expr]]:
        """Values a quantified or chosen name ranges over, with membership conditions."""
        if isinstance(dom, A.Name) and dom.name in self.types and dom.name not in ctx.scope:
            self.used_names.add(dom.name)
            t = self.types[dom.name]
            if not is_finite_scalar(t):
                raise err(D.INFINITE_SORT, f"cannot range over `{t}`", dom.span)
            return [(Scalar(lit(v), t), N.TRUE) for v in domain(t)]
        if isinstance(dom, A.Name) and dom.name == "bool":
            return [(Scalar(lit(v), TBool()), N.TRUE) for v in (0, 1)]
        s = self.scalar(self.tr(dom, ctx), dom.span, "a sort or a set")
        if not isinstance(s.type, TSet):
            raise err(D.SORT_MISMATCH, f"expected a sort or a set to range over; found `{s.type}`", dom.span)
        if isinstance(s.type.elem, TNone):
            return []
        if isinstance(s.expr, N.SetLit):
            return [(Scalar(el, s.type.elem), N.TRUE) for el in s.expr.elems]
        return [(Scalar(lit(v), s.type.elem), N.Member(lit(v), s.expr, slot_sort(s.type)))  # type: ignore
                for v in domain(s.type.elem)]

    # ---- calls ----------------------------------------------------------------------
    def tr_call(self, f: str, args: tuple[A.Expr, ...], span, ctx: Ctx) -> Val:
        if f in self.defines:
            return self.tr_define(f, args, span, ctx)
        if f not in BUILTIN_FUNCS:
            raise err(D.BAD_CALL, f"unknown function `{f}`", span,
                      hint=did_you_mean(f, [*self.defines, *BUILTIN_FUNCS]))
        want = 2 if f in ("holds", "at") else 1
        if len(args) != want:
            raise err(D.BAD_CALL, f"`{f}` takes {want} argument{'s' if want > 1 else ''}", span)
        if f == "size":
            s = self.scalar(self.tr(args[0], ctx), args[0].span, "a set")
            if not isinstance(s.type, TSet):
                raise err(D.SORT_MISMATCH, f"`size` needs a set; found `{s.type}`", args[0].span)
            if isinstance(s.type.elem, TNone):
                return Scalar(lit(0), TInt(0, 0))
            sort = slot_sort(s.type)
            return Scalar(N.Size(s.expr, sort), TInt(0, sort.size))  # type: ignore[union-attr]
        if ctx.store is None:
            raise err(D.STATE_IN_CONSTANT, f"`{f}` reads state; a constant expression cannot use it", span)
        if f in ("held", "locked"):
            ref = self.lock_ref(args[0], ctx)
            if f == "held":
                if ctx.pid is None:
                    raise err(D.BAD_CALL, "`held` needs a current process; use `holds(p[i], L)` here", span)
                return Scalar(self.owner_is(ref, lit(ctx.pid), ctx), TBool())
            return Scalar(mk_not(self.owner_is(ref, lit(-1), ctx)), TBool())
        if f == "holds":
            pref = self.proc_ref(args[0], ctx)
            ref = self.lock_ref(args[1], ctx)
            return Scalar(mk_or(*(mk_and(c, self.owner_is(ref, lit(self.pid_of_instance(i)), ctx))
                                  for c, i in pref.options)), TBool())
        if f in ("alive", "refs"):
            oref = self.obj_ref(args[0], ctx)
            slots = oref.info.alive_slots if f == "alive" else oref.info.refs_slots
            if f == "refs" and oref.info.style == "none":
                raise err(D.BAD_CALL, f"object `{oref.info.decl.name}` has no refcount", span)
            t: TType = TBool() if f == "alive" else TInt(0, oref.info.max_refs)
            if oref.index is None:
                k = oref.options[0][1]
                return Scalar(ctx.store.get(slots[k], N.Var(slots[k])), t)
            vals = tuple(ctx.store.get(sl, N.Var(sl)) for sl in slots)
            return Scalar(mk_select(vals, oref.index, domain(oref.info.index_type)[0]), t)
        pref = self.proc_ref(args[0], ctx)
        return Scalar(self.proc_predicate(f, pref, args, span, ctx), TBool())

    def proc_predicate(self, f: str, pref: ProcRef, args, span, ctx: Ctx) -> N.Expr:
        parts = []
        for cond, i in pref.options:
            inst = self.proc_instances[i]
            pc = ctx.store.get(inst.pc_slot, N.Var(inst.pc_slot))  # type: ignore[union-attr]
            if f == "at":
                label = args[1]
                if not isinstance(label, A.Name):
                    raise err(D.UNKNOWN_LABEL, "the second argument of `at` is a step label", label.span)
                k = pref.info.label_index(label.name)
                if k is None and label.name in _declared_labels(pref.info.decl.steps):
                    parts.append(N.FALSE)  # the step does not exist in this variant/configuration
                    continue
                if k is None:
                    raise err(D.UNKNOWN_LABEL, f"process `{pref.info.decl.name}` has no step `{label.name}`"
                              f" in this variant", label.span, hint=did_you_mean(label.name, pref.info.labels))
                test = mk_cmp("==", pc, lit(k))
            elif f == "running":
                test = mk_cmp("<", pc, lit(inst.done_value))
            elif f == "finished":
                test = mk_cmp("==", pc, lit(inst.done_value))
            else:
                test = mk_cmp("==", pc, lit(inst.idle_value))
            parts.append(mk_and(cond, test))
        return mk_or(*parts)

    def tr_define(self, f: str, args, span, ctx: Ctx) -> Val:
        d = self.defines[f]
        self.used_names.add(f)
        if f in ctx.defines_in_progress:
            raise err(D.RECURSIVE_DEFINE, f"`{f}` refers to itself", span)
        if len(args) != len(d.params):
            raise err(D.BAD_CALL, f"`{f}` takes {len(d.params)} argument(s), got {len(args)}", span)
        bind: dict[str, Val] = {}
        for p, a in zip(d.params, args):
            t = self.resolve_type(p.type)
            v = self.tr(a, ctx)
            if isinstance(v, (LockRef, ObjRef, ProcRef)) or not compatible(t, v.type):
                raise err(D.SORT_MISMATCH, f"argument `{p.name}` of `{f}` has type `{t}`", a.span)
            bind[p.name] = v
        inner = Ctx(bind, ctx.store, ctx.self_index, ctx.pid, ctx.proc, ctx.inst, ctx.context,
                    ctx.defines_in_progress + (f,), ctx.inst_pos)
        return self.tr(d.body, inner)

    # ---- references -------------------------------------------------------------------
    def lock_ref(self, e: A.Expr, ctx: Ctx) -> LockRef:
        r = self.tr(e, ctx)
        if not isinstance(r, LockRef):
            raise err(D.NOT_A_LOCK, f"expected a lock, found {_describe(r)}", e.span,
                      hint=did_you_mean(_head(e), self.locks))
        return r

    def obj_ref(self, e: A.Expr, ctx: Ctx) -> ObjRef:
        r = self.tr(e, ctx)
        if not isinstance(r, ObjRef):
            raise err(D.NOT_AN_OBJECT, f"expected an object such as `obj[i]`, found {_describe(r)}", e.span,
                      hint=did_you_mean(_head(e), self.objects))
        return r

    def proc_ref(self, e: A.Expr, ctx: Ctx) -> ProcRef:
        r = self.tr(e, ctx)
        if not isinstance(r, ProcRef):
            raise err(D.NOT_A_PROCESS, f"expected a process instance, found {_describe(r)}", e.span,
                      hint=did_you_mean(_head(e), self.procs))
        return r

    def owner_is(self, ref: LockRef, who: N.Expr, ctx: Ctx) -> N.Expr:
        parts = []
        for cond, li in ref.options:
            slot = self.lock_instances[li].owner_slot
            parts.append(mk_and(cond, mk_cmp("==", ctx.store.get(slot, N.Var(slot)), who)))  # type: ignore
        return mk_or(*parts)

    def pid_of_instance(self, i: int) -> int:
        return i  # process instances are the first pids


# ---- value helpers --------------------------------------------------------------------
def _declared_labels(steps) -> set[str]:
    out = set()
    for s in steps:
        out.add(s.label)
        if isinstance(s, A.WhileStep):
            out |= _declared_labels(s.body)
    return out


def _head(e: A.Expr) -> str:
    while isinstance(e, (A.Index, A.Field)):
        e = e.base
    return e.name if isinstance(e, A.Name) else ""


def _describe(v: Any) -> str:
    if isinstance(v, LockRef):
        return f"the lock `{v.info.decl.name}`"
    if isinstance(v, ObjRef):
        return f"the object `{v.info.decl.name}[...]`"
    if isinstance(v, ProcRef):
        return f"the process `{v.info.decl.name}`"
    if isinstance(v, Scalar):
        return f"a value of type `{v.type}`"
    return f"a value of type `{v.type}`"


def _arith_type(op: str, a: TType, b: TType) -> TInt:
    if isinstance(a, TInt) and isinstance(b, TInt):
        if op == "+":
            return TInt(a.lo + b.lo, a.hi + b.hi)
        if op == "-":
            return TInt(a.lo - b.hi, a.hi - b.lo)
    return TInt(-999999, 999999)


def cond_select(vals: list[tuple[N.Expr, N.Expr]]) -> N.Expr:
    """The value whose condition holds (conditions are exclusive and, together, total)."""
    out = vals[-1][1]
    for c, v in reversed(vals[:-1]):
        out = mk_ite(c, v, out)
    return out


def select_val(elems: tuple[Val, ...], index: N.Expr, offset: int) -> Val:
    first = elems[0]
    if isinstance(first, Scalar):
        return Scalar(mk_select(tuple(e.expr for e in elems), index, offset), first.type)  # type: ignore
    if isinstance(first, MapVal):
        n = len(first.elems)
        return MapVal(first.type, tuple(select_val(tuple(e.elems[k] for e in elems), index, offset)  # type: ignore
                                        for k in range(n)))
    n = len(first.fields)  # type: ignore[union-attr]
    return RecVal(first.type, tuple(select_val(tuple(e.fields[k] for e in elems), index, offset)  # type: ignore
                                    for k in range(n)))


def coerce(v: Val, t: TType, span) -> Val:
    """v as a value of type t (none and narrower ranges become t's encoding)."""
    if isinstance(t, TOption) and isinstance(v, Scalar):
        if isinstance(v.type, TNone):
            return Scalar(lit(none_value(t)), t)
        if isinstance(v.type, TOption):
            if none_value(v.type) != none_value(t):
                return Scalar(mk_ite(mk_cmp("==", v.expr, lit(none_value(v.type))), lit(none_value(t)), v.expr), t)
            return Scalar(v.expr, t)
        return Scalar(v.expr, t)
    if isinstance(t, TSet) and isinstance(v, Scalar) and isinstance(v.type, TSet) and isinstance(v.type.elem, TNone):
        return Scalar(N.SetLit((), slot_sort(t)), t)  # type: ignore[arg-type]
    if isinstance(t, TSet) and isinstance(v, Scalar) and isinstance(v.expr, N.SetLit):
        return Scalar(N.SetLit(v.expr.elems, slot_sort(t)), t)  # type: ignore[arg-type]
    if isinstance(t, TSet) and isinstance(v, Scalar) and isinstance(v.type, TSet) and \
            slot_sort(v.type) != slot_sort(t):
        return Scalar(recode_set(v.expr, slot_sort(v.type), slot_sort(t)), t)  # type: ignore[arg-type]
    return v


def recode_set(e: N.Expr, have: N.SetSort, want: N.SetSort) -> N.Expr:
    """The set e (encoded over `have`) encoded over `want`; elements outside
    `want` are dropped (callers report them as `range` errors)."""
    out: N.Expr = N.SetLit((), want)
    for k in range(have.size):
        v = have.lo + k
        if want.lo <= v < want.lo + want.size:
            one = N.SetLit((lit(v),), want)
            out = N.SetOp("union", out, mk_ite(N.Member(lit(v), e, have), one, N.SetLit((), want)), want)
    return out


def equal_vals(x: Val | Any, y: Val | Any, span) -> N.Expr:
    if isinstance(x, (LockRef, ObjRef, ProcRef)) or isinstance(y, (LockRef, ObjRef, ProcRef)):
        raise err(D.SORT_MISMATCH, "locks, objects and processes cannot be compared", span)
    if isinstance(x, Scalar) and isinstance(y, Scalar):
        if isinstance(x.type, TNone) and isinstance(y.type, TNone):
            return N.TRUE
        if isinstance(y.type, TNone) or isinstance(x.type, TNone):
            opt, _ = (x, y) if isinstance(y.type, TNone) else (y, x)
            if not isinstance(opt.type, TOption):
                raise err(D.SORT_MISMATCH, f"a `{opt.type}` is never `none`; declare it `{opt.type}?`", span)
            return mk_cmp("==", opt.expr, lit(none_value(opt.type)))
        if not (compatible(x.type, y.type) or compatible(y.type, x.type)):
            raise err(D.SORT_MISMATCH, f"cannot compare `{x.type}` with `{y.type}`", span)
        if isinstance(x.type, TSet) or isinstance(y.type, TSet):
            t = x.type if not isinstance(x.type.elem, TNone) else y.type  # type: ignore[union-attr]
            if isinstance(t.elem, TNone):  # type: ignore[union-attr]
                return N.TRUE
            a, b = coerce(x, t, span), coerce(y, t, span)
            return mk_cmp("==", a.expr, b.expr)  # type: ignore[union-attr]
        a, b = x, y
        if isinstance(x.type, TOption) and not isinstance(y.type, TOption):
            return mk_cmp("==", x.expr, y.expr)
        if isinstance(y.type, TOption) and not isinstance(x.type, TOption):
            return mk_cmp("==", x.expr, y.expr)
        if isinstance(x.type, TOption) and isinstance(y.type, TOption):
            b = coerce(y, x.type, span)  # type: ignore[assignment]
        return mk_cmp("==", a.expr, b.expr)  # type: ignore[union-attr]
    if isinstance(x, MapVal) and isinstance(y, MapVal) and len(x.elems) == len(y.elems):
        return mk_and(*(equal_vals(a, b, span) for a, b in zip(x.elems, y.elems)))
    if isinstance(x, RecVal) and isinstance(y, RecVal) and x.type == y.type:
        return mk_and(*(equal_vals(a, b, span) for a, b in zip(x.fields, y.fields)))
    raise err(D.SORT_MISMATCH, f"cannot compare `{x.type}` with `{y.type}`", span)


def merge_vals(cond: N.Expr, x: Val | Any, y: Val | Any, span) -> Val:
    if isinstance(x, Scalar) and isinstance(y, Scalar):
        if isinstance(x.type, TNone) and isinstance(y.type, TOption):
            x = coerce(x, y.type, span)
        elif isinstance(y.type, TNone) and isinstance(x.type, TOption):
            y = coerce(y, x.type, span)
        if not (compatible(x.type, y.type) or compatible(y.type, x.type)):
            raise err(D.SORT_MISMATCH, f"branches have types `{x.type}` and `{y.type}`", span)
        t = x.type
        if isinstance(x.type, TInt) and isinstance(y.type, TInt):
            t = TInt(min(x.type.lo, y.type.lo), max(x.type.hi, y.type.hi))
        elif isinstance(y.type, TOption):
            t = y.type
        return Scalar(mk_ite(cond, x.expr, y.expr), t)
    if isinstance(x, MapVal) and isinstance(y, MapVal):
        return MapVal(x.type, tuple(merge_vals(cond, a, b, span) for a, b in zip(x.elems, y.elems)))  # type: ignore
    if isinstance(x, RecVal) and isinstance(y, RecVal):
        return RecVal(x.type, tuple(merge_vals(cond, a, b, span) for a, b in zip(x.fields, y.fields)))  # type: ignore
    raise err(D.SORT_MISMATCH, "branches of `if ... then ... else` have different kinds of value", span)


__all__ = ["Ctx", "ExprMixin", "err", "coerce", "equal_vals", "merge_vals", "cond_select", "select_val",
           "value_name", "TBool", "TInt", "TEnum", "TMap", "TRecord", "TSet", "TOption", "TNone"]
