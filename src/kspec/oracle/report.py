"""Observed events and the texts a failed observation is reported with.

`Observed` is one event as the implementation reported it (canonical values,
decoded from the slot integers the oracle matched). `interleaving` renders the
observed events as the two-column table kernel developers write on mailing
lists, one column per thread, the rejected event last and marked. `observed_json`
gives the JSON Lines form that `kspec conform` reads back.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Iterable

from kspec.oracle.values import NOT_GIVEN, EventCodec, show
from kspec.report.diagnostics import Span


@dataclass(frozen=True, slots=True)
class Observed:
    index: int  # 1-based position in the observed sequence
    event: str
    thread: str | None  # as observed; None when not given
    args: dict
    result: object  # NOT_GIVEN when not observed
    actor: str | None = None  # the spec's actor that took it, when all explanations agree
    ts: object = None
    where: Span | None = None

    @property
    def column(self) -> str:
        return self.thread or self.actor or "?"

    def text(self) -> str:
        args = ", ".join(f"{k}={show(v)}" for k, v in self.args.items())
        r = "" if self.result is NOT_GIVEN else f" -> {show(self.result)}"
        return f"{self.event}({args}){r}"

    def to_json(self) -> dict:
        d: dict = {"event": self.event}
        if self.thread is not None:
            d["thread"] = self.thread
        if self.args:
            d["args"] = dict(self.args)
        if self.result is not NOT_GIVEN:
            d["result"] = self.result
        if self.ts is not None:
            d["ts"] = self.ts
        return d


def decode_record(rec: tuple, codecs: dict[str, EventCodec]) -> Observed:
    """A history record (index, name, thread, arg codes, result code, actor, ts, where)."""
    index, name, thread, args, result, actor, ts, where = rec
    codec = codecs[name]
    return Observed(index, name, thread, codec.decode_args(args), codec.decode_result(result), actor, ts, where)


def observed_json(events: Iterable[Observed]) -> str:
    return "".join(json.dumps(e.to_json()) + "\n" for e in events)


def interleaving(events: list[Observed], rejected: Observed | None = None, *, max_col: int = 40,
                 omitted: int = 0, marker: str = "not allowed") -> str:
    """One column per thread, one row per observed event; `rejected` last."""
    rows = list(events) + ([rejected] if rejected is not None else [])
    if not rows:
        return "(no events observed)"
    cols: list[str] = []
    for e in rows:
        if e.column not in cols:
            cols.append(e.column)
    cells = []
    for e in rows:
        line = ["" for _ in cols]
        line[cols.index(e.column)] = e.text()
        cells.append((str(e.index), line, _where(e), e is rejected))
    widths = [min(max(len(c), *(len(r[1][i]) for r in cells)), max_col) for i, c in enumerate(cols)]
    nw = max(3, max(len(r[0]) for r in cells))

    def fmt(parts: list[str]) -> str:
        return " | ".join(_fit(p, w) for p, w in zip(parts, widths))
    show_where = any(r[2] for r in cells)
    head = f"{'#':>{nw}} | " + fmt(cols) + (" | where" if show_where else "")
    out = [head, "-" * len(head)]
    if omitted:
        out.append(f"{'':>{nw}} | ({omitted:,} earlier event{'s' if omitted != 1 else ''} not kept)")
    for n, line, where, bad in cells:
        row = f"{n:>{nw}} | " + fmt(line) + (f" | {where}" if show_where else "")
        out.append(row.rstrip() + (f"   <-- {marker}" if bad else ""))
    return "\n".join(out)


def _fit(text: str, width: int) -> str:
    if len(text) > width:
        return text[: width - 1] + "~"
    return text.ljust(width)


def _where(e: Observed) -> str:
    parts = []
    if e.where is not None:
        parts.append(f"{e.where.file.rsplit('/', 1)[-1]}:{e.where.line}")
    if e.ts is not None:
        parts.append(f"ts={e.ts}")
    return " ".join(parts)
