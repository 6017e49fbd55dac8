"""Diagnostics: the registry of codes and the records every phase returns.

A phase never raises on bad user input; it returns `Diagnostic` records that
carry a registered code (``KS0xxx`` syntax, ``KS1xxx`` names and sorts,
``KS2xxx`` well-formedness, ``KS3xxx`` verdicts, ``KS4xxx`` conformance,
``KS5xxx`` model files and command lines, ``KS9xxx`` internal errors), a span
and optional notes and a hint. Rendering lives in `kspec.report.render`.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from enum import Enum
from typing import Iterable


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True, slots=True)
class Span:
    """A region of a source file; lines and columns are 1-based."""

    file: str
    line: int
    col: int
    end_line: int = 0
    end_col: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True, slots=True)
class Code:
    code: str
    title: str
    explanation: str


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    message: str
    span: Span | None = None
    severity: Severity = Severity.ERROR
    notes: tuple[str, ...] = ()
    hint: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


class KspecError(Exception):
    """Raised inside a phase to abort it with diagnostics; caught at the phase
    boundary and turned into data (never escapes the library)."""

    def __init__(self, *diagnostics: Diagnostic):
        super().__init__("; ".join(d.message for d in diagnostics))
        self.diagnostics = diagnostics


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """A "did you mean" hint for a misspelt name, or None."""
    close = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return f"did you mean `{close[0]}`?" if close else None


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.is_error for d in diagnostics)


REGISTRY: dict[str, Code] = {}


def _register(code: str, title: str, explanation: str) -> str:
    assert code not in REGISTRY, code
    REGISTRY[code] = Code(code, title, explanation.strip())
    return code


# ---- KS0xxx: syntax --------------------------------------------------------
SYNTAX_UNEXPECTED_TOKEN = _register("KS0001", "unexpected token", """
The parser met a token that cannot continue the construct it was reading. The
message lists, in words, what could have come instead.""")
SYNTAX_UNEXPECTED_CHAR = _register("KS0002", "unexpected character", """
The text contains a character that starts no token of the language (for
example `$`, or a single `=` where `==` or `:=` was meant).""")
SYNTAX_UNEXPECTED_EOF = _register("KS0003", "unexpected end of file", """
The file ended in the middle of a construct, usually a missing `}` or `;`.""")
SYNTAX_BAD_LABEL = _register("KS0004", "malformed step", """
A process step must start with a label (`NAME:`). Statements outside a labelled
step, or a label used where an expression was expected, are rejected.""")
FILE_UNREADABLE = _register("KS0005", "cannot read file", """
The file does not exist, is not readable, or is not UTF-8 text.""")

# ---- KS1xxx: names and sorts ----------------------------------------------
UNKNOWN_NAME = _register("KS1001", "unknown name", """
A name is used that no declaration, parameter, quantifier or `choose` binds in
this scope. The hint suggests the closest declared name.""")
DUPLICATE_NAME = _register("KS1002", "duplicate definition", """
Two declarations (or two steps of one process, two parameters, two fields)
have the same name. Names share one global namespace per kind.""")
SORT_MISMATCH = _register("KS1003", "sort mismatch", """
An expression has a different type from the one its position requires, e.g.
an integer where a boolean is expected, or a value of one enum compared with
another.""")
NOT_A_TYPE = _register("KS1004", "not a type", """
A name used as a type is not a sort, enum or record.""")
INFINITE_SORT = _register("KS1005", "sort is not finite", """
Sets, map keys, quantifiers, parameters and process indices need a finite
sort: a range `a..b`, an enum, a named sort or `bool`.""")
BAD_CALL = _register("KS1006", "bad call", """
A function is called with the wrong number or kind of arguments, or a name
that is not a function is called.""")
UNKNOWN_FIELD = _register("KS1007", "unknown field", """
A record has no field of that name.""")
UNKNOWN_VARIANT = _register("KS1008", "unknown variant", """
A tag `@name`, a `variant == name` test or a model file names a variant the
spec does not declare.""")
UNKNOWN_LABEL = _register("KS1009", "unknown label", """
`goto L` or `at(p[i], L)` names a step that the process does not have.""")
NOT_A_LOCK = _register("KS1010", "not a lock", """
`acquire`, `release`, `trylock`, `held` and the lockdep assertions take a
declared lock (indexed if it is declared with an index sort).""")
NOT_AN_OBJECT = _register("KS1011", "not an object", """
`alloc`, `get`, `put`, `free`, `use`, `alive` and `refs` take an element of a
declared `object` family, e.g. `map_obj[o]`.""")
NOT_A_PROCESS = _register("KS1012", "not a process", """
`start`, `at`, `running`, `finished` and `idle` take a declared process
instance, e.g. `tasklet[c]`.""")
BAD_CONSTANT = _register("KS1013", "bad constant", """
A constant must evaluate, without any state, to an integer or a boolean. A
constant overridden from a model file or `--const` must be declared in the
spec and given an integer or boolean value.""")
UNKNOWN_SETTING = _register("KS1014", "unknown setting", """
An object declaration has a setting kspec does not know, or a value it does
not accept (`refcount: counter | kref | none`, `initial: live | absent`,
`reachable: <expr>`, `max_refs: <int>`).""")
UNKNOWN_LOCK_KIND = _register("KS1015", "unknown lock kind", """
Locks are `mutex`, `spinlock` or `ww_mutex`.""")
UNKNOWN_CONTEXT = _register("KS1016", "unknown context", """
Execution contexts are `process`, `softirq` and `hardirq`.""")
INDEX_ARITY = _register("KS1017", "wrong indexing", """
An indexed lock, object or process is used without its index, or an
unindexed one with an index.""")

# ---- KS2xxx: well-formedness ----------------------------------------------
ASSIGN_TO_CONSTANT = _register("KS2001", "assignment to a non-variable", """
Only state variables, process locals and their map entries and record fields
can be assigned. Constants, parameters, quantified and chosen names cannot.""")
STATE_IN_CONSTANT = _register("KS2002", "state in a constant expression", """
A constant, a type bound or an initial value refers to state.""")
UNREACHABLE_STEP = _register("KS2003", "unreachable step", """
No control path reaches this step: the previous step always jumps away and no
`goto` names it.""")
UNUSED_DECLARATION = _register("KS2004", "unused declaration", """
A constant, variable, lock, object, define or sort is declared but never used.
This is a warning.""")
EMPTY_SORT = _register("KS2005", "empty sort", """
A range `a..b` with `b < a`, or an enum with no constants: quantifiers and
processes over it would be vacuous.""")
BAD_INITIAL = _register("KS2006", "bad initial value", """
An initial value does not fit the declared type or range.""")
STATEMENT_NOT_ALLOWED = _register("KS2007", "statement not allowed here", """
`goto`, `done` and process-control statements are only meaningful inside a
process step; `goto` must name a step of the same process.""")
EMPTY_PROCESS = _register("KS2008", "process without steps", """
A process must have at least one labelled step.""")
NO_VARIANTS = _register("KS2009", "tags without variants", """
A tag `@name` or a `variant` test is used in a spec that declares no
`variant`.""")
SPEC_TOO_LARGE = _register("KS2010", "spec too large", """
The spec expands to more process instances, action instances or state slots
than kspec accepts (a constant is probably much larger than intended).""")
RECURSIVE_DEFINE = _register("KS2011", "recursive define", """
A `define` refers to itself, directly or through other defines.""")

SYMMETRY_BROKEN = _register("KS2012", "symmetry broken", """
A sort is declared `symmetric`, but the initial state is not invariant under
permutations of its values (for example one thread starts differently), so
symmetry reduction would be unsound. Remove `symmetric`, make the initial
state uniform, or check with `--no-symmetry`.""")

# ---- KS3xxx: property verdicts ---------------------------------------------
INVARIANT_VIOLATED = _register("KS3001", "invariant violated", """
A reachable state falsifies a user invariant. The report gives the shortest
trace and the conjunct or quantifier instance that failed.""")
BUILTIN_VIOLATED = _register("KS3002", "built-in check violated", """
A built-in lock, context, refcount or object-lifetime check fails on the last
step of the trace.""")
DEADLOCK_FOUND = _register("KS3003", "deadlock", """
A reachable state where no step can be taken while some process has not
finished. For locks, the report shows who waits for whom.""")
LOCKDEP_REPORT = _register("KS3004", "lockdep report", """
The lock-class dependency graph accumulated over every explored transition has
a cycle, or a class is used inconsistently with interrupts.""")
WITNESS_UNREACHABLE = _register("KS3005", "witness unreachable", """
A `reachable` property was not reached: the spec (in this variant) may be
vacuous, or a design indeed forbids the behaviour.""")
VERDICT_MISMATCH = _register("KS3006", "verdict differs from expectation", """
The verdict of a property is not the one its model file expects.""")
INCONCLUSIVE = _register("KS3007", "inconclusive", """
A bound (states, depth, time) stopped the search before it was complete, or
the search was interrupted. Nothing is claimed to hold.""")
UNFIRED_ACTION = _register("KS3008", "step never fired", """
A step or action was never taken in the explored state space: it may be dead
code in the spec. This is a warning.""")

# ---- KS4xxx: conformance -----------------------------------------------
CONFORMANCE_REJECTED = _register("KS4001", "event not allowed", """
An observed event is not allowed by the spec in any state consistent with the
events observed before it.""")
CONFORMANCE_UNKNOWN_EVENT = _register("KS4002", "unknown event", """
A trace names an event the spec does not declare as observable.""")
CONFORMANCE_BAD_TRACE = _register("KS4003", "malformed trace", """
A trace file line is not valid JSON, or lacks a required field.""")
CONFORMANCE_NOT_QUIESCENT = _register("KS4004", "not quiescent", """
At the end of a trace, the model still holds locks, references or unfinished
processes in every consistent state.""")
CONFORMANCE_BAD_ARGS = _register("KS4005", "bad event arguments", """
An observed event gives arguments the event declaration does not have, lacks
one it has, gives a value outside an argument's sort (or of the wrong kind),
gives a result to an event without one, or names a thread that is no process
or action of the spec.""")
CONFORMANCE_VIOLATION = _register("KS4006", "observed step violates a property", """
The observed event is a step of the spec, but in every state consistent with
the events before it, taking that step violates a property (a built-in check
such as use_after_free, an assertion, or an invariant): the implementation did
something the contract forbids.""")
CONFORMANCE_BOUND = _register("KS4007", "hidden-step bound reached", """
The states reachable by hidden (unobserved) steps between two observed events
exceed the oracle's bound (`hidden_steps` steps or `max_candidates` states),
so the set of consistent states would be incomplete. Nothing is claimed; raise
the bound (`--hidden-steps`, `hidden_steps=`) or observe more events.""")

# ---- KS5xxx: model files and command lines ---------------------------------
MODEL_BAD_TOML = _register("KS5001", "malformed model file", """
The model file is not valid TOML.""")
MODEL_BAD_FIELD = _register("KS5002", "bad model-file field", """
A model-file field is unknown or has a value of the wrong kind.""")
MODEL_UNKNOWN_PROPERTY = _register("KS5003", "unknown property", """
A model file or `--property` names a property that the spec does not have (in
the selected variant).""")
USAGE_ERROR = _register("KS5004", "usage error", """
The command line is not valid: unknown option, missing argument, or a value of
the wrong form.""")
NO_MODELS = _register("KS5005", "no model files", """
A directory given to `kspec check` holds no `*.toml` model file.""")
OPTIONS_CONFLICT = _register("KS5006", "options that do not go together", """
Two settings of a run cannot be used together. `--workers N` (N > 1, or the
model file's `workers`) with `--store bitstate` is refused: the parallel
search keeps an exact or hash-compacted store in each worker process (use
`--store compact` for less memory per state, or one worker). As a note:
`--workers` is ignored by the Z3 engine (`--engine bmc`), which runs in one
process.""")

# ---- KS9xxx: internal --------------------------------------------------
INTERNAL_ERROR = _register("KS9001", "internal error", """
kspec itself failed. Please report it with the spec and the command line.""")
ENGINE_DISAGREEMENT = _register("KS9002", "engines disagree", """
A counterexample found by the symbolic engine does not replay on the explicit
engine (or the reverse). This is a kspec bug, never a verdict.""")


def diag(code: str, message: str, span: Span | None = None, *, hint: str | None = None,
         notes: Iterable[str] = (), severity: Severity = Severity.ERROR) -> Diagnostic:
    assert code in REGISTRY, code
    return Diagnostic(code, message, span, severity, tuple(notes), hint)


@dataclass(slots=True)
class DiagnosticSink:
    """Collects diagnostics during a phase."""

    items: list[Diagnostic] = field(default_factory=list)

    def error(self, code: str, message: str, span: Span | None = None, **kw) -> None:
        self.items.append(diag(code, message, span, **kw))

    def warning(self, code: str, message: str, span: Span | None = None, **kw) -> None:
        self.items.append(diag(code, message, span, severity=Severity.WARNING, **kw))

    @property
    def has_errors(self) -> bool:
        return has_errors(self.items)
