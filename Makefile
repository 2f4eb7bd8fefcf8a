# EvidenceKG. `make help` lists the targets.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)
STORE  ?= var/store
NODE_STAMP := node_modules/.installed-$(shell cat package.json package-lock.json | cksum | cut -d' ' -f1)
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.DEFAULT_GOAL := help
.PHONY: help setup browser virtuoso run check build reason conflicts test lint format clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev,bench]'
	rm -f $(VENV)/.installed-*
	touch $@

# YASGUI for the /editor page, from the npm registry at the versions package-lock.json pins (not committed).
$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm not found: install Node.js 20+ for the /editor page's YASGUI"; exit 1; }
	npm ci --ignore-scripts --no-audit --no-fund
	rm -f node_modules/.installed-*
	touch $@

setup: $(STAMP) $(NODE_STAMP)  ## create .venv, install pinned dependencies (incl. Java for the reasoner) and YASGUI (npm ci)

browser:  ## install Debian's chromium and chromium-driver for the browser tests, when missing
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  { $(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends chromium chromium-driver; }

virtuoso:  ## install Debian's virtuoso-opensource for the remote-store tests, when missing
	@command -v virtuoso-t >/dev/null || \
	  { $(SUDO) apt-get update && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y virtuoso-opensource; }

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

test: setup browser virtuoso  ## set up (browser and Virtuoso included) and run the test suite
	$(BIN)/pytest

lint: setup  ## ruff, mypy and the import-layer contracts (import-linter)
	$(BIN)/ruff check kg service tests
	$(BIN)/ruff format --check kg service tests
	$(BIN)/mypy kg service
	$(BIN)/lint-imports

format: setup  ## apply ruff's formatting and safe fixes
	$(BIN)/ruff format kg service tests
	$(BIN)/ruff check --fix kg service tests

clean:  ## remove the virtual environment, node_modules and the store
	rm -rf $(VENV) var node_modules
