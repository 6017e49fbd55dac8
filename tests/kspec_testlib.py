"""Helpers shared by the kspec tests (imported as `kspec_testlib`; the tests
directory is on sys.path through tests/conftest.py).

* `build(src)` / `model_of(src)` / `check(src)` / `verdict(src, prop)`: spec
  text -> ModelResult / Model / CheckResult / Verdict, no files involved.
* `assert_golden(path, text)`: compare with a golden file; with
  KSPEC_UPDATE_GOLDENS=1 the golden is (re)written instead.
* `run_subprocess(args)`: the CLI in a fresh interpreter.
"""
from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from kspec.check import check_explicit
from kspec.explicit.compile import compile_model
from kspec.explicit.explore import Limits, explore
from kspec.pipeline import instantiate, parse_source
from kspec.report.diagnostics import has_errors
from kspec.report.render import render_all

REPO = Path(__file__).resolve().parent.parent
TESTS = REPO / "tests"
GOLDENS = TESTS / "goldens"
UPDATE_GOLDENS = os.environ.get("KSPEC_UPDATE_GOLDENS", "") not in ("", "0")


# ---- spec text -> model / verdicts ------------------------------------------------------
def build(src: str, *, variant: str | None = None, constants: dict | None = None, file: str = "t.kspec"):
    """parse + lower a spec given as text; returns the pipeline's ModelResult."""
    return instantiate(parse_source(src, file), variant=variant, constants=constants)


def errors_of(src: str, **kw) -> list:
    mr = build(src, **kw)
    return [d for d in mr.diagnostics if d.is_error]


def codes_of(src: str, **kw) -> list[str]:
    return [d.code for d in build(src, **kw).diagnostics]


def model_of(src: str, **kw):
    mr = build(src, **kw)
    if mr.model is None or has_errors(mr.diagnostics):
        raise AssertionError("spec does not lower:\n" + render_all(mr.diagnostics, {"t.kspec": src}))
    return mr.model


def check(src: str, props=None, *, limits: Limits | None = None, **kw):
    """CheckResult of the explicit engine over every property (or `props`)."""
    return check_explicit(model_of(src, **kw), props, limits=limits)


def verdict(src: str, prop: str, **kw):
    """The verdict of one property, checked alone (so that early stopping on
    other properties cannot influence it)."""
    r = check(src, [prop], **kw)
    v = r.verdict(prop)
    assert v is not None, prop
    return v


def statuses(src: str, **kw) -> dict[str, str]:
    return {v.prop: v.status for v in check(src, **kw).verdicts}


def exploration(src: str, active=None, **kw):
    m = model_of(src, **kw)
    cm = compile_model(m)
    names = {p.name for p in m.properties} if active is None else set(active)
    return explore(cm, names, Limits())


# ---- golden files -----------------------------------------------------------------------
_SECONDS = re.compile(r"\b\d+\.\d+ s\b")


def normalize(text: str) -> str:
    """Machine-independent output: wall-clock figures masked, trailing spaces
    kept (they are part of some reports) but the final newline normalised."""
    text = _SECONDS.sub("#.## s", text)
    return text.rstrip("\n") + "\n"


def assert_golden(path: Path, actual: str) -> None:
    actual = normalize(actual)
    if UPDATE_GOLDENS:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    if not path.exists():
        pytest.fail(f"golden file {path.relative_to(REPO)} is missing; run with KSPEC_UPDATE_GOLDENS=1 to create it")
    expected = path.read_text(encoding="utf-8")
    if expected != actual:
        import difflib
        diff = "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                            f"{path.name} (golden)", f"{path.name} (actual)"))
        pytest.fail(f"output differs from golden {path.relative_to(REPO)} "
                    f"(KSPEC_UPDATE_GOLDENS=1 regenerates):\n{diff}")


# ---- the command line -------------------------------------------------------------------
@dataclass
class CliRun:
    code: int
    out: str
    err: str

    @property
    def both(self) -> str:
        return self.out + self.err

    def json(self):
        import json
        return json.loads(self.out)


def run_subprocess(args: list[str], *, cwd: Path = REPO, timeout: float = 120, env: dict | None = None) -> CliRun:
    """`python -m kspec.cli ARGS` in a fresh interpreter (exercises the real entry point)."""
    e = dict(os.environ)
    e.pop("KSPEC_UPDATE_GOLDENS", None)
    if env:
        e.update(env)
    p = subprocess.run([sys.executable, "-c", "import sys; from kspec.cli import main; sys.exit(main())", *args],
                       cwd=cwd, capture_output=True, text=True, timeout=timeout, env=e)
    return CliRun(p.returncode, p.stdout, p.stderr)


def shell_words(text: str, **subst: str) -> list[str]:
    return [w.format(**subst) for w in shlex.split(text)]
