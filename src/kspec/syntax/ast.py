"""The abstract syntax tree of a kspec file: frozen dataclasses, one per
construct of grammar/kspec.lark. Spans are carried but excluded from equality,
so two parses of equivalent text compare equal. `kspec.syntax.build` produces
these nodes; `kspec.ir.lower` consumes them."""
from __future__ import annotations

from dataclasses import dataclass, field

from kspec.report.diagnostics import Span


def _span():
    return field(default=None, compare=False, repr=False)


# ---- types -------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class BoolType:
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class RangeType:
    lo: "Expr"
    hi: "Expr"
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class NamedType:
    name: str
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class SetType:
    elem: "Type"
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class MapType:
    key: "Type"
    value: "Type"
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class OptionType:
    inner: "Type"
    span: Span | None = _span()


Type = BoolType | RangeType | NamedType | SetType | MapType | OptionType


# ---- expressions -------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class IntLit:
    value: int
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class BoolLit:
    value: bool
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class NoneLit:
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class SelfRef:
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class VariantRef:
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Name:
    name: str
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class SetLit:
    items: tuple["Expr", ...]
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class RecordLit:
    fields: tuple[tuple[str, "Expr"], ...]
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Index:
    base: "Expr"
    index: "Expr"
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Field:
    base: "Expr"
    name: str
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Call:
    func: str
    args: tuple["Expr", ...]
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Unary:
    op: str  # "not" | "-"
    operand: "Expr"
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Binary:
    op: str  # and or => == != < <= > >= in notin + - * / % &
    left: "Expr"
    right: "Expr"
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Ite:
    cond: "Expr"
    then: "Expr"
    else_: "Expr"
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Binder:
    names: tuple[str, ...]
    domain: "Expr"  # a sort name, a range (as RangeExpr) or a set expression
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Quant:
    kind: str  # "forall" | "exists"
    binders: tuple[Binder, ...]
    body: "Expr"
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class SetComp:
    """{elem for name in domain if cond}"""

    elem: "Expr"
    name: str
    domain: "Expr"
    cond: "Expr | None"
    span: Span | None = _span()


Expr = (SetComp | IntLit | BoolLit | NoneLit | SelfRef | VariantRef | Name | SetLit | RecordLit
        | Index | Field | Call | Unary | Binary | Ite | Quant)


# ---- statements ----------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Assign:
    target: Expr
    value: Expr
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class If:
    cond: Expr
    then: tuple["Stmt", ...]
    else_: tuple["Stmt", ...]
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Either:
    branches: tuple[tuple["Stmt", ...], ...]
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Await:
    cond: Expr
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Choose:
    name: str
    domain: Expr
    where: Expr | None
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Primitive:
    """acquire, acquire_bh, release, release_bh, alloc, get, put, free, use,
    assert_held, assert_not_held (with an argument) and might_sleep (none)."""

    op: str
    arg: Expr | None
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class TryLock:
    lock: Expr
    then: tuple["Stmt", ...]
    else_: tuple["Stmt", ...]
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Goto:
    label: str
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Done:
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Skip:
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Assert:
    name: str
    cond: Expr
    message: str = ""  # set for checks that contracts insert; default "assertion `name` failed"
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Start:
    process: str
    index: Expr | None
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Emit:
    """Marks the step as the observable event `name(args) -> result`."""

    name: str
    args: tuple[Expr, ...]
    result: Expr | None
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Foreach:
    """foreach name in domain where cond { stmts }: the statements for every
    element (in order), within one step."""

    name: str
    domain: Expr
    where: Expr | None
    body: tuple["Stmt", ...]
    span: Span | None = _span()


Stmt = Foreach | Assign | If | Either | Await | Choose | Primitive | TryLock | Goto | Done | Skip | Assert | Start | Emit


@dataclass(frozen=True, slots=True)
class WhenTag:
    """`@when(c)`: what follows exists only when the constant expression c holds."""

    cond: Expr
    span: Span | None = _span()


Tag = str | WhenTag


# ---- process steps -------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Step:
    label: str
    tags: tuple[str, ...]
    body: tuple[Stmt, ...]
    doc: str = ""
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class WhileStep:
    label: str
    tags: tuple[str, ...]
    cond: Expr
    body: tuple["AnyStep", ...]
    doc: str = ""
    span: Span | None = _span()


