"""Golden tests of rendered diagnostics.

Every `<name>.kspec`, `<name>.toml` or `<name>.cmd` in tests/goldens/diagnostics
is one case. By default the command is `kspec check <that file>`; a `<name>.cmd`
file gives the argument list instead (`{here}` is the directory). The command
runs in-process from the repository root with relative paths, and its exit
code, stdout and stderr are compared with `<name>.out`.
KSPEC_UPDATE_GOLDENS=1 rewrites the `.out` files.
"""
from __future__ import annotations

import pytest

from kspec_testlib import GOLDENS, REPO, assert_golden, shell_words

DIAG = GOLDENS / "diagnostics"
HERE = DIAG.relative_to(REPO).as_posix()


def _cases() -> list[str]:
    names = {p.stem for p in DIAG.iterdir() if p.is_file() and p.suffix in (".kspec", ".toml", ".cmd")}
    return sorted(names)


def _command(name: str) -> list[str]:
    cmd = DIAG / f"{name}.cmd"
    if cmd.exists():
        return shell_words(cmd.read_text(encoding="utf-8"), here=HERE)
    src = next(DIAG / f"{name}{ext}" for ext in (".kspec", ".toml") if (DIAG / f"{name}{ext}").exists())
    return ["check", src.relative_to(REPO).as_posix()]


def render_run(args: list[str], run) -> str:
    r = run(*args)
    parts = [f"$ kspec {' '.join(args)}", f"exit code: {r.code}"]
    if r.out.strip():
        parts += ["-- stdout --", r.out.rstrip("\n")]
    if r.err.strip():
        parts += ["-- stderr --", r.err.rstrip("\n")]
    return "\n".join(parts) + "\n"


CASES = _cases()


def test_enough_distinct_cases():
    assert len(CASES) >= 25


@pytest.mark.parametrize("name", CASES)
def test_diagnostic_golden(name, cli):
    args = _command(name)
    text = render_run(args, cli)
    assert "Traceback" not in text
    assert "KS9001" not in text, "internal error instead of a diagnostic"
    assert_golden(DIAG / f"{name}.out", text)


def test_distinct_codes_covered():
    """The goldens cover at least 25 distinct diagnostic codes/situations and
    at least 20 distinct registered codes."""
    import re
    codes = set()
    for p in DIAG.glob("*.out"):
        codes.update(re.findall(r"\[(KS\d{4})\]", p.read_text(encoding="utf-8")))
    if not codes:
        pytest.skip("goldens not generated yet")
    assert len(codes) >= 20, sorted(codes)
