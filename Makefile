# 民政服务站管理系统 — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run demo test test-fast lint localdb browsers clean

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

localdb: $(STAMP)
	$(PY) -c "from admin_app.localdb import build; print('本地数据库程序：', build())"

## Run the app on the local database (or on MONGODB_URI when set).
run: $(STAMP)
	$(PY) -m admin_app.serve

## Run the app in memory with demo data (nothing is kept).
demo: $(STAMP)
	$(PY) -m admin_app.serve --demo

## Every test: lint, unit tests on mongomock, the same on FerretDB, browser tests.
test: $(STAMP) localdb
	$(PY) -m ruff check .
	$(PY) -m tests.run_all

test-fast: $(STAMP)
	$(PY) -m pytest -m "not browser"

lint: $(STAMP)
	$(PY) -m ruff check .

clean:
	rm -rf build test-artifacts .pytest_cache
