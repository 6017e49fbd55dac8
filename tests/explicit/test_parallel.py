"""The parallel explicit search (`--workers N`, kspec.explicit.parallel)
against the sequential one, the reference semantics: the same states, the
same verdicts, lengths and counterexamples (state for state), the same stop
reasons under bounds, deterministic output, traces that replay; and the front
ends (`kspec check --workers`, the model-file key, the refusals)."""
from __future__ import annotations

import json
import os
import signal

import pytest
from hypothesis import given, settings

import kspec.explicit.parallel as P
from kspec.check import check_explicit
from kspec.config import load_model_file
from kspec.explicit.compile import compile_model
from kspec.explicit.explore import Limits, explore
from kspec.explicit.parallel import ParallelUnsupported, WorkerFailed, explore_parallel
from kspec.pipeline import build_model, instantiate, parse_source
from kspec.replay import replay_states
from kspec_testlib import REPO

from test_reductions_crosscheck import spec_text, specs

MODEL_DIR = REPO / "model"
# model files whose sequential search takes more than about a second: only with -m slow
BIG_MODELS = {"dmabuf_ownership_cpu_bracket", "dmabuf_ownership_cpu_bracket_misuse", "dmaengine_terminate_sync_3x2",
              "uacce_v5_7_full", "uacce_v6_0_full", "uacce_v7_full", "tidspbridge_refcount_4x3_symmetric"}
# a few small models (violations, witnesses, lockdep, deadlocks, symmetry) also run with 3 workers
THREE_WORKERS = {"tidspbridge_original_uaf", "uacce_v7_u1_lockdep_only", "uacce_v7_u1_deadlock",
                 "dmaengine_sync_under_spinlock", "dmabuf_locking_v2_debugfs"}


def _model_files(big: bool) -> list:
    return [pytest.param(p, id=p.stem) for p in sorted(MODEL_DIR.glob("*.toml")) if (p.stem in BIG_MODELS) == big]


def _load(path):
    mf, diags = load_model_file(str(path))
    assert mf is not None, diags
    mr = build_model(mf.spec_path, variant=mf.variant, constants=dict(mf.constants), symmetric=tuple(mf.symmetric))
    assert mr.model is not None
    progress = {p.name for p in mr.model.progress}  # need the state graph in one process (test_progress.py)
    names = [p.name for p in mr.model.properties if p.name not in mf.disable and (not mf.only or p.name in mf.only)
             and p.name not in progress]
    return mr.model, names


def outcome(result) -> dict:
    """Everything a run reports except its duration and worker count."""
    return {"states": result.states, "transitions": result.transitions, "depth": result.depth,
            "complete": result.complete, "stop_reason": result.stop_reason, "unfired": result.unfired,
            "caveat": result.caveat,
            "verdicts": [(v.prop, v.status, v.length, v.message, v.report,
                          None if v.trace is None else [(s.transition, s.state, s.note) for s in v.trace.steps],
                          [(t, [(s.transition, s.state) for s in x.steps]) for t, x in v.extra_traces])
                         for v in result.verdicts]}


def assert_replays(model, result) -> None:
    """Every counterexample and witness of a run is a behaviour of the model."""
    for v in result.verdicts:
        if v.trace is not None:
            states = [st.state for st in v.trace.steps]
            replayed = replay_states(model, states, [None] * len(states))
            assert replayed.trace is not None, (v.prop, [d.message for d in replayed.diagnostics])


def _same_as_sequential(path, workers=(2, 3), **limits):
    model, names = _load(path)
    seq = check_explicit(model, names, limits=Limits(**limits))
    for n in workers:
        par = check_explicit(model, names, limits=Limits(**limits), workers=n)
        assert par.workers == n
        assert outcome(par) == outcome(seq), n
    return model, par


# ---- every model file ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", _model_files(big=False))
def test_model_files_same_as_sequential(path):
    model, par = _same_as_sequential(path, workers=(2, 3) if path.stem in THREE_WORKERS else (2,))
    assert_replays(model, par)


@pytest.mark.slow
@pytest.mark.parametrize("path", _model_files(big=True))
def test_big_model_files_same_as_sequential(path):
    _same_as_sequential(path, workers=(2,))


@pytest.mark.parametrize("name", ["tidspbridge_original_publication", "uacce_v7_u1_lockdep_only",
                                  "dmaengine_fixed_2x2"])
def test_compact_store_same_as_sequential(name):
    _same_as_sequential(MODEL_DIR / f"{name}.toml", workers=(2,), store="compact")


# ---- bounds --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["tidspbridge_refcount_3x2", "uacce_v7_u1_lockdep_only"])
@pytest.mark.parametrize("bound", [{"max_states": 1}, {"max_states": 2}, {"max_states": 57}, {"max_states": 400},
                                   {"max_depth": 1}, {"max_depth": 4}])
