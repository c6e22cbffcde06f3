# chain-graph: `make demo` and `make test` set everything up on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install system neo4j demo test check lint typecheck unit fuzz load bench bench-quick clean

# Debian packages the tests need (Java 17 and Maven for Neo4j), installed only when missing.
system:
	scripts/system-deps.sh

# Resolve Neo4j 5.26's jars from Maven Central (once) and compile the local launcher.
neo4j: system
	services/neo4j/neo4j.sh build

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "chain-graph needs Python >= 3.11"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/chain-graph demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# pytest starts real Neo4j servers (services/neo4j/neo4j.sh) and stops them at the end.
unit: $(STAMP) neo4j
	$(BIN)/pytest

test: lint typecheck unit

# The fast loop for a change: lint, types, and every test that needs neither Neo4j nor a
# browser (no Java, no Chromium, no root), on every core; about 1.5 minutes on two.
# CI runs `make test`, where nothing is left out.
check: lint typecheck
	$(BIN)/pytest -q -m "not neo4j and not browser" -n auto

# The fuzz and property tests (schemathesis over the API, hypothesis over ingest and the
# analysis) twenty times harder than in `make test`; about 20 minutes on two cores.
fuzz: $(STAMP)
	CHAIN_GRAPH_FUZZ_SCALE=$${CHAIN_GRAPH_FUZZ_SCALE:-20} $(BIN)/pytest -p no:cacheprovider \
		tests/api/test_schemathesis.py tests/ingest/test_fuzz.py tests/chain_graph/test_analysis_properties.py

# 50 clients for 60 s on the city demo (wrk on loopback): errors, lost ledger updates, p99.
load: $(STAMP)
	$(BIN)/python bench/load.py

# Every benchmark, one dated report: bench/results/<date>-all-<commit>.json and .md (bench/run_all.py).
bench: $(STAMP) neo4j
	$(BIN)/python bench/run_all.py

bench-quick: $(STAMP) neo4j
	$(BIN)/python bench/run_all.py --quick

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache demo-data chain_graph.db* services/neo4j/target
