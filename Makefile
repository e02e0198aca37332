# The two commands: `make run` (set up and serve) and `make test` (set up and test).
# Both are idempotent; each step is skipped when already done.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
DIMOS := $(BIN)/dimos
VENV_STAMP := $(VENV)/.installed

.PHONY: run test setup venv db demo bench clean-db help

help:
	@echo "make run   - set everything up and serve the map and APIs at http://127.0.0.1:5000/"
	@echo "make test  - set everything up and run every test"

run: demo
	$(DIMOS) serve

test: db
	$(BIN)/python -m pytest $(PYTEST_ARGS)

setup: demo

venv: $(VENV_STAMP)

$(VENV_STAMP): pyproject.toml
	@python=$$(scripts/find-python) && echo "using $$python" && \
	  { [ -x $(BIN)/python ] || $$python -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

db: venv
	$(DIMOS) db up
	$(DIMOS) db migrate

demo: db
	$(DIMOS) demo load

clean-db:
	-$(DIMOS) db down
	rm -rf .dimos
