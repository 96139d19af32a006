# Marea: `make run` serves the site with a worker; `make test` runs the whole suite.
# Both set up whatever is missing first (virtual environment, Redis, PostgreSQL for the tests,
# the Docker engine and the runner image) and are fast and idempotent the second time.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
export MAREA_DATA_DIR ?= $(CURDIR)/var

.PHONY: run test setup services postgres oidc browser image catalog lint clean bench i18n

run: setup catalog
	@echo "==> serving Marea at http://$(HOST):$(PORT) with a worker (Ctrl-C stops both)"
	@set -m; $(BIN)/marea worker --processes 1 & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/marea serve --host $(HOST) --port $(PORT)

test: setup postgres oidc browser lint
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

setup: $(STAMP) services image

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null || { \
	  echo "Marea needs Python 3.11 or newer as '$(PYTHON)'. Install it (Debian: apt-get install python3 python3-venv)"; \
	  echo "or run: make PYTHON=/path/to/python3.11 $(MAKECMDGOALS)"; exit 1; }
	@$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || { \
	  echo "Python's venv module is missing. Install it (Debian: apt-get install python3-venv)."; exit 1; }
	@echo "==> creating the virtual environment in $(VENV)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install -q --upgrade pip
	@$(BIN)/pip install -q -e '.[dev]'
	@touch $(STAMP)

services:
	@bash scripts/ensure-redis.sh
	@bash scripts/ensure-docker.sh

postgres:
	@bash scripts/ensure-postgres.sh

oidc:
	@bash scripts/ensure-oidc-provider.sh

browser:
	@bash scripts/ensure-browser.sh

image: $(STAMP) services
	@$(BIN)/marea sandbox build-image

catalog: $(STAMP)
	@$(BIN)/marea challenge load --publish challenges/*/

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy app judging sandbox

bench: setup
	$(BIN)/python bench/judge_overhead.py
	$(BIN)/python bench/sandbox_overhead.py
	$(BIN)/python bench/queue_bench.py
	$(BIN)/python bench/leaderboard_load.py
	$(BIN)/python bench/sse_fanout.py

i18n: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -o app/locale/messages.pot --project=Marea --version=0.1.0 --copyright-holder="Marea contributors" --sort-by-file .
	$(BIN)/pybabel update -i app/locale/messages.pot -d app/locale

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
