# Two commands matter: `make run` (the site with demo data, no services needed) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# migrate, seed_demo and the processes see the same HOST and PORT, so SITE_URL (config/settings/local.py) is the served address
export HOST PORT
PYTEST_ARGS ?=
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test lint typecheck pytest bench scale services system-deps clean help

help:
	@echo "make run    - install, migrate a SQLite database, load demo data, start site + worker + beat"
	@echo "make test   - install dev tools, check MariaDB and Redis, run ruff, mypy and the whole pytest suite"
	@echo "make bench  - run the benchmarks (needs MariaDB and Redis) and print results"
	@echo "make scale  - HAProxy in front of 2 web processes, 2 Celery workers and beat: kill one of each mid-load"

system-deps:
	@bash scripts/system-deps.sh

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.run-installed: $(BIN)/python requirements.txt
	$(BIN)/pip install -q -r requirements.txt
	@touch $@

$(VENV)/.dev-installed: $(BIN)/python requirements.txt requirements-dev.txt
	$(BIN)/pip install -q -r requirements-dev.txt
	@touch $@ $(VENV)/.run-installed

run: system-deps $(VENV)/.run-installed
	@mkdir -p var
	DJANGO_SETTINGS_MODULE=config.settings.local $(BIN)/python manage.py migrate --noinput
	DJANGO_SETTINGS_MODULE=config.settings.local $(BIN)/python manage.py seed_demo
	HOST=$(HOST) PORT=$(PORT) bash scripts/run-local.sh

services:
	@bash scripts/ensure-services.sh

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.dev-installed
	$(BIN)/mypy .

pytest: $(VENV)/.dev-installed services
	$(BIN)/python -m pytest -n 2 --create-db -m "not e2e" $(PYTEST_ARGS)
	$(BIN)/python -m pytest -n 2 --create-db -m e2e $(PYTEST_ARGS)

test: system-deps $(VENV)/.dev-installed services lint typecheck pytest

bench: system-deps $(VENV)/.dev-installed services
	$(BIN)/python -m tests.load.run_all

# The multi-process stack behind HAProxy, with one web process and one worker killed mid-load (tests/scale/).
scale: system-deps $(VENV)/.dev-installed services
	$(BIN)/python -m pytest -p no:xdist --create-db -m scale -s tests/scale $(PYTEST_ARGS)

clean:
	rm -rf var .mypy_cache .ruff_cache
