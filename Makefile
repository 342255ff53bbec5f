# Qonys: `make run` serves the API and admin panel on the embedded SQLite
# database (migrated and seeded on start) at http://$(HOST):$(PORT) (`make run
# PORT=8080`, or QONYS_PORT in the environment); `make test` runs the whole suite
# on SQLite and on PostgreSQL, and the API's focused tests through PgBouncer. Both create
# or reuse .venv and install what is needed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_START := pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
PYTEST_ARGS ?= -n 2
PGBOUNCER_TESTS ?= tests/api
# What `make test` runs through PgBouncer (under a minute): the compiled path,
# many requests at once, the smoke and feed tests, faults, the read map.
PGBOUNCER_FOCUS := tests/api/test_compiled_reads.py tests/api/test_pgbouncer.py tests/api/test_smoke.py \
	tests/api/test_feed.py tests/api/test_faults.py tests/api/test_readmap.py
PORT ?= $(or $(QONYS_PORT),8000)
HOST ?= $(or $(QONYS_HOST),127.0.0.1)

.PHONY: messages lint run test test-sqlite test-postgres test-pgbouncer pgbouncer install browser graphiql schema contract clean fuzz audit

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m api.graphiql_assets
	$(BIN)/python -m admin.chart_assets
	$(BIN)/python -m cli.messages compile
	@touch $(STAMP)

install: $(STAMP)

# The admin panel's browser tests drive Debian's Chromium (no browser download).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "== installing Debian's chromium for the browser tests =="; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || \
	  echo "warning: could not install chromium; the browser tests will fail in CI and be skipped elsewhere"; }

# GraphiQL's files from the npm registry (npm pack, hashes checked), served by the app.
graphiql: $(STAMP)
	$(BIN)/python -m api.graphiql_assets --strict
	$(BIN)/python -m admin.chart_assets --strict

run: $(STAMP)
	$(BIN)/qonys serve --host $(HOST) --port $(PORT)

# QONYS_TEST_BOTH_RUNS=1: each test once across the two runs (tests/conftest.py): those
# that touch no database on SQLite only, each migration test's half on its own database.
test: $(STAMP) browser pgbouncer lint
	@QONYS_TEST_BOTH_RUNS=1 $(MAKE) --no-print-directory test-sqlite
	@QONYS_TEST_BOTH_RUNS=1 $(MAKE) --no-print-directory test-postgres
	@$(MAKE) --no-print-directory test-pgbouncer PGBOUNCER_TESTS="$(PGBOUNCER_FOCUS)"

test-sqlite: $(STAMP)
	@echo "== test suite on SQLite =="
	QONYS_TEST_DB=sqlite $(BIN)/python -m pytest -p no:cacheprovider $(PYTEST_ARGS)

test-postgres: $(STAMP)
	@echo "== test suite on PostgreSQL =="
	@pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || ($(PG_START) 2>/dev/null; sleep 2) || true
	QONYS_TEST_DB=postgres $(BIN)/python -m pytest -p no:cacheprovider $(PYTEST_ARGS)

# The API tests (the compiled read path's among them) through a private PgBouncer in
# transaction pooling mode (tests/pgbouncer.py): Debian's pgbouncer, installed when
# missing. All of tests/api takes as long as on PostgreSQL directly (the exhaustive
# access differential is most of it); `make test` runs PGBOUNCER_FOCUS only.
pgbouncer:
	@command -v pgbouncer >/dev/null 2>&1 || test -x /usr/sbin/pgbouncer || { \
	  echo "== installing Debian's pgbouncer =="; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer >/dev/null) || \
	  echo "warning: could not install pgbouncer; the PgBouncer run will fail in CI and be skipped elsewhere"; }

test-pgbouncer: $(STAMP) pgbouncer
	@echo "== API tests through PgBouncer (transaction pooling) =="
	@pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || ($(PG_START) 2>/dev/null; sleep 2) || true
	QONYS_TEST_DB=postgres QONYS_TEST_PGBOUNCER=1 $(BIN)/python -m pytest -p no:cacheprovider $(PYTEST_ARGS) $(PGBOUNCER_TESTS)

# The layers (pyproject.toml [tool.importlinter]): no import may point back up.
lint: $(STAMP)
	@echo "== import layers =="
	@$(BIN)/lint-imports --no-cache --quiet 2>/dev/null || $(BIN)/lint-imports --no-cache

schema: $(STAMP)
	$(BIN)/qonys schema

contract: $(STAMP)
	$(BIN)/qonys schema > /tmp/qonys-schema.graphql
	$(BIN)/python ../shared/tools/contract_check.py /tmp/qonys-schema.graphql

clean:
	rm -rf $(VENV) *.egg-info qonys.db qonys.db-wal qonys.db-shm

fuzz: $(STAMP)
	scripts/fuzz.sh

audit: $(STAMP)
	scripts/graphql_http_audit.sh

# The gettext catalogues (core/locale): collect new message ids from the source, then compile.
messages: $(STAMP)
	$(BIN)/python -m cli.messages extract
	$(BIN)/python -m cli.messages compile
