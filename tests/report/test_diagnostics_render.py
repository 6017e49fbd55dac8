"""Diagnostics: the registry, rendering (`file:line:col: severity[code]:
message`, source line, caret under the span, notes, help) and JSON."""
from __future__ import annotations

import re

import pytest

from kspec.report import diagnostics as D
from kspec.report.render import diagnostic_to_json, render_all, render_diagnostic


def test_registry_codes_are_well_formed_and_unique():
    assert len(D.REGISTRY) >= 40
    for code, c in D.REGISTRY.items():
        assert re.fullmatch(r"KS[0-9]\d{3}", code) and c.code == code
        assert c.title and c.explanation and c.title == c.title.strip()


def test_code_families():
    fam = {c[:3] for c in D.REGISTRY}
    assert {"KS0", "KS1", "KS2", "KS3", "KS5", "KS9"} <= fam


def test_diag_rejects_unregistered_codes():
    with pytest.raises(AssertionError):
        D.diag("KS0999", "nope")


def test_render_with_span_caret_note_and_help():
    src = {"f.kspec": "var x: 0..1 = 0\nprocess p { L1: countr := 1; }\n"}
    d = D.diag(D.UNKNOWN_NAME, "unknown name `countr`", D.Span("f.kspec", 2, 17, 2, 23),
               hint="did you mean `count`?", notes=["declared names: x"])
    assert render_diagnostic(d, src) == (
        "f.kspec:2:17: error[KS1001]: unknown name `countr`\n"
        "  |\n"
        "2 | process p { L1: countr := 1; }\n"
        "  |                 ^^^^^^\n"
        "  = note: declared names: x\n"
        "  = help: did you mean `count`?")


def test_render_multiline_span_gets_one_caret():
    src = {"f": "a\nbb\n"}
    d = D.diag(D.SORT_MISMATCH, "m", D.Span("f", 1, 1, 2, 2))
    assert render_diagnostic(d, src).splitlines()[-1] == "  | ^"


def test_render_gutter_width_follows_the_line_number():
    src = {"f": "\n" * 11 + "line twelve\n"}
    d = D.diag(D.SORT_MISMATCH, "m", D.Span("f", 12, 6, 12, 12))
    lines = render_diagnostic(d, src).splitlines()
    assert lines[1:] == ["   |", "12 | line twelve", "   |      ^^^^^^"]


def test_render_warning_and_no_span():
    d = D.diag(D.UNUSED_DECLARATION, "`x` is declared but never used", severity=D.Severity.WARNING)
    assert render_diagnostic(d) == "warning[KS2004]: `x` is declared but never used"
    assert not d.is_error and not D.has_errors([d])


def test_render_without_source_text_keeps_location():
    d = D.diag(D.UNKNOWN_NAME, "m", D.Span("missing.kspec", 3, 4, 3, 5))
    assert render_diagnostic(d, {}) == "missing.kspec:3:4: error[KS1001]: m"


def test_render_span_beyond_the_file_is_safe():
    d = D.diag(D.UNKNOWN_NAME, "m", D.Span("f", 99, 1, 99, 2))
    assert render_diagnostic(d, {"f": "one line\n"}) == "f:99:1: error[KS1001]: m"


def test_tabs_are_expanded_so_the_caret_lines_up():
    d = D.diag(D.UNKNOWN_NAME, "m", D.Span("f", 1, 2, 1, 3))
    out = render_diagnostic(d, {"f": "\tx := 1;\n"}).splitlines()
    assert out[2] == "1 |  x := 1;" and out[3] == "  |  ^"


def test_render_all_joins():
    a = D.diag(D.UNKNOWN_NAME, "a")
    b = D.diag(D.UNKNOWN_NAME, "b")
    assert render_all([a, b]) == "error[KS1001]: a\nerror[KS1001]: b"


def test_json_form():
    d = D.diag(D.UNKNOWN_NAME, "m", D.Span("f", 2, 3, 2, 4), hint="h", notes=["n"])
    assert diagnostic_to_json(d) == {"code": "KS1001", "severity": "error", "message": "m", "file": "f", "line": 2,
                                     "col": 3, "notes": ["n"], "hint": "h"}
    assert diagnostic_to_json(D.diag(D.USAGE_ERROR, "u")) == {"code": "KS5004", "severity": "error", "message": "u"}


@pytest.mark.parametrize("name,cands,expect", [
    ("countr", ["counter", "x"], "did you mean `counter`?"),
    ("zzz", ["counter"], None),
    ("held", ["held", "hold"], "did you mean `held`?"),
])
def test_did_you_mean(name, cands, expect):
    assert D.did_you_mean(name, cands) == expect


def test_kspec_error_carries_diagnostics():
    d = D.diag(D.UNKNOWN_NAME, "m")
    e = D.KspecError(d)
    assert e.diagnostics == (d,) and str(e) == "m"
