# The two commands a new user needs: `make run` and `make test`. Both create .venv and install the
# project on first use, so they work on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

# Telemetry off for every tool, in every process started from here.
export DBT_SEND_ANONYMOUS_USAGE_STATS := False
export DO_NOT_TRACK := 1
export GX_ANALYTICS_ENABLED := False
export DAGSTER_HOME ?= $(CURDIR)
export TZ := UTC

.PHONY: install browser run test test-fast test-spark lint fix dev clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Generate demo data on a first run (empty landing zone, no warehouse), then materialize everything and publish.
run: install
	$(BIN)/subwh run

## The whole test suite (what CI runs): lint, then pytest.
test: install browser lint
	$(BIN)/python -m pytest

## Headless Chromium for the report test (Debian's package; installed when missing, needs root/apt).
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
		echo "installing Debian's chromium (the report test opens report.html in it)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

## The same dbt project on Apache Spark (dbt-spark, local session; Java 17): a small generated company
## is built by the DuckDB pipeline, its raw tables are loaded into Spark, `dbt build --target spark`
## runs there, and every public mart must equal DuckDB's. Installs its own venv on first use.
SPARK_VENV := .venv-spark
SPARK_STAMP := $(SPARK_VENV)/.installed-stamp
SPARK_DIR := $(CURDIR)/.spark-check

$(SPARK_STAMP): tests/spark/requirements.txt
	test -x $(SPARK_VENV)/bin/python || $(PYTHON) -m venv $(SPARK_VENV)
	$(SPARK_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SPARK_VENV)/bin/python -m pip install --quiet -r tests/spark/requirements.txt
	touch $(SPARK_STAMP)

test-spark: install $(SPARK_STAMP)
	rm -rf $(SPARK_DIR) && mkdir -p $(SPARK_DIR)
	SUBWH_LANDING_DIR=$(SPARK_DIR)/landing SUBWH_WAREHOUSE_DIR=$(SPARK_DIR)/warehouse DAGSTER_HOME=$(SPARK_DIR) \
		$(BIN)/subwh generate --seed 5 --users 150 --days 120 --inject duplicates --inject redelivered --inject malformed
	SUBWH_LANDING_DIR=$(SPARK_DIR)/landing SUBWH_WAREHOUSE_DIR=$(SPARK_DIR)/warehouse DAGSTER_HOME=$(SPARK_DIR) \
		$(BIN)/subwh run
	cd $(SPARK_DIR) && $(CURDIR)/$(SPARK_VENV)/bin/python $(CURDIR)/tests/spark/compare_engines.py \
		--warehouse-dir $(SPARK_DIR)/warehouse --work-dir $(SPARK_DIR)/spark

## Skip the slow end-to-end cases while iterating.
test-fast: install
	$(BIN)/python -m pytest -m "not slow"

## ruff on the Python, SQLFluff (dbt templater, duckdb dialect; rules in .sqlfluff) on the dbt SQL.
## SQLFluff compiles the project against a throwaway DuckDB file, never the working warehouse.
LINT_ENV := SUBWH_WAREHOUSE_PATH=$(CURDIR)/.lint/lint.duckdb SUBWH_PII_HASH_KEY=lint-only
SQL_PATHS := dbt_project/models dbt_project/tests

lint: install
	$(BIN)/ruff check orchestration tests
	$(BIN)/ruff format --check orchestration tests
	mkdir -p .lint && $(LINT_ENV) $(BIN)/sqlfluff lint $(SQL_PATHS) --processes 2

fix: install
	$(BIN)/ruff check --fix orchestration tests
	$(BIN)/ruff format orchestration tests
	mkdir -p .lint && $(LINT_ENV) $(BIN)/sqlfluff fix $(SQL_PATHS) --processes 2

## The Dagster UI on http://127.0.0.1:3000 (bound to localhost).
dev: install
	$(BIN)/dg dev --host 127.0.0.1 --port 3000

clean:
	rm -rf warehouse .dagster dbt_project/target dbt_project/logs .spark-check .lint
