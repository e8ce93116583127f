# Two entry points (see README): `make demo` and `make test`. Both create .venv if missing.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SIZE ?= national

# Offline-friendly defaults for Prefect and GX (../shared/stack.md §2.2, §3.7).
export DO_NOT_TRACK := 1
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS := 90
export GX_ANALYTICS_ENABLED := false
export PREFECT_HOME ?= $(CURDIR)/.prefect

.PHONY: demo test refresh bench browser clean golden

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is required, found " + sys.version)'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP) browser
	$(BIN)/readiness demo

refresh: $(STAMP)
	$(BIN)/readiness refresh

# Headless Chromium and its driver for the report's browser tests (Debian packages).
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && $$SUDO apt-get install -y -q chromium chromium-driver; }

# The suite's files spread over the cores (pytest-xdist): e2e files mostly wait on refreshes in subprocesses. A file's
# tests stay on one worker, so its module fixtures are built once; plain `pytest` runs the same tests one by one.
test: $(STAMP) browser
	$(BIN)/python -m pytest -n auto --dist loadfile

# Benchmark the refresh on a generated data set: make bench SIZE=demo|national|national10x
bench: $(STAMP)
	$(BIN)/python -m benchmarks --size $(SIZE)

golden: $(STAMP)
	UPDATE_GOLDEN=1 $(BIN)/python -m pytest tests/e2e -q

clean:
	rm -rf data/raw/* data/curated/* data/staging data/reports data/publications data/runs data/.refresh.lock data/warehouse.duckdb* .prefect
