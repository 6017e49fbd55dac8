"""AST + variant + constants -> IR `Model` (plus diagnostics).

Phases, in order: select the declarations of the variant (tags), evaluate
constants (model overrides win), resolve types, lay out the state vector
(variables, process counters and locals, lock owners, object lifetimes),
compute the initial state, turn every step of every process instance and every
action instance into ground transitions (`lower_stmt`), and lower properties,
adding the built-in ones. Errors are collected per declaration; a spec with
errors yields no model.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from kspec.ir import nodes as N
from kspec.ir.contracts import desugar_contracts
from kspec.ir.lower_expr import Ctx, ExprMixin, err
from kspec.ir.lower_stmt import Actor, Path, StmtMixin
from kspec.ir.symbols import (LockInfo, MapPlace, ObjectInfo, Place, ProcessInfo, RecPlace, SlotPlace,
                              StepInfo)
from kspec.ir.types import (MapVal, RecVal, Scalar, TBool, TEnum, TInt, TMap, TOption, TRecord, TSet, TType,
                            Val, domain, is_finite_scalar, key_component, lit, mk_and, mk_cmp, mk_not, mk_or,
                            slot_sort, sym_kind, value_name)
from kspec.report import diagnostics as D
from kspec.report.diagnostics import Diagnostic, DiagnosticSink, KspecError, did_you_mean
from kspec.syntax import ast as A

MAX_SLOTS = 20_000
MAX_DOMAIN = 100_000
MAX_TRANSITIONS = 200_000
CONTEXTS = ("process", "softirq", "hardirq")
LOCK_KINDS = ("mutex", "spinlock", "ww_mutex")
LOCK_PROPS = ("lock_recursion", "lock_release_unheld", "sleep_in_atomic", "lock_held_at_exit",
              "assert_held", "assert_not_held")
LOCKDEP_PROPS = ("lockdep_cycle", "lockdep_recursion", "lockdep_irq")
OBJECT_PROPS = ("use_after_free", "double_free", "double_alloc", "ref_underflow", "free_while_referenced")

BUILTIN_DOCS = {
    "deadlock": "no reachable state where nothing can move while a process is unfinished",
    "wait_cycle": "no processes each blocked on a lock held by the next (a deadlock among some of them)",
    "lock_recursion": "no process acquires a lock it already holds",
    "lock_release_unheld": "no process releases a lock it does not hold",
    "sleep_in_atomic": "no sleeping operation in atomic context",
    "lock_held_at_exit": "no process finishes while holding a lock",
    "assert_held": "every lockdep_assert_held holds",
    "assert_not_held": "every lockdep_assert_not_held holds",
    "lockdep_cycle": "the lock-class dependency graph (over all explored transitions) is acyclic",
    "lockdep_recursion": "no lock class is acquired while a lock of the same class is held",
    "lockdep_irq": "no lock class is both used in and enabled for an interrupt context",
    "use_after_free": "no use, get or put of a freed object",
    "double_free": "no object is freed twice",
    "double_alloc": "no live object is allocated again",
    "ref_underflow": "no reference count goes below zero",
    "free_while_referenced": "no counted object is freed while referenced",
    "leak": "at quiescence every live object is reachable and its count is back to its base",
    "range": "every assigned value is within its declared range",
}


@dataclass(slots=True)
class LowerResult:
    model: N.Model | None
    diagnostics: list[Diagnostic] = field(default_factory=list)


def lower(spec: A.Spec, *, variant: str | None = None, constants: dict[str, int] | None = None,
          source: str = "", symmetric: tuple[str, ...] = ()) -> LowerResult:
    """`symmetric` names sorts to treat as symmetric (besides those the spec
    declares so): their values become interchangeable for symmetry reduction."""
    low = Lowerer(spec, variant, dict(constants or {}), source)
    low.symmetric_requested = set(symmetric)
    model = low.run()
    return LowerResult(model, low.sink.items)


class Lowerer(ExprMixin, StmtMixin):
    def __init__(self, spec: A.Spec, variant: str | None, overrides: dict[str, int], source: str):
        self.spec, self.source = spec, source
        self.overrides = overrides
        self.sink = DiagnosticSink()
        self.variants: tuple[str, ...] = ()
        self.variant = variant
        self.consts: dict[str, tuple[int, TType]] = {}
        self.types: dict[str, TType] = {}
        self.enum_members: dict[str, tuple[TEnum, int]] = {}
        self.vars: dict[str, Place] = {}
        self.locks: dict[str, LockInfo] = {}
        self.objects: dict[str, ObjectInfo] = {}
        self.procs: dict[str, ProcessInfo] = {}
        self.defines: dict[str, A.DefineDecl] = {}
        self.slots: list[N.Slot] = []
        self.init: list[int] = []
        self.lock_instances: list[N.LockInstance] = []
        self.lock_mode_slots: dict[int, int] = {}
        self.proc_instances: list[N.ProcessInstance] = []
        self.pids: list[str] = []
        self.action_pids: dict[str, int] = {}
        self.used_names: set[str] = set()
        self.check_props: set[str] = set()
        self.transitions: list[N.Transition] = []
        self.step_edges: dict[tuple[str, int], set[int]] = {}
        self.decl_names: dict[str, A.Decl] = {}
        self.state_names = {d.name for d in spec.decls if isinstance(d, (A.VarDecl, A.LockDecl, A.ObjectDecl,
                                                                            A.ProcessDecl))}
        self.cur_span = None  # initial value being laid out, for diagnostics
        self.consts_ready = False  # `@when` conditions can be evaluated
        self.symmetric: list[tuple[str, int]] = []
        self.symmetric_requested: set[str] = set()
        self.events: dict[str, tuple[A.EventDecl, list[TType], TType | None]] = {}
        self.contracts: dict[str, A.ContractDecl] = {}
        self.progress: list[N.Progress] = []

    # ---- driver --------------------------------------------------------------------
    def run(self) -> N.Model | None:
        try:
            decls = self.select_variant()
        except KspecError as e:
            self.sink.items.extend(e.diagnostics)
            return None
        for phase in (self.declare_types, self.declare_state, self.declare_processes,
                      self.layout_process_state):
            for d in decls:
                self.guarded(phase, d)
            if self.sink.has_errors:
                return None
            if phase == self.declare_types:
                self.consts_ready = True
                decls = [d for d in decls if self.guarded(self.selected, d.tags)]
                if self.sink.has_errors:
                    return None
                decls = self.guarded(self.lower_contracts, decls)
                if decls is None or self.sink.has_errors:
                    return None
        self.guarded(self.finish_layout, None)
        self.check_unknown_overrides()
        for name in sorted(self.symmetric_requested - {n for n, _ in self.symmetric}):
            self.sink.error(D.UNKNOWN_NAME, f"no sort `{name}` to make symmetric", None,
                            hint=did_you_mean(name, [d.name for d in decls if isinstance(d, A.SortDecl)]))
        if self.sink.has_errors:
            return None
        for d in decls:
            self.guarded(self.lower_behaviour, d)
        props = [p for d in decls if isinstance(d, A.PropertyDecl) for p in self.guarded(self.lower_property, d) or ()]
        self.progress = [p for d in decls if isinstance(d, A.ProgressDecl)
                         for p in [self.guarded(self.lower_progress, d)] if p is not None]
        if self.sink.has_errors:
            return None
        self.warn_unused(decls)
        self.warn_unreachable_steps()
        props.extend(self.builtin_state_properties())
        return self.build_model(props)

    def lower_contracts(self, decls: list) -> list:
        """Contracts become ghost monitor variables, checks and invariants (kspec.ir.contracts)."""
        for d in decls:
            if isinstance(d, A.ContractDecl):
                self.contracts[d.name] = d
        return desugar_contracts(decls, self.declare, _mentioned_names(self.spec) | set(self.decl_names))

    def guarded(self, fn, d):
        try:
            return fn(d)
        except KspecError as e:
            self.sink.items.extend(e.diagnostics)
            return None

    def select_variant(self) -> list[A.Decl]:
        vdecls = [d for d in self.spec.decls if isinstance(d, A.VariantDecl)]
        if len(vdecls) > 1:
            raise err(D.DUPLICATE_NAME, "a spec declares its variants once", vdecls[1].span)
        self.variants = vdecls[0].names if vdecls else ()
        if self.variant is None and self.variants:
            self.variant = self.variants[0]
        if self.variant is not None and self.variant not in self.variants:
            raise err(D.UNKNOWN_VARIANT, f"unknown variant `{self.variant}`" + (
                f"; the spec declares {', '.join(self.variants)}" if self.variants else
                "; the spec declares no variants"), None, hint=did_you_mean(self.variant, self.variants))
        self.check_tags(self.spec.decls)
        return [d for d in self.spec.decls if self.selected(d.tags)]

    def check_tags(self, items) -> None:
        for d in items:
            for t in d.tags:
                if isinstance(t, A.WhenTag):
                    if isinstance(d, (A.ConstDecl, A.SortDecl, A.EnumDecl, A.RecordDecl, A.VariantDecl,
                                      A.DefineDecl, A.EventDecl)):
                        self.sink.error(D.STATEMENT_NOT_ALLOWED, "`@when` cannot qualify a constant, type, "
                                        "define or event declaration", t.span)
                    continue
                if t not in self.variants:
                    self.sink.error(D.UNKNOWN_VARIANT if self.variants else D.NO_VARIANTS,
                                    f"tag `@{t}` names no declared variant", d.span,
                                    hint=did_you_mean(t, self.variants))
            if isinstance(d, A.ProcessDecl):
                self.check_tags(d.steps)
            if isinstance(d, A.WhileStep):
                self.check_tags(d.body)

    def selected(self, tags) -> bool:
        """In the chosen variant (variant tags) and, once constants are known,
        with every `@when` condition true."""
        names = [t for t in tags if isinstance(t, str)]
        if names and self.variant not in names:
            return False
        return all(self.when_holds(t) for t in tags if isinstance(t, A.WhenTag))

    def when_holds(self, tag: A.WhenTag) -> bool:
        if not self.consts_ready:
            return True
        v = self.scalar(self.tr(tag.cond, Ctx()), tag.cond.span, "a boolean")
        if not isinstance(v.type, TBool) or not isinstance(v.expr, N.Lit):
            raise err(D.BAD_CONSTANT, "`@when` needs a constant boolean expression", tag.cond.span)
        return bool(v.expr.value)

    def declare(self, name: str, d, span) -> None:
        check_not_keyword(name, span)
        if name in self.decl_names or name in self.enum_members:
            raise err(D.DUPLICATE_NAME, f"`{name}` is already defined", span,
                      notes=[f"first defined at {self.decl_names[name].span}"] if name in self.decl_names
                      and self.decl_names[name].span else [])
        if name in ("bool", "self", "variant", "none", "true", "false"):
            raise err(D.DUPLICATE_NAME, f"`{name}` is reserved", span)
        self.decl_names[name] = d

    # ---- types and constants -----------------------------------------------------------
    def declare_types(self, d: A.Decl) -> None:
        match d:
            case A.ConstDecl(name=name, value=value):
                self.declare(name, d, d.span)
                if name in self.overrides:
                    v = self.overrides[name]
                    declared = self.scalar(self.tr(value, Ctx()), value.span, "a constant")
                    if isinstance(declared.type, TBool) != isinstance(v, bool):
                        raise err(D.BAD_CONSTANT, f"constant `{name}` is {'a boolean' if isinstance(declared.type, TBool) else 'an integer'}; the override {v!r} is not", d.span)
                    self.consts[name] = (int(v), TBool() if isinstance(v, bool) else TInt(int(v), int(v)))
                    return
                val = self.scalar(self.tr(value, Ctx()), value.span, "a constant")
                if not isinstance(val.expr, N.Lit) or not isinstance(val.type, (TInt, TBool)):
                    raise err(D.BAD_CONSTANT, f"constant `{name}` must be an integer or boolean", value.span)
                v = val.expr.value
                self.consts[name] = (v, TBool() if isinstance(val.type, TBool) else TInt(v, v))
            case A.SortDecl(name=name, type=t):
                self.declare(name, d, d.span)
                ty = self.resolve_type(t)
                if d.symmetric or name in self.symmetric_requested:
                    if not isinstance(ty, TInt):
                        raise err(D.SORT_MISMATCH, "only a range sort `lo..hi` can be symmetric", d.span)
                    ty = TEnum(name, tuple(str(v) for v in range(ty.lo, ty.hi + 1)), symmetric=True)
                    self.symmetric.append((name, len(ty.members)))
                self.types[name] = ty
            case A.EnumDecl(name=name, members=members):
                self.declare(name, d, d.span)
                if len(set(members)) != len(members):
                    raise err(D.DUPLICATE_NAME, f"enum `{name}` lists a constant twice", d.span)
                et = TEnum(name, members)
                self.types[name] = et
                for k, m in enumerate(members):
                    if m in self.enum_members or m in self.decl_names:
                        raise err(D.DUPLICATE_NAME, f"enum constant `{m}` is already defined", d.span)
                    self.enum_members[m] = (et, k)
            case A.RecordDecl(name=name, fields=fields):
                self.declare(name, d, d.span)
                names = [f.name for f in fields]
                if len(set(names)) != len(names):
                    raise err(D.DUPLICATE_NAME, f"record `{name}` has a field twice", d.span)
                self.types[name] = TRecord(name, tuple((f.name, self.resolve_type(f.type)) for f in fields))
            case A.DefineDecl(name=name):
                self.declare(name, d, d.span)
                self.defines[name] = d
            case A.EventDecl(name=name):
                self.declare(name, d, d.span)
                ptypes = [self.resolve_type(p.type) for p in d.params]
                for p, t in zip(d.params, ptypes):
                    if not (is_finite_scalar(t) or isinstance(t, TOption)):
                        raise err(D.SORT_MISMATCH, f"event argument `{p.name}` must have a scalar type", p.span)
                self.events[name] = (d, ptypes, self.resolve_type(d.result) if d.result is not None else None)
            case _:
                pass

    def resolve_type(self, t: A.Type) -> TType:
        match t:
            case A.BoolType():
                return TBool()
            case A.RangeType(lo=lo, hi=hi):
                a, b = self.const_int(lo), self.const_int(hi)
                if b < a:
                    raise err(D.EMPTY_SORT, f"range {a}..{b} is empty", t.span)
                if b - a >= MAX_DOMAIN:
                    raise err(D.SPEC_TOO_LARGE, f"range {a}..{b} has more than {MAX_DOMAIN} values", t.span,
                              hint="finite-state checking needs small sorts; is a constant much larger "
                              "than intended?")
                return TInt(a, b)
            case A.NamedType(name=name):
                self.used_names.add(name)
                if name == "int":
                    raise err(D.INFINITE_SORT, "unbounded `int` is not allowed; give a range `lo..hi`", t.span)
                if name not in self.types:
                    if name in self.decl_names or name in self.enum_members:
                        raise err(D.NOT_A_TYPE, f"`{name}` is not a type", t.span)
                    raise err(D.UNKNOWN_NAME, f"unknown type `{name}`", t.span,
                              hint=did_you_mean(name, [*self.types, "bool"]))
                return self.types[name]
            case A.SetType(elem=e):
                et = self.resolve_type(e)
                if not is_finite_scalar(et):
                    raise err(D.INFINITE_SORT, f"set elements must be of a finite sort, not `{et}`", t.span)
                if len(domain(et)) > 60:
                    raise err(D.SPEC_TOO_LARGE, f"sets over more than 60 elements are not supported", t.span)
                return TSet(et)
            case A.MapType(key=k, value=v):
                kt = self.resolve_type(k)
                if not is_finite_scalar(kt):
                    raise err(D.INFINITE_SORT, f"map keys must be of a finite sort, not `{kt}`", t.span)
                return TMap(kt, self.resolve_type(v))
            case A.OptionType(inner=i):
                it = self.resolve_type(i)
                if not is_finite_scalar(it):
                    raise err(D.SORT_MISMATCH, f"only scalar types can be optional, not `{it}`", t.span)
                return TOption(it)
        raise err(D.INTERNAL_ERROR, "unhandled type", None)

    def check_unknown_overrides(self) -> None:
        for name in self.overrides:
            if name not in self.consts:
                self.sink.error(D.BAD_CONSTANT, f"constant `{name}` is not declared by the spec", None,
                                hint=did_you_mean(name, self.consts))

    # ---- state layout ----------------------------------------------------------------------
    def new_slot(self, name: str, sort: N.SlotSort, group: str, kind: str, init: int, address: tuple = (),
                 sym: tuple = ()) -> int:
        if len(self.slots) >= MAX_SLOTS:
            raise err(D.SPEC_TOO_LARGE, f"the state has more than {MAX_SLOTS} slots", self.cur_span)
        self.slots.append(N.Slot(name, sort, group, kind, address, sym))
        self.init.append(init)
        return len(self.slots) - 1

    def layout(self, name: str, t: TType, init: Val, group: str, kind: str, address: tuple) -> Place:
        if isinstance(t, TMap):
            assert isinstance(init, MapVal)
            keys = domain(t.key)
            return MapPlace(t, tuple(self.layout(f"{name}[{value_name(t.key, k)}]", t.value, init.elems[i],
                                                 group, kind, address + (key_component(t.key, k),))
                                     for i, k in enumerate(keys)))
        if isinstance(t, TRecord):
            assert isinstance(init, RecVal)
            return RecPlace(t, tuple(self.layout(f"{name}.{f}", ft, init.fields[i], group, kind, address + (f,))
                                     for i, (f, ft) in enumerate(t.fields)))
        assert isinstance(init, Scalar)
        sort = slot_sort(t)
        if isinstance(t, TSet):
            v = self.set_bits(init.expr)
        elif isinstance(init.expr, N.Lit):
            v = init.expr.value
        else:
            raise err(D.STATE_IN_CONSTANT, f"the initial value of `{name}` must be constant", self.cur_span)
        if isinstance(sort, N.IntSort) and not sort.lo <= v <= sort.hi:
            raise err(D.BAD_INITIAL, f"initial value {v} of `{name}` is outside {sort.lo}..{sort.hi}",
                      self.cur_span)
        return SlotPlace(self.new_slot(name, sort, group, kind, v, address, sym_kind(t)), t)

    def set_bits(self, e: N.Expr) -> int:
        if isinstance(e, N.SetLit):
            bits = 0
            for el in e.elems:
                if not isinstance(el, N.Lit):
                    raise err(D.STATE_IN_CONSTANT, "initial set elements must be constant", self.cur_span)
                bits |= 1 << (el.value - e.sort.lo)
            return bits
        raise err(D.STATE_IN_CONSTANT, "initial sets must be set literals", self.cur_span)

    def declare_state(self, d: A.Decl) -> None:
        match d:
            case A.VarDecl(name=name, type=t, init=init):
                self.declare(name, d, d.span)
                self.cur_span = init.span
                ty = self.resolve_type(t)
                v = self.init_value(init, ty)
                self.vars[name] = self.layout(name, ty, v, name, "var", ("var", name))
            case A.LockDecl():
                self.declare_lock(d)
            case A.ObjectDecl():
                self.declare_object(d)
            case _:
                pass

    def init_value(self, init: A.Expr, ty: TType) -> Val:
        try:
            return self.tr_typed(init, ty, Ctx())
        except KspecError as e:
            if e.diagnostics[0].span is None:
                raise err(e.diagnostics[0].code, e.diagnostics[0].message, init.span)
            raise

    def declare_lock(self, d: A.LockDecl) -> None:
        self.declare(d.name, d, d.span)
        self.cur_span = d.span
        if d.kind not in LOCK_KINDS:
            raise err(D.UNKNOWN_LOCK_KIND, f"unknown lock kind `{d.kind}`", d.span,
                      hint=did_you_mean(d.kind, LOCK_KINDS) or "use mutex, spinlock or ww_mutex")
        it = self.resolve_type(d.index) if d.index is not None else None
        if it is not None and not is_finite_scalar(it):
            raise err(D.INFINITE_SORT, "a lock index must be a finite sort", d.span)
        self.locks[d.name] = LockInfo(d, it, [])

    def declare_object(self, d: A.ObjectDecl) -> None:
        self.declare(d.name, d, d.span)
        self.cur_span = d.span
        it = self.resolve_type(d.param.type)
        if not is_finite_scalar(it):
            raise err(D.INFINITE_SORT, "an object index must be a finite sort", d.span)
        settings = {"refcount": "counter", "initial": "absent", "max_refs": 4, "reachable": None}
        for key, value in d.settings:
            if key not in settings:
                raise err(D.UNKNOWN_SETTING, f"unknown object setting `{key}`", value.span,
                          hint=did_you_mean(key, settings))
            if key == "initial" and not (isinstance(value, A.Name) and value.name in ("live", "absent")):
                settings[key] = value  # a boolean expression over the index and constants: live when true
                continue
            if key in ("refcount", "initial"):
                allowed = ("counter", "kref", "none") if key == "refcount" else ("live", "absent")
                if isinstance(value, A.NoneLit):
                    value = A.Name("none", span=value.span)
                if not isinstance(value, A.Name) or value.name not in allowed:
                    raise err(D.UNKNOWN_SETTING, f"`{key}` is one of {', '.join(allowed)}", value.span)
                settings[key] = value.name
            elif key == "max_refs":
                settings[key] = self.const_int(value)
            else:
                settings[key] = value
        initial = settings["initial"]
        info = ObjectInfo(d, it, settings["refcount"], initial == "live", settings["max_refs"],
                          [], [], settings["reachable"])
        for k in domain(it):
            nm = f"{d.name}[{value_name(it, k)}]"
            live = self.initially_live(initial, d.param.name, it, k)
            base = info.base if live else 0
            key = key_component(it, k)
            info.alive_slots.append(self.new_slot(f"alive({nm})", N.BOOL, d.name, "alive", int(live),
                                                  ("alive", d.name, key)))
            info.refs_slots.append(self.new_slot(f"refs({nm})", N.IntSort(0, info.max_refs), d.name, "refs", base,
                                                 ("refs", d.name, key))
                                   if info.style != "none" else -1)
        self.objects[d.name] = info

    def initially_live(self, initial, param: str, it: TType, k: int) -> bool:
        if isinstance(initial, str):
            return initial == "live"
        v = self.scalar(self.tr(initial, Ctx({param: Scalar(lit(k), it)})), initial.span, "a boolean")
        if not isinstance(v.type, TBool) or not isinstance(v.expr, N.Lit):
            raise err(D.UNKNOWN_SETTING, "`initial` is `live`, `absent`, or a constant boolean expression over "
                      "the object's index", initial.span)
        return bool(v.expr.value)

    # ---- processes ---------------------------------------------------------------------------
    def declare_processes(self, d: A.Decl) -> None:
        if isinstance(d, A.ProcessDecl):
            self.declare(d.name, d, d.span)
            if d.context not in CONTEXTS:
                raise err(D.UNKNOWN_CONTEXT, f"unknown context `{d.context}`", d.span,
                          hint=did_you_mean(d.context, CONTEXTS))
            it = self.resolve_type(d.index.type) if d.index else None
            if it is not None and not is_finite_scalar(it):
                raise err(D.INFINITE_SORT, "a process index must be a finite sort", d.span)
            steps: list[StepInfo] = []
            self.flatten_steps(d.steps, steps, -1)
            if not steps:
                raise err(D.EMPTY_PROCESS, f"process `{d.name}` has no step in this variant", d.span)
            self.procs[d.name] = ProcessInfo(d, it, steps)
        elif isinstance(d, A.ActionDecl):
            self.declare(d.name, d, d.span)
            if d.context not in CONTEXTS:
                raise err(D.UNKNOWN_CONTEXT, f"unknown context `{d.context}`", d.span,
                          hint=did_you_mean(d.context, CONTEXTS))

    def flatten_steps(self, items, out: list[StepInfo], after: int) -> None:
        """Number the steps of the variant and link each to its fall-through
        successor; `after` is the pc value following this block (-1: done)."""
        infos: list[StepInfo] = []
        seen = {s.label for s in out}
        for s in items:
            if not self.selected(s.tags):
                continue
            if s.label in seen:
                raise err(D.DUPLICATE_NAME, f"step `{s.label}` is defined twice", s.span)
            seen.add(s.label)
            info = StepInfo(s.label, s, len(out), -1)
            out.append(info)
            infos.append(info)
            if isinstance(s, A.WhileStep):
                body_start = len(out)
                self.flatten_steps(s.body, out, info.index)
                seen.update(x.label for x in out)
                info.loop_body = body_start if len(out) > body_start else info.index
        for k, info in enumerate(infos):
            info.fallthrough = infos[k + 1].index if k + 1 < len(infos) else after
            if isinstance(info.step, A.WhileStep):
                info.loop_exit = info.fallthrough

    def layout_process_state(self, d: A.Decl) -> None:
        if isinstance(d, A.ProcessDecl):
            info = self.procs[d.name]
            for s in info.steps:
                if s.fallthrough == -1:
                    s.fallthrough = len(info.steps)
                if s.loop_exit == -1:
                    s.loop_exit = len(info.steps)
            n = len(info.steps)
            names = info.labels + ("done", "idle")
            for pos, k in enumerate(info.keys()):
                inst_name = d.name if info.index_type is None else f"{d.name}[{value_name(info.index_type, k)}]"
                pc = self.new_slot(f"pc({inst_name})", N.IntSort(0, n + 1, names), inst_name, "pc",
                                   n + 1 if d.idle else 0, ("pc", d.name, key_component(info.index_type, k)))
                self.proc_instances.append(N.ProcessInstance(inst_name, d.name, pc, info.labels, d.context))
                info.instances.append(len(self.proc_instances) - 1)
                self.pids.append(inst_name)

    def finish_layout(self, _=None) -> None:
        """After every process is numbered: action pids, lock owners and lock
        modes (which need the pid range), process locals."""
        for name in [d.name for d in self.spec.decls if isinstance(d, A.ActionDecl) and self.selected(d.tags)]:
            self.action_pids[name] = len(self.pids)
            self.pids.append(name)
        owner_sort = N.IntSort(-1, max(len(self.pids) - 1, 0), ("free",) + tuple(self.pids))
        moded = self.locks_with_irq_modes()
        for info in self.locks.values():
            d = info.decl
            for k in info.keys():
                nm = d.name if info.index_type is None else f"{d.name}[{value_name(info.index_type, k)}]"
                key = key_component(info.index_type, k)
                slot = self.new_slot(nm, owner_sort, d.name, "lock", -1, ("lock", d.name, key), ("pid",))
                self.lock_instances.append(N.LockInstance(nm, d.lock_class or d.name, d.kind, slot))
                li = len(self.lock_instances) - 1
                info.instances.append(li)
                if d.name in moded:
                    self.lock_mode_slots[li] = self.new_slot(f"irqmode({nm})", N.IntSort(0, 2, ("on", "bh", "irq")),
                                                             d.name, "lockmode", 0, ("lockmode", d.name, key))
        for info in self.procs.values():
            for local in info.decl.locals:
                ty = self.resolve_type(local.type)
                v = self.init_value(local.init, ty)
                self.cur_span = local.init.span
                places = []
                for pos, i in enumerate(info.instances):
                    inst = self.proc_instances[i]
                    key = key_component(info.index_type, info.keys()[pos])
                    places.append(self.layout(f"{inst.name}.{local.name}", ty, v, inst.name, "local",
                                              ("local", info.decl.name, key, local.name)))
                if local.name in info.locals:
                    raise err(D.DUPLICATE_NAME, f"local `{local.name}` is declared twice", local.span)
                info.locals[local.name] = places

    def locks_with_irq_modes(self) -> set[str]:
        found: set[str] = set()

        def walk(stmts):
            for st in stmts:
                if isinstance(st, A.Primitive) and st.op in ("acquire_bh", "acquire_irq"):
                    e = st.arg
                    while isinstance(e, A.Index):
                        e = e.base
                    if isinstance(e, A.Name):
                        found.add(e.name)
                for sub in _substatements(st):
                    walk(sub)

        for d in self.spec.decls:
            if isinstance(d, A.ActionDecl):
                walk(d.body)
            if isinstance(d, A.ProcessDecl):
                for s in _all_steps(d.steps):
                    if isinstance(s, A.Step):
                        walk(s.body)
        return found

    # ---- behaviour -------------------------------------------------------------------------
    def lower_behaviour(self, d: A.Decl) -> None:
        if isinstance(d, A.ProcessDecl):
            info = self.procs[d.name]
            for pos, (k, i) in enumerate(zip(info.keys(), info.instances)):
                inst = self.proc_instances[i]
                actor = Actor(inst.name, i, d.context, info, i, pos, k if info.index_type is not None else None)
                scope = {d.index.name: Scalar(lit(k), info.index_type)} if d.index else {}
                for s in info.steps:
                    self.lower_step(s, actor, scope, inst)
        elif isinstance(d, A.ActionDecl):
            self.lower_action(d)

    def lower_step(self, s: StepInfo, actor: Actor, scope: dict, inst: N.ProcessInstance) -> None:
        step = s.step
        paths: list[Path]
        if isinstance(step, A.WhileStep):
            ctx = Ctx(dict(scope), {}, actor.self_index, actor.pid, actor.proc, actor.inst, actor.context, (),
                      actor.inst_pos)
            cond = self.boolean(step.cond, ctx)
            go, leave = Path({}, dict(scope)), Path({}, dict(scope))
            go.add_cond(cond)
            go.outcome = s.loop_body
            leave.add_cond(mk_not(cond))
            leave.outcome = s.loop_exit
            paths = [p for p in (go, leave) if not p.dead]
        else:
            paths = self.exec_block(step.body, [Path({}, dict(scope))], actor)
        done = len(actor.proc.steps)  # type: ignore[union-attr]
        for p in paths:
            target = p.outcome if p.outcome is not None else s.fallthrough
            if target == done:
                self.held_at_exit(p, actor, step.span)
            self.step_edges.setdefault((actor.proc.decl.name, s.index), set()).add(target)  # type: ignore
            p.store[inst.pc_slot] = lit(target)
            self.emit(p, f"{inst.name}.{s.label}", inst.name, s.label, (inst.pc_slot, s.index), step.span,
                      step.doc)

    def lower_action(self, d: A.ActionDecl) -> None:
        pid = self.action_pids[d.name]
        ptypes = [self.resolve_type(p.type) for p in d.params]
        for t, p in zip(ptypes, d.params):
            if not is_finite_scalar(t):
                raise err(D.INFINITE_SORT, f"action parameter `{p.name}` needs a finite sort", p.span)
        for combo in itertools.product(*(domain(t) for t in ptypes)):
            scope = {p.name: Scalar(lit(v), t) for p, t, v in zip(d.params, ptypes, combo)}
            shown = ", ".join(f"{p.name}={value_name(t, v)}" for p, t, v in zip(d.params, ptypes, combo))
            name = f"{d.name}({shown})" if d.params else d.name
            actor = Actor(d.name, pid, d.context)
            start = Path({}, dict(scope))
            if d.guard is not None:
                start.add_cond(self.boolean(d.guard, self.ctx_for(start, actor)))
            if start.dead:
                continue
            for p in self.exec_block(d.body, [start], actor):
                self.held_at_exit(p, actor, d.span)
                self.emit(p, name, d.name, None, None, d.span, d.doc)

    def emit(self, p: Path, name: str, actor: str, label, pc, span, doc) -> None:
        if len(self.transitions) >= MAX_TRANSITIONS:
            raise err(D.SPEC_TOO_LARGE, f"the spec expands to more than {MAX_TRANSITIONS} transitions", span)
        updates = tuple(sorted((s, e) for s, e in p.store.items() if e != N.Var(s)))
        self.transitions.append(N.Transition(
            name=name + (" [" + ", ".join(f"{k}={v}" for k, v in p.bindings) + "]" if p.bindings else ""),
            actor=actor, label=label, pc=pc, guard=mk_and(*p.guard), block=mk_and(*p.block), updates=updates,
            checks=tuple(p.checks), lock_attempts=tuple(p.attempts), blockers=tuple(p.blockers),
            bindings=tuple(p.bindings), span=span, doc=doc, event=p.event))

    # ---- properties ---------------------------------------------------------------------
    def lower_property(self, d: A.PropertyDecl) -> list[N.StateProperty]:
        self.declare(d.name, d, d.span)
        ctx = Ctx({}, {})
        conjuncts = self.conjuncts(d.expr, ctx, "") if d.kind == "invariant" else [
            N.Conjunct(self.text(d.expr), self.boolean(d.expr, ctx))]
        return [N.StateProperty(d.name, d.kind, tuple(conjuncts), False, d.doc, d.span)]

    def lower_progress(self, d: A.ProgressDecl) -> N.Progress:
        """One (pre, post) pair per combination of the parameters' values."""
        self.declare(d.name, d, d.span)
        ptypes = [self.resolve_type(p.type) for p in d.params]
        for t, p in zip(ptypes, d.params):
            if not is_finite_scalar(t):
                raise err(D.INFINITE_SORT, f"progress parameter `{p.name}` needs a finite sort", p.span)
        out = []
        for combo in itertools.product(*(domain(t) for t in ptypes)):
            scope = {p.name: Scalar(lit(v), t) for p, t, v in zip(d.params, ptypes, combo)}
            shown = ", ".join(f"{p.name}={value_name(t, v)}" for p, t, v in zip(d.params, ptypes, combo))
            label = f"{d.name}[{shown}]" if d.params else d.name
            out.append(N.ProgressInstance(label, self.boolean(d.pre, Ctx(dict(scope), {})),
                                          self.boolean(d.post, Ctx(dict(scope), {}))))
        return N.Progress(d.name, tuple(out), self.text(d.pre), self.text(d.post), d.doc, d.span)

    def text(self, e) -> str:
        sp = getattr(e, "span", None)
        if sp is None or not self.source:
            return "<expr>"
        lines = self.source.splitlines()
        if sp.line == sp.end_line:
            return lines[sp.line - 1][sp.col - 1:sp.end_col - 1]
        first = lines[sp.line - 1][sp.col - 1:]
        rest = [ln.strip() for ln in lines[sp.line:sp.end_line - 1]]
        last = lines[sp.end_line - 1][:sp.end_col - 1].strip()
        return " ".join([first.strip(), *rest, last]).strip()

    def conjuncts(self, e: A.Expr, ctx: Ctx, where: str) -> list[N.Conjunct]:
        """Split top-level `and`s and `forall` instances, so a report can say
        which conjunct and which quantifier instance failed."""
        if isinstance(e, A.Binary) and e.op == "and":
            return self.conjuncts(e.left, ctx, where) + self.conjuncts(e.right, ctx, where)
        if isinstance(e, A.Quant) and e.kind == "forall" and len(e.binders) == 1 and len(e.binders[0].names) == 1:
            b = e.binders[0]
            out = []
            for val, cond in self.binder_values(b.domain, ctx):
                shown = value_name(val.type, val.expr.value) if isinstance(val.expr, N.Lit) else "?"
                sub = ctx.child(**{b.names[0]: val})
                for c in self.conjuncts(e.body, sub, f"{where}{b.names[0]} = {shown}, "):
                    out.append(N.Conjunct(c.description, mk_or(mk_not(cond), c.expr)))
            return out
        label = self.text(e) + (f"  [{where.rstrip(', ')}]" if where else "")
        return [N.Conjunct(label, self.boolean(e, ctx))]

    def builtin_state_properties(self) -> list[N.StateProperty]:
        """`leak`, checked at quiescence: every process instance finished or
        idle (a spec without processes is never quiescent)."""
        if not self.objects or not self.proc_instances:
            return []
        quiescent = mk_and(*(mk_cmp("<=", lit(p.done_value), N.Var(p.pc_slot)) for p in self.proc_instances))
        conj = []
        for info in self.objects.values():
            for k, v in enumerate(domain(info.index_type)):
                nm = f"{info.decl.name}[{value_name(info.index_type, v)}]"
                alive = N.Var(info.alive_slots[k])
                bad_parts = []
                if info.style != "none":
                    bad_parts.append(mk_not(mk_cmp("==", N.Var(info.refs_slots[k]), lit(info.base))))
                if info.reachable is not None:
                    ctx = Ctx({info.decl.param.name: Scalar(lit(v), info.index_type)}, {})
                    bad_parts.append(mk_not(self.boolean(info.reachable, ctx)))
                if not bad_parts:
                    continue
                bad = mk_and(quiescent, alive, mk_or(*bad_parts))
                conj.append(N.Conjunct(f"{nm} is released or reachable at quiescence", mk_not(bad)))
        if not conj:
            return []
        return [N.StateProperty("leak", "invariant", tuple(conj), True, BUILTIN_DOCS["leak"])]

    # ---- warnings -------------------------------------------------------------------------
    def warn_unused(self, decls) -> None:
        """Warn about declarations no part of the spec (in any variant) mentions."""
        mentioned = _mentioned_names(self.spec)
        kinds = {A.ConstDecl: "constant", A.VarDecl: "variable", A.DefineDecl: "define", A.SortDecl: "sort",
                 A.RecordDecl: "record", A.LockDecl: "lock", A.ObjectDecl: "object"}
        for d in decls:
            kind = kinds.get(type(d))
            if kind and d.name not in mentioned and d.name not in self.overrides and "." not in d.name:
                self.sink.warning(D.UNUSED_DECLARATION, f"{kind} `{d.name}` is declared but never used", d.span)

    def warn_unreachable_steps(self) -> None:
        for name, info in self.procs.items():
            seen, todo = {0}, [0]
            while todo:
                k = todo.pop()
                for t in self.step_edges.get((name, k), ()):
                    if t < len(info.steps) and t not in seen:
                        seen.add(t)
                        todo.append(t)
            for s in info.steps:
                if s.index not in seen:
                    self.sink.warning(D.UNREACHABLE_STEP, f"step `{s.label}` of `{name}` can never run",
                                      s.step.span)

    # ---- the model -------------------------------------------------------------------------
    def build_model(self, props: list[N.StateProperty]) -> N.Model:
        infos = [N.PropertyInfo(p.name, p.kind, p.builtin, p.doc, p.span) for p in props]
        builtin_checks = ["deadlock", "range"]
        if self.locks:
            builtin_checks += ["wait_cycle", *LOCK_PROPS, *LOCKDEP_PROPS]
        if self.objects:
            builtin_checks += [*OBJECT_PROPS]
        builtin_checks += [n for n in ("sleep_in_atomic",) if n in self.check_props and n not in builtin_checks]
        have = {i.name for i in infos}
        for name in builtin_checks:
            kind = "deadlock" if name in ("deadlock", "wait_cycle") else \
                "lockdep" if name.startswith("lockdep") else "check"
            infos.append(N.PropertyInfo(name, kind, True, BUILTIN_DOCS.get(name, "")))
            have.add(name)
        for p in self.progress:
            infos.append(N.PropertyInfo(p.name, "progress", False, p.doc, p.span))
            have.add(p.name)
        for name, k in self.contracts.items():  # never / at most: checks at the occurrences
            if name not in have:
                infos.append(N.PropertyInfo(name, "check", False, k.doc or f"contract `{name}`", k.span))
                have.add(name)
        for name in sorted(self.check_props - have):  # user assert names
            infos.append(N.PropertyInfo(name, "check", False, f"assertion `{name}`"))
        return N.Model(
            spec_name=self.spec.name or "spec", variant=self.variant,
            constants=tuple((k, bool(v) if isinstance(t, TBool) else v) for k, (v, t) in self.consts.items()),
            slots=tuple(self.slots),
            init=tuple(self.init), transitions=tuple(self.transitions), state_properties=tuple(props),
            properties=tuple(infos), processes=tuple(self.proc_instances), locks=tuple(self.lock_instances),
            pids=tuple(self.pids), file=self.spec.file, doc=self.spec.doc,
            events=tuple(N.EventSig(name, tuple((p.name, slot_sort(t)) for p, t in zip(d.params, pts)),
                                    slot_sort(rt) if rt is not None else None, d.doc, d.span)
                         for name, (d, pts, rt) in self.events.items()),
            symmetric=tuple(self.symmetric), progress=tuple(self.progress),
            pid_addresses=tuple(self.slots[p.pc_slot].address for p in self.proc_instances)
            + tuple(() for _ in self.action_pids))


