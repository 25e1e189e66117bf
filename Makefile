# vtrix — developer commands. Only python3 and make are needed; everything else is installed here.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: help install demo test lint typecheck check-generated specs generate seed-specs bench clean

help:
	@echo "make demo             run the README example end to end on a local sandbox"
	@echo "make test             lint, type checks, generated-code freshness and the test suite"
	@echo "make specs            fetch catalogs and specs from the gateways into specs/ (report changes)"
	@echo "make generate         regenerate src/vtrix/models/ and docs/models/ from specs/"
	@echo "make check-generated  fail if the generated code is stale"
	@echo "make bench            run the benchmark suite (bench/RESULTS.md)"

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(PY) scripts/demo.py

lint: $(STAMP)
	$(VENV)/bin/ruff check src codegen tests bench
	$(VENV)/bin/ruff format --check src codegen tests bench

typecheck: $(STAMP)
	$(VENV)/bin/mypy

check-generated: $(STAMP)
	$(PY) -m codegen check

# The suite starts hundreds of Python processes: with bytecode caching off (an environment
# may set PYTHONDONTWRITEBYTECODE) each would compile vtrix, and pytest each test module's
# rewritten asserts, from source again. The caches go in __pycache__/ (ignored by git).
test: lint typecheck check-generated
	PYTHONDONTWRITEBYTECODE= $(PY) -m pytest -n 2 --dist worksteal

specs: $(STAMP)
	$(PY) -m codegen fetch

generate: $(STAMP)
	$(PY) -m codegen generate

seed-specs: $(STAMP)
	$(PY) -m codegen seed ../shared/catalogs

bench: $(STAMP)
	$(PY) -m bench $(BENCH)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info