AnyStep = Step | WhileStep


# ---- declarations --------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Param:
    name: str
    type: Type
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class ConstDecl:
    name: str
    value: Expr
    tags: tuple[str, ...] = ()
    doc: str = ""
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class VariantDecl:
    names: tuple[str, ...]
    tags: tuple[str, ...] = ()
    doc: str = ""
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class SortDecl:
    name: str
    type: Type
    symmetric: bool = False
    tags: tuple[str, ...] = ()
    doc: str = ""
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class EnumDecl:
    name: str
    members: tuple[str, ...]
    tags: tuple[str, ...] = ()
    doc: str = ""
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class RecordDecl:
    name: str
    fields: tuple[Param, ...]
    tags: tuple[str, ...] = ()
    doc: str = ""
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class VarDecl:
    name: str
    type: Type
    init: Expr
    tags: tuple[str, ...] = ()
    doc: str = ""
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class LockDecl:
    name: str
    index: Type | None
    kind: str
    lock_class: str | None
    tags: tuple[str, ...] = ()
    doc: str = ""
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class ObjectDecl:
    name: str
    param: Param
    settings: tuple[tuple[str, Expr], ...]
    tags: tuple[str, ...] = ()
    doc: str = ""
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class DefineDecl:
    name: str
    params: tuple[Param, ...]
    body: Expr
    tags: tuple[str, ...] = ()
    doc: str = ""
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class ProcessDecl:
    name: str
    index: Param | None
    context: str
    idle: bool
    locals: tuple[VarDecl, ...]
    steps: tuple[AnyStep, ...]
    tags: tuple[str, ...] = ()
    doc: str = ""
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class ActionDecl:
    name: str
    params: tuple[Param, ...]
    context: str
    guard: Expr | None
    body: tuple[Stmt, ...]
    tags: tuple[str, ...] = ()
    doc: str = ""
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class PropertyDecl:
    kind: str  # "invariant" | "reachable"
    name: str
    expr: Expr
    tags: tuple[str, ...] = ()
    doc: str = ""
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class EventDecl:
    name: str
    params: tuple[Param, ...]
    result: Type | None
    tags: tuple[str, ...] = ()
    doc: str = ""
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Occurrence:
    """Something that happens in one step, named in a contract: the event or
    action `name(args)` (an argument `_` matches anything) when `label` is
    None, else step `label` of process instance `name[index]`."""

    name: str
    args: tuple[Expr, ...] = ()
    index: Expr | None = None
    label: str | None = None
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class ContractDecl:
    """`contract NAME[params]: PATTERN SCOPE`: a safety pattern of Dwyer et
    al. over occurrences, per instance of the parameters. `pattern` is
    "never" (any of `events` is forbidden while the scope is open), "always"
    (`expr` holds while it is open) or "at_most" (at most `bound` of `events`
    per opening). `scope` is "globally", "before" (open until one of `close`
    first happens), "after" (open from one of `open` on) or "after_until"
    (opened by `open`, closed by `close`, any number of times)."""

    name: str
    params: tuple[Param, ...]
    pattern: str
    events: tuple[Occurrence, ...]
    expr: Expr | None
    bound: int
    scope: str
    open: tuple[Occurrence, ...] = ()
    close: tuple[Occurrence, ...] = ()
    tags: tuple[str, ...] = ()
    doc: str = ""
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class ProgressDecl:
    """`progress NAME[params]: P ~> Q`: for every instance of the parameters,
    whenever P holds, Q holds then or later (TLA's leads-to) in every weakly
    fair execution."""

    name: str
    params: tuple[Param, ...]
    pre: Expr
    post: Expr
    tags: tuple[str, ...] = ()
    doc: str = ""
    span: Span | None = _span()


Decl = (EventDecl | ContractDecl | ProgressDecl | ConstDecl | VariantDecl | SortDecl | EnumDecl | RecordDecl | VarDecl | LockDecl
        | ObjectDecl | DefineDecl | ProcessDecl | ActionDecl | PropertyDecl)


@dataclass(frozen=True, slots=True)
class Spec:
    name: str
    decls: tuple[Decl, ...]
    doc: str = ""
    file: str = ""
