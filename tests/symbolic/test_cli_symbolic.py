"""`kspec check --engine bmc` and `kspec prove` end to end: verdict texts,
exit codes, proof scripts, SMT-LIB2 emission, timeouts and the KS9002
engine-disagreement error."""
from __future__ import annotations

import json
import os

HERE = os.path.dirname(__file__)
COUNTER = os.path.join(HERE, "specs", "counter.kspec")
MUTEX = os.path.join(HERE, "specs", "mutex.kspec")


def test_bmc_check_reports_bounded_and_violations(cli):
    r = cli("check", "--engine", "bmc", "--depth", "8", COUNTER)
    assert r.code == 1
    assert "violated (length 6)" in r.out
    assert "no violation up to depth 8 (bounded; not a proof)" in r.out
    assert "holds (" not in r.out
    assert "| worker[0] |" in r.out.replace("  ", " ") or "worker[0]" in r.out


def test_bmc_json(cli):
    r = cli("check", "--engine", "bmc", "--depth", "8", "--format", "json", COUNTER)
    data = json.loads(r.out)
    vs = {v["property"]: v for v in data["models"][0]["verdicts"]}
    assert vs["one"]["status"] == "violated" and vs["one"]["length"] == 6
    assert vs["bounded"]["status"] == "bounded"
    assert data["models"][0]["engine"] == "bmc"


def test_bmc_timeout_is_inconclusive(cli):
    r = cli("check", "--engine", "bmc", "--depth", "40", "--timeout", "0.001", COUNTER)
    assert r.code == 3
    assert "inconclusive" in r.out


def test_disagreement_is_ks9002(cli, monkeypatch):
    from kspec.symbolic import traces
    monkeypatch.setattr(traces.Replayer, "claim", lambda self, *a: False)
    r = cli("check", "--engine", "bmc", "--depth", "8", COUNTER)
    assert r.code == 2
    assert "KS9002" in r.err and "does not replay" in r.err


def test_prove_script_with_helper_and_smt2(cli, tmp_path):
    script = tmp_path / "mutex.toml"
    script.write_text(f'spec = "{MUTEX}"\nk = 2\nproperties = ["exclusive"]\nhelpers = ["owner"]\n'
                      '[expect]\nexclusive = "proved"\n', encoding="utf-8")
    out = tmp_path / "smt"
    r = cli("prove", str(script), "--emit-smt2", str(out))
    assert r.code == 0, r.out + r.err
    assert "proved (k-induction, k=1)" in r.out
    assert "owner (helper)" in r.out
    files = sorted(os.listdir(out))
    assert any(".step_k1." in f for f in files)


def test_prove_cti_is_labelled(cli, tmp_path):
    script = tmp_path / "mutex.toml"
    script.write_text(f'spec = "{MUTEX}"\nk = 2\nproperties = ["exclusive"]\n'
                      '[expect]\nexclusive = "unproved"\n', encoding="utf-8")
    r = cli("prove", str(script))
    assert r.code == 0, r.out + r.err
    assert "counterexample to induction (k=2): the first state need not be reachable" in r.out
    assert "State 0 (arbitrary; possibly unreachable)" in r.out
    assert "helper invariant" in r.out


def test_prove_lemma_from_script(cli, tmp_path):
    script = tmp_path / "mutex.toml"
    script.write_text(f'spec = "{MUTEX}"\nk = 1\nproperties = ["exclusive"]\n[lemmas]\n'
                      'inside_holds = "forall t in T: at(w[t], L2) or at(w[t], L3) => holds(w[t], m)"\n'
                      '[expect]\nexclusive = "proved"\n', encoding="utf-8")
    r = cli("prove", str(script))
    assert r.code == 0, r.out + r.err
    assert "inside_holds (helper)" in r.out


def test_prove_spec_violation_exit_code(cli):
    r = cli("prove", COUNTER, "--k", "8", "--property", "one", "--property", "bounded")
    assert r.code == 1
    assert "violated (length 6)" in r.out and "proved (k-induction" in r.out
