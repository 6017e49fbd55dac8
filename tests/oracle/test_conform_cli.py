"""`kspec conform`: JSON Lines and ITF traces, exit codes, errors at the trace
line (never a traceback, nothing skipped), JSON output, streaming."""
from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

CHANNEL = str(EXAMPLES / "dmaengine_channel" / "channel.kspec")
DMM_MODEL = str(EXAMPLES / "tidspbridge_dmm" / "dmm.toml")

GOOD = ['{"thread": "client", "event": "submit", "ts": 1}', '{"event": "issue_pending"}', '',
        '{"event": "callback", "thread": "tasklet"}', '{"event": "terminate_async"}', '{"event": "synchronize"}',
        '{"event": "free_param"}']


@pytest.fixture
def trace(tmp_path):
    def write(lines, name: str = "t.jsonl") -> str:
        p = tmp_path / name
        p.write_text("\n".join(lines) + "\n" if isinstance(lines, list) else lines, encoding="utf-8")
        return str(p)
    return write


def test_conforming_trace(cli, trace):
    r = cli("conform", CHANNEL, trace(GOOD), "--quiescent")
    assert r.code == 0, r.err
    assert "6 events conform to `channel`" in r.out and "quiescent" in r.out


def test_rejected_event_points_at_its_line(cli, trace):
    path = trace(GOOD[:2] + ['{"event": "terminate_async"}', '{"event": "synchronize"}',
                             '{"event": "callback", "thread": "tasklet"}'])
    r = cli("conform", CHANNEL, path)
    assert r.code == 1
    assert f"{path}:5:1: error[KS4001]: event #5 `callback()` in thread `tasklet` is not allowed" in r.err
    assert "5 |                   | callback()" in r.out and "<-- not allowed" in r.out


def test_not_quiescent_at_the_end(cli, trace, tmp_spec):
    spec = tmp_spec("event take()\nevent give()\nlock m: mutex\n"
                    "process a { A1: acquire(m); emit take(); A2: release(m); emit give(); }\n")
    path = trace(['{"event": "take"}'])
    assert cli("conform", str(spec), path).code == 0
    r = cli("conform", str(spec), path, "--quiescent")
    assert r.code == 1 and f"{path}:1:1: error[KS4004]: after 1 event, `s` is not quiescent" in r.err
    assert "a is at A2; lock `m` is held by a" in r.err


@pytest.mark.parametrize("line, code, message, col", [
    ('{"event": "submit", ', "KS4003", "not valid JSON", 21),
    ('["submit"]', "KS4003", "an event is a JSON object, got list", 1),
    ('{"event": "submit", "argz": {}}', "KS4003", "unknown field `argz` in an event", 21),
    ('{"thread": "client"}', "KS4003", "an event needs an `event` field", 1),
    ('{"event": 3}', "KS4003", "`event` must be a name", 2),
    ('{"event": "submit", "args": [1]}', "KS4003", "`args` must be an object", 21),
    ('{"event": "sumbit"}', "KS4002", "`sumbit` is not an event of `channel`", 1),
    ('{"event": "submit", "args": {"c": 1}}', "KS4005", "event `submit` has no argument `c`", 1),
    ('{"event": "submit", "thread": "cpu3"}', "KS4005", "`cpu3` is not a thread of `channel`", 1),
    ('{"event": "submit", "result": 0}', "KS4005", "event `submit` has no result", 1),
])
def test_bad_lines_are_usage_errors_at_the_line(cli, trace, line, code, message, col):
    path = trace(['{"event": "submit"}', line])
    r = cli("conform", CHANNEL, path)
    assert r.code == 2, r.err
    assert f"{path}:2:{col}: error[{code}]: {message}" in r.err
    assert "Traceback" not in r.err + r.out


def test_results_and_model_files(cli, trace):
    ok = trace(['{"thread": "user[0]", "event": "map", "args": {"o": 0}, "result": "OK"}',
                '{"thread": "user[1]", "event": "unmap", "args": {"o": 0}, "result": "OK"}',
                '{"thread": "user[0]", "event": "begin_dma", "args": {"o": 0}, "result": "EFAULT"}'])
    assert cli("conform", DMM_MODEL, ok, "--quiescent").code == 0
    bad = trace(['{"thread": "user[0]", "event": "map", "args": {"o": 0}, "result": "OK"}',
                 '{"thread": "user[1]", "event": "unmap", "args": {"o": 0}, "result": "OK"}',
                 '{"thread": "user[0]", "event": "begin_dma", "args": {"o": 0}, "result": "OK"}'], "bad.jsonl")
    r = cli("conform", DMM_MODEL, bad)
    assert r.code == 1 and "returns EFAULT here, observed OK" in r.err
    r = cli("conform", DMM_MODEL, bad, "--variant", "original")
    assert r.code == 1 and "error[KS4006]" in r.err and "use_after_free" in r.err


