"""Contracts over time (`contract NAME: PATTERN SCOPE`, kspec.ir.contracts).

The semantic test enumerates every event sequence of a small environment and
compares kspec's verdict and shortest counterexample with a direct Python
reading of Dwyer's safety patterns; the others pin instance matching (process
indexes, action and event arguments, `_`), both engines, and the errors."""
from __future__ import annotations

import itertools

import pytest

from kspec.verdict import HOLDS, VIOLATED
from kspec_testlib import codes_of, model_of, verdict
from symbolic.agree import compare

K = 4  # steps of the environment
EVENTS = ("p", "q", "r")


def _env_spec(contract: str) -> str:
    return f"""
spec env
var n: 0..{K} = 0
event p()
event q()
event r()
process env {{
  L: await n < {K}; n := n + 1;
     either {{ emit p(); }} or {{ emit q(); }} or {{ emit r(); }}
     goto L;
}}
{contract}
"""


def _reference(pattern: str, bound: int, forbidden: str, scope: str, opener: str, closer: str) -> int | None:
    """Length of the shortest event sequence (at most K) that violates the
    pattern, by Dwyer's definitions read as safety monitors; None if none."""
    best = None
    for n in range(1, K + 1):
        for seq in itertools.product(EVENTS, repeat=n):
            is_open = scope in ("globally", "before")
            count = 0
            for i, e in enumerate(seq, 1):
                if e == forbidden and is_open and (pattern == "never" or count >= bound):
                    best = i if best is None else min(best, i)
                    break
                if e == forbidden and is_open:
                    count += 1
                if e == closer and scope in ("before", "after_until"):
                    is_open = False
                if e == opener and scope in ("after", "after_until") and not is_open:
                    is_open, count = True, 0
        if best is not None:
            return best
    return best


SCOPES = {
    "globally": "",
    "before": "before {c}()",
    "after": "after {o}()",
    "after_until": "after {o}() until {c}()",
}
CASES = [(pattern, bound, scope, forbidden, opener, closer)
         for pattern, bound in (("never", 0), ("at_most", 1), ("at_most", 2))
         for scope in SCOPES
         for forbidden, opener, closer in (("p", "q", "r"), ("p", "p", "q"), ("p", "q", "p"))]


@pytest.mark.parametrize("pattern,bound,scope,forbidden,opener,closer", CASES)
def test_patterns_match_dwyer_reference(pattern, bound, scope, forbidden, opener, closer):
    head = f"never {forbidden}()" if pattern == "never" else f"at most {bound} {forbidden}()"
    src = _env_spec(f"contract X: {head} " + SCOPES[scope].format(o=opener, c=closer))
    v = verdict(src, "X")
    want = _reference(pattern, bound, forbidden, scope, opener, closer)
    if want is None:
        assert v.status == HOLDS, v
    else:
        assert (v.status, v.length) == (VIOLATED, want), (src, v)


def test_always_holds_only_while_open():
    src = _env_spec("var flag: bool = false\n"
                    "contract A: always n <= 1 after p() until q()")
    v = verdict(src, "A")
    assert (v.status, v.length) == (VIOLATED, 2)  # p then any event: n == 2 with the scope open
    src = _env_spec("contract B: always n <= 1 before q()\ncontract C: always n <= 4")
    assert verdict(src, "B").length == 2
    assert verdict(src, "C").status == HOLDS


INSTANCES = """
spec inst
sort Chan = 0..1
sort Desc = 0..1
event sync(c: Chan)
event cb(c: Chan, d: Desc)
var synced: map[Chan, bool] = false
process client[c: Chan] {
  C1: synced[c] := true; emit sync(c);
  C2: synced[c] := false;
}
process tasklet[c: Chan] {
  K1: either { emit cb(c, 0); } or { emit cb(c, 1); }
  K2: skip;
}
action poke(c: Chan) when synced[c] { skip; }
"""


def test_instances_are_matched_by_arguments():
    # The callback of one channel after the other channel's sync is fine; its own is not.
    src = INSTANCES + "contract E1[c: Chan]: never cb(c, _) after sync(c) until client[c].C2\n"
    v = verdict(src, "E1")
    assert (v.status, v.length) == (VIOLATED, 2)
    actors = [v.trace.model.transitions[s.transition].actor for s in v.trace.steps[1:]]
    assert actors in (["client[0]", "tasklet[0]"], ["client[1]", "tasklet[1]"]), actors


def test_two_parameters_and_constants_in_occurrences():
    src = INSTANCES + "contract E2[c: Chan, d: Desc]: never cb(c, d) after client[c].C1\n" \
                      "contract E3: never cb(1, 1) after sync(0)\n" \
                      "contract E4[c: Chan]: never poke(c) before client[c].C2\n"
    assert verdict(src, "E2").length == 2
    assert verdict(src, "E3").length == 2
    assert (verdict(src, "E4").status, verdict(src, "E4").length) == (VIOLATED, 2)  # C1 then poke


def test_contracts_hold_where_the_design_is_right():
    src = INSTANCES + "contract E5[c: Chan]: at most 1 sync(c)\n" \
                      "contract E6[c: Chan]: never client[c].C2 before sync(c)\n"
    assert verdict(src, "E5").status == HOLDS
    assert verdict(src, "E6").status == HOLDS


def test_both_engines_agree_on_contracts():
    src = INSTANCES + "contract E1[c: Chan]: never cb(c, _) after sync(c) until client[c].C2\n" \
                      "contract E5[c: Chan]: at most 1 sync(c)\n" \
                      "contract E7: always synced[0] after client[0].C1 until client[0].C2\n"
    assert compare(model_of(src)) == []


def test_ghost_state_is_visible_and_documented():
    m = model_of(INSTANCES + "/// no callback after sync\ncontract E1[c: Chan]: never cb(c, _) after sync(c)\n")
    names = [s.name for s in m.slots]
    assert "E1.open[0]" in names and "E1.open[1]" in names
    info = next(p for p in m.properties if p.name == "E1")
    assert info.kind == "check" and info.doc == "no callback after sync"


@pytest.mark.parametrize("contract,code", [
    ("contract X: never nosuch()", "KS1001"),
    ("contract X: never sync()", "KS1006"),
    ("contract X: never client[0].NOPE", "KS1009"),
    ("contract X: never client.C1", "KS1017"),
    ("contract X[c: 0..1]: never sync(c)", "KS1004"),
    ("contract E1: never sync(0)\ncontract E1: never sync(1)", "KS1002"),
    ("contract synced: never sync(0)", "KS1002"),
    ("contract X: never nosuch[0].L", "KS1012"),
])
def test_bad_contracts_are_located_errors(contract, code):
    codes = codes_of(INSTANCES + contract + "\n")
    assert code in codes, codes


def test_ghost_variables_can_be_read_by_helper_invariants():
    src = INSTANCES + "contract E1[c: Chan]: never cb(c, _) after sync(c) until client[c].C2\n" \
                      "contract E5[c: Chan]: at most 1 sync(c)\n" \
                      "invariant H1: forall c in Chan: E1.open[c] == synced[c]\n" \
                      "invariant H2: forall c in Chan: E5.count[c] <= 1\n"
    assert verdict(src, "H1").status == HOLDS
    assert verdict(src, "H2").status == HOLDS
