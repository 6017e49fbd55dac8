"""The IR: a finite transition system over flat, typed state slots.

Lowering (`kspec.ir.lower`) turns a spec, a variant and constant values into
one `Model`: every variable, map entry, record field, process counter, lock
owner and object lifetime is a *slot* holding an integer (booleans are 0/1,
sets are bitmasks); every process step and action instance is a ground
`Transition` whose guard, blocking condition, updates and built-in checks are
expressions over the pre-state. Both engines implement exactly these nodes
(`match ... case _: assert_never`), so they cannot disagree on sugar.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from kspec.report.diagnostics import Span

# ---- slot sorts ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BoolSort:
    pass


@dataclass(frozen=True, slots=True)
class IntSort:
    """Integers lo..hi. `names`, when given, prints value v as names[v - lo]
    (enums, labels, process ids, `none`)."""

    lo: int
    hi: int
    names: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class SetSort:
    """Subsets of an element domain of `size` values, as a bitmask; element k
    is the domain value `lo + k`, printed as names[k] when given."""

    size: int
    lo: int = 0
    names: tuple[str, ...] | None = None


SlotSort = Union[BoolSort, IntSort, SetSort]

BOOL = BoolSort()


@dataclass(frozen=True, slots=True)
class Slot:
    """One component of the state vector. `group` is the source-level name it
    belongs to (variable, lock, process) for reports."""

    name: str
    sort: SlotSort
    group: str
    kind: str = "var"  # var | local | pc | lock | lockmode | alive | refs | ghost
    # for symmetry reduction: where the slot lives, with keys of symmetric sorts
    # written ("#", sort, value), and how its value refers to symmetric values:
    # ("value", sort) | ("option", sort) | ("set", sort) | ("pid",) | ()
    address: tuple = field(default=(), compare=False)
    sym: tuple = field(default=(), compare=False)


# ---- expressions -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Lit:
    value: int
    sort: SlotSort = field(default=IntSort(0, 0), compare=False)


@dataclass(frozen=True, slots=True)
class Var:
    slot: int


@dataclass(frozen=True, slots=True)
class Select:
    """options[index - offset]; an index outside the options is an error."""

    options: tuple["Expr", ...]
    index: "Expr"
    offset: int


@dataclass(frozen=True, slots=True)
class Not:
    arg: "Expr"


@dataclass(frozen=True, slots=True)
class And:
    args: tuple["Expr", ...]


@dataclass(frozen=True, slots=True)
class Or:
    args: tuple["Expr", ...]


@dataclass(frozen=True, slots=True)
class Ite:
    cond: "Expr"
    then: "Expr"
    else_: "Expr"


@dataclass(frozen=True, slots=True)
class Cmp:
    op: str  # == != < <=
    left: "Expr"
    right: "Expr"


@dataclass(frozen=True, slots=True)
class Arith:
    op: str  # + - * / %
    left: "Expr"
    right: "Expr"


@dataclass(frozen=True, slots=True)
class SetLit:
    """The set of the given element values (domain values, not bit indices)."""

    elems: tuple["Expr", ...]
    sort: SetSort


@dataclass(frozen=True, slots=True)
class Member:
    elem: "Expr"  # a domain value
    set: "Expr"
    sort: SetSort


@dataclass(frozen=True, slots=True)
class SetOp:
    op: str  # union | diff | inter
    left: "Expr"
    right: "Expr"
    sort: SetSort


@dataclass(frozen=True, slots=True)
class Size:
    set: "Expr"
    sort: SetSort


Expr = Union[Lit, Var, Select, Not, And, Or, Ite, Cmp, Arith, SetLit, Member, SetOp, Size]

TRUE = Lit(1, BOOL)
FALSE = Lit(0, BOOL)


# ---- transitions ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Check:
    """A built-in or user check on a transition: violated when the transition's
    guard holds in the pre-state and `bad` holds too (both over the pre-state).
    An `error` check marks an erroneous step (e.g. a value outside its range):
    when it fires the step is not taken, and the pre-state is not a deadlock."""

    prop: str
    bad: Expr
    message: str
    span: Span | None = field(default=None, compare=False)
    error: bool = False


@dataclass(frozen=True, slots=True)
class LockAttempt:
    """What lockdep sees when a transition attempts an acquisition: the target
    class, and for each lock instance the condition that it is held then."""

    when: Expr
    lock: str  # instance display name
    lock_class: str
    kind: str
    trylock: bool
    context: str  # process | softirq | hardirq
    softirq_off: Expr
    hardirq_off: Expr
    held: tuple[tuple[str, str, Expr], ...]  # (instance, class, held-condition)
    span: Span | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Blocker:
    """A lock acquisition that can block this transition (for deadlock reports)."""

    lock: str
    owner_slot: int


@dataclass(frozen=True, slots=True)
class EventOccurrence:
    """The observable event a transition performs: values of its arguments and
    result, as expressions over the pre-state."""

    name: str
    args: tuple[Expr, ...]
    result: Expr | None


@dataclass(frozen=True, slots=True)
class EventSig:
    """A declared observable event: argument names with their value sorts
    (for decoding trace files), and the result sort."""

    name: str
    params: tuple[tuple[str, SlotSort], ...]
    result: SlotSort | None
    doc: str = ""
    span: Span | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Transition:
    name: str  # "dma[0].B1" or "hw_complete(d=0)"
    actor: str  # process instance or action name: the interleaving column
    label: str | None  # step label (None for actions)
    pc: tuple[int, int] | None  # (slot, value) the step requires
    guard: Expr
    block: Expr
    updates: tuple[tuple[int, Expr], ...]
    checks: tuple[Check, ...] = ()
    lock_attempts: tuple[LockAttempt, ...] = ()
    blockers: tuple[Blocker, ...] = ()
    bindings: tuple[tuple[str, str], ...] = ()  # chosen values shown in traces
    span: Span | None = field(default=None, compare=False)
    doc: str = ""
    event: EventOccurrence | None = None


# ---- properties ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Conjunct:
    description: str  # e.g. "forall o in Obj: ... (o = 1)"
    expr: Expr


@dataclass(frozen=True, slots=True)
class StateProperty:
    """An invariant (every reachable state satisfies all conjuncts) or a
    witness (some reachable state satisfies the expression)."""

    name: str
    kind: str  # invariant | reachable
    conjuncts: tuple[Conjunct, ...]
    builtin: bool = False
    doc: str = ""
    span: Span | None = field(default=None, compare=False)

    @property
    def expr(self) -> Expr:
        return And(tuple(c.expr for c in self.conjuncts)) if len(self.conjuncts) != 1 else self.conjuncts[0].expr


@dataclass(frozen=True, slots=True)
class PropertyInfo:
    name: str
    kind: str  # invariant | reachable | check | deadlock | lockdep | progress
    builtin: bool
    doc: str = ""
    span: Span | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class ProcessInstance:
    name: str  # "dma[0]"
    process: str
    pc_slot: int
    labels: tuple[str, ...]  # pc value v < len(labels) is "at labels[v]"
    context: str

    @property
    def done_value(self) -> int:
        return len(self.labels)

    @property
    def idle_value(self) -> int:
        return len(self.labels) + 1


@dataclass(frozen=True, slots=True)
class LockInstance:
    name: str
    lock_class: str
    kind: str
    owner_slot: int


@dataclass(frozen=True, slots=True)
class ProgressInstance:
    """One ground instance of a progress property: whenever `pre`, then
    `post` now or later."""

    label: str  # "E_L2[c=0]", or the property's name without parameters
    pre: Expr
    post: Expr


@dataclass(frozen=True, slots=True)
class Progress:
    """A progress (leads-to) property under weak fairness of every process
    instance and every ground action; violated if one instance fails."""

    name: str
    instances: tuple[ProgressInstance, ...]
    pre_text: str = "P"  # source text, for reports
    post_text: str = "Q"
    doc: str = ""
    span: Span | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Model:
    spec_name: str
    variant: str | None
    constants: tuple[tuple[str, int], ...]
    slots: tuple[Slot, ...]
    init: tuple[int, ...]
    transitions: tuple[Transition, ...]
    state_properties: tuple[StateProperty, ...]
    properties: tuple[PropertyInfo, ...]
    processes: tuple[ProcessInstance, ...]
    locks: tuple[LockInstance, ...]
    pids: tuple[str, ...]  # owner id v is pids[v]; -1 is free
    file: str = ""
    doc: str = ""
    events: tuple[EventSig, ...] = ()
    symmetric: tuple[tuple[str, int], ...] = ()  # symmetric sorts and their sizes
    pid_addresses: tuple = ()  # per pid: the address of its pc slot (process) or () (action)
    progress: tuple[Progress, ...] = ()

    def property(self, name: str) -> PropertyInfo | None:
        return next((p for p in self.properties if p.name == name), None)