def test_hidden_step_bound_is_inconclusive(cli, trace):
    r = cli("conform", CHANNEL, trace(GOOD), "--hidden-steps", "0")
    assert r.code == 3 and "error[KS4007]" in r.err


def test_json_output(cli, trace):
    r = cli("conform", CHANNEL, trace(GOOD[:2] + ['{"event": "free_param"}']), "--format", "json")
    data = json.loads(r.out)
    assert data["exit_code"] == 1 and data["conforms"] is False and data["events"] == 2
    assert data["rejected"] == {"index": 3, "event": "free_param", "line": 3}
    assert data["diagnostics"][0]["code"] == "KS4001"


ITF = """{
 "#meta": {"format": "ITF"},
 "vars": [],
 "states": [
  {"#meta": {"index": 0, "action": "init"}},
  {"#meta": {"index": 1, "action": "submit", "thread": "client"}},
  {"#meta": {"index": 2, "action": "issue_pending"}},
  {"mbt::actionTaken": "terminate_async", "mbt::nondetPicks": {}},
  {"#meta": {"index": 4, "action": "callback"}},
  {"#meta": {"index": 5, "action": "synchronize"}}
 ]
}
"""


def test_itf_traces(cli, trace):
    assert cli("conform", CHANNEL, trace(ITF, "t.itf.json")).code == 0
    r = cli("conform", CHANNEL, trace(ITF[:200], "cut.itf.json"))
    assert r.code == 2 and "error[KS4003]: not valid JSON" in r.err and "truncated ITF" in r.err
    path = trace(ITF.replace('"callback"', '"callbak"'), "u.itf.json")
    r = cli("conform", CHANNEL, path)
    assert r.code == 2 and f"{path}:9:1: error[KS4002]" in r.err
    r = cli("conform", DMM_MODEL, trace('{"states": [{}, {"#meta": {"action": "map", "args": {"o": '
                                         '{"#bigint": "0"}}, "result": "OK", "thread": "user[1]"}}]}', "d.itf.json"))
    assert r.code == 0, r.err


def test_missing_files(cli, tmp_path):
    r = cli("conform", CHANNEL, str(tmp_path / "nope.jsonl"))
    assert r.code == 2 and "error[KS0005]" in r.err
    r = cli("conform", str(tmp_path / "nope.kspec"), str(tmp_path / "nope.jsonl"))
    assert r.code == 2 and "error[KS0005]" in r.err


def _long_trace(path, n: int) -> None:
    cycle = ['{"event": "submit", "thread": "client"}', '{"event": "issue_pending"}',
             '{"event": "callback", "thread": "tasklet", "ts": 12.5}']
    with open(path, "w", encoding="utf-8") as f:
        for k in range(n // 3):
            f.write("\n".join(cycle) + "\n")
        f.write('{"event": "free_param"}\n')  # not allowed: the failure is at the very last line


def _peak(cli, path) -> tuple[int, object]:
    tracemalloc.start()
    try:
        r = cli("conform", CHANNEL, str(path))
        return tracemalloc.get_traced_memory()[1], r
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("n", [60_000, pytest.param(999_999, marks=pytest.mark.slow)])
def test_long_traces_stream_in_constant_memory(cli, tmp_path, n):
    short, long = tmp_path / "short.jsonl", tmp_path / "long.jsonl"
    _long_trace(short, 3_000)
    _long_trace(long, n)
    _peak(cli, short)  # load the parser once
    base, _ = _peak(cli, short)
    peak, r = _peak(cli, long)
    assert r.code == 1 and f"{long}:{n + 1}:1: error[KS4001]" in r.err
    assert f"(the last 30 of {n:,})" in r.out
    extra = peak - base  # what the longer trace costs: nothing that grows with it
    assert extra < 2 << 20, f"{extra / 1e6:.1f} MB more for {n:,} events than for 3,000"
