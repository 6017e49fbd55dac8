"""Trace files -> streams of observed events, each with its file position.

JSON Lines: one event per line, `{"thread": ..., "event": ..., "args": {...},
"result": ..., "ts": ...}`; only `event` is required; blank lines are
allowed; anything else (a field kspec does not know, a line that is not a
JSON object) is a KS4003 error at that line. The file is read one line at a
time, so a trace of any length streams in constant memory.

ITF (`.itf.json`, as written by Apalache, Quint and kspec): each state after
the first is one event, named by `#meta.action` (or Quint's
`mbt::actionTaken`), with arguments from `#meta.args` (or `mbt::nondetPicks`),
and optional `#meta.thread`, `#meta.result`, `#meta.ts`. State variables are
not compared (that is `kspec replay`). ITF is one JSON document; a truncated
file is a KS4003 error at the point where it stops.
"""
from __future__ import annotations

import json
import re
from typing import Any, Iterator, NamedTuple

from kspec.oracle.values import NOT_GIVEN
from kspec.report import diagnostics as D
from kspec.report.diagnostics import Diagnostic, Span, did_you_mean

FIELDS = ("thread", "event", "args", "result", "ts")
_FIELDS = frozenset(FIELDS)
_NO_ARGS: dict = {}


class TraceEvent(NamedTuple):
    event: str
    thread: str | None
    args: dict
    result: Any  # NOT_GIVEN when absent
    ts: Any
    where: Span


class TraceError(Exception):
    def __init__(self, diagnostic: Diagnostic):
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


def _bad(message: str, where: Span, hint: str | None = None) -> TraceError:
    return TraceError(D.diag(D.CONFORMANCE_BAD_TRACE, message, where, hint=hint))


def is_itf(path: str) -> bool:
    return path.endswith(".json") and not path.endswith(".jsonl")


def read_trace(path: str) -> Iterator[TraceEvent]:
    return read_itf(path) if is_itf(path) else read_jsonl(path)


# ---- JSON Lines ------------------------------------------------------------------
def read_jsonl(path: str) -> Iterator[TraceEvent]:
    try:
        f = open(path, encoding="utf-8")
    except OSError as e:
        raise TraceError(D.diag(D.FILE_UNREADABLE, f"cannot read `{path}`: {e.strerror}", Span(path, 1, 1)))
    with f:
        lineno = 0
        try:
            for lineno, line in enumerate(f, 1):
                if line.strip():
                    yield parse_line(line, path, lineno)
        except UnicodeDecodeError as e:
            raise _bad(f"not UTF-8 text: {e.reason}", Span(path, lineno + 1, 1)) from None


def parse_line(line: str, path: str, lineno: int) -> TraceEvent:
    try:
        obj = json.loads(line.rstrip("\r\n"))
    except json.JSONDecodeError as e:
        raise _bad(f"not valid JSON: {e.msg}", Span(path, lineno, e.colno)) from None
    if not isinstance(obj, dict):
        raise _bad(f"an event is a JSON object, got {type(obj).__name__}", Span(path, lineno, 1),
                   hint='e.g. {"thread": "client", "event": "submit", "args": {}}')
    return event_from(obj, path, lineno, line)


def _col(line: str, key: str) -> int:
    k = line.find(f'"{key}"')
    return k + 1 if k >= 0 else 1


def event_from(obj: dict, path: str, lineno: int, line: str = "") -> TraceEvent:
    name, thread, args, ts = obj.get("event"), obj.get("thread"), obj.get("args", _NO_ARGS), obj.get("ts")
    if type(name) is str and name and (thread is None or type(thread) is str) and type(args) is dict and \
            (ts is None or type(ts) in (int, float, str)) and _FIELDS.issuperset(obj):  # the well-formed case
        result = obj.get("result", NOT_GIVEN)
        return TraceEvent(name, thread, args, "none" if result is None else result, ts, Span(path, lineno, 1))
    return _checked(obj, path, lineno, line)


