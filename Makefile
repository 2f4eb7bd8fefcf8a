# EvidenceKG. `make help` lists the targets.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)
STORE  ?= var/store

.DEFAULT_GOAL := help
.PHONY: help setup run check build reason conflicts test lint format clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

setup: $(STAMP)  ## create .venv and install pinned dependencies (incl. Java for the reasoner)

run: setup  ## set up, check the sources, build the graph, reason (conflicts), serve on :8000
	$(BIN)/evkg check
	$(BIN)/evkg build --store $(STORE)
	$(BIN)/evkg reason --store $(STORE)
	$(BIN)/evkg conflicts --store $(STORE)
	$(BIN)/evkg serve --store $(STORE)

check: setup  ## validate sources, vocabulary, ontology and shapes
	$(BIN)/evkg check

build: setup  ## build the graph into var/store
	$(BIN)/evkg build --store $(STORE)

reason: setup  ## run the OWL reasoner and the conflict rules on var/store
	$(BIN)/evkg reason --store $(STORE)

conflicts: setup  ## list the conflicts in var/store
	$(BIN)/evkg conflicts --store $(STORE)

test: setup  ## set up and run the test suite
	$(BIN)/pytest

lint: setup  ## ruff and mypy
	$(BIN)/ruff check kg service tests
	$(BIN)/ruff format --check kg service tests
	$(BIN)/mypy kg service

format: setup  ## apply ruff's formatting and safe fixes
	$(BIN)/ruff format kg service tests
	$(BIN)/ruff check --fix kg service tests

clean:  ## remove the virtual environment and the store
	rm -rf $(VENV) var
