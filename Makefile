# Ringbook entry points. Everything installs itself: python3 >= 3.11 and pip are enough.
SHELL := /bin/bash
UV := python3 -m uv
PYTEST_ARGS ?=
# Three pytest workers (pytest-xdist), each with its own embedded Postgres and NATS; a
# test file stays on one worker, so a module's system fixture starts once. Most of the
# suite waits on servers rather than computing, so three share two cores well.
# `make test PYTEST_WORKERS=0` runs in one process.
PYTEST_WORKERS ?= 3
PYTEST_PARALLEL := $(if $(filter 0,$(PYTEST_WORKERS)),,-n $(PYTEST_WORKERS) --dist loadfile)

.PHONY: install run psql-analytics test test-unit test-integration test-e2e lint bench bench-http bench-media bench-catalog bench-bookings bench-leads bench-rebuild bench-lag bench-pipeline bench-accept profile-accept clean

install: .venv/.ringbook-installed

.venv/.ringbook-installed: uv.lock pyproject.toml shared/pyproject.toml shared/simulators/pyproject.toml shared/devtools/pyproject.toml $(wildcard services/*/pyproject.toml)
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv \
		|| python3 -m pip install --quiet --break-system-packages uv
	$(UV) sync --all-packages --frozen
	@touch $@

run: install  ## start NATS, Postgres, the simulated carrier and all five services
	$(UV) run --frozen python -m ringbook_devtools.run

psql-analytics: install  ## psql as the analysts' read-only role against `make run`'s database
	$(UV) run --frozen python -m ringbook_devtools.analyst_psql

test: install  ## the whole suite: unit, integration (real Postgres + NATS), e2e
	$(UV) run --frozen pytest $(PYTEST_PARALLEL) $(PYTEST_ARGS)

# The kinds are markers the test plugin sets on every test (ringbook_devtools.testing.plugin):
# e2e by folder, integration when a test depends on the `infra` fixture, unit otherwise.
test-unit: install  ## pure tests: no Postgres, no NATS, no service processes
	$(UV) run --frozen pytest -m unit $(PYTEST_ARGS)

test-integration: install  ## each service in-process against real Postgres + NATS
	$(UV) run --frozen pytest -m integration $(PYTEST_PARALLEL) $(PYTEST_ARGS)

test-e2e: install  ## all five services as processes
	$(UV) run --frozen pytest -m e2e $(PYTEST_PARALLEL) $(PYTEST_ARGS)

lint: install
	$(UV) run --frozen ruff check .
	$(UV) run --frozen mypy shared/src shared/simulators/src shared/devtools/src services/*/src
	$(UV) run --frozen lint-imports

bench: bench-accept bench-pipeline bench-http bench-media bench-catalog bench-bookings bench-leads bench-rebuild bench-lag  ## figures beside a baseline measured in the same run

bench-accept: install  ## POST /api/process-request beside a bare insert: gateway alone, whole system, sustained to scheduled, CPU per request (needs wrk)
	$(UV) run --frozen python -m benchmarks.accept

profile-accept: install  ## where bench-accept's CPU goes: py-spy on every service, whole system and gateway alone (needs wrk)
	$(UV) run --frozen python -m benchmarks.profile_accept

bench-http: install  ## the gateway under load, request to call_started
	$(UV) run --frozen python -m benchmarks.run

bench-media: install  ## media-bridge: 50/100/200 concurrent calls streaming both ways
	$(UV) run --frozen python -m benchmarks.run --media

bench-catalog: install  ## every catalog endpoint through the gateway, beside its /health
	$(UV) run --frozen python -m benchmarks.catalog_api

bench-bookings: install  ## bookings per second through the function handler: one hot slot, many slots
	$(UV) run --frozen python -m benchmarks.bookings

bench-leads: install  ## a 5,000-row German Excel export through POST /import/leads, beside parse and insert floors
	$(UV) run --frozen python -m benchmarks.lead_import

bench-pipeline: install  ## the relay's and a consumer's events/s, each beside the same work without Postgres
	$(UV) run --frozen python -m benchmarks.pipeline

bench-rebuild: install  ## rebuild analytics-service's projections from 100,000 events, beside its live consumers
	$(UV) run --frozen python -m benchmarks.rebuild

bench-lag: install  ## event -> call log row, p50/p99 at 500 events/s, beside a direct insert
	$(UV) run --frozen python -m benchmarks.projection_lag

clean:
	rm -rf .ringbook .venv .pytest_cache .mypy_cache .ruff_cache
