# Two commands on a fresh machine with only Python 3 and make:
#   make test       create .venv, install the project with its test extras, run the suite
#   make example1   reproduce the Wasserstein GAN paper's Example 1 (figures in out/)
#   make docs       build the documentation site (docs/_build/html)
# `make` alone (or `make help`) lists the targets.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check

.DEFAULT_GOAL := help
.PHONY: help test example1 critic bench docs docs-check clean

## help: list the targets (what `make` alone does)
help:
	@echo "emdkit: make TARGET [ARGS=\"...\"]  (PYTHON=$(PYTHON); a .venv is created on first use)"
	@echo
	@awk '/^## [a-z0-9-]+: / { name = substr($$2, 1, length($$2) - 1); \
	      sub(/^## [a-z0-9-]+: /, ""); printf "  %-10s  %s\n", name, $$0 }' $(MAKEFILE_LIST)

$(PY):
	$(PYTHON) -m venv $(VENV)

# Re-installs only when the packaging metadata changes (editable install: code
# changes need no reinstall).
$(VENV)/.stamp-test: setup.cfg pyproject.toml | $(PY)
	$(PIP) install -q -e ".[test,plot]"
	touch $@

## test: install the project with its test extras into .venv, run the suite
test: $(VENV)/.stamp-test
	$(PY) -m pytest

## example1: the paper's Example 1: out/example1.png, out/example1.csv, out/gaussian_shift.png
# (options: see `$(PY) -m benchmarks.example1 --help`; pass them with ARGS="...").
example1: $(VENV)/.stamp-test
	$(PY) -m benchmarks.example1 $(ARGS)

## critic: the paper's WGAN critic (NumPy MLP, weight clipping) audited against the exact W_1: out/critic.png, out/critic.csv, out/critic_theta.png
# (options: see `$(PY) -m benchmarks.critic --help`; ARGS="--speed" times critic_report instead).
critic: $(VENV)/.stamp-test
	$(PY) -m benchmarks.critic $(ARGS)

## bench: timings against POT and SciPy: out/bench.md, out/bench.png (ARGS="--quick", or "--large": n = 8000 and the families at 20,000 and 100,000; "--sections families --huge": n = 10^6, uniform and shifted squares, with peak memory)
bench: $(VENV)/.stamp-test
	$(PY) -m benchmarks.bench $(ARGS)

$(VENV)/.stamp-docs: setup.cfg pyproject.toml | $(PY)
	$(PIP) install -q -e ".[docs]"
	touch $@

## docs: build the documentation site into docs/_build/html (warnings and broken references are errors)
# -E: every page re-read, so an earlier build's pages cannot hide a warning.
docs: $(VENV)/.stamp-docs
	$(PY) -m sphinx -b html -E -W --keep-going -q docs docs/_build/html
	@echo "docs: open docs/_build/html/index.html"

## docs-check: open the built site in headless Chromium (pages, figures, internal links); screenshots in out/
docs-check: $(VENV)/.stamp-docs
	$(PY) docs/check_site.py docs/_build/html --out out

## clean: remove .venv, out/, the built docs and caches
clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis
	rm -rf docs/_build docs/_generated docs/auto_examples docs/gen_modules docs/api/generated \
	       docs/api/divergences.rst docs/api/transport.rst docs/sg_execution_times.rst
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
