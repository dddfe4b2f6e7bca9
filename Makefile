# wiretrace: the two commands a new user needs are `make run` and `make test`.
# Both create .venv/ and install what they need, so they work on a fresh clone.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DB ?= wiretrace-demo.db
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test test-python lint bench extension browsers clean

# The project and its dependencies, reinstalled only when pyproject.toml changes.
$(BIN)/wiretrace: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

## run: the server on embedded SQLite with the demo corpus, at http://127.0.0.1:5000/
run: $(BIN)/wiretrace
	$(BIN)/wiretrace serve --demo --db $(DEMO_DB) --host $(HOST) --port $(PORT)

## browsers: Chromium and Firefox ESR (apt) and the extension's npm packages
browsers:
	bash extension/install-test-deps.sh

## extension: build dist/chromium, dist/firefox and their zips
extension:
	cd extension && npm ci --no-audit --no-fund && npm run build

## test: every test, browsers included (installs what it needs)
test: $(BIN)/wiretrace browsers
	cd extension && npm run build
	$(BIN)/python -m pytest

## test-python: the tests that need no browser
test-python: $(BIN)/wiretrace
	$(BIN)/python -m pytest --ignore=tests/extension

lint: $(BIN)/wiretrace
	$(BIN)/ruff check fingerprints server tests benchmarks
	$(BIN)/ruff format --check fingerprints server

## bench: accuracy and speed against plain datasketch (needs ../shared/data)
bench: $(BIN)/wiretrace
	$(BIN)/python benchmarks/accuracy.py
	$(BIN)/python benchmarks/speed.py

clean:
	rm -rf dist artifacts .pytest-tmp $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
