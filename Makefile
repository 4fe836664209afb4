# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench bench-medspacy clean venv

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(BIN)/cordwatch demo

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

# Benchmarks that need an interpreter of their own: `make bench` skips them, each has its target.
BENCH_OWN_VENV := medspacy_baseline

# Every benchmarks/<name>.py in turn (figures are printed, never asserted).
bench: $(STAMP)
	set -e; for module in $$(ls benchmarks/*.py | xargs -n1 basename | grep -v '^_' | sed 's/\.py$$//' \
		| grep -vx $(addprefix -e ,$(BENCH_OWN_VENV))); do \
		echo "== benchmarks.$$module"; $(BIN)/python -m benchmarks.$$module; done

# medspaCy pins spaCy 3.7, so its baseline lives in its own venv, never in .venv. Versions verified
# to install and run on Python 3.11; the venv is rebuilt when this list changes.
MEDSPACY_VENV := .venv-medspacy
MEDSPACY_PINS := medspacy==1.3.1 spacy==3.7.5 thinc==8.2.5 numpy==1.26.4 PyRuSH==1.0.13 PyFastNER==1.0.10

# The detector benchmark, then medspaCy's default ConText pipeline over the same texts in the same
# run: vs_medspacy_same_run is the ratio of the two on this machine.
bench-medspacy: $(STAMP)
	test "$$(cat $(MEDSPACY_VENV)/.installed 2>/dev/null)" = "$(MEDSPACY_PINS)" || { \
		rm -rf $(MEDSPACY_VENV) && $(PYTHON) -m venv $(MEDSPACY_VENV) \
		&& $(MEDSPACY_VENV)/bin/python -m pip install --quiet $(MEDSPACY_PINS) \
		&& echo "$(MEDSPACY_PINS)" > $(MEDSPACY_VENV)/.installed; }
	$(BIN)/python -m benchmarks.detector --medspacy-python $(MEDSPACY_VENV)/bin/python

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
