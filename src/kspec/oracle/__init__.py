"""The conformance oracle: kspec specs as reference models in other projects' tests.

`Oracle` (in `kspec.oracle.core`) validates observed events against a model
with TLA+ trace-validation semantics; `kspec.oracle.traces` reads JSON Lines
and ITF trace files; `kspec.oracle.cli` is `kspec conform`;
`kspec.oracle.hypothesis` generates event sequences; `kspec.oracle.sched`
interleaves threads of an implementation deterministically.
"""
from __future__ import annotations

from kspec.oracle.core import Oracle, SpecError
from kspec.oracle.errors import ConformanceError

__all__ = ["Oracle", "ConformanceError", "SpecError"]
