# Sphinx configuration of the kspec documentation: `make docs` builds it into
# docs/_build/html with warnings as errors.
#
# Generated at build time (never edit, never commit; see .gitignore):
#   specs/        one page per spec/*.kspec, rendered by the kspec:spec directive
#   diagnostics/  one page per diagnostic code of kspec.report.diagnostics.REGISTRY
# The Markdown pages (language.md, model-files.md, architecture.md, adr/*.md and
# whatever else lands in docs/) are read in place through myst-parser.
import os

project = "kspec"
author = "the kspec developers"
copyright = "the kspec developers"
release = version = "0.1.0"

extensions = [
    "myst_parser",
    "kspec.sphinxext",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build"]
highlight_language = "none"
pygments_style = "sphinx"

# ---- kspec.sphinxext -----------------------------------------------------------
kspec_spec_dir = "../spec"              # one page per spec, in specs/
kspec_spec_pages = "specs"
kspec_diagnostic_pages = "diagnostics"  # one page per code, in diagnostics/
kspec_check = True                      # run the explicit engine while building (bounded)
kspec_check_max_states = int(os.environ.get("KSPEC_DOCS_MAX_STATES", "50000"))
kspec_check_max_seconds = float(os.environ.get("KSPEC_DOCS_MAX_SECONDS", "10"))
kspec_graph_max_states = 20_000

# ---- Markdown ------------------------------------------------------------------
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence"]

# The oracle guide (docs/oracle.md) is linked from the tutorial once it exists.
_here = os.path.dirname(os.path.abspath(__file__))
_oracle = os.path.exists(os.path.join(_here, "oracle.md")) or os.path.exists(os.path.join(_here, "oracle.rst"))
rst_epilog = (".. |oracle-guide| replace:: :doc:`the oracle guide </oracle>`\n" if _oracle else
              ".. |oracle-guide| replace:: the oracle guide (``docs/oracle.md``)\n")

# ---- HTML ----------------------------------------------------------------------
html_theme = "alabaster"
html_title = "kspec"
html_theme_options = {
    "description": "Formal specifications of Linux-kernel concurrency contracts",
    "page_width": "1320px",
    "sidebar_width": "250px",
    "body_max_width": "none",
    "fixed_sidebar": True,
    "show_relbars": True,
}
html_sidebars = {"**": ["about.html", "searchfield.html", "navigation.html", "relations.html"]}
html_show_sourcelink = False


# ---- pages added by others -------------------------------------------------------
# Top-level pages that index.rst does not list by name (docs/oracle.md and any
# guide added later) go into a "More guides" toctree, so that a new page is
# never an orphan (a warning, hence a failed build).
_LISTED = {"index", "tutorial", "model-files", "language", "cli", "architecture"}


def _other_guides() -> list[str]:
    names = sorted(os.path.splitext(f)[0] for f in os.listdir(_here)
                   if f.endswith((".md", ".rst")) and not f.startswith(("_", ".")))
    return [n for n in names if n not in _LISTED and n.upper() != "README"]


def _index_source(app, docname, source):
    if docname != "index":
        return
    guides = _other_guides()
    toc = ("\n".join([".. toctree::", "   :maxdepth: 2", "   :caption: More guides", ""] +
                     [f"   {g}" for g in guides]) + "\n") if guides else ""
    source[0] = "\n".join(toc if line.startswith(".. other-guides") else line
                          for line in source[0].splitlines()) + "\n"


def _index_outdated(app, env, added, changed, removed):
    return ["index"] if added or removed else []  # a page appeared or went: re-read the index


def setup(app):
    app.connect("source-read", _index_source)
    app.connect("env-get-outdated", _index_outdated)
