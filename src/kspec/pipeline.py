"""The phases end to end, as data: file -> text -> AST -> IR model.

Each function returns a result carrying diagnostics; nothing here exits or
prints. Parsed specs are cached per (path, mtime) so a directory of model
files sharing one spec parses it once.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from kspec.ir import nodes as N
from kspec.ir.lower import lower
from kspec.report import diagnostics as D
from kspec.report.diagnostics import Diagnostic, Span, has_errors
from kspec.syntax import ast as A
from kspec.syntax.build import build_spec
from kspec.syntax.parser import parse_text


@dataclass(slots=True)
class SpecResult:
    path: str
    source: str
    spec: A.Spec | None
    diagnostics: list[Diagnostic] = field(default_factory=list)


@dataclass(slots=True)
class ModelResult:
    spec: SpecResult
    model: N.Model | None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def sources(self) -> dict[str, str]:
        return {self.spec.path: self.spec.source}


_CACHE: dict[tuple[str, float], SpecResult] = {}


def read_source(path: str) -> tuple[str | None, Diagnostic | None]:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read(), None
    except (OSError, UnicodeDecodeError) as e:
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        return None, D.diag(D.FILE_UNREADABLE, f"cannot read `{path}`: {reason}", Span(path, 1, 1))


def parse_source(text: str, path: str = "<spec>") -> SpecResult:
    r = parse_text(text, path)
    if r.diagnostics:
        return SpecResult(path, text, None, r.diagnostics)
    spec = build_spec(r.tree, path, r.docs)
    if not spec.name:
        spec = A.Spec(os.path.splitext(os.path.basename(path))[0], spec.decls, spec.doc, spec.file)
    return SpecResult(path, text, spec, [])


def load_spec(path: str) -> SpecResult:
    try:
        key = (os.path.abspath(path), os.path.getmtime(path))
    except OSError:
        key = None
    if key and key in _CACHE:
        return _CACHE[key]
    text, problem = read_source(path)
    if text is None:
        return SpecResult(path, "", None, [problem])  # type: ignore[list-item]
    res = parse_source(text, path)
    if key:
        _CACHE[key] = res
    return res


def instantiate(spec: SpecResult, *, variant: str | None = None, constants: dict[str, int] | None = None,
                symmetric: tuple[str, ...] = ()) -> ModelResult:
    if spec.spec is None:
        return ModelResult(spec, None, list(spec.diagnostics))
    res = lower(spec.spec, variant=variant, constants=constants, source=spec.source, symmetric=symmetric)
    model = None if has_errors(res.diagnostics) else res.model
    return ModelResult(spec, model, res.diagnostics)


def build_model(path: str, *, variant: str | None = None, constants: dict[str, int] | None = None,
                symmetric: tuple[str, ...] = ()) -> ModelResult:
    return instantiate(load_spec(path), variant=variant, constants=constants, symmetric=symmetric)
