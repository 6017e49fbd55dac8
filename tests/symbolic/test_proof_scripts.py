"""The proof scripts in proofs/ give their expected results (the fixed
tidspbridge variants proved for every depth), and the recorded BMC
counterexamples of the buggy variants (proofs/counterexamples/*.itf.json)
replay on the explicit engine and violate their property."""
from __future__ import annotations

import glob
import os

import pytest

from kspec.config import load_model_file
from kspec.pipeline import build_model
from kspec.replay import replay_itf_file
from kspec_testlib import REPO

SCRIPTS = sorted(glob.glob(os.path.join(str(REPO), "proofs", "*.toml")))
# Proof scripts that take more than ~40 s on one core run under `make test-slow` only.
SLOW_SCRIPTS: set[str] = set()
CEXS = sorted(glob.glob(os.path.join(str(REPO), "proofs", "counterexamples", "*.itf.json")))


def _script_param(path: str):
    name = os.path.basename(path)
    return pytest.param(path, id=name, marks=[pytest.mark.slow] if name in SLOW_SCRIPTS else [])


@pytest.mark.parametrize("path", [_script_param(p) for p in SCRIPTS])
def test_proof_script_as_expected(cli, path):
    r = cli("prove", path)
    assert r.code == 0, r.out + r.err
    assert "DIFFERS" not in r.out and "inconclusive" not in r.out


@pytest.mark.parametrize("path", CEXS, ids=lambda p: os.path.basename(p))
def test_recorded_counterexample_replays(path):
    model_name, prop = os.path.basename(path)[:-len(".itf.json")].split(".", 1)
    mf, _ = load_model_file(os.path.join(str(REPO), "model", model_name + ".toml"))
    model = build_model(mf.spec_path, variant=mf.variant, constants=dict(mf.constants)).model
    res = replay_itf_file(model, path)
    assert not res.diagnostics, res.diagnostics
    assert prop in {p for p, _, _ in res.violations}
