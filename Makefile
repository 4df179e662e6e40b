# Two commands set up a fresh machine: `make run` and `make test`.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.podium-installed
NODE_STAMP := web/node_modules/.podium-installed
# The tests' own tools (Lighthouse), apart from web/ so that Podium never serves them.
TOOLS_STAMP := tests/tools/node_modules/.podium-installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run install test lint typecheck unit bench bench-tools messages migration clean

# Mailed links and calendar files point at the address `make run` serves, unless one is configured.
run: export PODIUM_BASE_URL ?= http://$(HOST):$(PORT)
run: install
	$(BIN)/podium db upgrade
	$(BIN)/podium load-demo
	$(BIN)/podium serve --host $(HOST) --port $(PORT)

install: $(PY_STAMP) $(NODE_STAMP)

$(PY_STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

$(NODE_STAMP): web/package.json web/package-lock.json
	npm ci --prefix web --no-audit --no-fund
	touch $@

$(TOOLS_STAMP): tests/tools/package.json tests/tools/package-lock.json
	npm ci --prefix tests/tools --no-audit --no-fund
	touch $@

lint: install
	$(BIN)/ruff check server realtime web tests
	$(BIN)/ruff format --check server realtime web tests
	$(BIN)/lint-imports --no-cache

typecheck: install
	$(BIN)/mypy

test: lint typecheck $(TOOLS_STAMP)
	$(BIN)/pytest

bench: install bench-tools
	$(BIN)/python -m tests.bench.bench_agenda --rounds 5 --seconds 5

# The benchmarks' own tools, from Debian as .ci/run installs the tests' (as root, else with sudo): wrk drives HTTP
# load; nginx with its RTMP module serves the HLS and restream benchmarks.
BENCH_PACKAGES := wrk nginx libnginx-mod-rtmp
bench-tools:
	@missing=$$(for p in $(BENCH_PACKAGES); do dpkg-query -W -f '$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing the benchmarks' tools: $$missing"; \
		sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		{ $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$missing >/dev/null; } \
			|| { echo "make bench needs: apt-get install $$missing" >&2; exit 1; }; \
	fi

# Re-extract translatable strings, merge them into the catalogues and say what each language still lacks.
messages: install
	$(BIN)/pybabel extract -F babel.cfg -o server/locale/messages.pot server realtime web/templates
	$(BIN)/pybabel update -i server/locale/messages.pot -d server/locale --no-fuzzy-matching
	-$(BIN)/python -m server.catalogue_check

# Write a migration for model changes: make migration MESSAGE="add registrations"
migration: install
	$(BIN)/python -c "from server.migrations import revision; import sys; revision('sqlite+aiosqlite:///migration-scratch.db', sys.argv[1])" "$(MESSAGE)"
	rm -f migration-scratch.db

clean:
	rm -rf $(VENV) web/node_modules tests/tools/node_modules tests/artefacts .mypy_cache .ruff_cache .pytest_cache
