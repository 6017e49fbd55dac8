"""Model files (kspec.config): parsing, defaults, validation errors with
locations, and expectations."""
from __future__ import annotations

import pytest

from kspec.config import load_model_file
from kspec.verdict import Expectation, Verdict


def load(tmp_path, text: str, name: str = "m.toml"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return load_model_file(str(p))


def test_full_model_file(tmp_path):
    mf, diags = load(tmp_path, """
# a comment
spec = "../spec/x.kspec"
variant = "refcount"
description = "desc"
[constants]
THREADS = 3
FLAG = true
[bounds]
max_states = 2_000_000
max_depth = 100
max_seconds = 1.5
[expect]
a = "violated"
b = { verdict = "violated", length = 6 }
c = "reachable"
d = "unreachable"
e = { verdict = "holds" }
[check]
only = ["a", "b"]
disable = ["leak"]
""")
    assert diags == []
    assert mf.spec_path == str(tmp_path.parent / "spec" / "x.kspec")
    assert mf.variant == "refcount" and mf.description == "desc"
    assert dict(mf.constants) == {"THREADS": 3, "FLAG": True}
    assert isinstance(dict(mf.constants)["FLAG"], bool)
    assert (mf.max_states, mf.max_depth, mf.max_seconds) == (2_000_000, 100, 1.5)
    assert dict(mf.expect) == {"a": Expectation("violated"), "b": Expectation("violated", 6),
                               "c": Expectation("reachable"), "d": Expectation("unreachable"),
                               "e": Expectation("holds")}
    assert mf.only == ("a", "b") and mf.disable == ("leak",)


def test_spec_path_is_relative_to_the_model_file(tmp_path):
    (tmp_path / "model").mkdir()
    mf, _ = load(tmp_path, 'spec = "../spec/x.kspec"', "model/m.toml")
    assert mf.spec_path == str(tmp_path / "spec" / "x.kspec")


def test_defaults(tmp_path):
    mf, diags = load(tmp_path, 'spec = "x.kspec"')
    assert diags == [] and mf.variant is None and mf.constants == () and mf.expect == ()
    assert mf.expectation("inv", "invariant") == Expectation("holds")
    assert mf.expectation("w", "reachable") == Expectation("reachable")
    assert mf.expectation("deadlock", "deadlock") == Expectation("holds")


@pytest.mark.parametrize("text,line,fragment", [
    ('spec = "x.kspec"\nvarient = "a"\n', 2, "unknown field `varient`"),
    ('variant = "a"\n', 1, "`spec`"),
    ('spec = 3\n', 1, "`spec`"),
    ('spec = "x"\nvariant = 2\n', 2, "`variant` must be a string"),
    ('spec = "x"\nconstants = 3\n', 2, "`[constants]` must be a table"),
    ('spec = "x"\n[constants]\nN = "two"\n', 3, "constant `N`"),
    ('spec = "x"\n[constants]\nN = 1.5\n', 3, "constant `N`"),
    ('spec = "x"\n[bounds]\nmax_state = 3\n', 3, "unknown bound `max_state`"),
    ('spec = "x"\n[bounds]\nmax_states = 0\n', 3, "positive"),
    ('spec = "x"\n[bounds]\nmax_states = true\n', 3, "positive"),
    ('spec = "x"\nengine = "tlc"\n', 2, "unknown engine"),
    ('spec = "x"\n[expect]\na = "hold"\n', 3, "unknown verdict `hold`"),
    ('spec = "x"\n[expect]\na = 3\n', 3, "must be a string or a table"),
    ('spec = "x"\n[expect]\na = { verdict = "violated", length = -2 }\n', 3, "non-negative"),
    ('spec = "x"\n[expect]\na = { verdict = "violated", lenght = 2 }\n', 3, "unknown field `lenght`"),
    ('spec = "x"\n[expect]\na = { length = 2 }\n', 3, "unknown verdict"),
    ('spec = "x"\n[check]\nonly = "a"\n', 3, "list of property names"),
    ('spec = "x"\n[check]\nskip = []\n', 3, "unknown field `skip`"),
])
def test_bad_fields_are_located_KS5002(tmp_path, text, line, fragment):
    mf, diags = load(tmp_path, text)
    assert mf is None
    (d,) = diags
    assert d.code == "KS5002" and fragment in d.message
    assert d.span.line == line and d.span.file.endswith("m.toml")


def test_not_toml_is_KS5001_with_position(tmp_path):
    mf, (d,) = load(tmp_path, 'spec = "x"\n[expect\n')
    assert mf is None and d.code == "KS5001" and d.span.line == 2


def test_unreadable_file(tmp_path):
    mf, (d,) = load_model_file(str(tmp_path / "nope.toml"))
    assert mf is None and d.code == "KS0005"
    p = tmp_path / "bin.toml"
    p.write_bytes(b"\xff\xfe")
    mf, (d,) = load_model_file(str(p))
    assert mf is None and d.code == "KS0005"


def test_did_you_mean_for_fields(tmp_path):
    _, (d,) = load(tmp_path, 'spec = "x"\nvariantt = "a"\n')
    assert d.hint == "did you mean `variant`?"


@pytest.mark.parametrize("exp,status,length,result", [
    (Expectation("holds"), "holds", None, True),
    (Expectation("holds"), "violated", 3, False),
    (Expectation("violated"), "violated", 3, True),
    (Expectation("violated", 3), "violated", 3, True),
    (Expectation("violated", 4), "violated", 3, False),
    (Expectation("reachable", 2), "reachable", 2, True),
    (Expectation("unreachable"), "reachable", 2, False),
    (Expectation("holds"), "inconclusive", None, None),
    (Expectation("violated"), "inconclusive", None, None),
])
def test_expectation_matching(exp, status, length, result):
    assert exp.matches(Verdict("p", "invariant", status, length=length)) is result


@pytest.mark.parametrize("text,line", [
    ('spec = "s.kspec"\n\n[constants]\nNN = 3\n', 4),
    ('spec = "s.kspec"\n\nvariant = "nope"\n', 3),
    ('spec = "s.kspec"\n\n[expect]\nboundd = "violated"\n', 4),
])
def test_spec_level_model_file_errors_point_at_the_key(tmp_path, cli, text, line):
    (tmp_path / "s.kspec").write_text("variant a | b\nconst N = 1\nvar x: 0..1 = 0\nprocess p { L1: x := N; }\n"
                                      "invariant bounded: x <= 1\n", encoding="utf-8")
    m = tmp_path / "m.toml"
    m.write_text(text, encoding="utf-8")
    r = cli("check", str(m), "--format", "json")
    import json
    (d,) = [d for d in json.loads(r.out)["diagnostics"] if d["severity"] == "error"]
    assert d.get("file", "").endswith("m.toml") and d.get("line") == line
