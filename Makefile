# The two commands: `make run` (set up and serve) and `make test` (set up and test).
# Both are idempotent; each step is skipped when already done.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
DIMOS := $(BIN)/dimos
VENV_STAMP := $(VENV)/.installed
ASSETS_STAMP := node_modules/.installed
BENCH_VENV := .bench-venv
BENCH_STAMP := $(BENCH_VENV)/.installed

.PHONY: run test fuzz setup venv assets system-packages db broker demo clean-db help bench

help:
	@echo "make run   - set everything up and serve the map and APIs at http://127.0.0.1:5000/"
	@echo "make test  - set everything up and run every test"
	@echo "make bench - the benchmarks (bench/README.md)"
	@echo "make fuzz  - Schemathesis over both APIs, writes included, 100 examples an operation"

# the demo's sensors are simulated (DIMOS_SENSORS_SIMULATE=0 to feed real ones)
# the demo holds Rethymno and Chania: the map opens on Rethymno unless told otherwise
run: demo assets broker
	DIMOS_SENSORS_SIMULATE=$${DIMOS_SENSORS_SIMULATE:-1} \
	DIMOS_DEFAULT_JURISDICTION=$${DIMOS_DEFAULT_JURISDICTION:-rethymno} $(DIMOS) serve

# the layers first (import-linter, contracts in pyproject.toml): seconds, before the minutes;
# then two processes (xdist), a test module wholly in one (its databases, its live server),
# in a shuffled order (randomly); PYTEST_ARGS="-n 0" runs in one process
test: db assets
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -n 2 --dist loadfile -p randomly $(PYTEST_ARGS)

# the test suite's fuzzing at full strength (minutes): DIMOS_FUZZ_EXAMPLES per operation
fuzz: db assets
	DIMOS_FUZZ_EXAMPLES=$${DIMOS_FUZZ_EXAMPLES:-100} $(BIN)/python -m pytest -s -p no:randomly \
	  tests/test_api_fuzzing.py $(PYTEST_ARGS)

setup: demo assets broker

system-packages:
	scripts/install-system-packages

venv: $(VENV_STAMP)

$(VENV_STAMP): pyproject.toml
	@python=$$(scripts/find-python) && echo "using $$python" && \
	  { [ -x $(BIN)/python ] || $$python -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

# Leaflet and the API pages' assets, from the npm registry (served by dimos: no CDN)
assets: $(ASSETS_STAMP)

$(ASSETS_STAMP): package.json package-lock.json | system-packages
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

db: venv system-packages
	$(DIMOS) db up
	$(DIMOS) db migrate

demo: db
	$(DIMOS) demo load

# the sensors' MQTT broker (Mosquitto, project-local) unless MQTT_URL names one
broker: venv system-packages
	$(DIMOS) broker up

clean-db:
	-$(DIMOS) broker down
	-$(DIMOS) db down
	rm -rf .dimos

# dimos against MapServer, tipg (its own venv: FastAPI/asyncpg stay out of ours) and stock
# pygeoapi; its crew plans against VROOM and OR-Tools (bench/README.md)
bench: demo $(BENCH_STAMP) system-packages
	scripts/install-bench-packages
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.crews
	$(BIN)/python -m bench.sensors
	$(BIN)/python -m bench.imports
	$(BIN)/python -m bench.mixed_load
	$(BIN)/python -m bench.map_tools

$(BENCH_STAMP): bench/requirements-tipg.txt bench/requirements-solvers.txt
	@python=$$(scripts/find-python) && echo "using $$python" && \
	  { [ -x $(BENCH_VENV)/bin/python ] || $$python -m venv $(BENCH_VENV); }
	$(BENCH_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r bench/requirements-tipg.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r bench/requirements-solvers.txt
	touch $@
