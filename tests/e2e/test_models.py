"""End to end: every model file in model/ reproduces its expected verdicts
(`kspec check model/x.toml` exits 0). Model files are discovered at run time.

Models listed in SLOW_MODELS run only with `-m slow` (make test-slow). Every
other model runs in the fast suite under a time budget: one that runs out of
it is skipped with a request to list it in SLOW_MODELS, so that a new large
configuration never makes the fast suite slow (the slow run checks it)."""
from __future__ import annotations

import json
import time

import pytest

from kspec_testlib import REPO

MODEL_DIR = REPO / "model"
FAST_BUDGET_SECONDS = 10.0
# Model files that take longer than a few seconds on the reference machine.
SLOW_MODELS = {
    "dmabuf_ownership_cpu_bracket_misuse",
    "uacce_v5_7_full",
    "uacce_v7_full",
}


def _models() -> list:
    out = []
    for p in sorted(MODEL_DIR.glob("*.toml")):
        marks = [pytest.mark.slow] if p.stem in SLOW_MODELS else []
        out.append(pytest.param(p.relative_to(REPO).as_posix(), id=p.stem, marks=marks))
    return out


MODELS = _models()


def test_model_directory_exists():
    assert MODEL_DIR.is_dir()


@pytest.mark.parametrize("path", MODELS)
def test_model_reproduces_its_expected_verdicts(path, cli, request):
    slow = request.node.get_closest_marker("slow") is not None
    args = ["check", path, "--format", "json"]
    if not slow:
        args += ["--timeout", str(FAST_BUDGET_SECONDS)]
    t0 = time.monotonic()
    r = cli(*args)
    elapsed = time.monotonic() - t0
    assert "Traceback" not in r.both
    data = json.loads(r.out)
    if r.code == 3 and not slow and any("time bound" in m.get("stop_reason", "") for m in data["models"]):
        pytest.skip(f"{path} needs more than {FAST_BUDGET_SECONDS:g} s: add it to SLOW_MODELS")
    errors = [d for d in data["diagnostics"] if d["severity"] == "error"]
    assert not errors, json.dumps(errors, indent=1)
    differing = [f"{v['property']}: {v['summary']} (expected {v['expected']}"
                 + (f", length {v['expected_length']}" if v["expected_length"] is not None else "") + ")"
                 for m in data["models"] for v in m["verdicts"] if v["as_expected"] is not True]
    assert r.code == 0 and not differing, "\n".join(differing)
    assert all(m["complete"] or m["stop_reason"].startswith("stopped early") for m in data["models"])
    if not slow and elapsed > FAST_BUDGET_SECONDS / 2:
        print(f"note: {path} took {elapsed:.1f} s; consider listing it in SLOW_MODELS")


def test_check_of_a_typical_model_does_not_import_z3():
    """The explicit path must not import Z3 (or other heavy modules): the
    end-to-end time of a counterexample is part of the product."""
    candidates = sorted(MODEL_DIR.glob("tidspbridge_original*.toml")) or sorted(MODEL_DIR.glob("*.toml"))
    targets = [c.relative_to(REPO).as_posix() for c in candidates[:1]]
    targets.append("tests/goldens/reports/abba.kspec")
    code = ("import sys\nfrom kspec.cli import main\n"
            f"rc = main(['check', *{targets!r}, '--format', 'json'])\n"
            "heavy = sorted(m for m in sys.modules if m == 'z3' or m.startswith('z3.') or m in ('cvc5', 'sphinx'))\n"
            "sys.stderr.write('HEAVY=' + ','.join(heavy) + '\\n')\n")
    import subprocess
    import sys
    p = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300)
    line = next((ln for ln in p.stderr.splitlines() if ln.startswith("HEAVY=")), None)
    assert line is not None, p.stderr[-2000:]
    assert line == "HEAVY=", line


def test_import_time_of_the_cli_is_small():
    """`python -X importtime -c 'import kspec.cli, kspec.commands'` does not pull in z3."""
    import subprocess
    import sys
    p = subprocess.run([sys.executable, "-X", "importtime", "-c", "import kspec.cli, kspec.commands, kspec.check"],
                       cwd=REPO, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]
    imported = {ln.split("|")[-1].strip() for ln in p.stderr.splitlines() if "|" in ln}
    assert "z3" not in imported and not any(m.startswith("z3.") for m in imported)
