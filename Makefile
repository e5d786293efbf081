# Two commands on a fresh machine: `make demo`, then `make test`.
# Both create .venv and install the project into it when needed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
NOTEBOOKS := $(wildcard notebooks/*.ipynb)

.PHONY: all venv demo test lint docs bench coverage lab r-deps browser-deps clean

all: test

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,docs,notebooks]"
	touch $(STAMP)

venv: $(STAMP)

demo: venv
	$(BIN)/outcomes demo

# R with survival, cmprsk, prodlim, geepack and sandwich: the independent reference our
# estimators are checked against, re-run live by the tests. Installed from Debian
# packages when missing.
R_PACKAGES := survival cmprsk prodlim geepack sandwich
r-deps:
	@if ! Rscript -e 'for (p in strsplit("$(R_PACKAGES)", " ")[[1]]) library(p, character.only = TRUE)' >/dev/null 2>&1; then \
		echo "installing R and $(R_PACKAGES) from Debian packages"; \
		apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			r-base-core $(addprefix r-cran-,$(R_PACKAGES)) >/dev/null; \
	fi

# Debian's chromium, for the tests that open the published pages in a real browser
# (tests/browser/, driven by Playwright for Python against this system browser: Playwright's
# own browser download needs a host we cannot reach). Installed when missing.
browser-deps:
	@if ! command -v chromium >/dev/null 2>&1; then \
		echo "installing chromium from Debian packages"; \
		apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

docs: venv
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet --site-dir build/site

# The last line of `make test` is pytest's summary.
test: venv r-deps browser-deps lint docs
	$(BIN)/pytest -n 2 --durations=20 tests $(if $(NOTEBOOKS),--nbmake $(NOTEBOOKS))

bench: venv r-deps
	$(BIN)/python benchmarks/run_all.py

# Coverage of the primary estimand's interval, about two hours on two cores: the
# simulation of each world size writes validation/results/N_applications/ and
# docs/img/coverage_N.png, and the unadjusted control runs in the same worlds; then 200
# one-LA extracts (validation/results/one_la/, about half an hour of one core) and the
# study's pseudo-value regression on 300 demo-size worlds (validation/results/
# pseudo_synthetic/, about a quarter of an hour of one core), and the size of the
# study's test under no effect (validation/results/power_null/, 400 worlds with 200
# bootstrap replicates each, about forty minutes of one core) and its power curve by effect and world size (validation/results/
# power_curve/, 300 worlds, about ten minutes of one core). `make test` checks the saved
# runs (tests/study/test_coverage.py, tests/study/test_one_la.py,
# tests/regression/test_pseudo_synthetic.py, tests/simulation/test_power_null.py,
# tests/simulation/test_power_curve.py).
coverage: venv
	$(BIN)/python validation/coverage.py --n-applications 1500
	$(BIN)/python validation/coverage.py --n-applications 5000
	$(BIN)/python -m validation.crude_control --n-applications 1500
	$(BIN)/python -m validation.crude_control --n-applications 5000
	$(BIN)/python -m validation.one_la
	$(BIN)/python -m validation.pseudo_synthetic
	$(BIN)/python -m validation.power_null
	$(BIN)/python -m validation.power_curve
	$(BIN)/pytest tests/study/test_coverage.py tests/study/test_one_la.py \
		tests/regression/test_pseudo_synthetic.py tests/simulation/test_power_null.py \
		tests/simulation/test_power_curve.py

lab: venv
	$(BIN)/jupyter lab notebooks/

clean:
	rm -rf $(VENV) build site .pytest_cache .mypy_cache .ruff_cache demo-output
