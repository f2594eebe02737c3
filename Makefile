# Everything a developer or CI needs: `make demo`, `make test`. Each creates .venv when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
QA_VENV := .venv-qa
QA_STAMP := $(QA_VENV)/.installed

.PHONY: help install test unit-test integration-test lint format demo clean docker-test qa

help:
	@echo "make demo   - run the connector end to end against the bundled LivePerson simulator"
	@echo "make test   - run every test (unit and integration)"
	@echo "make lint   - ruff check and format check"
	@echo "make qa     - Airbyte's own metadata validators, connector QA checks and changelog parser, offline"

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
	rm -rf $(VENV) $(QA_VENV) .venv-pyairbyte build dist *.egg-info .pytest_cache .ruff_cache demo-output

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

# Airbyte's own tooling run on this repository, offline (qa/run_airbyte_qa.py says what runs and what is stubbed):
# metadata schema and pre-upload validators, every connector QA check, the changelog parser. It pins many packages
# of its own, so it gets a venv of its own, .venv-qa/, created on first use (about a minute) and reused after.
$(QA_STAMP): qa/requirements.txt qa/constraints.txt
	test -x $(QA_VENV)/bin/python || $(PYTHON) -m venv $(QA_VENV)
	$(QA_VENV)/bin/python -m pip install --quiet -r qa/requirements.txt -c qa/constraints.txt
	touch $(QA_STAMP)

# FutureWarning: Google's client libraries announce the end of Python 3.11 support on import.
qa: $(QA_STAMP)
	$(QA_VENV)/bin/python -W ignore::FutureWarning qa/run_airbyte_qa.py
