# Two commands matter: `make run` (install, migrate, demo data, serve) and `make test`.
# Everything else is a step of those or a maintenance task. See README.md.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FRONTEND := frontend
GOVUK := $(FRONTEND)/node_modules/govuk-frontend/dist/govuk
STATIC_BUILD := $(FRONTEND)/dist
DEV_ENV := MARAC_ENV=dev

.PHONY: install run test check-deploy lock prerequisites clean demo-code bench

prerequisites:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null \
	  || { echo "ERROR: Python 3.11 or newer is needed as '$(PYTHON)' (set PYTHON=/path/to/python3.11)."; exit 1; }
	@$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null \
	  || { echo "ERROR: Python's venv module is missing. On Debian: apt-get install python3-venv"; exit 1; }
	@command -v node >/dev/null && command -v npm >/dev/null \
	  || { echo "ERROR: Node.js and npm are needed to install GOV.UK Frontend. On Debian: apt-get install nodejs npm"; exit 1; }
	@/sbin/ldconfig -p 2>/dev/null | grep -q 'libpango-1.0.so' \
	  || { echo "ERROR: WeasyPrint needs Pango. On Debian: apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b fonts-dejavu-core"; exit 1; }

# The venv is rebuilt when a lock changes; pip refuses any file whose hash is not in the lock.
$(VENV)/.installed: requirements/dev.lock | prerequisites
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes --no-deps --only-binary=:all: -r requirements/dev.lock
	@touch $@

# GOV.UK Frontend is pinned in frontend/package-lock.json (with integrity hashes), installed
# from the npm registry without running package scripts, and compiled with the Arial stack.
$(STATIC_BUILD)/.built: $(FRONTEND)/package-lock.json $(FRONTEND)/src/marac.scss | prerequisites
	cd $(FRONTEND) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	rm -rf $(STATIC_BUILD) && mkdir -p $(STATIC_BUILD)/govuk
	cp -R $(GOVUK)/assets $(STATIC_BUILD)/govuk/assets
	cp $(GOVUK)/govuk-frontend.min.js $(STATIC_BUILD)/govuk/
	node $(FRONTEND)/node_modules/sass/sass.js --no-source-map --style=compressed --quiet-deps \
	  --load-path=$(FRONTEND)/node_modules/govuk-frontend/dist $(FRONTEND)/src/marac.scss $(STATIC_BUILD)/marac.css
	@touch $@

install: $(VENV)/.installed $(STATIC_BUILD)/.built

# The embedded default (docs/adr/0016): one background worker, with the schedule, on a broker kept
# in files under var/broker, started beside the web server and stopped with it. No other server.
WORKER := -m celery -A marac.celery worker --beat --schedule var/celerybeat-schedule \
  --pool solo --without-gossip --without-mingle --without-heartbeat --loglevel WARNING

run: install
	$(PY) -m marac.devkeys var
	$(DEV_ENV) $(PY) manage.py migrate --no-input
	$(DEV_ENV) $(PY) manage.py seed_demo
	@echo "Background worker and schedule: started (stopped with the web server)."
	$(DEV_ENV) $(PY) $(WORKER) & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; \
	  $(DEV_ENV) $(PY) manage.py runserver 127.0.0.1:8000

test: install
	@command -v pdftotext >/dev/null && command -v pdfinfo >/dev/null \
	  || { echo "ERROR: make test reads the PDFs it renders with pdftotext and pdfinfo. On Debian: apt-get install poppler-utils"; exit 1; }
	@$(PY) -c 'import os, redis; redis.Redis.from_url(os.environ.get("MARAC_TEST_REDIS_URL", "redis://127.0.0.1:6379/12"), socket_connect_timeout=2).ping()' 2>/dev/null \
	  || { echo "ERROR: make test needs Redis on 127.0.0.1:6379 for the background-worker test (Debian: apt-get install redis-server), or MARAC_TEST_REDIS_URL."; exit 1; }
	MARAC_ENV=test $(PY) -m pytest $(PYTEST_ARGS)

# Every benchmark in bench/, then one table of every figure against its target (bench/_run_all.py).
bench: install
	cd bench && MARAC_ENV=test ../$(PY) _run_all.py

# Print the current second-factor code of a demo user (development only): make demo-code ACCOUNT=coordinator
demo-code: install
	@$(DEV_ENV) $(PY) manage.py demo_totp $(ACCOUNT)

# Production settings with throwaway secrets: proves `check --deploy` is clean, nothing more.
check-deploy: install
	MARAC_ENV=production \
	SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(64))')" \
	MARAC_KEYRING="$$($(PY) -c 'from marac.security.keyring import new_keyring_json as k; print(k("check"))')" \
	ALLOWED_HOSTS=marac.example.org \
	DATABASE_URL=postgres://marac@db.invalid/marac \
	CELERY_BROKER_URL=redis://127.0.0.1:6379/0 \
	$(PY) manage.py check --deploy --fail-level WARNING

# Re-resolve the locks from pyproject.toml (needs the package index). See README.
lock:
	$(PYTHON) -m venv .lockenv && .lockenv/bin/pip install --quiet 'pip-tools>=7.4,<8'
	.lockenv/bin/pip-compile --quiet --no-emit-index-url --no-emit-find-links --generate-hashes --strip-extras --allow-unsafe --extra dev -o requirements/dev.lock pyproject.toml
	.lockenv/bin/pip-compile --quiet --no-emit-index-url --no-emit-find-links --generate-hashes --strip-extras --allow-unsafe -o requirements/prod.lock pyproject.toml
	cd $(FRONTEND) && npm install --package-lock-only --ignore-scripts --no-audit --no-fund

clean:
	rm -rf $(VENV) $(FRONTEND)/node_modules $(STATIC_BUILD) .lockenv
