"""The command line: exit codes (0 as expected, 1 differs/violated, 2 bad
input or usage, 3 inconclusive), JSON output of every command, `explain`,
model files, and no Python traceback for any bad input."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from kspec.report.diagnostics import REGISTRY
from kspec_testlib import REPO, run_subprocess

GOOD = """
/// A spec whose properties all hold.
spec good
const N = 2
const FLAG = false
var x: 0..3 = 0
process p[i: 0..1] { L1: x := i + 1; }
invariant bounded: x <= N
reachable one: x == 1
"""

BAD = """
spec bad
lock a: mutex
lock b: mutex
process p1 { L1: acquire(a); L2: acquire(b); L3: release(b); release(a); }
process p2 { M1: acquire(b); M2: acquire(a); M3: release(a); release(b); }
"""

WIDE = """
spec wide
sort K = 0..3
var m: map[K, 0..2] = 0
process p[k: K] { L1: m[k] := 1; L2: m[k] := 2; }
invariant ok: forall k in K: m[k] <= 2
"""


@pytest.fixture
def project(tmp_path):
    """A directory with specs and model files; returns a path helper."""
    (tmp_path / "spec").mkdir()
    (tmp_path / "model").mkdir()
    (tmp_path / "spec" / "good.kspec").write_text(GOOD, encoding="utf-8")
    (tmp_path / "spec" / "bad.kspec").write_text(BAD, encoding="utf-8")
    (tmp_path / "spec" / "wide.kspec").write_text(WIDE, encoding="utf-8")

    def model(name: str, text: str) -> str:
        p = tmp_path / "model" / f"{name}.toml"
        p.write_text(text, encoding="utf-8")
        return str(p)

    model.root = tmp_path  # type: ignore[attr-defined]
    return model


def no_traceback(r):
    assert "Traceback" not in r.both
    assert "KS9001" not in r.both, r.both  # internal errors are bugs, not diagnostics


# ---- exit codes ------------------------------------------------------------------------------
def test_exit_0_spec_that_holds(cli, project):
    r = cli("check", str(project.root / "spec" / "good.kspec"))
    assert r.code == 0, r.both
    assert "bounded" in r.out and "holds (exhaustive" in r.out
    no_traceback(r)


def test_exit_1_spec_with_a_violation(cli, project):
    r = cli("check", str(project.root / "spec" / "bad.kspec"))
    assert r.code == 1
    assert "DIFFERS" in r.out and "*** DEADLOCK ***" in r.out


def test_exit_0_model_file_expecting_the_violations(cli, project):
    m = project("bad_expected", """
