# Binari: `make run` serves the portal with demo data; `make test` runs the whole suite.
# Both set everything up on a fresh Debian machine with Python 3.11.

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
WORKERS ?= 2
export BINARI_ENV ?= development
HTMX   := portal/static/vendor/htmx.min.js
TRANSLATION_DIRS := $(wildcard portal/translations portal/*/translations)

# `make test-fast`: the inner loop, without browser, live-server and PostgreSQL tests.
.PHONY: run test test-fast test-postgres bench lighthouse lint setup runtime-deps test-deps migrate demo translations messages clean

# A client that never finishes its request body holds a greenlet, not one of 8 threads: 40 such
# connections leave /healthz answering (tests/test_security.py::test_slow_clients_do_not_take_make_run_down).
run: export GUNICORN_CMD_ARGS ?= --worker-class gevent --worker-connections 1000
# Two malloc arenas instead of one per thread: less memory per worker (deploy/binari-web.service does the same).
run: export MALLOC_ARENA_MAX ?= 2
# The worker (mail delivery, scheduled jobs) runs beside gunicorn; Ctrl-C stops both. gunicorn takes
# production's settings file (deploy/gunicorn.conf.py: it starts the PDF renderer), overridden for a laptop.
run: setup runtime-deps migrate demo
	@test -n "$$SECRET_KEY" || echo "SECRET_KEY not set: using instance/secret_key"
	export SECRET_KEY="$${SECRET_KEY:-$$(cat instance/secret_key)}"; \
	  $(BIN)/flask --app portal worker & worker=$$!; \
	  trap 'kill -INT $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	  $(BIN)/gunicorn -c deploy/gunicorn.conf.py --workers $(WORKERS) --threads 4 --graceful-timeout 5 \
	    --bind $(HOST):$(PORT) --access-logfile - wsgi:app

test: setup runtime-deps test-deps
	BINARI_ENV=testing $(BIN)/python -m pytest -n 2 --dist loadgroup -p no:cacheprovider $(PYTEST_ARGS)

test-fast: setup
	BINARI_ENV=testing $(BIN)/python -m pytest -n 2 -p no:cacheprovider -m "not browser and not live and not postgres" $(PYTEST_ARGS)

# The whole suite on PostgreSQL: every test's `app` gets its own database (a throwaway cluster).
test-postgres: setup runtime-deps test-deps
	BINARI_ENV=testing BINARI_TEST_DATABASE=postgres $(BIN)/python -m pytest -n 2 --dist loadgroup -p no:cacheprovider $(PYTEST_ARGS)

# The load benchmark (bench/load/): a large database, gunicorn as `make run`, locust at 16 and 64 clients.
bench: setup runtime-deps
	$(BIN)/python bench/load/run.py

# Lighthouse 12.2.3 (package.json) with Debian's Chromium, mobile preset, on every public page of the demo
# data served as `make run` serves it; prints the four scores per page and fails below 100 (bench/lighthouse/).
lighthouse: setup runtime-deps test-deps
	$(BIN)/python bench/lighthouse/run.py

# Style and types: ruff (pyflakes, pycodestyle, isort, bugbear, pyupgrade), ruff format, mypy on the desk kit.
lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

setup: $(BIN)/.installed $(HTMX) translations instance/secret_key

$(BIN)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { apt-get update && apt-get install -y python3-venv && $(PYTHON) -m venv $(VENV); }
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

$(HTMX): package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	mkdir -p $(dir $(HTMX))
	cp node_modules/htmx.org/dist/htmx.min.js $(HTMX)

instance/secret_key:
	mkdir -p instance
	$(BIN)/python -c "import secrets; print(secrets.token_urlsafe(48))" > $@
	chmod 600 $@

# Debian packages, installed only when missing (needs root, as on CI).
define apt_missing
	@missing=""; for pair in $(1); do cmd=$${pair%%=*}; pkg=$${pair#*=}; \
	  sh -c "$$cmd" >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; fi
endef

# WeasyPrint needs Pango, HarfBuzz and fonts (DejaVu covers Latin and Arabic; WenQuanYi Chinese).
runtime-deps:
	$(call apt_missing,"ldconfig -p | grep -q libpango-1.0=libpango-1.0-0" "ldconfig -p | grep -q libpangoft2=libpangoft2-1.0-0" "ldconfig -p | grep -q libharfbuzz-subset=libharfbuzz-subset0" "fc-list | grep -qi dejavu=fonts-dejavu-core" "fc-list | grep -qi wenquanyi=fonts-wqy-microhei" "command -v npm=npm")

# Browser tests drive Debian's Chromium; PDF tests read text back with poppler-utils;
# PostgreSQL tests start a throwaway cluster of Debian's postgresql; the HTML checker (vnu-jar) needs Java.
test-deps:
	$(call apt_missing,"command -v chromium=chromium" "command -v java=default-jre-headless" "command -v pdftotext=poppler-utils" "ls /usr/lib/postgresql/*/bin/initdb=postgresql")

migrate: setup
	SECRET_KEY="$${SECRET_KEY:-$$(cat instance/secret_key)}" $(BIN)/flask --app portal db upgrade

demo: migrate
	SECRET_KEY="$${SECRET_KEY:-$$(cat instance/secret_key)}" $(BIN)/flask --app portal demo --if-empty

# Compile the English catalogues (Italian is the source language).
translations: $(BIN)/.installed
	@for d in $(TRANSLATION_DIRS); do $(BIN)/pybabel compile -d $$d -D messages || exit 1; done

# Extract strings and update every catalogue: the core and each area keep their own.
messages: $(BIN)/.installed
	$(BIN)/python -m portal.i18n_tools update

clean:
	rm -rf $(VENV) node_modules $(HTMX)
