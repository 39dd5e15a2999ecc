# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
# Debian packages the project uses: xmlsec1 (independent check of signed bills), socat
# (pseudo-terminals for the simulated serial meter and relay board)
DEB_PACKAGES := xmlsec1 socat
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test requirements bench clean help system-packages

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

system-packages:  ## install the Debian packages the project uses, when missing
	@missing=""; for p in $(DEB_PACKAGES); do command -v $$p >/dev/null || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(STAMP)

run: system-packages $(STAMP)  ## full conformance suite against the bundled reference broker; reports in reports/
	$(BIN)/harness run --sut reference+https --profile profiles/reference-broker.yaml --report-dir reports --city-scale

test: system-packages $(TEST_STAMP)  ## the project's own tests
	$(BIN)/python -m pytest

requirements: $(STAMP)  ## print the requirement catalog with coverage
	$(BIN)/harness requirements

bench: $(TEST_STAMP)  ## benchmarks: trading LP (10..10,000 nodes), city-scale clearing and EV ratios, retailer baselines, OpenADR schema validation rate, VTN polls/s, VTN load (200 VENs x 60 s against harness serve), billing run (10,000 customers), HIL exchanges
	$(BIN)/python bench/clearing.py
	$(BIN)/python bench/city_scale.py
	$(BIN)/python bench/retailer_selection.py
	$(BIN)/python bench/xml_validation.py
	$(BIN)/python bench/readings.py
	$(BIN)/python bench/vtn_polls.py
	$(BIN)/python bench/load.py
	$(BIN)/python bench/message_rules.py
	$(BIN)/python bench/billing.py
	$(BIN)/python bench/hil.py

clean:  ## remove the virtualenv and generated reports
	rm -rf $(VENV) reports .pytest_cache
