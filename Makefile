# Every target sets itself up: a fresh clone needs only Python >= 3.11 and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# `make demo` installs only what the demo needs (the command line and the figures);
# every other target installs the [dev] set on top.
DEMO_STAMP := $(VENV)/.installed-demo
# scikit-learn's array-API estimator check needs SciPy's array-API mode.
export SCIPY_ARRAY_API := 1

.PHONY: demo test lint bench bench-smoke fuzz docs clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

$(DEMO_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[cli,plot]"
	touch $(DEMO_STAMP)

demo: $(DEMO_STAMP)
	$(BIN)/lingrad demo --out demo-out

test: $(STAMP)
	sh scripts/system-deps.sh
	$(BIN)/python -m pytest -q --cov=lingrad --cov-report=term

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks docs/hooks
	$(BIN)/ruff format --check src tests benchmarks docs/hooks

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BIN)/python benchmarks/run.py

bench-smoke: $(STAMP)
	$(BIN)/python benchmarks/run.py --smoke

fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=long $(BIN)/python -m pytest -q tests/test_fuzz.py

# The documentation site (mkdocs.yml) into site/: every docstring example and the tutorial's
# code run first, then `mkdocs build --strict` (warnings are errors; other pages' code runs).
docs: $(STAMP)
	$(BIN)/python -c "import material, mkdocstrings_handlers.python" 2>/dev/null \
		|| $(BIN)/python -m pip install --quiet -e ".[docs]"
	$(BIN)/python -m pytest -q -p no:cacheprovider src/lingrad tests/test_tutorial_doc.py
	NO_MKDOCS_2_WARNING=1 MPLBACKEND=Agg $(BIN)/mkdocs build --strict --site-dir site

clean:
	rm -rf $(VENV) demo-out site .pytest_cache .ruff_cache .coverage
