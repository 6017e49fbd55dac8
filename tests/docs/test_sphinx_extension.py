"""kspec.sphinxext end to end: a tiny Sphinx project (see conftest.py) with a
good spec, a spec with a syntax error, two model files, roles, a kspec code
block, the CLI reference and a CLI transcript."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from conftest import build, write_project


def _warning_lines(built) -> list[str]:
    return [ln for ln in built.warnings.splitlines() if "WARNING" in ln or "ERROR" in ln]


def test_only_the_broken_spec_warns(built):
    lines = _warning_lines(built)
    assert lines, "the broken spec must produce a warning"
    assert all("broken" in ln for ln in lines), lines


def test_broken_spec_is_a_warning_at_the_directive(built):
    # the hand-written page: the directive is on line 4 of broken.rst
    hit = [ln for ln in _warning_lines(built) if "broken.rst:4:" in ln and "specs" not in ln]
    assert hit, built.warnings
    assert "does not parse" in hit[0] and "KS0001" in hit[0] and "spec/broken.kspec:4:" in hit[0]
    assert "[kspec.parse]" in hit[0]  # suppressible as suppress_warnings = ["kspec.parse"]
    # the page is still written, with the diagnostic shown in an error box
    html = built.html("broken")
    assert "does not parse" in html and "KS0001" in html
    # and the generated page of the broken spec warns too (but the build went on)
    assert any("specs/broken.rst" in ln for ln in _warning_lines(built))


def test_spec_page_renders_doc_state_steps_and_properties(built):
    html = built.html("specs/counter")
    text = re.sub(r"<[^>]+>", "", html)
    assert "Two threads increment a shared counter." in text  # spec doc comment
    assert "Protects" in text and "in the locked variant" in text  # a lock's doc comment
    assert "READ_ONCE(counter-&gt;total)." in text  # a step's doc comment: the kernel code it models
    for ident in ("kspec-counter-step-worker-l1", "kspec-counter-step-worker-l4",
                  "kspec-counter-prop-no-lost-update", "kspec-counter-prop-both-done",
                  "kspec-counter-prop-bounded-read", "kspec-counter-lock-m", "kspec-counter-prop-deadlock"):
        assert f'id="{ident}"' in html, ident
    assert "only locked" in text  # @locked steps are badged
    assert "context process" in text
    # the expected verdicts come from the model files, each linked to its section
    assert 'href="#kspec-counter-model-counter-racy"' in html
    assert "the lost update" in text and "the fix" in text


def test_build_time_check_shows_verdicts_and_the_interleaving_table(built):
    html = built.html("specs/counter")
    text = re.sub(r"<[^>]+>", "", html)
    assert "violated (length 4)" in text
    assert "as expected" in text and "differs" not in text.replace("differs from", "")
    # the counterexample, as kspec.report.trace.render_interleaving draws it
    assert re.search(r"#\s*\|\s*worker\[0\]\s*\|\s*worker\[1\]\s*\|\s*where", text), text[-3000:]
    assert "Explored exhaustively at build time" in text


def test_lock_order_graph_is_an_svg_with_the_edge(built):
    html = built.html("specs/counter")
    m = re.search(r"<svg .*?</svg>", html, re.S)
    assert m, "no inline SVG"
    svg = ET.fromstring(m.group(0))  # well-formed XML
    texts = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert "m" in texts and "inner" in texts
    assert "m → inner" in re.sub(r"<[^>]+>", "", html)


def test_roles_resolve(built):
    html = built.html("index")
    assert 'href="specs/counter.html#kspec-counter"' in html
    assert 'href="specs/counter.html#kspec-counter-prop-no-lost-update"' in html
    assert 'href="specs/counter.html#kspec-counter-prop-both-done"' in html
    assert 'href="specs/counter.html#kspec-counter-step-worker-l2"' in html
    assert 'href="specs/counter.html#kspec-counter-lock-m"' in html
    assert 'href="diagnostics/KS1001.html#kspec-code-ks1001"' in html
    assert 'href="cli.html#kspec-cmd-check"' in html
    assert 'href="specs/counter.html#kspec-counter-model-counter-racy"' in html


def test_kspec_code_block_is_highlighted(built):
    html = built.html("index")
    block = re.search(r'<div class="highlight-kspec notranslate">.*?</div>\s*</div>', html, re.S).group(0)
    assert '<span class="sd">/// doc comment</span>' in block  # String.Doc
    assert '<span class="nd">@locked</span>' in block  # Name.Decorator
    assert '<span class="nl">L1</span>' in block  # Name.Label
    assert '<span class="nb">acquire</span>' in block  # Name.Builtin
    assert '<span class="c1">// take it</span>' in block
    spec_page = built.html("specs/counter")
    assert '<span class="kd">invariant</span>' in spec_page  # Keyword.Declaration in step/property code


def test_generated_pages(built):
    from kspec.report.diagnostics import REGISTRY
    for code in REGISTRY:
        assert (built.out / "diagnostics" / f"{code}.html").exists(), code
    page = re.sub(r"<[^>]+>", "", built.html("diagnostics/KS1001"))
    assert "unknown name" in page and "kspec explain KS1001" in page
    assert "counter" in built.html("specs/index") and "broken" in built.html("specs/index")


def test_cli_reference_comes_from_the_parser(built):
    from kspec.cli import build_parser
    html = built.html("cli")
    import argparse
    subs = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    for name in subs.choices:
        assert f'id="kspec-cmd-{name}"' in html, name
    assert "--max-states" in html and "--variant" in html
    # the transcript was produced by running the CLI during the build
    assert "violated (length 4)" in html and "[exit status 0]" in html


def test_parallel_safe_metadata():
    from sphinx.application import Sphinx  # noqa: F401  (sphinx is installed)
    import kspec.sphinxext as ext

    class App:
        def __getattr__(self, name):
            return lambda *a, **k: None
    meta = ext.setup(App())
    assert meta["parallel_read_safe"] is True and meta["parallel_write_safe"] is True


def test_stale_generated_pages_are_removed_and_hand_written_kept(tmp_path):
    src = write_project(tmp_path)
    specs = src / "specs"
    specs.mkdir()
    (specs / "gone.rst").write_text(".. generated by kspec.sphinxext from gone.kspec; do not edit.\n\nGone\n====\n")
    (specs / "mine.rst").write_text("Mine\n====\n")
    (tmp_path / "spec" / "broken.kspec").unlink()
    (src / "broken.rst").unlink()
    (src / "index.rst").write_text((src / "index.rst").read_text().replace("   broken\n", "   specs/mine\n")
                                .replace("   diagnostics/index\n", "").replace(":kspec:code:`KS1001`", ""))
    b = build(src, tmp_path / "out", kspec_check=False, kspec_lock_graph=False, kspec_diagnostic_pages=None)
    assert not (specs / "gone.rst").exists()
    assert (specs / "mine.rst").exists()
    assert _warning_lines(b) == [], b.warnings
    # without the build-time check, the page shows the expected verdicts only
    html = b.html("specs/counter")
    assert "Found at build" not in html and "violated" in html


def test_spec_that_does_not_lower_is_a_warning(tmp_path):
    src = write_project(tmp_path)
    (tmp_path / "spec" / "broken.kspec").write_text("spec broken\nvar x: 0..1 = y\n")
    b = build(src, tmp_path / "out", kspec_check=False, kspec_diagnostic_pages=None)
    lines = [ln for ln in _warning_lines(b) if "kspec.lower" in ln]
    assert lines and "KS1001" in lines[0], b.warnings
    # the page still shows the spec's text-level parts
    assert 'id="kspec-broken-var-x"' in b.html("broken")
