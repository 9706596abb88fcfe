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

.PHONY: run test setup system-deps migrate demo translations messages clean

run: setup migrate demo
	@test -n "$$SECRET_KEY" || echo "SECRET_KEY not set: using instance/secret_key"
	SECRET_KEY="$${SECRET_KEY:-$$(cat instance/secret_key)}" \
	  $(BIN)/gunicorn --workers $(WORKERS) --threads 4 --bind $(HOST):$(PORT) --access-logfile - wsgi:app

test: setup system-deps
	BINARI_ENV=testing $(BIN)/python -m pytest -n 2 --dist loadgroup -p no:cacheprovider $(PYTEST_ARGS)

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

# Debian's Chromium (browser tests) and poppler-utils (PDF checks), installed only when missing.
system-deps:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v pdftoppm >/dev/null || missing="$$missing poppler-utils"; \
	fc-list 2>/dev/null | grep -qi dejavu || missing="$$missing fonts-dejavu-core"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

migrate: setup
	SECRET_KEY="$${SECRET_KEY:-$$(cat instance/secret_key)}" $(BIN)/flask --app portal db upgrade

demo: migrate
	SECRET_KEY="$${SECRET_KEY:-$$(cat instance/secret_key)}" $(BIN)/flask --app portal demo --if-empty

# Compile the English catalogues (Italian is the source language).
translations: $(BIN)/.installed
	@for d in $(TRANSLATION_DIRS); do $(BIN)/pybabel compile -q -d $$d -D messages || exit 1; done

# Extract strings and update every catalogue: the core and each area keep their own.
messages: $(BIN)/.installed
	$(BIN)/python -m portal.i18n_tools update

clean:
	rm -rf $(VENV) node_modules $(HTMX)
