"""pytest plugin (entry point `pytest11: kspec`): kspec oracles in any test suite.

* fixture `kspec_oracle`: a factory, `kspec_oracle("spec/x.kspec", variant=...,
  constants=...)` or `kspec_oracle(model="model/x.toml")`, returning a fresh
  `kspec.Oracle` (models are compiled once per session and shared);
* marker `@pytest.mark.kspec("spec/x.kspec", variant=..., constants=...,
  hidden_steps=..., quiescent=True)`: defaults for the factory, and with
  `quiescent=True` every oracle of the test must end quiescent;
* options (group "kspec"): `--kspec-hidden-steps`, `--kspec-quiescent`,
  `--kspec-trace-dir`.

When a test that used oracles fails, the events each oracle observed are
written as JSON Lines and the report gets a "kspec replay" section with the
`kspec conform` command that replays them. Importing this module loads
neither lark nor z3 (pytest imports it in every session of a project that
installed kspec): kspec itself is imported when the fixture is first used.
"""
from __future__ import annotations

import os
import re
from typing import Any

import pytest

_KEY = pytest.StashKey[dict]()
_FAILED = pytest.StashKey[bool]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("kspec", "kspec conformance oracle")
    group.addoption("--kspec-hidden-steps", type=int, default=None, metavar="N",
                    help="bound on hidden (unobserved) spec steps between two observed events (default 100)")
    group.addoption("--kspec-quiescent", action="store_true", default=False,
                    help="require every kspec oracle to end quiescent (as the `quiescent=True` marker does)")
    group.addoption("--kspec-trace-dir", default=None, metavar="DIR",
                    help="where to write the observed events of failing tests (default: pytest's temporary "
                         "directory)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "kspec(spec=None, *, model=None, variant=None, constants=None, hidden_steps=None, "
        "quiescent=False): defaults for the kspec_oracle fixture; quiescent=True also checks that "
        "every oracle of the test ends quiescent")
    config.stash[_KEY] = {}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    factory = getattr(item, "_kspec_factory", None)
    if report.failed and factory is not None and factory.oracles:
        report.sections.append(("kspec replay", factory.dump(item)))


class OracleFactory:
    """What the `kspec_oracle` fixture returns: call it to get an oracle."""

    def __init__(self, request: pytest.FixtureRequest):
        self.request = request
        self.config = request.config
        marker = request.node.get_closest_marker("kspec")
        self.defaults: dict[str, Any] = {}
        if marker is not None:
            self.defaults.update(marker.kwargs)
            if marker.args:
                self.defaults["spec"] = marker.args[0]
        self.oracles: list = []
        self._dumped: str | None = None

    def __call__(self, spec: str | os.PathLike | None = None, *, model: str | os.PathLike | None = None,
                 variant: str | None = None, constants: dict[str, int] | None = None, **options: Any):
        __tracebackhide__ = True
        d = self.defaults
        spec = spec if spec is not None else d.get("spec")
        model = model if model is not None else d.get("model")
        if (spec is None) == (model is None):
            raise pytest.UsageError("kspec_oracle needs a spec path or model=... (or a @pytest.mark.kspec "
                                    "marker giving one)")
        variant = variant if variant is not None else d.get("variant")
        constants = constants if constants is not None else d.get("constants")
        hidden = options.pop("hidden_steps", d.get("hidden_steps", self.config.getoption("kspec_hidden_steps")))
        if hidden is not None:
            options["hidden_steps"] = hidden
        path = self._resolve(model if model is not None else spec)
        oracle = self._prototype(path, model is not None, variant, constants, options).fresh(history=None)
        self.oracles.append(oracle)
        return oracle

    def _resolve(self, path) -> str:
        p = os.fspath(path)
        if os.path.isabs(p) or os.path.exists(p):
            return p
        for base in (os.path.dirname(str(self.request.node.path)), str(self.config.rootpath)):
            cand = os.path.join(base, p)
            if os.path.exists(cand):
                return cand
        return p

    def _prototype(self, path: str, is_model: bool, variant, constants, options: dict):
        from kspec.oracle.core import Oracle  # first use: load kspec
        key = (path, is_model, variant, tuple(sorted((constants or {}).items())), tuple(sorted(options.items())))
        cache = self.config.stash[_KEY]
        proto = cache.get(key)
        if proto is None:
            make = Oracle.from_model if is_model else Oracle.from_spec
            proto = cache[key] = make(path, variant=variant, constants=constants, **options)
        return proto

    def quiescent_required(self) -> bool:
        return bool(self.defaults.get("quiescent")) or self.config.getoption("kspec_quiescent")

    def dump(self, item: pytest.Item) -> str:
        """Write each oracle's observed events; the replay commands."""
        if self._dumped is not None:
            return self._dumped
        d = self.config.getoption("kspec_trace_dir")
        if d:
            os.makedirs(d, exist_ok=True)
        else:
            d = _temp_dir(self.config)
        base = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.name)[:80]
        lines = []
        for k, oracle in enumerate(self.oracles):
            path = os.path.join(d, f"{base}{'' if len(self.oracles) == 1 else f'.{k}'}.jsonl")
            oracle.write_trace(path)
            refused = " and the one refused" if oracle.last_rejected is not None else ""
            lines.append(f"{oracle.count} events observed{refused} by {oracle!r}; replay with:\n    "
                         + oracle.replay_command(path))
        self._dumped = "\n".join(lines)
        return self._dumped


def _temp_dir(config: pytest.Config) -> str:
    factory = getattr(config, "_tmp_path_factory", None)  # pytest's tmp_path_factory
    if factory is not None:
        return str(factory.mktemp("kspec"))
    import tempfile
    return tempfile.mkdtemp(prefix="kspec-")


@pytest.fixture
def kspec_oracle(request: pytest.FixtureRequest):
    """Factory of kspec oracles: `oracle = kspec_oracle("spec.kspec", variant=...)`."""
    factory = OracleFactory(request)
    request.node._kspec_factory = factory
    yield factory
    if factory.quiescent_required() and request.node.stash.get(_FAILED, True) is False:
        for oracle in factory.oracles:
            oracle.check_quiescent()