spec = "../spec/bad.kspec"
description = "AB-BA"
[expect]
deadlock = { verdict = "violated", length = 4 }
wait_cycle = "violated"
lockdep_cycle = "violated"
""")
    r = cli("check", m)
    assert r.code == 0, r.both
    assert "DIFFERS" not in r.out


def test_exit_1_when_the_length_differs(cli, project):
    m = project("bad_len", 'spec = "../spec/bad.kspec"\n[expect]\ndeadlock = { verdict = "violated", length = 3 }\n'
                'lockdep_cycle = "violated"\nwait_cycle = "violated"\n')
    r = cli("check", m)
    assert r.code == 1
    assert "DIFFERS" in r.out
    # a model-file run prints the traces of unexpected verdicts only
    assert "--- deadlock" in r.out and "--- lockdep_cycle" not in r.out


def test_exit_1_when_a_witness_is_unexpectedly_unreachable(cli, project):
    m = project("good_wrong", 'spec = "../spec/good.kspec"\n[expect]\none = "unreachable"\n')
    assert cli("check", m).code == 1


def test_exit_2_bad_spec(cli, tmp_spec):
    r = cli("check", str(tmp_spec("var x: 0..1 = y\nprocess p { L1: skip; }")))
    assert r.code == 2 and "KS1001" in r.err
    no_traceback(r)


def test_exit_3_inconclusive_with_max_states(cli, project):
    r = cli("check", str(project.root / "spec" / "wide.kspec"), "--max-states", "5")
    assert r.code == 3, r.both
    assert "inconclusive (state bound 5 reached)" in r.out


def test_exit_3_inconclusive_with_max_depth(cli, project):
    r = cli("check", str(project.root / "spec" / "wide.kspec"), "--max-depth", "2")
    assert r.code == 3


def test_exit_3_from_model_file_bounds(cli, project):
    m = project("wide_bounded", 'spec = "../spec/wide.kspec"\n[bounds]\nmax_states = 5\n')
    assert cli("check", m).code == 3


def test_violation_beats_inconclusive(cli, tmp_spec):
    spec = tmp_spec(WIDE + "process early { E1: assert early_fail: false; }\n")
    r = cli("check", str(spec), "--max-states", "5")
    assert "inconclusive" in r.out and "early_fail" in r.out
    assert r.code == 1


def test_directory_of_models_exit_code_is_the_worst(cli, project):
    project("a_ok", 'spec = "../spec/good.kspec"\n')
    r = cli("check", str(project.root / "model"))
    assert r.code == 0
    project("b_differs", 'spec = "../spec/bad.kspec"\n')
    r = cli("check", str(project.root / "model"))
    assert r.code == 1
    assert "2 models: 1 as expected, 1 differ, 0 inconclusive, 0 with errors" in r.out
    project("c_broken", 'spec = "../spec/nope.kspec"\n')
    r = cli("check", str(project.root / "model"))
    assert r.code == 2
    assert "3 models: 1 as expected, 1 differ, 0 inconclusive, 1 with errors" in r.out


def test_directory_without_models(cli, tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    r = cli("check", str(tmp_path))
    assert r.code == 2 and "KS5004" in r.err and "no model file" in r.err
    no_traceback(r)


def test_nonexistent_path(cli):
    r = cli("check", "no/such/dir/model.toml")
    assert r.code == 2 and "no such file or directory" in r.err
    no_traceback(r)


# ---- options -----------------------------------------------------------------------------------
def test_const_override(cli, project):
    spec = str(project.root / "spec" / "good.kspec")
    r = cli("check", spec, "--const", "N=1")
    assert r.code == 1  # x reaches 2 > N
    assert "N=1" in r.out.splitlines()[0]
    assert cli("check", spec, "--const", "N=2", "--const", "FLAG=true").code == 0


@pytest.mark.parametrize("arg,fragment", [("N=abc", "not an integer or boolean"), ("N", "NAME=VALUE"),
                                          ("=3", "NAME=VALUE"), ("NOPE=1", "NOPE")])
def test_bad_const(cli, project, arg, fragment):
    r = cli("check", str(project.root / "spec" / "good.kspec"), "--const", arg)
    assert r.code == 2 and fragment in r.err
    no_traceback(r)


def test_const_of_the_wrong_kind(cli, project):
    r = cli("check", str(project.root / "spec" / "good.kspec"), "--const", "FLAG=3")
    assert r.code == 2 and "KS1013" in r.err


def test_cli_const_overrides_the_model_file(cli, project):
    m = project("good_n1", 'spec = "../spec/good.kspec"\n[constants]\nN = 1\n[expect]\nbounded = "violated"\n')
    assert cli("check", m).code == 0
    assert cli("check", m, "--const", "N=2").code == 1


def test_boolean_constant_in_a_model_file(cli, project):
    m = project("flag", 'spec = "../spec/good.kspec"\n[constants]\nFLAG = true\n')
    r = cli("check", m)
    assert r.code == 0, r.both


def test_property_selection(cli, project):
    spec = str(project.root / "spec" / "bad.kspec")
    r = cli("check", spec, "--property", "lock_recursion")
    assert r.code == 0
    rows = [ln.split()[0] for ln in r.out.splitlines()[3:] if ln.strip() and not ln.strip().startswith("─")]
    assert rows == ["lock_recursion"]
    r = cli("check", spec, "--property", "deadlok")
    assert r.code == 2 and "KS5003" in r.err and "did you mean `deadlock`" in r.err


def test_model_file_only_and_disable(cli, project):
    m = project("sel", 'spec = "../spec/bad.kspec"\n[check]\ndisable = ["deadlock", "wait_cycle", "lockdep_cycle"]\n')
    r = cli("check", m)
    assert r.code == 0 and "deadlock" not in r.out
    m = project("only", 'spec = "../spec/bad.kspec"\n[check]\nonly = ["range"]\n')
    r = cli("check", m)
    assert r.code == 0 and "lock_recursion" not in r.out


def test_variant_option(cli, tmp_spec):
    spec = str(tmp_spec("variant good | bad\nvar x: 0..1 = 0\n@bad process p { L1: x := 1; }\n"
                        "process q { Q1: skip; }\ninvariant zero: x == 0"))
    assert cli("check", spec).code == 0
    assert cli("check", spec, "--variant", "bad").code == 1
    r = cli("check", spec, "--variant", "ugly")
    assert r.code == 2 and "KS1008" in r.err


@pytest.mark.parametrize("traces,expect_detail", [("none", False), ("violations", True), ("all", True)])
def test_traces_option(cli, project, traces, expect_detail):
    r = cli("check", str(project.root / "spec" / "good.kspec"), "--traces", traces)
    assert ("--- one:" in r.out) == (traces == "all")
    r = cli("check", str(project.root / "spec" / "bad.kspec"), "--traces", traces)
    assert ("*** DEADLOCK ***" in r.out) == expect_detail


def test_unfired_steps_warning(cli, tmp_spec):
    r = cli("check", str(tmp_spec("var x: 0..1 = 0\nprocess p { L1: await x == 1; }\nprocess q { Q1: skip; }\n")))
    assert "KS3008" in r.err and "p.L1" in r.err


# ---- JSON ----------------------------------------------------------------------------------------
def test_check_json(cli, project):
    r = cli("check", str(project.root / "spec" / "bad.kspec"), "--format", "json")
    data = json.loads(r.out)
    assert data["exit_code"] == r.code == 1
    (m,) = data["models"]
    assert m["spec"] == "bad" and m["complete"] is True and m["states"] == 13
    v = {x["property"]: x for x in m["verdicts"]}
    assert v["deadlock"]["status"] == "violated" and v["deadlock"]["length"] == 4
    assert v["deadlock"]["as_expected"] is False and v["range"]["as_expected"] is True
    assert v["deadlock"]["trace"]["length"] == 4
    assert len(v["deadlock"]["trace"]["steps"]) == 5
    assert data["summary"] == {"ok": 0, "differ": 1, "inconclusive": 0, "error": 0}


def test_check_json_equals_form(cli, project):
    r = cli("check", str(project.root / "spec" / "good.kspec"), "--format=json")
    assert json.loads(r.out)["exit_code"] == 0


def test_check_json_on_errors(cli, tmp_spec):
    r = cli("check", str(tmp_spec("var x: 0..1 = y\n")), "--format", "json")
    data = json.loads(r.out)
    assert data["exit_code"] == 2
    (d,) = data["diagnostics"]
    assert d["code"] == "KS1001" and d["line"] == 1 and d["col"] == 15 and d["severity"] == "error"
    assert r.err == ""


def test_usage_error_json(cli):
    r = cli("check", "--format", "json", "--bogus")
    data = json.loads(r.out)
    assert data["exit_code"] == 2 and data["diagnostics"][0]["code"] == "KS5004"


def test_explain(cli):
    r = cli("explain", "KS1001")
    assert r.code == 0 and r.out.startswith("KS1001: unknown name")
    assert cli("explain", "ks1001").code == 0
    data = json.loads(cli("explain", "KS2004", "--format", "json").out)
    assert data["code"] == "KS2004" and data["title"] == "unused declaration" and data["exit_code"] == 0
    r = cli("explain", "KS0000")
    assert r.code == 2 and "KS5004" in r.err


@pytest.mark.parametrize("code", sorted(REGISTRY))
def test_explain_every_registered_code(cli, code):
    r = cli("explain", code)
    assert r.code == 0 and r.out.startswith(f"{code}: {REGISTRY[code].title}")
    assert len(REGISTRY[code].explanation) > 20


def test_simulate(cli, project):
    spec = str(project.root / "spec" / "bad.kspec")
    r = cli("simulate", spec, "--steps", "5", "--seed", "1")
    assert r.code == 0 and r.out.startswith("run 1 (seed 1)")
    data = json.loads(cli("simulate", spec, "--steps", "5", "--runs", "3", "--format", "json").out)
    assert len(data["runs"]) == 3 and data["exit_code"] == 0
    for run in data["runs"]:
        assert run["length"] == len(run["steps"]) - 1 <= 5
        assert run["steps"][0]["state"]["a"] == "free"
    again = json.loads(cli("simulate", spec, "--steps", "5", "--runs", "3", "--format", "json").out)
    assert again == data  # reproducible


def test_simulate_model_file(cli, project):
    m = project("sim", 'spec = "../spec/good.kspec"\n[constants]\nN = 3\n')
    r = cli("simulate", m, "--format", "json")
    assert json.loads(r.out)["exit_code"] == 0


def test_replay_json_on_missing_trace(cli, project):
    r = cli("replay", str(project.root / "spec" / "good.kspec"), "nope.itf.json", "--format", "json")
    data = json.loads(r.out)
    assert data["exit_code"] == 2 and "KS0005" in [d["code"] for d in data["diagnostics"]]


def test_replay_roundtrip_through_check_itf_out(cli, project, tmp_path):
    spec = str(project.root / "spec" / "bad.kspec")
    out = tmp_path / "traces"
    cli("check", spec, "--itf-out", str(out), "--property", "lockdep_cycle")
    (itf,) = list(out.iterdir())
    r = cli("replay", spec, str(itf), "--format", "json")
    data = json.loads(r.out)
    assert data["allowed"] is True and data["exit_code"] == 0


# ---- bad input never gives a traceback ------------------------------------------------------------
BAD_ARGS = [
    [],
    ["check"],
    ["frobnicate"],
    ["check", "--max-states", "0", "x.kspec"],
    ["check", "--max-states", "many", "x.kspec"],
    ["check", "--max-depth", "-1", "x.kspec"],
    ["check", "--timeout", "soon", "x.kspec"],
    ["check", "--format", "yaml", "x.kspec"],
    ["check", "--engine", "magic", "x.kspec"],
    ["explain"],
    ["explain", ""],
    ["replay", "only-one-arg"],
    ["simulate", "x.kspec", "--steps", "0"],
    ["simulate", "x.kspec", "--seed", "one"],
]


@pytest.mark.parametrize("args", BAD_ARGS, ids=[" ".join(a) or "<none>" for a in BAD_ARGS])
def test_usage_errors_exit_2_without_traceback(cli, args):
    r = cli(*args)
    assert r.code == 2
    no_traceback(r)


BAD_FILES = {
    "empty.kspec": "",
    "binary.kspec": b"\x00\x01\xff\xfe",
    "garbage.kspec": "}}}}}} ;;;; process",
    "deep.kspec": "invariant i: " + "(" * 500 + "true" + ")" * 500,
    "big_sort.kspec": "sort S = 0..30000\nprocess p[i: S] { L1: skip; }",
    "huge_set.kspec": "var s: set[0..1000] = {}\nprocess p { L1: skip; }",
    "neg_range.kspec": "var x: 5..1 = 5\nprocess p { L1: skip; }",
    "no_processes.kspec": "var x: 0..1 = 0\ninvariant i: x == 0",
    "model_not_toml.toml": "this is [not toml",
    "model_no_spec.toml": "variant = 'x'\n",
    "model_spec_int.toml": "spec = 3\n",
    "model_expect_list.toml": 'spec = "empty.kspec"\nexpect = [1, 2]\n',
    "model_bad_bound_value.toml": 'spec = "empty.kspec"\n[bounds]\nmax_states = "lots"\n',
    "model_const_string.toml": 'spec = "empty.kspec"\n[constants]\nN = "two"\n',
    "model_check_only_str.toml": 'spec = "empty.kspec"\n[check]\nonly = "deadlock"\n',
    "model_binary.toml": b"\xff\xfe\x00",
    "model_spec_dir.toml": 'spec = "."\n',
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_files_never_give_a_traceback(cli, tmp_path, name):
    for n, content in BAD_FILES.items():
        p = tmp_path / n
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content, encoding="utf-8")
    r = cli("check", str(tmp_path / name))
    no_traceback(r)
    assert r.code in (0, 1, 2)
    if name.startswith(("model_", "binary", "garbage", "huge", "big", "neg")):
        assert r.code == 2, r.both
    r = cli("check", str(tmp_path / name), "--format", "json")
    json.loads(r.out)


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["check", "--help"], ["explain", "-h"]])
def test_version_and_help_exit_0(cli, args):
    r = cli(*args)  # argparse's own actions exit; main() turns that into a return code
    assert r.code == 0
    assert r.out.strip()


@pytest.mark.parametrize("src", ["sort S = 0..100000000\nprocess p[i: S] { L1: skip; }",
                                 "sort S = 0..100000000\nvar m: map[S, bool] = false\nprocess p { L1: skip; }",
                                 "sort S = 0..100000000\naction a(i: S) { skip; }"])
def test_huge_sort_is_rejected_quickly_as_KS2010(tmp_path, src):
    import resource
    import subprocess
    import time
    spec = tmp_path / "huge.kspec"
    spec.write_text(src, encoding="utf-8")

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    t0 = time.monotonic()
    p = subprocess.run([sys.executable, "-m", "kspec.cli", "check", str(spec)], capture_output=True, text=True,
                       preexec_fn=limit, timeout=120)
    elapsed = time.monotonic() - t0
    assert p.returncode == 2 and "KS2010" in p.stderr and "KS9001" not in p.stderr, p.stderr
    assert elapsed < 5


# ---- the real entry point ---------------------------------------------------------------------------
def test_console_entry_point_runs_in_a_fresh_interpreter(project):
    r = run_subprocess(["check", str(project.root / "spec" / "bad.kspec"), "--format", "json"])
    assert r.code == 1 and json.loads(r.out)["exit_code"] == 1
    r = run_subprocess(["check", str(project.root / "spec" / "nope.kspec")])
    assert r.code == 2 and "Traceback" not in r.err


def test_installed_kspec_script():
    script = Path(sys.executable).parent / "kspec"
    if not script.exists():
        pytest.skip("no kspec console script next to the interpreter")
    import subprocess
    p = subprocess.run([str(script), "explain", "KS1001"], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert p.returncode == 0 and p.stdout.startswith("KS1001")
