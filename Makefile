# `make run` serves the API; `make test` runs the whole suite. Both set up what is
# missing first: the virtual environment, the local MongoDB-compatible server
# (when MONGODB_URI is unset) and, for tests, redis-server.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
JAR := devtools/mongo-server/target/local-mongo.jar
JAR_SOURCES := devtools/mongo-server/pom.xml $(shell find devtools/mongo-server/src devtools/mongo-server/patches -type f 2>/dev/null)
PORT ?= 8000
RUN_HOST = $(or $(HOST),127.0.0.1)
# Local runs are debug runs unless told otherwise; production sets DEBUG=0 and SECRET_KEY.
export DEBUG ?= 1

.PHONY: run preflight createstaff reset test test-fast venv static mongo-server redis-server browser node-deps migrate bench clean

venv: $(VENV)/.installed
$(VENV)/.installed: requirements.txt
	@echo "==> Installing the Python dependencies into $(VENV) (about a minute the first time)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install -q --disable-pip-version-check -r requirements.txt
	@touch $@

# STATIC_ROOT for DEBUG=0, where WhiteNoise serves hashed, compressed copies (DEBUG=1
# serves the apps' own folders). The files come from the installed packages: collected
# again when those or the settings change (it takes ~5 s of CPU).
STATIC_MANIFEST := staticfiles/staticfiles.json
static: $(STATIC_MANIFEST)
$(STATIC_MANIFEST): $(VENV)/.installed eventbooking/settings.py
	@echo "==> Collecting static files into staticfiles/ (the admin's and Swagger UI's)"
	@$(BIN)/python manage.py collectstatic --noinput -v0
	@touch $@

mongo-server: $(JAR)
# The build patches mongo-java-server's sources (devtools/mongo-server/patches) with GNU patch.
$(JAR): $(JAR_SOURCES)
	@echo "==> Building the local MongoDB-compatible server with Maven (about a minute the first time)"
	@command -v patch >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq patch >/dev/null; }
	@mvn -q -B -f devtools/mongo-server/pom.xml package -DskipTests
	@test -f $@

redis-server:
	@command -v redis-server >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq redis-server >/dev/null; }

# Debian's Chromium and its driver for the browser tests (tests/browser): Selenium is
# pointed at these paths, so nothing is downloaded when the tests run.
CHROMIUM ?= /usr/bin/chromium
CHROMEDRIVER ?= /usr/bin/chromedriver
browser:
	@test -x $(CHROMIUM) && test -x $(CHROMEDRIVER) || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver >/dev/null; }

# devtools/web.py serves daphne on HOST:PORT: one process per CPU when REDIS_URL is set (or
# LOCAL_REDIS=1 starts a local redis-server), else one; WEB_CONCURRENCY overrides. The
# reconciler runs beside them as one process of its own (manage.py reconcile_bookings --every),
# every RECONCILE_INTERVAL_SECONDS; the webhook worker (manage.py deliver_webhooks --every)
# beside it; everything stops together. One line per step as it starts, and a banner with
# the addresses once the API answers (devtools/services.py).
run: venv preflight static mongo-server
	@$(BIN)/python devtools/services.py --mongo h2 $(if $(filter 1,$(LOCAL_REDIS)),--redis) \
	  --listen "$(RUN_HOST):$(PORT)" --beside "$(BIN)/python manage.py reconcile_bookings --every" \
	  --beside "$(BIN)/python manage.py deliver_webhooks --every" -- sh -c '\
	  echo "==> Applying database migrations" && $(BIN)/python manage.py migrate --noinput -v0 && \
	  echo "==> Starting the web server on $(RUN_HOST):$(PORT)" && \
	  exec $(BIN)/python devtools/web.py --host "$(RUN_HOST)" --port $(PORT)'

# Before the slow steps: settings that refuse to start, or a port in use, in one line.
preflight: venv
	@$(BIN)/python devtools/services.py --check-settings --listen "$(RUN_HOST):$(PORT)"

# A staff account for /admin/, in the database `make run` uses (while it runs too: its
# local server's address is in DATA_DIR/mongo/mongo.lock) or MONGODB_URI's. STAFF_EMAIL,
# STAFF_PASSWORD, STAFF_NAME from the environment; prompts for what is missing.
createstaff: venv mongo-server
	@$(BIN)/python devtools/services.py --mongo h2 --share -- sh -c '\
	  $(BIN)/python manage.py migrate --noinput -v0 && $(BIN)/python manage.py createstaff'

# Wipe the local database (DATA_DIR/mongo), to walk through the README again; keeps the
# virtual environment, the builds and the development key. Refused while `make run` runs.
reset:
	@$(PYTHON) devtools/services.py --reset

# The official JavaScript Socket.io client for tests/realtime, from package-lock.json.
NODE_DEPS := tests/realtime/js/node_modules/.package-lock.json
node-deps: $(NODE_DEPS)
$(NODE_DEPS): tests/realtime/js/package-lock.json
	cd tests/realtime/js && npm ci --no-audit --no-fund --loglevel=error

# TEST_WORKERS=N runs the tests in N pytest-xdist processes, a file at a time each, on one
# local database server and redis-server (a test database and a Redis database per
# process: tests/conftest.py, tests/settings.py); 0 runs them in this one process.
TEST_WORKERS ?= 0
XDIST = $(if $(filter-out 0,$(TEST_WORKERS)),-n $(TEST_WORKERS) --dist loadfile)
test: venv static mongo-server redis-server browser node-deps
	$(BIN)/python devtools/services.py --mongo memory --redis -- $(BIN)/python -m pytest $(XDIST) $(PYTEST_ARGS)

# The everyday loop: the tests that start no process of their own (not `slow`, not
# `processes`: tests/conftest.py), in two processes that take tests one by one (no
# module starts servers here, so nothing is gained by whole files); `make test` runs
# everything (docs/testing.md).
test-fast: venv static mongo-server redis-server
	$(BIN)/python devtools/services.py --mongo memory --redis -- $(BIN)/python -m pytest -n 2 --dist load -q -m "not slow and not processes" $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) devtools/mongo-server/target .data staticfiles