def test_bounds_stop_where_the_sequential_search_stops(name, bound):
    """The state bound stops after the same state as the sequential search
    (same count, coverage and findings); the depth bound at the same level."""
    _same_as_sequential(MODEL_DIR / f"{name}.toml", workers=(2, 3) if bound == {"max_states": 57} else (2,), **bound)


def test_bounded_run_is_inconclusive():
    model, names = _load(MODEL_DIR / "tidspbridge_refcount_3x2.toml")
    res = check_explicit(model, names, limits=Limits(max_states=100), workers=2)
    assert not res.complete and res.stop_reason == "state bound 100 reached"
    assert all(v.status in ("inconclusive", "violated", "reachable") for v in res.verdicts)
    assert any(v.status == "inconclusive" for v in res.verdicts)


def test_time_bound_is_inconclusive():
    model, names = _load(MODEL_DIR / "dmaengine_terminate_sync_3x2.toml")
    res = check_explicit(model, names, limits=Limits(max_seconds=0.2), workers=2)
    assert not res.complete and res.stop_reason == "time bound 0.2s reached"
    assert any(v.status == "inconclusive" for v in res.verdicts)


def test_ctrl_c_stops_cleanly_as_interrupted():
    """Ctrl-C (SIGINT to the coordinator) ends the level and the search:
    inconclusive, "interrupted", and the workers are gone."""
    model, names = _load(MODEL_DIR / "uacce_v7_full.toml")  # 430,886 states: more than a second
    cm = compile_model(model)
    sent = []
    before = signal.getsignal(signal.SIGINT)

    def progress(states, depth, secs):  # called by the coordinator between levels, after a second
        if not sent:
            sent.append(states)
            os.kill(os.getpid(), signal.SIGINT)
    ex = explore_parallel(cm, set(names), Limits(), 2, progress)
    assert sent and not ex.complete and ex.stop_reason == "interrupted"
    assert sent[0] <= ex.count < 430_886
    assert signal.getsignal(signal.SIGINT) is before


# ---- random specs (as in test_reductions_crosscheck) ------------------------------------------------


def _random(text: str, workers: int, **limits):
    mr = instantiate(parse_source(text, "<random>"))
    assert mr.model is not None, [d.message for d in mr.diagnostics]
    res = check_explicit(mr.model, limits=Limits(max_states=200_000, **limits), workers=workers)
    assert res.complete
    return mr.model, res


def _random_agrees(spec, sym: bool, store: str = "full") -> None:
    threads, steps = spec
    text = spec_text(threads, steps, sym=sym)
    _, seq = _random(text, 1, store=store)
    model, par = _random(text, 2, store=store)
    assert outcome(par) == outcome(seq)
    assert_replays(model, par)


@settings(max_examples=8, deadline=None)
@given(specs)
def test_random_specs_same_as_sequential(spec):
    _random_agrees(spec, sym=False)


@settings(max_examples=4, deadline=None)
@given(specs)
def test_random_symmetric_specs_same_as_sequential(spec):
    _random_agrees(spec, sym=True)


@pytest.mark.slow
@settings(max_examples=80, deadline=None)
@given(specs)
def test_random_specs_same_as_sequential_many(spec):
    _random_agrees(spec, sym=False)
    _random_agrees(spec, sym=True)
    _random_agrees(spec, sym=False, store="compact")


# ---- internals -----------------------------------------------------------------------------------


def test_hash_collisions_in_the_full_store(monkeypatch):
    """States of one hash are told apart (the workers inherit the patched
    hash): 3 bits of hash force collisions everywhere."""
    monkeypatch.setattr(P, "_hash", lambda s: hash(s) & 7)
    _same_as_sequential(MODEL_DIR / "uacce_v7_u1_lockdep_only.toml", workers=(2,))
    _same_as_sequential(MODEL_DIR / "tidspbridge_refcount_3x2.toml", workers=(2,), max_states=500)


def test_exploration_object_works_for_reports():
    model, names = _load(MODEL_DIR / "tidspbridge_original_uaf.toml")
    cm = compile_model(model)
    seq = explore(cm, set(names))
    for store in ("full", "compact"):
        par = explore_parallel(cm, set(names), Limits(store=store), 2)
        assert par.count == seq.count == len(par.states)
        assert {k: (v.state, v.length, v.tid) for k, v in par.found.items()} == \
            {k: (v.state, v.length, v.tid) for k, v in seq.found.items()}
        for v in par.found.values():
            assert par.trace_to(v.state) == seq.trace_to(v.state)
            assert par.concrete_state(v.state) == seq.states[v.state]
        assert par.coverage == seq.coverage and par.transitions_fired == seq.transitions_fired


