# Two commands on a fresh machine with only Python 3 and make:
#   make test       create .venv, install the project with its test extras, run the suite
#   make example1   reproduce the Wasserstein GAN paper's Example 1 (figures in out/)
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check

.PHONY: test example1 bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)

# Re-installs only when the packaging metadata changes (editable install: code
# changes need no reinstall).
$(VENV)/.stamp-test: setup.cfg pyproject.toml | $(PY)
	$(PIP) install -q -e ".[test,plot]"
	touch $@

test: $(VENV)/.stamp-test
	$(PY) -m pytest

# Figures and table of the paper's Example 1 in out/ (options: see
# `$(PY) -m benchmarks.example1 --help`; pass them with ARGS="...").
example1: $(VENV)/.stamp-test
	$(PY) -m benchmarks.example1 $(ARGS)

# Side-by-side timings against POT and SciPy in out/bench.md and out/bench.png
# (ARGS="--quick" for the CI-sized run, ARGS="--large" for n = 8000 and the
# families section at n = 20,000 and 100,000).
bench: $(VENV)/.stamp-test
	$(PY) -m benchmarks.bench $(ARGS)

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
