# Cordon: `make run` serves the app on the embedded defaults; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint lock audit-lock lint-migrations format worker bench bench-filing \
	bench-list bench-audit bench-dashboard bench-evidence bench-observables bench-search bench-intake clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Every dependency comes from the lock files in requirements/ (exact versions, checked
# against their hashes); the project itself is then installed on top, editable and
# without dependencies, by the locked build backend. `make lock` regenerates them.
LOCKED_INSTALL := $(BIN)/pip install --quiet --require-hashes
PROJECT_INSTALL := $(BIN)/pip install --quiet --no-deps --no-build-isolation --editable .

$(VENV)/.installed: requirements/main.txt requirements/build.txt pyproject.toml | $(BIN)/python
	$(LOCKED_INSTALL) -r requirements/build.txt -r requirements/main.txt
	$(PROJECT_INSTALL)
	touch $@

$(VENV)/.installed-test: requirements/test.txt requirements/build.txt pyproject.toml | $(BIN)/python
	$(LOCKED_INSTALL) -r requirements/build.txt -r requirements/test.txt
	$(PROJECT_INSTALL)
	touch $(VENV)/.installed $@

# The lock files, compiled by uv from pyproject.toml for Python 3.11 on every platform:
# main.txt (runtime and the s3 extra: the image and `make run`), test.txt (that, the
# same versions, plus the test and lint tools), build.txt (the build backend). A pin
# already in a lock file stays as it is; `make lock UPGRADE=1` moves everything to the
# newest release the specifiers allow; LOCK_INDEX_URL names a mirror of PyPI. The hashes
# are those of PyPI's files. bin/check_lock.py (in `make lint`) fails when pyproject.toml
# and the lock files disagree.
LOCK_INDEX_URL ?= https://pypi.org/simple
UV_COMPILE = $(BIN)/uv pip compile --quiet --universal --python-version 3.11 \
	--generate-hashes --index-url $(LOCK_INDEX_URL) --custom-compile-command "make lock" \
	$(if $(UPGRADE),--upgrade)
lock: $(VENV)/.installed-test
	$(UV_COMPILE) pyproject.toml --extra s3 --output-file requirements/main.txt
	$(UV_COMPILE) pyproject.toml --extra s3 --extra test --constraint requirements/main.txt \
		--output-file requirements/test.txt
	$(UV_COMPILE) requirements/build.in --output-file requirements/build.txt
	$(BIN)/python bin/check_lock.py

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
	$(BIN)/mypy
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/check-jsonschema --builtin-schema vendor.compose-spec docker-compose.yml
	$(BIN)/python bin/check_lock.py
	$(MAKE) --no-print-directory audit-lock lint-migrations

# Known vulnerabilities in every locked package. Without a reachable vulnerability
# service it says "lock audit SKIPPED" and passes, unless LOCK_AUDIT_REQUIRED=1.
audit-lock: $(VENV)/.installed-test
	$(BIN)/python bin/audit_lock.py

# Migrations that would lock a big table or cannot be reversed (core/migration_lint.py).
lint-migrations: $(VENV)/.installed-test
	$(BIN)/python manage.py lint_migrations

format: $(VENV)/.installed-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The quick ones (minutes on 2 cores), each on its own scratch PostgreSQL database;
# figures go to bench/results.json. BENCH_PG and BENCH_BROKER point elsewhere.
bench: bench-filing bench-list bench-audit bench-dashboard bench-observables bench-search \
	bench-intake

bench-filing: $(VENV)/.installed-test
	$(BIN)/python bench/api_filing.py

bench-list: $(VENV)/.installed-test
	$(BIN)/python bench/api_list.py

bench-audit: $(VENV)/.installed-test
	$(BIN)/python bench/audit_chain.py

bench-dashboard: $(VENV)/.installed-test
	$(BIN)/python bench/dashboard.py

bench-observables: $(VENV)/.installed-test
	$(BIN)/python bench/observables.py

bench-search: $(VENV)/.installed-test
	$(BIN)/python bench/search.py
bench-intake: $(VENV)/.installed-test
	$(BIN)/python bench/intake.py

# Evidence: hashing throughput on a 1 GiB file, and a 2 GiB upload's memory in gunicorn.
bench-evidence: $(VENV)/.installed-test
	$(BIN)/python bench/evidence_hashing.py
	$(BIN)/python bench/evidence_upload_memory.py

worker: $(VENV)/.installed
	$(BIN)/celery --app config worker --loglevel INFO --concurrency 2

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
