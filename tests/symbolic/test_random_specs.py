"""Hypothesis writes small random specs (processes, locks, counters, sets,
objects, asserts, awaits, choices) as kspec text; both engines must agree on
every property's verdict and shortest counterexample length."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st

from agree import compare
from kspec.pipeline import instantiate, parse_source

COUNTERS, SETS, LOCKS = ("c0", "c1"), ("s0",), ("m0", "m1", "sp")


def _stmt(draw, locks_held: list[str]) -> str:
    kind = draw(st.sampled_from(["inc", "wrap", "set_add", "set_del", "flag", "await", "if", "either", "assert",
                                 "lock", "obj", "start"]))
    c = draw(st.sampled_from(COUNTERS))
    k = draw(st.integers(0, 2))
    if kind == "inc":
        return f"{c} := {c} + 1;"
    if kind == "wrap":
        return f"{c} := ({c} + {k + 1}) % 3;"
    if kind == "set_add":
        return f"s0 := s0 + {{{k}}};"
    if kind == "set_del":
        return f"s0 := s0 - {{{k}}};"
    if kind == "flag":
        return "f := not f;"
    if kind == "await":
        return f"await {c} <= {k} or {k} in s0;"
    if kind == "if":
        return f"if {c} == {k} {{ f := true; }} else {{ {c} := 0; }}"
    if kind == "either":
        return f"either {{ {c} := {k}; }} or {{ s0 := s0 + {{{k}}}; }}"
    if kind == "assert":
        return f"assert a{k}: size(s0) <= {k + 1};"
    if kind == "start":
        return "start helper;"
    if kind == "obj":
        return draw(st.sampled_from(["alloc(o[0]);", "free(o[0]);", "get(o[0]);", "put(o[0]);", "use(o[0]);"]))
    free = [m for m in LOCKS if m not in locks_held]
    if locks_held and draw(st.booleans()):
        m = locks_held.pop()
        return f"release({m});"
    if free:
        m = draw(st.sampled_from(free))
        locks_held.append(m)
        return f"acquire({m});"
    return "skip;"


@st.composite
def specs(draw) -> str:
    lines = ["spec random", "var c0: 0..2 = 0", "var c1: 0..2 = 0", "var s0: set[0..2] = {}",
             "var f: bool = false", "lock m0: mutex", "lock m1: mutex", "lock sp: spinlock",
             "object o[i: 0..0] { refcount: counter; initial: absent; }"]
    for p in range(draw(st.integers(1, 3))):
        ctx = draw(st.sampled_from(["process", "process", "softirq"]))
        n = draw(st.integers(1, 3))
        idx = "[i: 0..1]" if draw(st.integers(0, 3)) == 0 else ""
        lines.append(f"process p{p}{idx} context {ctx} {{")
        held: list[str] = []
        for s in range(n):
            body = " ".join(_stmt(draw, held) for _ in range(draw(st.integers(1, 2))))
            if s == n - 1:
                body += " " + " ".join(f"release({m});" for m in reversed(held))
                if draw(st.booleans()):
                    body += " goto L0;"
            lines.append(f"  L{s}: {body}")
        lines.append("}")
    lines.append("process helper idle { H0: c1 := (c1 + 1) % 3; H1: f := true; }")
    if draw(st.booleans()):
        lines.append(f"action poke(k: 0..1) context {draw(st.sampled_from(['process', 'hardirq']))} when c0 < 2 "
                     f"{{ acquire(sp); c0 := c0 + k; release(sp); }}")
    lines.append(f"invariant inv: c0 + c1 <= {draw(st.integers(1, 4))}")
    lines.append(f"reachable wit: size(s0) == {draw(st.integers(1, 3))} and f")
    return "\n".join(lines) + "\n"


def _check(text: str) -> None:
    sr = parse_source(text, "random.kspec")
    assume(sr.spec is not None)
    mr = instantiate(sr)
    assume(mr.model is not None)
    assert compare(mr.model, max_states=20_000, depth=None) == [], text


SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@settings(max_examples=25, **SETTINGS)
@given(text=specs())
def test_random_specs_agree(text):
    _check(text)


@pytest.mark.slow
@settings(max_examples=300, **SETTINGS)
@given(text=specs())
def test_random_specs_agree_many(text):
    _check(text)
