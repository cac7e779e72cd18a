# Cordon: `make run` serves the app on the embedded defaults; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format worker bench bench-filing bench-list bench-audit bench-dashboard \
	bench-evidence clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --editable .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --editable ".[test]"
	touch $(VENV)/.installed $@

run: $(VENV)/.installed
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py ensure_first_lead
	@echo "Cordon is serving on http://$(HOST):$(PORT)/ (Ctrl-C stops it)"
	WEB_CONCURRENCY=$${WEB_CONCURRENCY:-2} $(BIN)/gunicorn config.wsgi:application \
		--config config/gunicorn.conf.py --bind $(HOST):$(PORT)

# axe-core for the browser accessibility check (package-lock.json); without npm that
# check is skipped and says so. npm writes node_modules/.package-lock.json itself.
node_modules/.package-lock.json: package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund; \
	else echo "make: npm not found, the axe-core accessibility check will be skipped"; fi

# The suite runs in one process per core (pytest-xdist), whole files to each, so a file's
# module fixtures are built once; TEST_PROCESSES=0 runs it in this process alone.
TEST_PROCESSES ?= auto
test: $(VENV)/.installed-test node_modules/.package-lock.json
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/pytest -n $(TEST_PROCESSES) --dist loadfile $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/check-jsonschema --builtin-schema vendor.compose-spec docker-compose.yml

format: $(VENV)/.installed-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The quick ones (minutes on 2 cores), each on its own scratch PostgreSQL database;
# figures go to bench/results.json. BENCH_PG and BENCH_BROKER point elsewhere.
bench: bench-filing bench-list bench-audit bench-dashboard

bench-filing: $(VENV)/.installed-test
	$(BIN)/python bench/api_filing.py

bench-list: $(VENV)/.installed-test
	$(BIN)/python bench/api_list.py

bench-audit: $(VENV)/.installed-test
	$(BIN)/python bench/audit_chain.py

bench-dashboard: $(VENV)/.installed-test
	$(BIN)/python bench/dashboard.py

# Evidence: hashing throughput on a 1 GiB file, and a 2 GiB upload's memory in gunicorn.
bench-evidence: $(VENV)/.installed-test
	$(BIN)/python bench/evidence_hashing.py
	$(BIN)/python bench/evidence_upload_memory.py

worker: $(VENV)/.installed
	$(BIN)/celery --app config worker --loglevel INFO --concurrency 2

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
