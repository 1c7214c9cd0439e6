# Hongfan: `make run` sets everything up and serves the portal; `make test` runs the suite.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install lock assets migrate seed lint format messages test-postgres test-browser test-celery ci clean backup restore

# The dependencies come from the lock, every file checked against its hash; the project itself is then
# installed without dependencies (editable). A changed lock reinstalls.
$(VENV)/.installed: pyproject.toml requirements/dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet --require-hashes -r requirements/dev.txt
	$(PIP) install --quiet --no-deps -e .
	touch $@

install: $(VENV)/.installed assets

# The Python dependencies, locked with hashes from pyproject.toml by pip-tools (which runs in its own
# venv, never in .venv): requirements/base.txt (runtime, for the Dockerfile) and requirements/dev.txt
# (runtime + dev tools, for .venv and CI; the runtime pins of base.txt as they are). Run after editing
# the dependencies in pyproject.toml: the pins that still fit are kept. Newer releases:
# `make lock LOCK_ARGS=--upgrade`, or one package: `make lock LOCK_ARGS="--upgrade-package django"`.
LOCK_VENV := .venv-lock
LOCK_ARGS ?=
PIP_COMPILE := CUSTOM_COMPILE_COMMAND="make lock" $(LOCK_VENV)/bin/pip-compile --quiet --generate-hashes \
	--allow-unsafe --strip-extras --no-emit-index-url --no-emit-trusted-host --no-emit-find-links $(LOCK_ARGS)

$(LOCK_VENV)/.installed:
	test -x $(LOCK_VENV)/bin/python || $(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install --quiet --upgrade pip 'pip-tools>=7.4,<8'
	touch $@

lock: $(LOCK_VENV)/.installed
	$(PIP_COMPILE) --output-file requirements/base.txt pyproject.toml
	$(PIP_COMPILE) --extra dev --constraint requirements/base.txt --output-file requirements/dev.txt pyproject.toml

# Front-end packages come from the npm registry (package-lock.json) and are served by the portal.
static/vendor/.installed: package.json package-lock.json scripts/vendor-assets.sh
	npm ci --no-audit --no-fund --loglevel=error
	sh scripts/vendor-assets.sh
	touch $@

assets: static/vendor/.installed

migrate: install
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

# The demo runs as users see the portal: DEBUG off, so a missing page or an error shows the portal's
# own 404/500 pages (templates/), not Django's debug pages; WhiteNoise serves the static files from
# the source folders (embedded mode). `make run DEBUG=true` for Django's debug pages while developing.
DEBUG ?= false
run: seed
	DJANGO_DEBUG=$(DEBUG) $(PY) manage.py runserver $(HOST):$(PORT)

# Tests. `make test` is the whole suite on SQLite (browser tests skip without Chromium, except with
# CI=true); PYTEST_ARGS passes options through, e.g. `make test PYTEST_ARGS="tests/parks -x"`.
# Outside CI the migrated test database is kept between runs (--reuse-db; SQLite's in
# test-artifacts/); PYTEST_ARGS=--create-db starts it afresh. CI (CI=true) always creates it fresh.
PG_URL ?= postgres://postgres@127.0.0.1:5432/hongfan
CELERY_TEST_BROKER ?= redis://127.0.0.1:6379/15
REUSE_DB := $(if $(filter true 1 yes,$(CI)),,--reuse-db)

test: install
	$(PY) -m pytest $(REUSE_DB) $(PYTEST_ARGS)

# The whole suite on PostgreSQL (DATABASE_URL, default $(PG_URL)); pytest-django creates test_<name>.
test-postgres: install
	DATABASE_URL=$${DATABASE_URL:-$(PG_URL)} $(PY) -m pytest $(REUSE_DB) $(PYTEST_ARGS)

test-browser: install
	$(PY) -m pytest tests/browser $(PYTEST_ARGS)

# The suite (browser and worker tests aside) with the clock set to the edges of the portal's
# calendar in Asia/Shanghai, through libfaketime (apt-get install faketime): a run crossing the
# year's end, the first minutes of a quarter, a leap day and the day after. Each run starts the
# clock at DATES' moment and lets it run. Not part of CI (it takes a run of the suite per date).
TEST_DATES ?= 2026-12-31T23:58:30 2027-01-01T00:10:00 2027-06-30T23:59:00 2028-02-29T10:00:00 2028-03-01T00:05:00
test-dates: install
	@command -v faketime >/dev/null || { echo "test-dates needs libfaketime: apt-get install faketime"; exit 1; }
	@rc=0; for when in $(TEST_DATES); do \
		echo "== the suite at $$when (Asia/Shanghai)"; \
		TZ=Asia/Shanghai faketime -f "@$$(echo $$when | tr T ' ')" $(PY) -m pytest -q -p no:cacheprovider \
			-m "not browser and not celery_worker and not real_clock" $(PYTEST_ARGS) || rc=1; \
	done; exit $$rc

# Tests marked celery_worker, against a real worker and Redis; "no tests" (exit code 5) is no failure.
test-celery: install
	@rc=0; CELERY_TEST_BROKER=$(CELERY_TEST_BROKER) DATABASE_URL=$${DATABASE_URL:-$(PG_URL)} \
		$(PY) -m pytest -m celery_worker $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "no celery_worker tests collected: nothing to run"; exit 0; fi; exit $$rc

# The REST API fuzzed against its own schema by schemathesis (docs/api.md): demo data, a local
# server, tokens of a park administrator and a secretary; bounded by SCHEMATHESIS_EXAMPLES and
# SCHEMATHESIS_MAX_TIME (seconds per role).
test-api-fuzz: install
	PYTHON=$(PY) bash .ci/schemathesis.sh

# Backups (docs/backup.md): the database and every stored file, encrypted to the operator's public key
# (HONGFAN_BACKUP_PUBLIC_KEY; `manage.py backup_keys` makes a pair). `make restore FILE=…` restores
# into the configured, empty database and storage and checks every table against the backup.
BACKUP_DIR ?= backups
backup: install
	$(PY) manage.py backup $(BACKUP_DIR)/hongfan-$$(date +%Y%m%d-%H%M%S).hfbak

restore: install
	@test -n "$(FILE)" || { echo "usage: make restore FILE=backups/hongfan-….hfbak [KEY_FILE=private.key]"; exit 2; }
	$(PY) manage.py restore "$(FILE)" $(if $(KEY_FILE),--private-key-file "$(KEY_FILE)")

# What CI runs, from start to end (installs Chromium and starts PostgreSQL/Redis when missing).
ci:
	CI=true bash .ci/run

# ruff (lint and format), the layer contract of docs/architecture.md, and migrations in step.
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) manage.py makemigrations --check --dry-run

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# After adding or changing user-visible strings: run this, translate the new or fuzzy entries of
# locale/zh_Hans/LC_MESSAGES/django.po (and remove their fuzzy flags), then run it again.
# tests/portal/test_translations.py fails while a string of the source is missing.
MESSAGES_IGNORE := .venv node_modules static/vendor staticfiles test-artifacts tests bench media
messages: install
	$(PY) manage.py makemessages -l zh_Hans $(addprefix --ignore=,$(MESSAGES_IGNORE))
	$(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) $(LOCK_VENV) node_modules static/vendor staticfiles db.sqlite3
