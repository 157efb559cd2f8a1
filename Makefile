# Two commands do all set-up: `make report` and `make test`. Each bootstraps .venv itself.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.cem-installed
KERNEL := cem
EXAMPLES := $(sort $(dir $(wildcard cem/examples/*/model.yaml data/external/*/model.yaml)))

.PHONY: venv report test bench clean help

help:
	@echo "make report  run the notebook suite on the example and real-data studies into reports/ (reports/index.html)"
	@echo "make test    run the whole test suite, notebooks included"
	@echo "make bench   measure cem against the tools users would otherwise use (writes README's table)"

# Re-install only when the package's metadata changes; the kernel is registered inside the
# venv (--sys-prefix) under a fixed name that `cem report` checks belongs to this venv.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "cem needs Python 3.11 or newer; PYTHON=$(PYTHON) is " + sys.version.split()[0])'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[test]"
	$(PY) -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (cem)" >/dev/null
	touch $(STAMP)

venv: $(STAMP)

report: $(STAMP)
	$(VENV)/bin/cem methods --out reports/methods --kernel $(KERNEL)
	$(VENV)/bin/cem report $(EXAMPLES) --out reports --kernel $(KERNEL)

# Every notebook of the suite and the workshop is executed by tests/test_notebooks.py (papermill, with
# its metrics checked); nbval would run each a second time, so it is not used here.
test: $(STAMP)
	$(PY) -m pytest cem tests --doctest-modules --durations=20

# The reference tools live in their own environment: never dependencies of cem. DuckDB and polars
# are the "what a user would write instead" anchors of the RFM summary and the DFG.
benchmarks/.venv-ref/.installed:
	test -x benchmarks/.venv-ref/bin/python || $(PYTHON) -m venv benchmarks/.venv-ref
	benchmarks/.venv-ref/bin/python -m pip install --quiet --disable-pip-version-check lifetimes pandas numpy scipy pyarrow duckdb polars
	touch $@

# pm4py is AGPL: it runs only here, in its own environment, to compare against.
benchmarks/.venv-pm4py/.installed:
	test -x benchmarks/.venv-pm4py/bin/python || $(PYTHON) -m venv benchmarks/.venv-pm4py
	benchmarks/.venv-pm4py/bin/python -m pip install --quiet --disable-pip-version-check pm4py pyarrow
	touch $@

bench: $(STAMP) benchmarks/.venv-ref/.installed benchmarks/.venv-pm4py/.installed
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) reports/*/ reports/index.html .pytest_cache
