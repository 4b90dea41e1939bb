# Quick start: `make run` (serve the demo at http://127.0.0.1:8000) and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run test test-pg test-browser lint format bench migrate messages check-deploy clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.runtime $@

migrate: $(VENV)/.runtime
	$(PY) manage.py migrate --noinput
	$(PY) manage.py createcachetable
	$(PY) manage.py sync_schedules

run: migrate
	$(PY) manage.py seed_demo --previous-year
	PORT=$(PORT) $(PY) scripts/run.py

test: $(VENV)/.dev
	$(PY) -m pytest -m "not browser" $(PYTEST_ARGS)

test-pg: $(VENV)/.dev
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/dangjian} \
		$(PY) -m pytest -m "not browser" $(PYTEST_ARGS)

test-browser: $(VENV)/.dev
	$(PY) -m pytest -m browser $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# The figures of record (minutes; var/bench/). `BENCH_SCALE=small make bench` runs every benchmark
# in seconds (var/bench/scale-0.01/), as CI does; any positive factor works (scripts/benchdata.py).
bench: $(VENV)/.dev
	$(PY) scripts/bench.py
	$(PY) scripts/bench_notices.py
	$(PY) scripts/bench_sweep.py
	$(PY) scripts/bench_scoring.py
	$(PY) scripts/bench_yearend.py
	$(PY) scripts/bench_plans.py

messages: $(VENV)/.dev
	$(PY) manage.py makemessages -l zh_Hans --ignore=.venv --ignore=staticfiles --no-obsolete
	$(PY) manage.py compilemessages -l zh_Hans --ignore=.venv

check-deploy: $(VENV)/.runtime
	DJANGO_SETTINGS_MODULE=config.settings.prod SECRET_KEY=$${SECRET_KEY:-check-deploy-$$RANDOM-0123456789abcdefghijklmnopqrstuvwxyz} \
		ALLOWED_HOSTS=$${ALLOWED_HOSTS:-dangjian.example.org} \
		$(PY) manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
