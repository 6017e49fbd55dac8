"""The documentation site itself: the tutorial's model files give the verdicts
the tutorial describes, and (slow) the whole site builds with warnings as errors."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_tutorial_models_are_as_expected(capsys, monkeypatch):
    from kspec.cli import main
    monkeypatch.chdir(REPO)
    assert main(["check", "docs/tutorial/"]) == 0, capsys.readouterr().out
    # the race the tutorial shows: four steps, one column per thread
    assert main(["check", "docs/tutorial/lazy_init.kspec", "--variant", "racy", "--property",
                 "single_alloc"]) == 1
    out = capsys.readouterr().out
    assert "violated (length 4)" in out and "user[0]" in out and "user[1]" in out


@pytest.mark.slow
def test_docs_build_without_warnings(tmp_path):
    pytest.importorskip("myst_parser")
    r = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
                        "-d", str(tmp_path / "doctrees"), str(REPO / "docs"), str(tmp_path / "html")],
                       capture_output=True, text=True, cwd=REPO, timeout=900)
    assert r.returncode == 0, r.stderr[-5000:]
    for spec in (REPO / "spec").glob("*.kspec"):
        assert (tmp_path / "html" / "specs" / f"{spec.stem}.html").exists(), spec.name
