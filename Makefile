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

# Every saved validation run, afresh (the runs' saved files are deleted first: a run
# that finds them resumes from them, which is right after an interruption and wrong
# after a change of the generator or the methods; to resume one run, call its command
# alone). About an hour and a half on two cores; each writes validation/results/:
# - coverage of the primary interval at both world sizes (N_applications/ and
#   docs/img/coverage_N.png) and the unadjusted control in the same worlds;
# - 200 one-LA extracts (one_la/), the pseudo-value regression on 400 toy studies
#   (pseudo/) and on 300 demo-size worlds (pseudo_synthetic/);
# - the size of the study's test under no effect (power_null/, 400 worlds with 200
#   bootstrap replicates, and the same worlds with 50 in earlier_n_boot_50/) and its
#   power by effect and world size (power_curve/);
# - coverage of the duration policies' intervals (policy_coverage/, 200 worlds);
# - the bootstrap of family court areas against that of authorities (area_clusters/).
# Then the tests that check the saved runs.
RESUMABLE := validation/results/one_la/chunks validation/results/pseudo/chunks \
	validation/results/1500_applications/chunks validation/results/5000_applications/chunks \
	validation/results/pseudo_synthetic/chunks \
	validation/results/power_null/chunks validation/results/power_null/earlier_n_boot_50/chunks \
	validation/results/power_curve/chunks validation/results/policy_coverage/chunks \
	validation/results/area_clusters/chunks
coverage: venv
	rm -rf $(RESUMABLE)
	$(BIN)/python -m validation.coverage --n-applications 1500
	$(BIN)/python -m validation.coverage --n-applications 5000
	$(BIN)/python -m validation.one_la
	$(BIN)/python -m validation.pseudo_coverage
	$(BIN)/python -m validation.pseudo_synthetic
	$(BIN)/python -m validation.power_null --backend processes
	$(BIN)/python -m validation.power_null --backend processes --earlier
	$(BIN)/python -m validation.power_curve --backend processes
	$(BIN)/python -m validation.policy_coverage --backend processes
	$(BIN)/python -m validation.area_clusters --backend processes
	$(BIN)/pytest tests/study/test_coverage.py tests/study/test_one_la.py \
		tests/regression/test_truth.py tests/regression/test_pseudo_synthetic.py \
		tests/simulation/test_power_null.py \
		tests/simulation/test_power_curve.py tests/policy/test_policy_coverage.py \
		tests/study/test_area_clusters.py

lab: venv
	$(BIN)/jupyter lab notebooks/

clean:
	rm -rf $(VENV) build site .pytest_cache .mypy_cache .ruff_cache demo-output
