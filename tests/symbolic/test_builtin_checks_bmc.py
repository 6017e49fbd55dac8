"""The explicit engine's built-in check suite (tests/explicit/test_builtin_checks.py,
one violating and one satisfying tiny spec per built-in property, with the
shortest length) run against the BMC engine: the same violations at the same
lengths; what holds is `bounded`, never `holds`."""
from __future__ import annotations

import importlib.util
import os

import pytest

from kspec_testlib import REPO, model_of

_spec = importlib.util.spec_from_file_location(
    "explicit_builtin_cases", os.path.join(str(REPO), "tests", "explicit", "test_builtin_checks.py"))
_cases = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_cases)  # type: ignore[union-attr]
CASES = _cases.CASES


@pytest.mark.parametrize("prop,src,status,length", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_builtin_check_bmc(prop, src, status, length):
    from kspec.symbolic.bmc import check_bmc
    model = model_of(src)
    v = check_bmc(model, [prop], depth=8, timeout=60).verdict(prop)
    if status == "violated":
        assert (v.status, v.length) == ("violated", length), v.summary()
        assert v.trace is not None and v.trace.length == length and v.message
    else:
        assert v.status == "bounded", v.summary()
