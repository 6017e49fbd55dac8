"""k-induction: proofs with and without helper lemmas, counterexamples to
induction, proof scripts, and SMT-LIB2 certificates re-checked by Z3 and (when
installed) cvc5."""
from __future__ import annotations

import os

import pytest
import z3

from kspec.pipeline import build_model
from kspec.symbolic.prove import prove_model
from kspec.symbolic.smtlib import expected_status, recheck_cvc5, to_smt2
from kspec.verdict import INCONCLUSIVE, PROVED, REACHABLE, VIOLATED

HERE = os.path.dirname(__file__)
MUTEX = os.path.join(HERE, "specs", "mutex.kspec")
COUNTER = os.path.join(HERE, "specs", "counter.kspec")


def _model(path):
    mr = build_model(path)
    assert mr.model is not None, mr.diagnostics
    return mr.model


def test_mutex_proved_with_helper():
    rep = prove_model(_model(MUTEX), ["exclusive"], helpers=["owner"], k_max=2)
    v = {x.prop: x for x in rep.verdicts}
    assert v["exclusive"].status == PROVED and v["exclusive"].reason == "k-induction, k=1"
    assert v["owner"].status == PROVED  # the helper is itself proved
    assert v["exclusive"].summary() == "proved (k-induction, k=1)"


def test_non_inductive_invariant_gives_cti():
    rep = prove_model(_model(MUTEX), ["exclusive"], k_max=2)
    [v] = rep.verdicts
    assert v.status == INCONCLUSIVE and "counterexample to induction" in v.reason
    assert v.trace is not None and "need not be reachable" in v.trace.title
    assert "helper invariant" in v.report
    # the CTI is a real path of the model from an arbitrary state
    assert v.trace.steps[0].state != tuple(_model(MUTEX).init)


def test_violations_and_witnesses_from_bmc():
    rep = prove_model(_model(COUNTER), ["bounded", "one", "both_done", "deadlock"], k_max=8, depth=8)
    v = {x.prop: x for x in rep.verdicts}
    assert v["one"].status == VIOLATED and v["one"].length == 6
    assert v["both_done"].status == REACHABLE and v["both_done"].length == 6
    assert v["bounded"].status == PROVED
    assert v["deadlock"].status == PROVED


def test_obligations_are_unsat_standalone_smt2():
    rep = prove_model(_model(MUTEX), ["exclusive"], helpers=["owner"], k_max=2, obligations=True)
    obs = rep.induction.obligations
    assert obs and any(o.name.startswith("step") for o in obs)
    for ob in obs:
        text = to_smt2(ob.assertions, ob.expect)
        assert expected_status(text) == "unsat"
        s = z3.Solver()
        s.from_string(text)
        assert s.check() == z3.unsat


def test_obligations_recheck_with_cvc5():
    pytest.importorskip("cvc5")
    rep = prove_model(_model(MUTEX), ["exclusive"], helpers=["owner"], k_max=2, obligations=True)
    for ob in rep.induction.obligations:
        text = to_smt2(ob.assertions, ob.expect)
        assert recheck_cvc5(text) == expected_status(text)
