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

example1: $(VENV)/.stamp-test
	@echo "make example1: not yet implemented (issue: reproduce the paper's Example 1)" >&2
	@exit 2

bench: $(VENV)/.stamp-test
	@echo "make bench: not yet implemented (issue: benchmarks against POT and SciPy)" >&2
	@exit 2

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