def _checked(obj: dict, path: str, lineno: int, line: str) -> TraceEvent:
    """Say what is wrong with an event object (or build it, when nothing is)."""
    for k in obj:
        if k not in FIELDS:
            raise _bad(f"unknown field `{k}` in an event", Span(path, lineno, _col(line, k)),
                       hint=did_you_mean(k, FIELDS) or "fields: " + ", ".join(FIELDS))
    name = obj.get("event")
    if not isinstance(name, str) or not name:
        raise _bad("an event needs an `event` field with the event's name" if name is None else
                   f"`event` must be a name (a string), got {json.dumps(name)}",
                   Span(path, lineno, _col(line, "event")))
    thread = obj.get("thread")
    if thread is not None and not isinstance(thread, (str, int)):
        raise _bad(f"`thread` must be a string, got {json.dumps(thread)}", Span(path, lineno, _col(line, "thread")))
    args = obj.get("args", {})
    if not isinstance(args, dict):
        raise _bad(f"`args` must be an object of named arguments, got {json.dumps(args)}",
                   Span(path, lineno, _col(line, "args")))
    ts = obj.get("ts")
    if ts is not None and not isinstance(ts, (int, float, str)):
        raise _bad(f"`ts` must be a number or a string, got {json.dumps(ts)}", Span(path, lineno, _col(line, "ts")))
    result = obj["result"] if "result" in obj else NOT_GIVEN
    if result is None:
        result = "none"
    return TraceEvent(name, None if thread is None else str(thread), args, result, ts, Span(path, lineno, 1))


# ---- ITF -----------------------------------------------------------------------------
def read_itf(path: str) -> Iterator[TraceEvent]:
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise TraceError(D.diag(D.FILE_UNREADABLE, f"cannot read `{path}`: {e.strerror}", Span(path, 1, 1)))
    except UnicodeDecodeError as e:
        raise _bad(f"not UTF-8 text: {e.reason}", Span(path, 1, 1)) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        truncated = not text.rstrip().endswith("}")
        raise _bad(f"not valid JSON: {e.msg}" + ("; the file ends early (truncated ITF?)" if truncated else ""),
                   Span(path, e.lineno, e.colno)) from None
    if not isinstance(data, dict) or not isinstance(data.get("states"), list):
        raise _bad("an ITF trace is an object with a `states` list", Span(path, 1, 1))
    lines = _state_lines(text, len(data["states"]))
    for k, st in enumerate(data["states"]):
        where = Span(path, lines[k] if k < len(lines) else 1, 1)
        ev = _itf_event(st, k, where)
        if ev is not None:
            yield ev


def _itf_event(st: Any, k: int, where: Span) -> TraceEvent | None:
    if not isinstance(st, dict):
        raise _bad(f"state {k} is not an object", where)
    meta = st.get("#meta") if isinstance(st.get("#meta"), dict) else {}
    action = meta.get("action", st.get("mbt::actionTaken"))
    if k == 0 and action in (None, "init", "step", "") or action == "init":
        return None  # the initial state carries no event
    if not isinstance(action, str) or not action:
        raise _bad(f"state {k} names no event (`#meta.action` or `mbt::actionTaken`)", where)
    raw_args = meta.get("args", st.get("mbt::nondetPicks", {}))
    if not isinstance(raw_args, dict):
        raise _bad(f"state {k}: the event's arguments must be an object", where)
    args = {name: itf_value(v, where) for name, v in raw_args.items()}
    result = itf_value(meta["result"], where) if "result" in meta else NOT_GIVEN
    if result is None:
        result = "none"
    thread = meta.get("thread")
    return TraceEvent(action, None if thread is None else str(thread), args, result, meta.get("ts"), where)


def itf_value(v: Any, where: Span) -> Any:
    """ITF/Quint values -> plain values: {"#bigint": "3"} -> 3; Quint options
    {"tag": "Some", "value": x} -> x and {"tag": "None"} -> None."""
    if isinstance(v, dict):
        if "#bigint" in v:
            try:
                return int(v["#bigint"])
            except (TypeError, ValueError):
                raise _bad(f"bad #bigint {json.dumps(v)}", where) from None
        if v.get("tag") == "Some" and "value" in v:
            return itf_value(v["value"], where)
        if v.get("tag") == "None":
            return None
        raise _bad(f"unsupported ITF value {json.dumps(v)[:60]} for an event argument", where)
    return v


_STATES = re.compile(r'"states"\s*:\s*\[')


def _state_lines(text: str, n: int) -> list[int]:
    """The line on which each element of the `states` array starts (best effort)."""
    m = _STATES.search(text)
    if m is None:
        return []
    dec = json.JSONDecoder()
    pos, line, last, out = m.end(), 1, 0, []
    for _ in range(n):
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        line += text.count("\n", last, pos)
        out.append(line)
        last = pos
        try:
            _, pos = dec.raw_decode(text, pos)
        except json.JSONDecodeError:
            break
    return out