# Words of expressions and statements: a name spelt like one could not be
# used where it matters. Declaration words (map, set, lock, object, ...) may
# still name things, as the grammar never expects them where a name can go.
KEYWORDS = frozenset("""
    forall exists count for if then else and or not in notin true false none self variant bool
    either await choose where while goto done skip assert start emit foreach trylock might_sleep
    acquire acquire_bh acquire_irq release release_bh release_irq alloc get put free use
    assert_held assert_not_held
""".split())


def check_not_keyword(name: str, span) -> None:
    if name in KEYWORDS:
        raise err(D.DUPLICATE_NAME, f"`{name}` is a keyword and cannot name a declaration", span)


def _mentioned_names(node, out: set[str] | None = None) -> set[str]:
    """Every identifier used (not declared) anywhere in the AST."""
    import dataclasses
    out = set() if out is None else out
    if isinstance(node, A.Name):
        out.add(node.name)
    elif isinstance(node, A.Call):
        out.add(node.func)
    elif isinstance(node, A.NamedType):
        out.add(node.name)
    elif isinstance(node, A.Start):
        out.add(node.process)
    if dataclasses.is_dataclass(node):
        for f in dataclasses.fields(node):
            if f.name != "span":
                _mentioned_names(getattr(node, f.name), out)
    elif isinstance(node, (tuple, list)):
        for x in node:
            _mentioned_names(x, out)
    return out


def _substatements(st: A.Stmt):
    if isinstance(st, A.If):
        return (st.then, st.else_)
    if isinstance(st, A.Either):
        return st.branches
    if isinstance(st, A.TryLock):
        return (st.then, st.else_)
    return ()


def _all_steps(steps):
    for s in steps:
        yield s
        if isinstance(s, A.WhileStep):
            yield from _all_steps(s.body)
