# Two commands do all the set-up on a fresh machine (Python 3.11):
#   make demo   venv, release, run the reference solutions, grade the bundled sample class
#   make test   the whole test suite (what CI runs); make test-fast: the fast tier, under a minute
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

AXE := tools/node_modules/axe-core/axe.min.js

.PHONY: venv system release demo test test-fast bench clean axe

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

test: venv system $(AXE)
	$(BIN)/python -m pytest -q

# the inner loop: every stage and processing step, the catalogue, no kernel, browser or install (< 1 min)
test-fast: venv
	$(BIN)/python -m pytest -q -m "not slow"

bench: venv
	$(BIN)/python bench/notebook_times.py

clean:
	rm -rf demo-out artifacts dist .pytest_cache tools/node_modules
