"""Report goldens: the verdict table and counterexamples of `kspec check`
(state diffs, interleaving tables, deadlock and lockdep reports), JSON output,
ITF export, replay and simulation, for the small specs in
tests/goldens/reports/. KSPEC_UPDATE_GOLDENS=1 regenerates the goldens."""
from __future__ import annotations

import json

import pytest

from kspec.check import check_explicit
from kspec.pipeline import build_model
from kspec.report.itf import dump_itf, trace_to_itf
from kspec.report.trace import render_interleaving, render_states
from kspec_testlib import GOLDENS, REPO, assert_golden

DIR = GOLDENS / "reports"
HERE = DIR.relative_to(REPO).as_posix()
SPECS = sorted(p.stem for p in DIR.glob("*.kspec"))


def rel(name: str) -> str:
    return f"{HERE}/{name}.kspec"


def verdicts_of(name: str, monkeypatch):
    monkeypatch.chdir(REPO)
    mr = build_model(rel(name))
    assert mr.model is not None, mr.diagnostics
    return mr.model, {v.prop: v for v in check_explicit(mr.model).verdicts}


def _cli_text(r) -> str:
    return f"exit code: {r.code}\n-- stdout --\n{r.out}-- stderr --\n{r.err}"


@pytest.mark.parametrize("name", SPECS)
def test_check_output(name, cli):
    r = cli("check", rel(name), "--traces", "all")
    assert r.code == 1  # every report spec violates something (a spec run expects everything to hold)
    assert "Traceback" not in r.both
    assert_golden(DIR / f"{name}.check.out", _cli_text(r))


@pytest.mark.parametrize("name,prop", [("abba", "deadlock"), ("abba", "lockdep_cycle"), ("nonoverlap", "lockdep_cycle"),
                                       ("irq", "lockdep_irq"), ("recursion", "lockdep_recursion"), ("values", "few")])
def test_report_text(name, prop, monkeypatch):
    _, vs = verdicts_of(name, monkeypatch)
    assert_golden(DIR / f"{name}.{prop}.report.out", vs[prop].report)


@pytest.mark.parametrize("name,prop", [("abba", "deadlock"), ("nonoverlap", "lockdep_cycle"), ("values", "few"),
                                       ("values", "reclaimed"), ("irq", "lockdep_irq")])
def test_interleaving_table(name, prop, monkeypatch):
    _, vs = verdicts_of(name, monkeypatch)
    v = vs[prop]
    parts = [render_interleaving(v.trace)]
    for title, tr in v.extra_traces:
        parts.append(f"[{title}]\n{render_interleaving(tr)}")
    assert_golden(DIR / f"{name}.{prop}.interleaving.out", "\n\n".join(parts))


@pytest.mark.parametrize("name,prop", [("abba", "deadlock"), ("values", "few"), ("values", "reclaimed")])
def test_state_diff(name, prop, monkeypatch):
    _, vs = verdicts_of(name, monkeypatch)
    assert_golden(DIR / f"{name}.{prop}.states.out", render_states(vs[prop].trace))


def test_state_diff_shows_only_changes(monkeypatch):
    model, vs = verdicts_of("values", monkeypatch)
    text = render_states(vs["few"].trace)
    initial, *steps = text.split("\nState ")
    assert initial.count("\n") == len(model.slots)  # the initial state in full
    for st in steps:
        for line in st.splitlines()[1:]:
            if not line.strip().startswith("--"):
                assert " -> " in line


def test_interleaving_has_one_column_per_actor(monkeypatch):
    _, vs = verdicts_of("abba", monkeypatch)
    head = render_interleaving(vs["deadlock"].trace).splitlines()[0]
    assert [c.strip() for c in head.split("|")] == ["#", "p1", "p2", "where"]


def _normalize_json(data):
    for m in data.get("models", []):
        m["seconds"] = 0
    return json.dumps(data, indent=1, sort_keys=True)


def test_check_json(cli):
    r = cli("check", rel("values"), "--format", "json")
    data = json.loads(r.out)
    assert data["exit_code"] == r.code == 1
    assert_golden(DIR / "values.check.json", _normalize_json(data))


def test_itf_export(monkeypatch, tmp_path, cli):
    _, vs = verdicts_of("values", monkeypatch)
    text = dump_itf(vs["few"].trace)
    assert_golden(DIR / "values.few.itf.json", text)
    itf = json.loads(text)
    assert itf["#meta"]["format"] == "ITF" and itf["#meta"]["spec"] == "values"
    assert len(itf["states"]) == vs["few"].length + 1
    first = itf["states"][0]
    assert first["used"] == {"#set": []}
    assert first["state"] == {"#map": [[{"#bigint": "0"}, "FREE"], [{"#bigint": "1"}, "FREE"],
                                       [{"#bigint": "2"}, "FREE"]]}
    assert first["info.busy"] is False and first["info.owner"] == "none"
    assert set(itf["vars"]) == {k for k in first if k != "#meta"}


def test_itf_files_written_by_check(cli, tmp_path):
    out = tmp_path / "itf"
    r = cli("check", rel("abba"), "--itf-out", str(out))
    assert r.code == 1
    assert {"abba.deadlock.itf.json", "abba.lockdep_cycle.itf.json"} <= {p.name for p in out.iterdir()}


def test_replay_of_the_golden_itf(cli):
    r = cli("replay", rel("values"), f"{HERE}/values.few.itf.json")
    assert r.code == 0
    assert_golden(DIR / "values.few.replay.out", _cli_text(r))


def test_simulate_output(cli):
    r = cli("simulate", rel("abba"), "--steps", "6", "--seed", "3", "--runs", "2")
    assert r.code == 0
    assert_golden(DIR / "abba.simulate.out", _cli_text(r))


def test_itf_roundtrip_structure(monkeypatch):
    model, vs = verdicts_of("values", monkeypatch)
    itf = trace_to_itf(vs["reclaimed"].trace)
    assert [s["#meta"]["action"] for s in itf["states"]] == \
        ["init"] + [model.transitions[st.transition].name for st in vs["reclaimed"].trace.steps[1:]]


def test_cli_output_is_deterministic(cli):
    a = cli("check", rel("values"), "--traces", "all")
    b = cli("check", rel("values"), "--traces", "all")
    from kspec_testlib import normalize
    assert normalize(a.out) == normalize(b.out) and a.err == b.err
