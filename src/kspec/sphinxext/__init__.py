"""Sphinx extension rendering kspec specs (DESIGN.md §5).

Add ``"kspec.sphinxext"`` to ``extensions`` in conf.py. It provides

* the ``kspec`` domain (`kspec.sphinxext.domain`): roles ``:kspec:spec:``,
  ``:kspec:prop:``, ``:kspec:step:``, ``:kspec:proc:``, ``:kspec:lock:``,
  ``:kspec:var:``, ``:kspec:model:``, ``:kspec:code:`` and ``:kspec:cmd:``;
* ``.. kspec:spec:: path.kspec`` -- one spec as a page (`specdoc`), with the
  verdicts of the model files that use it and its lock-order graph;
* ``.. kspec:cli::``, ``.. kspec:diagnostic:: CODE``, ``.. kspec:diagnostics::``
  and ``.. kspec:run:: ARGS`` (`refs`);
* the ``kspec`` Pygments lexer (`lexer`), for ``.. code-block:: kspec`` and
  Markdown fences;
* generated pages (`generate`): one per spec of ``kspec_spec_dir`` and one per
  diagnostic code.

Configuration (conf.py):

==============================  =========  ==================================================
``kspec_spec_dir``              None       directory of specs (relative to conf.py) to generate
                                           one page each for
``kspec_spec_pages``            "specs"    where those pages go (relative to the source dir)
``kspec_diagnostic_pages``      None       where to generate one page per diagnostic code
``kspec_model_dirs``            None       model-file directories (relative to conf.py); by
                                           default ``model/`` beside the spec's directory
``kspec_proof_dirs``            None       the same for proof scripts (``proofs/``)
``kspec_check``                 False      run the explicit engine at build time (bounded)
``kspec_check_max_states``      50000      its state bound per model file
``kspec_check_max_seconds``     10.0       its time bound per model file
``kspec_lock_graph``            True       explore each configuration for the lock graph
``kspec_graph_max_states``      20000      state bound of those explorations
``kspec_lower_errors``          "warning"  a spec that parses but does not lower: "warning"
                                           (fails ``-W`` builds) or "info"
==============================  =========  ==================================================
"""
from __future__ import annotations

import os

from kspec.sphinxext.lexer import KspecLexer

STATIC = os.path.join(os.path.dirname(__file__), "static")


def _static(app) -> None:
    if app.builder.format == "html" and STATIC not in app.config.html_static_path:
        app.config.html_static_path.append(STATIC)


def setup(app):
    from kspec.sphinxext.domain import KspecDomain
    from kspec.sphinxext.generate import generate
    from kspec.sphinxext.refs import CliDirective, DiagnosticDirective, DiagnosticsTableDirective, RunDirective
    from kspec.sphinxext.specdoc import SpecDirective

    app.add_config_value("kspec_spec_dir", None, "env")
    app.add_config_value("kspec_spec_pages", "specs", "env")
    app.add_config_value("kspec_diagnostic_pages", None, "env")
    app.add_config_value("kspec_model_dirs", None, "env")
    app.add_config_value("kspec_proof_dirs", None, "env")
    app.add_config_value("kspec_check", False, "env")
    app.add_config_value("kspec_check_max_states", 50_000, "env")
    app.add_config_value("kspec_check_max_seconds", 10.0, "env")
    app.add_config_value("kspec_lock_graph", True, "env")
    app.add_config_value("kspec_graph_max_states", 20_000, "env")
    app.add_config_value("kspec_lower_errors", "warning", "env")

    app.add_domain(KspecDomain)
    app.add_directive_to_domain("kspec", "spec", SpecDirective)
    app.add_directive_to_domain("kspec", "cli", CliDirective)
    app.add_directive_to_domain("kspec", "diagnostic", DiagnosticDirective)
    app.add_directive_to_domain("kspec", "diagnostics", DiagnosticsTableDirective)
    app.add_directive_to_domain("kspec", "run", RunDirective)
    app.add_lexer("kspec", KspecLexer)
    app.add_css_file("kspec.css")
    app.connect("builder-inited", _static)
    app.connect("builder-inited", generate)
    return {"version": "0.1.0", "env_version": 1, "parallel_read_safe": True, "parallel_write_safe": True}
