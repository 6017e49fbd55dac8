"""Fixtures for the kspec test suite; the helpers live in kspec_testlib."""
from __future__ import annotations

from pathlib import Path

import pytest

from kspec_testlib import REPO, CliRun


@pytest.fixture
def cli(capsys, monkeypatch):
    """cli("check", "tests/...") runs kspec.cli.main in-process from the repo root."""
    from kspec.cli import main
    monkeypatch.chdir(REPO)

    def run(*args: str) -> CliRun:
        capsys.readouterr()
        code = main(list(args))
        cap = capsys.readouterr()
        return CliRun(code, cap.out, cap.err)

    return run


@pytest.fixture
def tmp_spec(tmp_path):
    """tmp_spec(text, name="s.kspec") writes a spec file and returns its path."""
    def make(text: str, name: str = "s.kspec") -> Path:
        p = tmp_path / name
        p.write_text(text, encoding="utf-8")
        return p
    return make
