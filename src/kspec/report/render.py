"""Render diagnostics as text: `file:line:col: error[KSnnnn]: message`, the
source line, a caret under the span, notes and a hint (rustc/Quint style)."""
from __future__ import annotations

from typing import Iterable, Mapping

from kspec.report.diagnostics import Diagnostic


def render_diagnostic(d: Diagnostic, sources: Mapping[str, str] | None = None) -> str:
    where = f"{d.span}: " if d.span else ""
    lines = [f"{where}{d.severity.value}[{d.code}]: {d.message}"]
    if d.span and sources and d.span.file in sources:
        text_lines = sources[d.span.file].splitlines()
        if 1 <= d.span.line <= len(text_lines):
            src = text_lines[d.span.line - 1].rstrip("\n").expandtabs(1)
            gutter = str(d.span.line)
            pad = " " * len(gutter)
            width = 1
            if d.span.end_line == d.span.line and d.span.end_col > d.span.col:
                width = d.span.end_col - d.span.col
            lines.append(f"{pad} |")
            lines.append(f"{gutter} | {src}")
            lines.append(f"{pad} | {' ' * (d.span.col - 1)}{'^' * width}")
    for note in d.notes:
        lines.append(f"  = note: {note}")
    if d.hint:
        lines.append(f"  = help: {d.hint}")
    return "\n".join(lines)


def render_all(diagnostics: Iterable[Diagnostic], sources: Mapping[str, str] | None = None) -> str:
    return "\n".join(render_diagnostic(d, sources) for d in diagnostics)


def diagnostic_to_json(d: Diagnostic) -> dict:
    out: dict = {"code": d.code, "severity": d.severity.value, "message": d.message}
    if d.span:
        out["file"], out["line"], out["col"] = d.span.file, d.span.line, d.span.col
    if d.notes:
        out["notes"] = list(d.notes)
    if d.hint:
        out["hint"] = d.hint
    return out
