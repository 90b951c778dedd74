# Two entry points: `make run` plans the shipped scenario; `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SCENARIO ?= scenarios/stargate.yaml

.PHONY: run test install install-dev browser lint typecheck bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	$(BIN)/gigawatt run $(SCENARIO)

# Headless Chromium renders the HTML report in tests/test_html_report.py. Installed from the
# Debian archive when missing and we may (root); otherwise that test fails saying how to get it.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } || \
	  echo "warning: chromium is not installed and could not be installed here;" \
	    "tests/test_html_report.py will fail until it is (apt-get install -y chromium)"

test: install-dev browser
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy src
	$(BIN)/python -m pytest

# Each benchmark rewrites bench/results/NAME.json and exits non-zero when it misses a target.
# CALCULON=checkout CALCULON_PYTHON=interpreter adds the comparison with NVIDIA Calculon.
bench: install-dev
	$(BIN)/python bench/search.py --out bench/results/search.json $(if $(CALCULON),--calculon $(CALCULON)) $(if $(CALCULON_PYTHON),--calculon-python $(CALCULON_PYTHON))
	for b in serving supply facility reliability economics; do \
	  $(BIN)/python bench/$$b.py --out bench/results/$$b.json || exit 1; done
	$(BIN)/python bench/startup.py --out bench/results/startup.json

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
