"""Model files (`model/*.toml`) -> validated `ModelFile` records.

A model file names a spec, a variant, constant values, bounds, the engine and
the expected verdict of each property. Errors point at the file and, where the
TOML says so, the line: KS5001 (not TOML) and KS5002 (bad field)."""
from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field

from kspec.report import diagnostics as D
from kspec.report.diagnostics import Diagnostic, KspecError, Span, did_you_mean
from kspec.verdict import EXPECTABLE, Expectation

TOP_KEYS = ("spec", "variant", "description", "constants", "bounds", "expect", "check", "engine", "depth",
            "symmetric", "workers")
BOUND_KEYS = ("max_states", "max_depth", "max_seconds")
CHECK_KEYS = ("only", "disable")
ENGINES = ("explicit", "bmc")


@dataclass(frozen=True, slots=True)
class ModelFile:
    path: str
    spec_path: str
    variant: str | None = None
    description: str = ""
    constants: tuple[tuple[str, int | bool], ...] = ()
    max_states: int = 5_000_000
    max_depth: int = 1_000_000
    max_seconds: float = 0.0
    engine: str = "explicit"
    depth: int = 20
    expect: tuple[tuple[str, Expectation], ...] = ()
    only: tuple[str, ...] = ()
    disable: tuple[str, ...] = ()
    symmetric: tuple[str, ...] = ()
    workers: int = 1  # explicit-engine processes (0: one per core)
    lines: dict = field(default_factory=dict, compare=False, repr=False)

    def expectation(self, prop: str, kind: str) -> Expectation:
        for name, e in self.expect:
            if name == prop:
                return e
        return Expectation("reachable" if kind == "reachable" else "holds")


def _line_of(text: str, key: str) -> int:
    m = re.search(rf"^[ \t]*\"?{re.escape(key)}\"?[ \t]*=", text, re.M)
    if m is None:
        m = re.search(rf"^[ \t]*\[{re.escape(key)}\]", text, re.M)
    return text.count("\n", 0, m.start()) + 1 if m else 1


def key_span(path: str, key: str) -> Span:
    """Where `key` is set in the model file (line 1 if it cannot be found)."""
    try:
        with open(path, encoding="utf-8") as f:
            return Span(path, _line_of(f.read(), key), 1)
    except OSError:
        return Span(path, 1, 1)


def _bad(path: str, text: str, key: str, msg: str, hint: str | None = None) -> KspecError:
    return KspecError(D.diag(D.MODEL_BAD_FIELD, msg, Span(path, _line_of(text, key), 1), hint=hint))


def load_model_file(path: str) -> tuple[ModelFile | None, list[Diagnostic]]:
    try:
        with open(path, "rb") as f:
            raw = f.read()
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        return None, [D.diag(D.FILE_UNREADABLE, f"cannot read `{path}`: {e}", Span(path, 1, 1))]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(e))
        span = Span(path, int(m.group(1)), int(m.group(2))) if m else Span(path, 1, 1)
        msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(e))
        return None, [D.diag(D.MODEL_BAD_TOML, f"not valid TOML: {msg}", span)]
    try:
        return _validate(path, text, data), []
    except KspecError as e:
        return None, list(e.diagnostics)


def _validate(path: str, text: str, data: dict) -> ModelFile:
    for k in data:
        if k not in TOP_KEYS:
            raise _bad(path, text, k, f"unknown field `{k}`", did_you_mean(k, TOP_KEYS))
    spec = data.get("spec")
    if not isinstance(spec, str):
        raise _bad(path, text, "spec", "`spec` (the path of the .kspec file) is required and must be a string")
    spec_path = os.path.normpath(os.path.join(os.path.dirname(path), spec))
    variant = data.get("variant")
    if variant is not None and not isinstance(variant, str):
        raise _bad(path, text, "variant", "`variant` must be a string")
    consts = data.get("constants", {})
    if not isinstance(consts, dict):
        raise _bad(path, text, "constants", "`[constants]` must be a table")
    for k, v in consts.items():
        if not isinstance(v, (int, bool)):
            raise _bad(path, text, k, f"constant `{k}` must be an integer or a boolean")
    bounds = data.get("bounds", {})
    if not isinstance(bounds, dict):
        raise _bad(path, text, "bounds", "`[bounds]` must be a table")
    for k, v in bounds.items():
        if k not in BOUND_KEYS:
            raise _bad(path, text, k, f"unknown bound `{k}`", did_you_mean(k, BOUND_KEYS))
        if not isinstance(v, (int, float)) or isinstance(v, bool) or v <= 0:
            raise _bad(path, text, k, f"bound `{k}` must be a positive number")
    engine = data.get("engine", "explicit")
    if engine not in ENGINES:
        raise _bad(path, text, "engine", f"unknown engine `{engine}`", did_you_mean(str(engine), ENGINES))
    depth = data.get("depth", 20)
    if not isinstance(depth, int) or isinstance(depth, bool) or depth < 0:
        raise _bad(path, text, "depth", "`depth` must be a non-negative integer")
    expect = tuple(_expectations(path, text, data.get("expect", {})))
    check = data.get("check", {})
    if not isinstance(check, dict):
        raise _bad(path, text, "check", "`[check]` must be a table")
    for k, v in check.items():
        if k not in CHECK_KEYS:
            raise _bad(path, text, k, f"unknown field `{k}` in [check]", did_you_mean(k, CHECK_KEYS))
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise _bad(path, text, k, f"`{k}` must be a list of property names")
    symmetric = data.get("symmetric", [])
    if not isinstance(symmetric, list) or not all(isinstance(x, str) for x in symmetric):
        raise _bad(path, text, "symmetric", "`symmetric` must be a list of sort names")
    workers = data.get("workers", 1)
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 0:
        raise _bad(path, text, "workers", f"`workers` must be a non-negative integer, got {workers!r}",
                   "1 runs the search in this process, N > 1 in N worker processes, 0 one per core")
    return ModelFile(path, spec_path, variant, str(data.get("description", "")),
                     tuple((k, v if isinstance(v, bool) else int(v)) for k, v in consts.items()),
                     int(bounds.get("max_states", 5_000_000)), int(bounds.get("max_depth", 1_000_000)),
                     float(bounds.get("max_seconds", 0.0)), engine, depth, expect,
                     tuple(check.get("only", ())), tuple(check.get("disable", ())), tuple(symmetric),
                     workers)


def _expectations(path: str, text: str, table) -> list[tuple[str, Expectation]]:
    if not isinstance(table, dict):
        raise _bad(path, text, "expect", "`[expect]` must be a table")
    out = []
    for prop, v in table.items():
        if isinstance(v, str):
            status, length = v, None
        elif isinstance(v, dict):
            extra = set(v) - {"verdict", "length"}
            if extra:
                raise _bad(path, text, prop, f"unknown field `{sorted(extra)[0]}` in the expectation of `{prop}`",
                           "an expectation is a verdict string or { verdict = \"...\", length = N }")
            status, length = v.get("verdict"), v.get("length")
            if length is not None and (not isinstance(length, int) or isinstance(length, bool) or length < 0):
                raise _bad(path, text, prop, f"expected length of `{prop}` must be a non-negative integer")
        else:
            raise _bad(path, text, prop, f"expectation of `{prop}` must be a string or a table")
        if status not in EXPECTABLE:
            raise _bad(path, text, prop, f"unknown verdict `{status}` for `{prop}`",
                       did_you_mean(str(status), EXPECTABLE) or f"use one of {', '.join(EXPECTABLE)}")
        out.append((prop, Expectation(status, length)))
    return out
