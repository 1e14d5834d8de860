# csm: make demo (install + load the demo portfolio + headline commands), make test.
VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= python3
TEST_FILE ?=

.DEFAULT_GOAL := help
.PHONY: help install demo test lint format bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@

install: $(BIN)/.installed ## create .venv and install csm with its dev tools

demo: install ## load the demo portfolio into CSM_HOME and run the headline commands
	$(BIN)/csm demo
	$(BIN)/csm score "Acme Corp"
	$(BIN)/csm scan
	$(BIN)/csm churn
	$(BIN)/csm renewals --days 90

test: install ## ruff check, ruff format --check, pytest (TEST_FILE=tests/x.py for one file)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest $(TEST_FILE)

lint: install ## ruff check and format diff
	$(BIN)/ruff check .
	$(BIN)/ruff format --diff .

format: install ## fix lint and formatting in place
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install ## the 10,000-account benchmark (import, scan, churn; time and memory)
	$(BIN)/python -m evals.bench_scan --accounts 10000

clean: ## remove the virtualenv and caches
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
