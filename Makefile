PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1:8000

.PHONY: install run test lint format demo browser messages

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(PY) pyproject.toml
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

## Migrate the default database, load demo data, print logins, serve on http://$(HOST)
## in development mode (DEBUG is off unless asked for), at the public URL http://$(HOST),
## with the background worker (webhooks, scheduled reconciliation) beside the server: it stops
## when the server stops. Webhooks may go to this machine and its network (development only).
run: export DEBUG = true
run: export PUBLIC_URL ?= http://$(HOST)
run: export HOOKS_ALLOW_PRIVATE_NETWORKS ?= true
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@$(PY) manage.py worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	echo "Back-office on http://$(HOST)/ (background worker: process $$worker)"; \
	$(PY) manage.py runserver $(HOST)

## The whole suite (SQLite unless DATABASE_URL is set), one process per core, a test file per
## process at a time (each process has its own test database)
test: install
	$(PY) -m pytest -n auto --dist loadfile

## ruff (lint and format) and mypy with the Django and DRF plugins (settings: pyproject.toml)
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy backoffice orders payments finance devtools hooks

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## The Norwegian catalogue: collect every marked string of the code and templates into
## locale/nb/LC_MESSAGES/django.po (translate what is new there), then compile it to the .mo,
## which is committed too. Needs GNU gettext (apt install gettext).
messages: export DEBUG = true
messages: install
	$(PY) manage.py makemessages --locale nb --add-location file --no-obsolete \
		--ignore ".venv/*" --ignore "staticfiles/*" --ignore "tests/*" --ignore "screenshots/*"
	$(PY) manage.py compilemessages --locale nb --ignore ".venv/*"
