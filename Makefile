# Two commands do all the set-up on a fresh machine (Python 3.11):
#   make demo   venv, release, run the reference solutions, grade the bundled sample class
#   make test   the whole test suite (what CI runs); make test-fast: the fast tier, under a minute
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

AXE := tools/node_modules/axe-core/axe.min.js

.PHONY: venv system release demo test test-fast test-hub bench clean axe hub hub-node

$(STAMP): requirements.txt pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)

# axe-core, pinned in tools/package-lock.json, for the browser tests' accessibility checks
$(AXE): tools/package.json tools/package-lock.json
	cd tools && npm ci --no-audit --no-fund --loglevel=error
	touch $(AXE)

axe: system $(AXE)

system:
	bash scripts/ensure_system_packages.sh

release: venv
	$(BIN)/python -m autograder release

demo: venv system
	$(BIN)/python -m autograder demo

# configurable-http-proxy for the demo JupyterHub, from npm into hub/node/ (pinned by its package-lock.json)
PROXY := hub/node/node_modules/.bin/configurable-http-proxy
$(PROXY): hub/node/package.json hub/node/package-lock.json
	cd hub/node && npm ci --no-audit --no-fund --loglevel=error
	touch $(PROXY)

hub-node: $(PROXY)

# the course on a real JupyterHub on 127.0.0.1 (as root: one Unix account per person, its state in
# /var/lib/cnn-inside-hub; options HUB_ARGS="--Hub.port=8001 ..."); prints how to log in; Ctrl-C or SIGTERM stops it
hub: venv system hub-node
	$(BIN)/python -m autograder hub $(HUB_ARGS)

# two test files at a time (pytest-xdist; a file's tests stay together, sharing its servers and fixtures):
# the browser and hub tests mostly wait, so a second process uses the other core meanwhile
test: venv system $(AXE) hub-node
	$(BIN)/python -m pytest -q -n auto --dist loadfile

# the class on a real JupyterHub in Chromium, with real accounts (as root): tests/test_hub.py alone
test-hub: venv system $(AXE) hub-node
	$(BIN)/python -m pytest -q -m hub

# the inner loop: every stage and processing step, the catalogue, the benchmarks' tiny runs; no browser or install (< 1 min)
test-fast: venv
	$(BIN)/python -m pytest -q -n auto -m "not slow"

bench: venv
	$(BIN)/python bench/notebook_times.py

clean:
	rm -rf demo-out artifacts dist .pytest_cache tools/node_modules hub/node/node_modules
