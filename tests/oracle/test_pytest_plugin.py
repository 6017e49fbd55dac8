"""The pytest plugin, run as a user would run it: in a fresh pytest process
on a test file of "another project"."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

CHANNEL = str(EXAMPLES / "dmaengine_channel" / "channel.kspec")


def test_plugin_import_loads_neither_lark_nor_z3():
    code = ("import sys, kspec.pytest_plugin; bad = [m for m in ('lark', 'z3', 'kspec.oracle', 'kspec.pipeline') "
            "if m in sys.modules]; assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


def _pytest(tmp_path, body: str, *args: str) -> subprocess.CompletedProcess:
    (tmp_path / "test_user.py").write_text(textwrap.dedent(body), encoding="utf-8")
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--strict-markers",
                           "--basetemp", str(tmp_path / "tmp"), *args, "test_user.py"],
                          cwd=tmp_path, capture_output=True, text=True, env=env)


USER_TESTS = f"""
    import pytest

    SPEC = {CHANNEL!r}

    def test_ok(kspec_oracle):
        oracle = kspec_oracle(SPEC)
        oracle.observe("submit", thread="client")

    def test_callback_after_synchronize(kspec_oracle):
        oracle = kspec_oracle(SPEC)
        for event in ("submit", "issue_pending", "terminate_async", "synchronize"):
            oracle.observe(event)
        oracle.observe("callback", thread="tasklet")  # the user's line

    @pytest.mark.kspec(SPEC, quiescent=True)
    def test_marker_defaults_and_quiescence(kspec_oracle):
        kspec_oracle().observe("submit")
"""


def test_failures_show_the_users_line_and_a_replay_command(tmp_path):
    r = _pytest(tmp_path, USER_TESTS, "--kspec-trace-dir", str(tmp_path / "traces"))
    out = r.stdout
    assert r.returncode == 1, out + r.stderr
    assert "2 passed, 1 failed" in out or "1 failed, 2 passed" in out, out
    assert '>       oracle.observe("callback", thread="tasklet")  # the user\'s line' in out
    assert "kspec/oracle/" not in out.split("kspec replay")[0]  # no frames of the oracle itself
    assert "E       kspec.oracle.errors.ConformanceError: error[KS4001]: event #5 `callback()`" in out
    assert "kspec replay" in out
    m = re.search(r"replay with:\s+(kspec conform \S+ (\S+))", out)
    assert m, out
    trace = m.group(2)
    assert trace.startswith(str(tmp_path / "traces")) and os.path.exists(trace)
    assert open(trace).read().count("\n") == 5
    from kspec.cli import main
    assert main(["conform", CHANNEL, trace]) == 1  # replaying fails where the test failed


def test_quiescence_option_and_hidden_steps(tmp_path):
    (tmp_path / "lock.kspec").write_text("event take()\nevent give()\nlock m: mutex\n"
                                         "process a { A1: acquire(m); emit take(); A2: release(m); emit give(); }\n")
    body = """
    def test_keeps_the_lock(kspec_oracle):
        kspec_oracle("lock.kspec").observe("take")
    """
    assert _pytest(tmp_path, body).returncode == 0
    r = _pytest(tmp_path, body, "--kspec-quiescent")
    assert r.returncode == 1 and "ERROR at teardown of test_keeps_the_lock" in r.stdout
    assert "a is at A2; lock `m` is held by a" in r.stdout and "kspec conform" in r.stdout
    body = f"""
    def test_hidden(kspec_oracle):
        oracle = kspec_oracle({str(EXAMPLES / "tidspbridge_dmm" / "dmm.kspec")!r})
        oracle.observe("map", thread="user[0]", o=0, result="OK")
    """
    assert _pytest(tmp_path, body, "--kspec-quiescent").returncode == 0  # a listed map object is not a leak
    r = _pytest(tmp_path, body, "--kspec-hidden-steps", "0")
    assert r.returncode == 1 and "KS4007" in r.stdout


def test_options_are_in_one_group():
    r = subprocess.run([sys.executable, "-m", "pytest", "--help"], capture_output=True, text=True)
    group = r.stdout.split("kspec conformance oracle:")[1].split("\n\n")[0]
    for opt in ("--kspec-hidden-steps", "--kspec-quiescent", "--kspec-trace-dir"):
        assert opt in group
