# Two commands: `make run` serves the portal on a laptop, `make test` lints and runs the tests.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run test lint up migrate reference demo clean bench

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements-dev.txt $(VENV)/.installed
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

migrate: $(VENV)/.installed
	$(PY) manage.py migrate --noinput

# Halton's facts only: what a production install loads.
reference: migrate
	$(PY) manage.py load_reference_data

# The facts plus made-up rows to try the portal with (an open grant intake, generated indicator
# series), each labelled "Demonstration"; `manage.py load_reference_data --remove-demo` deletes them.
demo: migrate
	$(PY) manage.py load_reference_data --demo

run: demo
	@echo ""
	@echo "  The portal is at http://127.0.0.1:$(PORT)/ (staff admin: http://127.0.0.1:$(PORT)/admin/)."
	@echo "  To create the first staff account, in another terminal run:"
	@echo "      .venv/bin/python manage.py createsuperuser --username alice --email alice@example.org --noinput"
	@echo "      .venv/bin/python manage.py send_enrolment_link alice"
	@echo "  and open the link that command prints to choose a password and set up the second factor."
	@echo "  Tasks run in this process and emails are printed below."
	@echo "  Rows marked Demonstration (an open grant intake, sample indicator series) are made up;"
	@echo "      .venv/bin/python manage.py load_reference_data --remove-demo   deletes them."
	@echo ""
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache --no-logo

test: lint
	$(PY) manage.py makemigrations --check --dry-run > /dev/null || \
		(echo "Model changes without a migration: run manage.py makemigrations"; exit 1)
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# Production-like processes (web, worker, beat) against DATABASE_URL and REDIS_URL.
up: $(VENV)/.installed
	@test -n "$$DATABASE_URL" || (echo "Set DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/cswb)"; exit 1)
	@test -n "$$REDIS_URL" || (echo "Set REDIS_URL (e.g. redis://127.0.0.1:6379/0)"; exit 1)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput
	$(PY) manage.py load_reference_data
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/honcho start -f Procfile

# Load and speed benchmark of the whole stack (PostgreSQL and Redis must answer); see PERFORMANCE.md.
bench: $(VENV)/.dev-installed
	$(PY) bench/run.py
	$(PY) bench/statcan_bench.py

clean:
	rm -rf $(VENV) var
