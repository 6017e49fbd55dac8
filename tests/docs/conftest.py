"""A tiny Sphinx project using kspec.sphinxext, built once per test session
in a temporary directory (sources under src/, output under out/)."""
from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

COUNTER = """\
/// Two threads increment a shared counter.
///
/// Variants:
/// * `racy`   -- read and write in separate steps, no lock.
/// * `locked` -- the read-modify-write holds `m`.
spec counter

variant racy | locked

/// Number of threads.
const THREADS = 2
sort Thread = 0..THREADS-1

/// The shared counter.
var total: 0..4 = 0
/// Protects `total` in the locked variant.
lock m: mutex
/// Taken inside `m`, for the lock-order graph.
lock inner: spinlock

process worker[t: Thread] {
  var seen: 0..4 = 0
  /// mutex_lock(&m) (locked variant only).
  @locked
  L1: acquire(m);
  /// READ_ONCE(counter->total).
  L2: seen := total;
      assert bounded_read: seen <= 4;
  /// WRITE_ONCE(counter->total, seen + 1).
  L3: total := seen + 1;
  /// spin_lock(&inner); spin_unlock(&inner); mutex_unlock(&m).
  @locked
  L4: acquire(inner); release(inner); release(m);
}

/// Both increments land.
invariant no_lost_update: (forall t in Thread: finished(worker[t])) => total == THREADS
/// Sanity: both threads can finish.
reachable both_done: total == THREADS
"""

RACY = """\
spec = "../spec/counter.kspec"
variant = "racy"
description = "the lost update"

[expect]
no_lost_update = { verdict = "violated", length = 4 }
"""

LOCKED = """\
spec = "../spec/counter.kspec"
variant = "locked"
description = "the fix"
"""

BROKEN = """\
/// This spec has a syntax error on line 4.
spec broken
var x: 0..1 = 0
process p { L1: x := ; }
"""

CONF = """\
project = "kspec-docs-test"
extensions = ["kspec.sphinxext"]
kspec_spec_dir = "../spec"
kspec_spec_pages = "specs"
kspec_diagnostic_pages = "diagnostics"
kspec_check = True
kspec_check_max_states = 10000
"""

INDEX = """\
Test project
============

Links: :kspec:spec:`counter`, :kspec:prop:`no_lost_update`, :kspec:prop:`counter.both_done`,
:kspec:step:`worker.L2`, :kspec:lock:`counter.m`, :kspec:code:`KS1001`, :kspec:cmd:`check`,
:kspec:model:`counter_racy`, and a code without a page of its own: :kspec:code:`ks0003`.

.. code-block:: kspec

   /// doc comment
   @locked
   L1: acquire(m); // take it

.. toctree::

   specs/index
   diagnostics/index
   cli
   broken
"""

CLI = """\
CLI
===

.. kspec:cli::

.. kspec:run:: check model/counter_racy.toml
   :exit: 0
"""

# the directive is on line 4 of broken.rst: the warning must point there
BROKEN_PAGE = """\
Broken
======

.. kspec:spec:: ../spec/broken.kspec
"""


@dataclass
class Built:
    src: Path
    out: Path
    warnings: str

    def html(self, page: str) -> str:
        return (self.out / f"{page}.html").read_text(encoding="utf-8")


def write_project(root: Path) -> Path:
    (root / "spec").mkdir(parents=True)
    (root / "model").mkdir()
    (root / "docs").mkdir()
    (root / "spec" / "counter.kspec").write_text(COUNTER)
    (root / "spec" / "broken.kspec").write_text(BROKEN)
    (root / "model" / "counter_racy.toml").write_text(RACY)
    (root / "model" / "counter_locked.toml").write_text(LOCKED)
    (root / "docs" / "conf.py").write_text(CONF)
    (root / "docs" / "index.rst").write_text(INDEX)
    (root / "docs" / "cli.rst").write_text(CLI)
    (root / "docs" / "broken.rst").write_text(BROKEN_PAGE)
    return root / "docs"


def build(srcdir: Path, outdir: Path, **overrides) -> Built:
    """Build srcdir to HTML in-process; each build gets its own docutils
    registry (several apps in one process would otherwise collide)."""
    from sphinx.application import Sphinx
    from sphinx.util.console import nocolor
    from sphinx.util.docutils import docutils_namespace
    nocolor()
    warnings = io.StringIO()
    with docutils_namespace():
        app = Sphinx(str(srcdir), str(srcdir), str(outdir), str(outdir / ".doctrees"), "html",
                     confoverrides=overrides, status=io.StringIO(), warning=warnings, freshenv=True)
        app.build()
    return Built(srcdir, outdir, warnings.getvalue())


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Built:
    pytest.importorskip("sphinx")
    root = tmp_path_factory.mktemp("kspec-docs")
    src = write_project(root)
    return build(src, root / "out")


def dedent(text: str) -> str:
    return textwrap.dedent(text)
