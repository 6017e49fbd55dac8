"""Random executions of a model (uniform choice among enabled transitions),
reproducible from a seed."""
from __future__ import annotations

import random

from kspec.explicit.compile import compile_model
from kspec.ir import nodes as N
from kspec.report.trace import Trace, TraceStep


def simulate(model: N.Model, *, steps: int = 30, seed: int = 0) -> Trace:
    cm = compile_model(model)
    rng = random.Random(seed)
    s = tuple(model.init)
    out = [TraceStep(None, s)]
    for _ in range(steps):
        succs, _bad = cm.expand(s, frozenset())
        if not succs:
            break
        tid, s = succs[rng.randrange(len(succs))]
        out.append(TraceStep(tid, s))
    return Trace(model, tuple(out), f"random run, seed {seed}")
