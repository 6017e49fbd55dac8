"""Proof scripts (`proofs/*.toml`) -> validated `ProofScript` records.

A proof script names what to prove and how (docs/proofs.md):

    model = "../model/tidspbridge_refcount.toml"   # or spec = "...", variant, [constants]
    k = 4                   # induction depths 1..k are tried
    depth = 20              # BMC bound for what induction does not prove
    properties = ["..."]    # default: every property the model file selects
    helpers = ["..."]       # spec invariants used as lemmas (proved along with the rest)
    [lemmas]                # extra invariants in kspec syntax, added to the spec for this proof
    name = "expression"
    [expect]                # proved | violated | reachable | unreachable | unproved
    prop = "proved"         # or { verdict = "violated", length = 3 }

A TOML file is a proof script when it has a `model` key or any of `k`,
`helpers`, `lemmas`, `properties`; otherwise it is a model file.
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field

from kspec.report import diagnostics as D
from kspec.report.diagnostics import Diagnostic, KspecError, Span, did_you_mean

PROOF_KEYS = ("model", "spec", "variant", "description", "constants", "k", "depth", "properties", "helpers",
              "lemmas", "expect")
MARKERS = ("model", "k", "helpers", "lemmas", "properties")
OUTCOMES = ("proved", "violated", "reachable", "unreachable", "unproved")


@dataclass(frozen=True, slots=True)
class ProofScript:
    path: str
    model: str | None = None  # a model file
    spec: str | None = None
    variant: str | None = None
    constants: tuple[tuple[str, int], ...] = ()
    description: str = ""
    k: int | None = None
    depth: int | None = None
    properties: tuple[str, ...] = ()
    helpers: tuple[str, ...] = ()
    lemmas: tuple[tuple[str, str], ...] = ()
    expect: tuple[tuple[str, str, int | None], ...] = field(default=())

    def expected(self, prop: str) -> tuple[str, int | None] | None:
        return next(((s, n) for p, s, n in self.expect if p == prop), None)


def is_proof_script(data: dict) -> bool:
    return any(k in data for k in MARKERS)


def read_toml(path: str) -> tuple[dict | None, list[Diagnostic]]:
    try:
        with open(path, "rb") as f:
            return tomllib.loads(f.read().decode("utf-8")), []
    except (OSError, UnicodeDecodeError) as e:
        return None, [D.diag(D.FILE_UNREADABLE, f"cannot read `{path}`: {e}", Span(path, 1, 1))]
    except tomllib.TOMLDecodeError as e:
        return None, [D.diag(D.MODEL_BAD_TOML, f"not valid TOML: {e}", Span(path, 1, 1))]


def _bad(path: str, msg: str, hint: str | None = None) -> KspecError:
    return KspecError(D.diag(D.MODEL_BAD_FIELD, msg, Span(path, 1, 1), hint=hint))


def _names(path: str, data: dict, key: str) -> tuple[str, ...]:
    v = data.get(key, [])
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise _bad(path, f"`{key}` must be a list of property names")
    return tuple(v)


def _int(path: str, data: dict, key: str) -> int | None:
    v = data.get(key)
    if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v < 0 or (key == "k" and v == 0)):
        raise _bad(path, f"`{key}` must be a {'positive' if key == 'k' else 'non-negative'} integer")
    return v


def parse_proof_script(path: str, data: dict) -> ProofScript:
    for key in data:
        if key not in PROOF_KEYS:
            raise _bad(path, f"unknown field `{key}` in a proof script", did_you_mean(key, PROOF_KEYS))
    here = os.path.dirname(path)
    model, spec = data.get("model"), data.get("spec")
    if (model is None) == (spec is None) or not isinstance(model or spec, str):
        raise _bad(path, "a proof script names exactly one of `model` (a model file) or `spec` (a .kspec file)")
    consts = data.get("constants", {})
    if not isinstance(consts, dict) or not all(isinstance(v, (int, bool)) for v in consts.values()):
        raise _bad(path, "`[constants]` must be a table of integers and booleans")
    lemmas = data.get("lemmas", {})
    if not isinstance(lemmas, dict) or not all(isinstance(v, str) for v in lemmas.values()):
        raise _bad(path, "`[lemmas]` must be a table of kspec expressions (strings)")
    expect = []
    for prop, v in data.get("expect", {}).items():
        status, length = (v, None) if isinstance(v, str) else (v.get("verdict"), v.get("length")) \
            if isinstance(v, dict) else (None, None)
        if status not in OUTCOMES:
            raise _bad(path, f"unknown expected result `{status}` for `{prop}`", f"use one of {', '.join(OUTCOMES)}")
        expect.append((prop, status, length))
    return ProofScript(path, os.path.normpath(os.path.join(here, model)) if model else None,
                       os.path.normpath(os.path.join(here, spec)) if spec else None, data.get("variant"),
                       tuple((k, int(v)) for k, v in consts.items()), str(data.get("description", "")),
                       _int(path, data, "k"), _int(path, data, "depth"), _names(path, data, "properties"),
                       _names(path, data, "helpers"), tuple(lemmas.items()), tuple(expect))


def lemma_source(lemmas: tuple[tuple[str, str], ...]) -> str:
    """The lemmas as kspec invariants, appended to the spec text."""
    return "".join(f"\n/// Proof lemma (from the proof script).\ninvariant {name}: {expr}\n"
                   for name, expr in lemmas)
