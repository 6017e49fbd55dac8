"""kspec: formal specifications of kernel concurrency contracts.

`kspec.Oracle` and `kspec.ConformanceError` are loaded on first use, so that
`import kspec` (and the pytest plugin) stays cheap.
"""
from __future__ import annotations

_LAZY = {"Oracle": "kspec.oracle.core", "ConformanceError": "kspec.oracle.errors",
         "SpecError": "kspec.oracle.core"}

__all__ = list(_LAZY)


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'kspec' has no attribute {name!r}")
    import importlib
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(list(globals()) + list(_LAZY))
