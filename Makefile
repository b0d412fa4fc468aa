# The two set-up commands in the README: `make run` and `make test`. Both build .venv/ from scratch.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run serve demo test lint typecheck unit clean system-deps

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The service on the embedded default (SQLite under the user's data folder, one process); on an empty store
# it asks for the first administrator so it is ready to log in to.
run: $(STAMP)
	$(BIN)/netsafe serve --setup

serve: run

demo: $(STAMP)
	$(BIN)/netsafe demo

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/lint-imports --no-cache

typecheck: $(STAMP)
	$(BIN)/mypy

system-deps:
	bash scripts/system-deps.sh

unit: $(STAMP) system-deps
	$(BIN)/pytest -n auto

test: lint typecheck unit

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
