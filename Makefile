# kspec: one command to set up and run the main job, one for the tests.
#   make check   -> creates .venv, installs kspec, checks every model in model/
#   make test    -> creates .venv, installs kspec with test extras, runs the test suite
#   make docs    -> builds the documentation into docs/_build/html (warnings are errors)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup check test test-slow bench docs clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test,docs]'
	touch $@

check: setup
	$(BIN)/kspec check model/

test: setup
	$(BIN)/python -m pytest -q

test-slow: setup
	$(BIN)/python -m pytest -q -m slow

docs: setup
	$(BIN)/sphinx-build -W --keep-going -q -b html docs docs/_build/html
	@echo "docs: open docs/_build/html/index.html"

bench: setup
	$(BIN)/python benchmarks/explicit_scaling.py

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .hypothesis docs/_build docs/specs docs/diagnostics
