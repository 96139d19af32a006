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

help: ## what each target does (this list)
	@grep -hE '^[a-z][a-z-]*:.*## ' $(MAKEFILE_LIST) | sed -E 's/:[^#]*## /\t/' | column -t -s "$$(printf '\t')"

.PHONY: help run run-s3 test coverage unit setup services postgres oidc browser image catalog lint clean bench bench-check bench-record wrk i18n chaos load fuzz screenshots

run: setup catalog ## serve the site with a worker on SQLite (sets everything up first)
	@echo "==> serving Marea at http://$(HOST):$(PORT) with a worker (Ctrl-C stops both)"
	@set -m; $(BIN)/marea worker --processes 1 & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/marea serve --host $(HOST) --port $(PORT)

run-s3: setup ## `make run` with the files in a local S3 server (SeaweedFS), data in var-s3
	@MAREA_DATA_DIR=$(CURDIR)/var-s3 BIN=$(BIN) HOST=$(HOST) PORT=$(PORT) bash scripts/run-s3.sh

test: setup postgres oidc browser lint ## set everything up, lint, then run the whole suite
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

# Coverage makes the suite's own Python about 60% slower (measured on the web tests), so it is a
# target of its own rather than a part of every `make test`.
coverage: setup postgres oidc browser ## the whole suite under coverage, with its figure
	$(BIN)/python -m pytest -q --cov=app --cov=judging --cov=sandbox --cov-report= $(PYTEST_ARGS)
	@echo "coverage of app, judging and sandbox by the suite's own process (servers and workers it starts are not counted): $$($(BIN)/coverage report --format=total)%"

unit: $(STAMP) ## the tests that need no service (seconds): metrics, ranking, the board, bundles
	$(BIN)/python -m pytest -q -m unit $(PYTEST_ARGS)

# The chaos and load suites (tests/chaos, marker `chaos`) run on a private stack: their own
# redis-server and PostgreSQL cluster on free ports, `marea serve` and `marea worker`. `make test`
# runs both (about two minutes; exclude them with PYTEST_ARGS='-m "not chaos"'). These targets
# run one each and print its figures; `make chaos` uses the product's own heartbeat timeout
# and sweep interval (30 s, 5 s), so its recovery times are the ones an operator would see.
CHAOS_SUBMISSIONS ?= 100
chaos: setup postgres ## the chaos suite alone, with the product's own timeouts
	MAREA_CHAOS_SUBMISSIONS=$(CHAOS_SUBMISSIONS) MAREA_CHAOS_HEARTBEAT_TIMEOUT_S=30 \
	  MAREA_CHAOS_SWEEP_INTERVAL_S=5 $(BIN)/python -m pytest -q -s -m chaos tests/chaos/test_chaos.py

LOAD_UPLOADS ?= 200
LOAD_TEAMS ?= 20
LOAD_QUOTA ?= 5
load: setup postgres ## the concurrent-upload load suite alone
	MAREA_LOAD_UPLOADS=$(LOAD_UPLOADS) MAREA_LOAD_TEAMS=$(LOAD_TEAMS) MAREA_LOAD_QUOTA=$(LOAD_QUOTA) \
	  $(BIN)/python -m pytest -q -s -m chaos tests/chaos/test_load_uploads.py

# A deeper schemathesis run than the one in `make test` (600 examples per API operation).
FUZZ_EXAMPLES ?= 600
fuzz: setup ## a deeper schemathesis run of the API (600 examples per operation)
	MAREA_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -q tests/hostile/test_api_fuzz.py

setup: $(STAMP) services image ## the virtual environment, Redis, Docker and the runner image

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

# The demo catalog: generated challenges get their judged data and answers from a secret seed,
# made once under $(MAREA_DATA_DIR)/catalog-hidden (never committed) and reused afterwards;
# project challenges (nothing to score, no hidden part) load as they are.
catalog: $(STAMP) ## load the bundled demo catalog (generated hidden parts from a secret seed)
	@$(BIN)/marea challenge catalog --publish

lint: $(STAMP) ## ruff, ruff format, mypy --strict and the layer contracts (import-linter)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy app judging sandbox
	$(BIN)/lint-imports

# Benchmarks (bench/README.md). Each makes its own data dir, SQLite database and redis-server
# and removes them afterwards; BENCH_ARGS passes options (e.g. --database-url for PostgreSQL).
# `make bench` runs the long versions and prints their figures for docs/performance.md.
# `make bench-check` (about 2 minutes) runs a short version of every hot-path benchmark beside a
# reference measured in the same run, prints the table, and fails when a ratio falls below the
# one recorded in bench/baseline.json by more than the noise; run it before every stop that
# touches a hot path. `make bench-record` rewrites the baseline after an intended change.
bench: setup wrk ## every benchmark of docs/performance.md, full length
	$(BIN)/python bench/judge_overhead.py
	$(BIN)/python bench/sandbox_overhead.py
	$(BIN)/python bench/queue_bench.py --trace 10
	$(BIN)/python bench/leaderboard_load.py --warmup 5 $(BENCH_ARGS)
	$(BIN)/python bench/sse_fanout.py $(BENCH_ARGS)

bench-check: setup wrk ## short hot-path benchmarks against bench/baseline.json (run before a stop)
	$(BIN)/python bench/bench_check.py $(BENCH_ARGS)

bench-record: setup wrk ## rewrite bench/baseline.json after an intended change
	$(BIN)/python bench/bench_check.py --record $(BENCH_ARGS)

wrk:
	@bash scripts/ensure-wrk.sh

# A temporary site (catalog loaded, three teams scored) photographed by Debian's Chromium at
# 1280x800 and 390x844; the PNGs are docs/screenshots/*.png, shown in docs/screenshots.md.
screenshots: setup browser ## regenerate docs/screenshots (a temporary site with demo activity)
	PYTHONPATH=$(CURDIR) $(BIN)/python scripts/screenshots.py

i18n: $(STAMP) ## extract the messages and update the Italian and English catalogs
	$(BIN)/pybabel extract -F babel.cfg -o app/locale/messages.pot --project=Marea --version=0.1.0 --copyright-holder="Marea contributors" --sort-by-file .
	$(BIN)/pybabel update -i app/locale/messages.pot -d app/locale

clean: ## remove var/ and the tool caches
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
