# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000
# The address links in emails and the inbox point at: the one `make run` serves on, unless set in the environment or
# on the command line.
SITE_URL ?= http://$(HOST):$(PORT)

.PHONY: run test install lint typecheck format migrate seed worker beat bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip > $(VENV)/pip.log 2>&1
	$(BIN)/python -m pip install --quiet -e ".[dev]" >> $(VENV)/pip.log 2>&1 || (tail -n 30 $(VENV)/pip.log; exit 1)
	touch $(STAMP)

install: $(STAMP)

## make run — the portal with demo data on the embedded default (SQLite, eager Celery, console email)
run: install
	$(BIN)/python manage.py migrate --no-input
	SITE_URL='$(SITE_URL)' $(BIN)/python manage.py seed_demo
	SITE_URL='$(SITE_URL)' $(BIN)/python manage.py runserver $(HOST):$(PORT)

## make test — ruff, mypy, migrations check, then the whole pytest suite
test: install lint typecheck
	$(BIN)/python manage.py makemigrations --check --dry-run --no-input > /dev/null || \
		(echo "Model changes without a migration: run manage.py makemigrations"; exit 1)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy ipp_portal listings enforcement complaints

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

worker: install
	$(BIN)/celery -A ipp_portal worker --loglevel=info

beat: install
	$(BIN)/celery -A ipp_portal beat --loglevel=info --schedule var/celerybeat-schedule

## make bench — every benchmark, even after one misses its goal; a summary at the end, non-zero if any missed
bench: install
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) var/db.sqlite3 var/test-private staticfiles
