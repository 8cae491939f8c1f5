# bertprep — `make run` serves at http://127.0.0.1:8000, `make test` runs every test.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
HOST   ?= 127.0.0.1

.PHONY: run test lint check migrate bench clean help

help:
	@echo "make run    serve at http://$(HOST):$(PORT) (PORT=... to change)"
	@echo "make test   run the whole test suite (unit, integration, migrations, browser)"
	@echo "make lint   ruff check, ruff format --check, mypy app/"
	@echo "make check  validate the content (bertprep check)"
	@echo "make bench  lesson pages and attempt submissions vs bare FastAPI endpoints (needs wrk)"

# The venv is (re)built when pyproject.toml changes; stamps record what was installed.
$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PYTHON) not found); set PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

migrate: $(VENV)/.installed
	$(BIN)/bertprep migrate

run: $(VENV)/.installed
	$(BIN)/bertprep check
	$(BIN)/bertprep migrate
	$(BIN)/bertprep serve --host $(HOST) --port $(PORT)

check: $(VENV)/.installed
	$(BIN)/bertprep check

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy app

bench: $(VENV)/.installed-dev
	$(BIN)/python bench/pages.py
	$(BIN)/python bench/attempts.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache test-artifacts
