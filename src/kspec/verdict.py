"""Verdicts: what kspec says about each property, engine-independent.

A `Verdict` never overclaims: `holds` only after a complete exhaustive search
(or `proved` by k-induction), `no violation up to depth k` for bounded search,
and `inconclusive` whenever a bound stopped the search first.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from kspec.report.trace import Trace

HOLDS = "holds"
VIOLATED = "violated"
REACHABLE = "reachable"
UNREACHABLE = "unreachable"
INCONCLUSIVE = "inconclusive"
BOUNDED = "bounded"      # no violation up to depth k (not a proof)
PROVED = "proved"
APPROXIMATE = "approximate"  # no violation found by an approximate (bitstate) search

EXPECTABLE = (HOLDS, VIOLATED, REACHABLE, UNREACHABLE)


@dataclass(frozen=True, slots=True)
class Verdict:
    prop: str
    kind: str  # invariant | reachable | check | deadlock | lockdep
    status: str
    engine: str = "explicit"
    length: int | None = None
    trace: Trace | None = None
    message: str = ""
    report: str = ""  # lockdep / deadlock / failing-conjunct narration
    extra_traces: tuple[tuple[str, Trace], ...] = ()
    states: int = 0
    depth: int | None = None
    reason: str = ""

    def summary(self) -> str:
        if self.status == HOLDS:
            return f"holds (exhaustive, {self.states:,} states)"
        if self.status == UNREACHABLE:
            return f"unreachable (exhaustive, {self.states:,} states)"
        if self.status in (VIOLATED, REACHABLE):
            return f"{self.status} (length {self.length})"
        if self.status == BOUNDED:
            if self.kind == "reachable":
                return f"not reached up to depth {self.depth} (bounded; not a proof)"
            return f"no violation up to depth {self.depth} (bounded; not a proof)"
        if self.status == PROVED:
            return f"proved {'unreachable ' if self.kind == 'reachable' else ''}({self.reason})"
        if self.status == APPROXIMATE:
            what = "not reached" if self.kind == "reachable" else "no violation found"
            return f"{what} ({self.reason}; not a proof)"
        return f"inconclusive ({self.reason})"


@dataclass(frozen=True, slots=True)
class Expectation:
    status: str
    length: int | None = None

    def matches(self, v: Verdict) -> bool | None:
        """True/False, or None when the verdict is inconclusive."""
        if v.status in (INCONCLUSIVE, APPROXIMATE):
            return None
        if v.status == BOUNDED:
            return None if self.status in (HOLDS, UNREACHABLE) else False
        status = v.status
        if status == PROVED:
            status = UNREACHABLE if v.kind == "reachable" else HOLDS
        if status != self.status:
            return False
        return self.length is None or self.length == v.length


@dataclass(slots=True)
class CheckResult:
    verdicts: list[Verdict]
    states: int
    transitions: int
    depth: int
    seconds: float
    complete: bool
    stop_reason: str
    unfired: list[str] = field(default_factory=list)
    engine: str = "explicit"
    symmetry: bool = False  # states are representatives of symmetry orbits
    caveat: str = ""  # what the state store may have missed (hash compaction, bitstate)
    workers: int = 1  # processes of the explicit search (kspec.explicit.parallel when > 1)

    def verdict(self, prop: str) -> Verdict | None:
        return next((v for v in self.verdicts if v.prop == prop), None)
