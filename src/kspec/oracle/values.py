"""Observed event values <-> slot integers, per declared event signature.

An implementation reports events with Python (or JSON) values: integers,
booleans, enum constants by name (a string, or a Python `enum` member whose
`.name` is the constant), `None` for `none`. `EventCodec` turns the arguments
and result of one event into the tuple of slot integers the compiled model
computes (`encode`), and back for reports (`decode`). Every mismatch -- an
unknown or missing argument, a value outside the sort -- is a `ValueProblem`
with a message in words; nothing is coerced silently.
"""
from __future__ import annotations

import enum
from typing import Any

from kspec.ir import nodes as N
from kspec.report.diagnostics import did_you_mean

class _NotGiven:
    __slots__ = ()

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN = _NotGiven()  # result not observed: any result matches


class ValueProblem(Exception):
    """An observed value or argument list does not fit the event declaration."""

    def __init__(self, message: str, hint: str | None = None, field: str | None = None):
        super().__init__(message)
        self.hint = hint
        self.field = field  # "args", "result" or an argument name, to locate it in a trace line


def sort_text(sort: N.SlotSort) -> str:
    if isinstance(sort, N.BoolSort):
        return "bool"
    if isinstance(sort, N.SetSort):
        return "set"
    if sort.names is not None:
        shown = ", ".join(sort.names[:8]) + (", ..." if len(sort.names) > 8 else "")
        return "{" + shown + "}"
    return f"{sort.lo}..{sort.hi}"


def _as_name(v: Any) -> str | None:
    if v is None:
        return "none"
    if isinstance(v, enum.Enum):
        return v.name
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(int(v))
    if isinstance(v, str):
        return v
    return None


def encode_value(sort: N.SlotSort, v: Any, what: str) -> int:
    """The slot integer of observed value `v` for a value of `sort`."""
    if isinstance(sort, N.BoolSort):
        if isinstance(v, bool) or v in (0, 1) and type(v) is int:
            return int(v)
        raise ValueProblem(f"{what} must be a boolean, got {v!r}")
    if isinstance(sort, N.SetSort):
        raise ValueProblem(f"{what}: set-valued event values are not supported")
    if sort.names is not None:
        name = _as_name(v)
        if name is not None and name in sort.names:
            return sort.lo + sort.names.index(name)
        raise ValueProblem(f"{what} must be one of {sort_text(sort)}, got {v!r}",
                           hint=did_you_mean(str(name), sort.names) if isinstance(v, str) else None)
    if isinstance(v, int) and not isinstance(v, (bool, enum.Enum)):
        if sort.lo <= v <= sort.hi:
            return int(v)
        raise ValueProblem(f"{what} = {v} is outside {sort.lo}..{sort.hi}")
    raise ValueProblem(f"{what} must be an integer in {sort.lo}..{sort.hi}, got {v!r}")


def decode_value(sort: N.SlotSort, k: int) -> Any:
    """The Python value shown for slot integer `k` (names as strings)."""
    if isinstance(sort, N.BoolSort):
        return bool(k)
    if isinstance(sort, N.SetSort) or sort.names is None:
        return k
    i = k - sort.lo
    if not 0 <= i < len(sort.names):
        return k
    name = sort.names[i]
    if name == "none":
        return None
    return int(name) if name.lstrip("-").isdigit() else name


def plain(v: Any) -> Any:
    """A JSON-friendly form of an observed value as given (enum members by name)."""
    if isinstance(v, enum.Enum):
        return v.name
    if v is NOT_GIVEN or v is None or isinstance(v, (bool, int, float, str)):
        return v
    return repr(v)


def show(v: Any) -> str:
    if v is None:
        return "none"
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


class EventCodec:
    """One declared event: argument names and sorts, result sort."""

    __slots__ = ("sig", "name", "params", "names", "result_sort", "_fast")

    def __init__(self, sig: N.EventSig):
        self.sig = sig
        self.name = sig.name
        self.params = sig.params
        self.names = tuple(p for p, _ in sig.params)
        self.result_sort = sig.result
        # plain integer ranges take a fast path (no names to look up)
        self._fast = tuple((p, s.lo, s.hi) if isinstance(s, N.IntSort) and s.names is None else (p, None, None)
                           for p, s in sig.params)

    def encode_args(self, args: dict) -> tuple:
        if len(args) == len(self._fast):
            out = []
            for p, lo, hi in self._fast:
                v = args.get(p, NOT_GIVEN)
                if lo is not None and type(v) is int and lo <= v <= hi:
                    out.append(v)
                else:
                    break
            else:
                return tuple(out)
        return self._encode_slow(args)

    def _encode_slow(self, args: dict) -> tuple:
        for a in args:
            if a not in self.names:
                raise ValueProblem(f"event `{self.name}` has no argument `{a}`" + self._takes(),
                                   hint=did_you_mean(a, self.names), field=a)
        out = []
        for p, sort in self.params:
            if p not in args:
                raise ValueProblem(f"event `{self.name}` needs argument `{p}`" + self._takes(), field="args")
            out.append(encode_value(sort, args[p], f"argument `{p}` of `{self.name}`"))
        return tuple(out)

    def _takes(self) -> str:
        if not self.params:
            return " (it takes no arguments)"
        return " (it takes " + ", ".join(f"{p}: {sort_text(s)}" for p, s in self.params) + ")"

    def encode_result(self, result: Any) -> Any:
        if result is NOT_GIVEN:
            return NOT_GIVEN
        if self.result_sort is None:
            raise ValueProblem(f"event `{self.name}` has no result, but {result!r} was observed", field="result")
        return encode_value(self.result_sort, result, f"the result of `{self.name}`")

    def decode_args(self, codes: tuple) -> dict:
        return {p: decode_value(s, k) for (p, s), k in zip(self.params, codes)}

    def decode_result(self, code: Any) -> Any:
        if code is NOT_GIVEN or self.result_sort is None:
            return NOT_GIVEN
        return decode_value(self.result_sort, code)

    def text(self, codes: tuple, result: Any = NOT_GIVEN) -> str:
        """`unmap(o=0) -> EBUSY`"""
        args = ", ".join(f"{p}={show(v)}" for p, v in self.decode_args(codes).items())
        r = self.decode_result(result)
        return f"{self.name}({args})" + ("" if r is NOT_GIVEN else f" -> {show(r)}")
