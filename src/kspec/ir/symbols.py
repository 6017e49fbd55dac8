"""Symbol tables built by lowering: what each declared name stands for once a
variant and the constants are fixed, and where it lives in the state vector."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from kspec.ir import nodes as N
from kspec.ir.types import TType, domain
from kspec.syntax import ast as A


@dataclass(frozen=True, slots=True)
class SlotPlace:
    slot: int
    type: TType


@dataclass(frozen=True, slots=True)
class MapPlace:
    type: TType  # TMap
    elems: tuple["Place", ...]


@dataclass(frozen=True, slots=True)
class RecPlace:
    type: TType  # TRecord
    fields: tuple["Place", ...]


Place = Union[SlotPlace, MapPlace, RecPlace]


@dataclass(slots=True)
class LockInfo:
    decl: A.LockDecl
    index_type: TType | None
    instances: list[int]  # indexes into Lowerer.lock_instances, in key-domain order
    used: bool = False

    def keys(self) -> list[int]:
        return domain(self.index_type) if self.index_type is not None else [0]


@dataclass(slots=True)
class ObjectInfo:
    decl: A.ObjectDecl
    index_type: TType
    style: str  # counter | kref | none
    initial_live: bool
    max_refs: int
    alive_slots: list[int]
    refs_slots: list[int]
    reachable: A.Expr | None
    used: bool = False

    @property
    def base(self) -> int:
        return 1 if self.style == "kref" else 0


@dataclass(slots=True)
class StepInfo:
    label: str
    step: A.Step | A.WhileStep
    index: int  # pc value
    fallthrough: int  # pc value after the step (done_value when it falls off the end)
    loop_exit: int = -1  # for while steps: pc value past the loop
    loop_body: int = -1  # for while steps: pc value of the first inner step (or the head itself)


@dataclass(slots=True)
class ProcessInfo:
    decl: A.ProcessDecl
    index_type: TType | None
    steps: list[StepInfo]
    instances: list[int] = field(default_factory=list)  # indexes into Lowerer.proc_instances
    locals: dict[str, list[Place]] = field(default_factory=dict)  # name -> place per instance
    used: bool = False

    def keys(self) -> list[int]:
        return domain(self.index_type) if self.index_type is not None else [0]

    def label_index(self, label: str) -> int | None:
        return next((s.index for s in self.steps if s.label == label), None)

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(s.label for s in self.steps)


@dataclass(frozen=True, slots=True)
class LockRef:
    info: LockInfo
    options: tuple[tuple[N.Expr, int], ...]  # (condition, lock instance index)
    outside: N.Expr = N.FALSE  # the index is outside the lock's index sort (e.g. `none`)


@dataclass(frozen=True, slots=True)
class ObjRef:
    info: ObjectInfo
    options: tuple[tuple[N.Expr, int], ...]  # (condition, position in key domain)
    outside: N.Expr = N.FALSE
    index: N.Expr | None = None  # the dynamic index, if any


@dataclass(frozen=True, slots=True)
class ProcRef:
    info: ProcessInfo
    options: tuple[tuple[N.Expr, int], ...]  # (condition, process instance index)
    outside: N.Expr = N.FALSE


Ref = Union[LockRef, ObjRef, ProcRef]
