"""Every reduction of the explicit engine against the plain search, on random
specs: symmetry reduction (symmetric sorts), hash compaction and the bitstate
store must give the same verdicts and the same shortest counterexample lengths
(bitstate: never `holds`, and the same violations on these small spaces)."""
from __future__ import annotations

from hypothesis import given, settings, strategies as st

from kspec.check import check_explicit
from kspec.explicit.explore import Limits
from kspec.pipeline import instantiate, parse_source
from kspec.replay import replay_states
from kspec.verdict import APPROXIMATE, HOLDS, UNREACHABLE

STMTS = [
    "acquire(a);", "release(a);", "acquire(b);", "release(b);",
    "n := (n + 1) % 3;", "busy := busy + {self};", "busy := busy - {self};",
    "await size(busy) < 2;", "if self in busy { n := 0; }", "use(buf);",
    "choose u in T where u != self; peer[self] := u;", "flag[self] := not flag[self];",
    "assert solo: forall u in T: (u != self and at(w[u], S0)) => not flag[u];",
]

TEMPLATE = """
sort T = 0..{threads}-1 {sym}
var n: 0..2 = 0
var busy: set[T] = {{}}
var peer: map[T, T?] = none
var flag: map[T, bool] = false
lock a: mutex
lock b: spinlock
object buf[o: 0..0] {{ refcount: none; initial: live; }}
define buf0 = 0
process w[t: T] {{
{steps}
}}
invariant small: size(busy) <= {threads}
invariant not_all: not (forall u in T: flag[u])
reachable two_busy: size(busy) == 2
"""


def spec_text(threads: int, steps: list[list[str]], sym: bool) -> str:
    body = "\n".join(f"  S{k}: " + " ".join(s) for k, s in enumerate(steps))
    body = body.replace("use(buf);", "use(buf[0]);")
    return TEMPLATE.format(threads=threads, sym="symmetric" if sym else "", steps=body)


specs = st.builds(lambda threads, steps: (threads, steps), st.integers(2, 3),
                  st.lists(st.lists(st.sampled_from(STMTS), min_size=1, max_size=3), min_size=1, max_size=4))


def run(text: str, **limits):
    mr = instantiate(parse_source(text, "<random>"))
    assert mr.model is not None, [d.message for d in mr.diagnostics]
    res = check_explicit(mr.model, limits=Limits(max_states=200_000, **limits))
    assert res.complete
    for v in res.verdicts:  # every counterexample is a concrete behaviour of the model
        if v.trace is not None:
            states = [st.state for st in v.trace.steps]
            replayed = replay_states(mr.model, states, [None] * len(states))
            assert replayed.trace is not None, (v.prop, [d.message for d in replayed.diagnostics])
    return {v.prop: (v.status, v.length) for v in res.verdicts}, res.states


@settings(max_examples=60, deadline=None)
@given(specs)
def test_symmetry_reduction_keeps_verdicts_and_lengths(spec):
    threads, steps = spec
    plain, n_plain = run(spec_text(threads, steps, sym=False))
    reduced, n_reduced = run(spec_text(threads, steps, sym=True))
    assert reduced == plain
    assert n_reduced <= n_plain


@settings(max_examples=15, deadline=None)
@given(specs)
def test_compact_and_bitstate_stores_agree_with_the_full_store(spec):
    threads, steps = spec
    text = spec_text(threads, steps, sym=False)
    full, n = run(text)
    compact, n_compact = run(text, store="compact")
    assert compact == full and n_compact == n
    approx, _ = run(text, store="bitstate", bitstate_bits=22)
    for prop, (status, length) in full.items():
        if status in (HOLDS, UNREACHABLE):
            assert approx[prop][0] == APPROXIMATE  # never claims to hold
        else:
            assert approx[prop] == (status, length)
