# Everything a developer or CI needs: `make demo`, `make test`. Each creates .venv when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: help install test unit-test integration-test lint format demo clean docker-test

help:
	@echo "make demo   - run the connector end to end against the bundled LivePerson simulator"
	@echo "make test   - run every test (unit and integration)"
	@echo "make lint   - ruff check and format check"

$(STAMP): setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest unit_tests integration_tests

unit-test: $(STAMP)
	$(BIN)/python -m pytest unit_tests

integration-test: $(STAMP)
	$(BIN)/python -m pytest integration_tests

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

demo: $(STAMP)
	$(BIN)/python -m demo

clean:
	rm -rf $(VENV) .venv-pyairbyte build dist *.egg-info .pytest_cache .ruff_cache demo-output

# Build the connector's Docker image and run spec/check/discover/read in it against the simulator.
# Starts dockerd and builds a local base image when needed (no container registry is reachable here).
docker-test: $(STAMP)
	bash docker/ensure-dockerd.sh && bash docker/build-base-image.sh && bash docker/test-image.sh

# Throughput, CPU, memory and requests of the connector's read against a minimal floor client, on the simulator.
# Takes about 4 minutes on 2 CPUs and writes docs/performance.md; `$(BIN)/python -m benchmarks.run --quick` is a
# 30-second smoke test that writes benchmarks/results/performance-quick.md instead.
.PHONY: bench
bench: $(STAMP)
	$(BIN)/python -m benchmarks.run
