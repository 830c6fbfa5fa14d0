# 民政服务站管理系统 — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run demo test test-fast lint localdb catalogs browsers clean

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

## The interface's message catalogs (.mo, not kept in git), compiled from their .po files.
MESSAGES := admin_app/translations/zh_Hans_CN/LC_MESSAGES
catalogs: $(MESSAGES)/forms.mo $(MESSAGES)/admin.mo

$(MESSAGES)/forms.mo: $(MESSAGES)/forms.po $(STAMP)
	$(VENV)/bin/pybabel compile --domain forms --directory admin_app/translations --locale zh_Hans_CN

# Flask-Admin's own catalog merged with the project's corrections (admin-extra.po)
$(MESSAGES)/admin.mo: $(MESSAGES)/admin-extra.po $(STAMP)
	$(PY) -m views.i18n

localdb: $(STAMP)
	$(PY) -c "from admin_app.localdb import build; print('本地数据库程序：', build())"

## Run the app on the local database (or on MONGODB_URI when set).
run: $(STAMP) catalogs
	$(PY) -m admin_app.serve

## Run the app in memory with demo data (nothing is kept).
demo: $(STAMP) catalogs
	$(PY) -m admin_app.serve --demo

## Every test: lint, unit tests on mongomock, the same on FerretDB, browser tests.
test: $(STAMP) catalogs localdb
	$(PY) -m ruff check .
	$(PY) -m tests.run_all

test-fast: $(STAMP) catalogs
	$(PY) -m pytest -m "not browser and not scale"

lint: $(STAMP)
	$(PY) -m ruff check .

clean:
	rm -rf build test-artifacts .pytest_cache