def test_bitstate_is_refused():
    model, names = _load(MODEL_DIR / "tidspbridge_original_uaf.toml")
    with pytest.raises(ParallelUnsupported):
        explore_parallel(compile_model(model), set(names), Limits(store="bitstate"), 2)


class _FailingInWorkers:
    """A symmetry whose canonical form fails in the worker processes."""

    def __init__(self):
        self.pid = os.getpid()

    def canonical(self, s):
        if os.getpid() != self.pid:
            raise RuntimeError("boom")
        return s


def test_a_failing_worker_is_reported_not_hung():
    model, names = _load(MODEL_DIR / "tidspbridge_refcount_3x2.toml")
    with pytest.raises(WorkerFailed, match="boom"):
        explore_parallel(compile_model(model), set(names), Limits(), 2, symmetry=_FailingInWorkers())


def test_progress_properties_use_one_process():
    """Progress properties need the whole state graph: with them, the search
    runs in this process (and serves every property)."""
    model, names = _load(MODEL_DIR / "dmaengine_fixed.toml")
    live = [p.name for p in model.progress]
    if not live:
        pytest.skip("no progress property in this model")
    res = check_explicit(model, names + live, workers=2)
    assert res.workers == 1
    assert outcome(res) == outcome(check_explicit(model, names + live))


# ---- front ends ----------------------------------------------------------------------------------


def _json(r) -> dict:
    data = json.loads(r.out)
    for m in data["models"]:
        m["seconds"] = 0
    return data


def test_cli_workers_end_to_end_and_deterministic(cli):
    args = ("check", "model/tidspbridge_original_uaf.toml", "model/tidspbridge_original_overlap.toml",
            "--format", "json", "--traces", "all")
    seq = cli(*args)
    a, b = cli(*args, "--workers", "2"), cli(*args, "--workers", "2")
    assert a.code == b.code == seq.code == 0
    assert _json(a) == _json(b)  # two runs print the same
    ja, js = _json(a), _json(seq)
    assert [m["workers"] for m in ja["models"]] == [2, 2] and [m["workers"] for m in js["models"]] == [1, 1]
    for m in ja["models"] + js["models"]:
        del m["workers"]
    assert ja == js  # and the same as one process
    text = cli("check", "model/tidspbridge_original_uaf.toml", "--workers", "2")
    assert text.code == 0 and ", 2 workers" in text.out


def test_cli_workers_zero_means_one_per_core(cli):
    r = cli("check", "model/tidspbridge_original_uaf.toml", "--workers", "0", "--format", "json")
    assert r.code == 0
    assert json.loads(r.out)["models"][0]["workers"] == (os.cpu_count() or 1)


def test_cli_bad_workers_is_a_usage_error(cli):
    r = cli("check", "model/tidspbridge_original_uaf.toml", "--workers", "-1")
    assert r.code == 2 and "KS5004" in r.err and "--workers" in r.err and "-1" in r.err
    r = cli("check", "model/tidspbridge_original_uaf.toml", "--workers", "two")
    assert r.code == 2 and "KS5004" in r.err


def test_cli_workers_with_bitstate_is_refused(cli):
    r = cli("check", "model/tidspbridge_original_uaf.toml", "--workers", "2", "--store", "bitstate")
    assert r.code == 2 and "KS5006" in r.err and "bitstate" in r.err
    r = cli("check", "model/tidspbridge_original_uaf.toml", "--workers", "1", "--store", "bitstate")
    assert r.code != 2 and "KS5006" not in r.err


def test_cli_workers_with_bmc_is_ignored_with_a_note(cli):
    r = cli("check", "model/tidspbridge_original_uaf.toml", "--workers", "2", "--engine", "bmc", "--depth", "4")
    assert r.code != 2 and "note[KS5006]" in r.err and "ignored" in r.err


def _model_file(tmp_path, workers: str) -> str:
    spec = (REPO / "model" / "tidspbridge_original_uaf.toml").read_text(encoding="utf-8")
    spec = spec.replace('spec = "../spec/', f'spec = "{REPO}/spec/')
    p = tmp_path / "m.toml"
    p.write_text(f"workers = {workers}\n" + spec, encoding="utf-8")
    return str(p)


def test_model_file_workers_key(cli, tmp_path):
    r = cli("check", _model_file(tmp_path, "2"), "--format", "json")
    assert r.code == 0 and json.loads(r.out)["models"][0]["workers"] == 2
    r = cli("check", _model_file(tmp_path, "2"), "--workers", "1", "--format", "json")  # the command line wins
    assert r.code == 0 and json.loads(r.out)["models"][0]["workers"] == 1
    for bad in ("-1", "true", '"2"', "1.5"):
        r = cli("check", _model_file(tmp_path, bad))
        assert r.code == 2 and "KS5002" in r.err and "`workers` must be a non-negative integer" in r.err, bad
