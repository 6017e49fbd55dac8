"""BMC and the explicit engine agree: the same verdict for every property and
the same shortest counterexample length, on small specs written for this test
and on every model in model/ (the larger ones under `-m slow`)."""
from __future__ import annotations

import glob
import os

import pytest

from agree import compare
from kspec.config import load_model_file
from kspec.pipeline import build_model
from kspec_testlib import REPO

HERE = os.path.dirname(__file__)
SPECS = sorted(glob.glob(os.path.join(HERE, "specs", "*.kspec")))
MODELS = sorted(glob.glob(os.path.join(str(REPO), "model", "*.toml")))
# BMC cost grows with depth x transitions: larger models run under `-m slow`
FAST_COST = 400


@pytest.mark.parametrize("path", SPECS, ids=lambda p: os.path.basename(p))
def test_small_specs_agree(path):
    mr = build_model(path)
    assert mr.model is not None, mr.diagnostics
    assert compare(mr.model) == []


def _model(path):
    mf, diags = load_model_file(path)
    assert mf is not None, diags
    mr = build_model(mf.spec_path, variant=mf.variant, constants=dict(mf.constants))
    if mr.model is None:
        pytest.skip(f"model does not build: {mr.diagnostics[:1]}")
    names = [p.name for p in mr.model.properties if (not mf.only or p.name in mf.only) and p.name not in mf.disable]
    return mr.model, names


def _agree(path, slow: bool):
    model, names = _model(path)
    from kspec.check import check_explicit
    from kspec.explicit.explore import Limits
    ex = check_explicit(model, names, limits=Limits(max_states=100_000))
    if (ex.depth * len(model.transitions) > FAST_COST) != slow:
        pytest.skip("large model: runs under -m slow" if not slow else "small model: runs in the fast suite")
    try:
        diffs = compare(model, names, max_states=100_000, timeout=300)
    except RuntimeError as e:  # the explicit search itself is bounded here
        pytest.skip(str(e))
    if diffs and all("bmc inconclusive" in d for d in diffs):
        pytest.skip(f"BMC timed out (not a disagreement): {diffs[0]}")
    assert diffs == []


IDS = [os.path.splitext(os.path.basename(p))[0] for p in MODELS]


@pytest.mark.parametrize("path", MODELS, ids=IDS)
def test_models_agree(path):
    _agree(path, slow=False)


@pytest.mark.slow
@pytest.mark.parametrize("path", MODELS, ids=IDS)
def test_large_models_agree(path):
    _agree(path, slow=True)
