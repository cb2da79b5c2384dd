# Hokusai registry acceptance suite.
#   make report     run the suite (embedded stack unless HOKUSAI_API_URL is set), then build the reports
#   make test       the quick check of the suite itself (minutes): lint, types, imports, unit tests, replays of
#                   recorded evidence, the contract document, a dry run of every feature, one smoke run
#   make test-full  everything, the fault matrix and the browser checks included: what CI runs (.ci/run)
# Each installs what it needs first (pinned Python packages into .venv, pinned Allure 3 into node_modules).

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BEHAVE := $(VENV)/bin/behave
ALLURE := node_modules/.bin/allure
REPORTS := reports
TAGS ?=
BEHAVE_ARGS ?=
export MLFLOW_DISABLE_TELEMETRY := true
export DO_NOT_TRACK := true
export AWS_EC2_METADATA_DISABLED := true
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: bench bench-generators field-checks fuzz monitor report test test-full lint stack deps python-deps node-deps mlflow29-deps browser-deps unit integration dry-run lock clean help

help:
	@echo "make report   run the suite and build reports/allure-report and the infrastructure report"
	@echo "make test       the quick check of the suite itself: lint, types, unit tests, a dry run, one smoke run"
	@echo "make test-full  every test of the suite, the fault matrix and the browser checks included (CI runs it)"
	@echo "make stack    run the embedded reference stack in the foreground"
	@echo "make fuzz     send requests generated from the contract document, then build the reports"

VENV29 := .venv-mlflow29
# The MLflow 2.9 server (fault switch mlflow-generation-mismatch) lives in a venv of its own.
NEEDS29 = $(if $(findstring mlflow-generation-mismatch,$(FAULT)),mlflow29-deps)

deps: python-deps node-deps
python-deps: $(VENV)/.installed
node-deps: node_modules/.installed
mlflow29-deps: $(VENV29)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --no-input -r requirements.txt
	$(PY) -m pip install --quiet --no-input --no-deps --no-build-isolation -e .
	@touch $@

$(VENV29)/.installed: requirements-mlflow29.txt
	@test -x $(VENV29)/bin/python || $(PYTHON) -m venv $(VENV29)
	$(VENV29)/bin/python -m pip install --quiet --no-input -r requirements-mlflow29.txt
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# The browser checks drive Debian's Chromium (no browser download): install it when missing.
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Chromium (Debian package chromium) for the browser checks"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "Chromium is missing: install the Debian package 'chromium' (needed by the browser checks)"; exit 1; fi; }

report: deps $(NEEDS29)
	@rm -rf $(REPORTS)/allure-results $(REPORTS)/junit $(REPORTS)/allure-report
	@mkdir -p $(REPORTS)
	@set +e; \
	HOKUSAI_STACK_FAULTS="$(FAULT)" $(BEHAVE) $(if $(TAGS),--tags="$(TAGS)") $(BEHAVE_ARGS); suite=$$?; \
	if [ $$suite -eq 2 ]; then exit 2; fi; \
	$(PY) -m hokusai_acceptance.finish_report $(REPORTS) || suite=1; \
	$(PY) -m hokusai_acceptance.allure_html $(REPORTS) || suite=1; \
	test -f $(REPORTS)/allure-report/index.html || { echo "no Allure report was produced"; suite=1; }; \
	echo "Allure report: $(REPORTS)/allure-report/index.html"; \
	exit $$suite

# Requests generated from the contract document (Schemathesis), bounded by behave.ini's fuzz_* settings; the same
# reports as make report (its Allure results join the suite's).
fuzz:
	@$(MAKE) --no-print-directory report TAGS=@fuzz

# Keep watching a target: a selection every INTERVAL minutes, Prometheus metrics, webhook on changes.
MONITOR_ARGS ?=
monitor: deps
	$(PY) -m hokusai_acceptance.monitor $(if $(TAGS),--tags "$(TAGS)") $(MONITOR_ARGS)

# Lint, format, types and the import graph: the gates every change passes.
lint: python-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(PY) tools/import_graph.py

# Two pytest workers; tests that share a stack run in one (xdist groups). pytest exits 5 when it collects
# nothing, which make treats as the failure it is.
XDIST := -n 2 --dist loadgroup --durations=10

test: deps lint
	$(PY) -m pytest $(XDIST) -m "not integration or quick"

# Everything: the tests that measure time or load run last, alone.
test-full: deps mlflow29-deps browser-deps lint
	$(PY) -m pytest $(XDIST) -m "not serial"
	$(PY) -m pytest -m serial --durations=10

unit: python-deps
	$(PY) -m pytest tests/unit

integration: python-deps mlflow29-deps
	$(PY) -m pytest tests/integration

dry-run: python-deps
	$(PY) -m pytest -q tests/test_features.py

# Locust load generators: WORKERS=N runs Locust as a master and N worker processes (default: one process),
# for make bench and the @performance scenarios alike.
ifdef WORKERS
export HOKUSAI_LOAD_WORKERS := $(WORKERS)
endif

# Performance in depth on the embedded stack (loopback only, bounded): reports/performance.json and plots.
bench: python-deps
	$(PY) -m hokusai_acceptance.perf.bench --reports $(REPORTS) $(BENCH_ARGS)

# What one load generator can drive and what a second adds (1 vs 2 workers at 64 and 256 users).
bench-generators: python-deps
	$(PY) -m hokusai_acceptance.perf.generators --reports $(REPORTS)

# The seven field checks by name, against HOKUSAI_API_URL or the embedded stack.
field-checks: python-deps
	@mkdir -p $(REPORTS)
	$(PY) -m hokusai_acceptance.field_checks --output $(REPORTS)/field-checks.json | tee $(REPORTS)/field-checks.txt; \
	exit $${PIPESTATUS[0]}

stack: python-deps $(NEEDS29)
	$(PY) -m hokusai_acceptance.stack $(if $(FAULT),--fault $(FAULT))

lock:
	@rm -rf /tmp/hokusai-lock-venv && $(PYTHON) -m venv /tmp/hokusai-lock-venv
	/tmp/hokusai-lock-venv/bin/pip install --quiet -r requirements.in
	{ echo "# Full pinned dependency set (generated from requirements.in by \`make lock\`)."; \
	  /tmp/hokusai-lock-venv/bin/pip freeze --all --exclude-editable | grep -v '^pip=='; } > requirements.txt

clean:
	rm -rf $(REPORTS)/allure-results $(REPORTS)/allure-report $(REPORTS)/junit $(REPORTS)/infrastructure-report.*
