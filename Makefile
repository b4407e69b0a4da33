# RankLab: `make run` serves the app on its embedded defaults, `make test` passes the suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.run-deps
TEST_STAMP := $(VENV)/.test-deps

.PHONY: run test load lint format system-test-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(RUN_STAMP): requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(TEST_STAMP): requirements.txt requirements-test.txt requirements-ml.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-test.txt -r requirements-ml.txt
	touch $@ $(RUN_STAMP)

# Ctrl-C (or a TERM) is how `make run` ends: honcho's 130 or 143 then is no error.
## run: set up, migrate, seed the demo and serve on http://127.0.0.1:$RANKLAB_WEB_PORT (8000 unless set; SQLite, no broker server, llama.cpp)
run: $(RUN_STAMP)
	mkdir -p var
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py createcachetable
	$(BIN)/python manage.py seed_demo
	$(BIN)/honcho -f Procfile start || { status=$$?; [ $$status -eq 130 ] || [ $$status -eq 143 ] || exit $$status; }

## test: set up and run the whole suite against PostgreSQL, Redis, llama.cpp and headless Chromium
test: lint system-test-deps
	$(BIN)/pytest

## load: 100 trainers ranking for five minutes through gunicorn; prints one JSON line (bench/load.py)
load: $(TEST_STAMP)
	$(BIN)/python bench/load.py

# Debian's Chromium drives the browser tests; docker-compose checks docker-compose.yml
# where the docker CLI has no compose plugin.
system-test-deps:
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium; }
	@if command -v docker >/dev/null && ! docker compose version >/dev/null 2>&1 && ! command -v docker-compose >/dev/null; then \
		apt-get update -qq && apt-get install -y -qq docker-compose; fi

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(TEST_STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf var/broker var/ranklab.sqlite3* var/celerybeat-schedule
