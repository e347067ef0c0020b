"""Settings for the event booking API.

Every setting that differs between a laptop and production is read from the
environment here, and only here. docs/operations.md lists each variable.
"""

import os
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from shared.devkey import PUBLIC_DEVELOPMENT_KEY, development_secret_key, development_ticket_key, is_loopback

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name, default):
    # Set but empty counts as unset, as for the other types: `JWT_SIGNING_KEY=` is no key.
    return os.environ.get(name) or default


def env_bool(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name, default):
    value = os.environ.get(name)
    return default if value in (None, "") else int(value)


def env_list(name, default):
    value = os.environ.get(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# Local state of `make run`: the local database's files and the development key.
DATA_DIR = Path(env_str("DATA_DIR", str(BASE_DIR / ".data")))
# The address `make run` binds daphne to; anything but loopback lets others connect.
HOST = env_str("HOST", "127.0.0.1")
SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY is unset and DEBUG is off: set SECRET_KEY to a long random value.")
    # A random key made on first run, kept in DATA_DIR/secret-key (shared/devkey.py).
    SECRET_KEY = development_secret_key(DATA_DIR)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])

INSTALLED_APPS = [
    "daphne",
    "eventbooking.apps.MongoAdminConfig",
    "eventbooking.apps.MongoAuthConfig",
    "eventbooking.apps.MongoContentTypesConfig",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "channels",
    "eventbooking.apps.EventBookingConfig",
    "accounts",
    "events",
    "bookings",
    "notifications",
    "analytics",
    "waitlist",
    "tickets",
    "webhooks",
    # The staff admin, after the apps it shows.
    "staff",
]

MIDDLEWARE = [
    "server.middleware.RequestContextMiddleware",
    "server.middleware.BodySizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "server.middleware.ApiSecurityHeadersMiddleware",
    # /static/ (the admin's CSS, Swagger UI) from this process, before sessions and CSRF.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "eventbooking.urls"
ASGI_APPLICATION = "eventbooking.asgi.application"
# Threads of a server process that run requests' sync code (server/handler.py): at
# most this many requests run their Django code at once; the others wait for a thread.
REQUEST_THREADS = env_int("REQUEST_THREADS", 32)
# Daphne processes `make run` serves with on one port (devtools/web.py); 0: one per CPU
# with REDIS_URL set, one without (more than one needs REDIS_URL).
WEB_CONCURRENCY = env_int("WEB_CONCURRENCY", 0)
# Test-only: the module of test hooks (shared/testhooks.py); tests/settings.py names
# tests/hooks/. Not read from the environment: a deployed process never loads test code.
TEST_HOOKS = ""
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Before the apps' folders: admin/base_site.html here replaces the admin's own.
        "DIRS": [BASE_DIR / "staff" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# MONGODB_URI unset: `make run` / `make test` start the local MongoDB-compatible
# server (devtools/) and export its address here before Django starts.
MONGODB_URI = env_str("MONGODB_URI", "mongodb://127.0.0.1:27017")
MONGODB_WRITE_CONCERN = env_str("MONGODB_WRITE_CONCERN", "majority")
if MONGODB_WRITE_CONCERN.isdigit():
    MONGODB_WRITE_CONCERN = int(MONGODB_WRITE_CONCERN)
# Retry-After of a 503 database_unavailable.
DATABASE_RETRY_AFTER_SECONDS = env_int("DATABASE_RETRY_AFTER_SECONDS", 2)
DATABASES = {
    "default": {
        "ENGINE": "django_mongodb_backend",
        "HOST": MONGODB_URI,
        "NAME": env_str("MONGODB_NAME", "eventbooking"),
        "OPTIONS": {
            # How long a request waits for a reachable database before it answers 503
            # database_unavailable (shared/errors.py); also the connect timeout.
            "serverSelectionTimeoutMS": env_int("MONGODB_TIMEOUT_MS", 2000),
            "connectTimeoutMS": env_int("MONGODB_TIMEOUT_MS", 2000),
            # Acknowledged only once on a majority of a replica set and in its journal, so a
            # failover cannot roll an acknowledged booking back; reads see only what a
            # majority holds (docs/operations.md, "Write concern"). The local server accepts both.
            "w": MONGODB_WRITE_CONCERN,
            "journal": env_bool("MONGODB_JOURNAL", True),
            "readConcernLevel": env_str("MONGODB_READ_CONCERN", "majority"),
        },
    },
}
DEFAULT_AUTO_FIELD = "django_mongodb_backend.fields.ObjectIdAutoField"
MIGRATION_MODULES = {
    "admin": "mongo_migrations.admin",
    "auth": "mongo_migrations.auth",
    "contenttypes": "mongo_migrations.contenttypes",
}

REDIS_URL = env_str("REDIS_URL", "")
# Redis is a cache and a fan-out, never a dependency of a request (shared/redisguard.py):
# every Redis call of a request gives up after REDIS_TIMEOUT_MS (connect and read), and
# after a failure this process leaves Redis alone for REDIS_RETRY_SECONDS.
REDIS_TIMEOUT_SECONDS = env_int("REDIS_TIMEOUT_MS", 500) / 1000
REDIS_RETRY_SECONDS = env_int("REDIS_RETRY_SECONDS", 2)
# Real-time fan-out between processes (Socket.io and Channels) may use a Redis of
# its own; by default the cache's. Unset: in-memory, one process.
REALTIME_REDIS_URL = env_str("REALTIME_REDIS_URL", REDIS_URL)
# "socketio" or "channels": a library's fan-out instead of ours, to measure it (notifications/fanout_libs.py).
REALTIME_FANOUT = env_str("REALTIME_FANOUT", "ours")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's RedisCache with one client per pool (shared/cachepool.py).
            "BACKEND": "shared.cachepool.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_PREFIX", "eventbooking"),
            # One pool per process, not one per request, shared with notifications' publishing.
            "OPTIONS": {
                "pool_class": "shared.cachepool.SharedConnectionPool",
                "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
                "socket_timeout": REDIS_TIMEOUT_SECONDS,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Channels carries no notifications: notifications/fanout.py does, over Redis pub/sub.
CHANNEL_LAYERS = {}
# Redis pub/sub channels are shared by every database of a Redis server: named with the cache's prefix.
REALTIME_CHANNEL_PREFIX = env_str("CACHE_PREFIX", "eventbooking")
# Browser origins allowed on the HTTP API (django-cors-headers) and on the
# real-time endpoints besides the API's own (comma-separated, "*" for any).
# Clients that send no Origin are not browsers and are let through: a token,
# not a cookie, authenticates them.
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS", [])
# django-cors-headers takes "*" as its own switch, not as an origin.
CORS_ALLOW_ALL_ORIGINS = "*" in CORS_ALLOWED_ORIGINS
CORS_ALLOWED_ORIGINS = [origin for origin in CORS_ALLOWED_ORIGINS if origin != "*"]
EVENT_CACHE_SECONDS = env_int("EVENT_CACHE_SECONDS", 300)
# Off only to measure what the cache buys (bench/bench_events.py); writes bump each event's version either way.
EVENT_CACHE_ENABLED = env_bool("EVENT_CACHE_ENABLED", True)
# Rendered events each process keeps for the listings, checked by version (events/listing.py); 0: off.
EVENT_JSON_MEMO_SIZE = env_int("EVENT_JSON_MEMO_SIZE", 5000)

# Bookings (bookings/services/).
MAX_TICKETS_PER_BOOKING = env_int("MAX_TICKETS_PER_BOOKING", 10)
# The reconciler settles a pending seat marker once it is this old;
# `manage.py reconcile_bookings --every` (started by `make run` beside daphne) runs
# it every RECONCILE_INTERVAL_SECONDS (0: it does not run).
RECONCILE_AFTER_SECONDS = env_int("RECONCILE_AFTER_SECONDS", 15)
RECONCILE_INTERVAL_SECONDS = env_int("RECONCILE_INTERVAL_SECONDS", 10)
IDEMPOTENCY_KEY_HOURS = env_int("IDEMPOTENCY_KEY_HOURS", 24)
# Booking numbers a process takes from the counter at once (shared/ids.py): one
# database round trip per this many bookings. 1: one at a time, dense across processes.
BOOKING_ID_BLOCK = env_int("BOOKING_ID_BLOCK", 20)
if BOOKING_ID_BLOCK < 1:
    raise ImproperlyConfigured("BOOKING_ID_BLOCK must be 1 or more.")
# Seat holds (bookings/services/holds.py): how long a hold keeps its seats off sale
# (minutes; a fraction is allowed, e.g. 0.05 = 3 s for tests), and how many seats of
# one event a customer may hold at once (live holds together).
HOLD_MINUTES = float(env_str("HOLD_MINUTES", "10"))
HOLD_MAX_SEATS_PER_CUSTOMER = env_int("HOLD_MAX_SEATS_PER_CUSTOMER", 10)
# How long a waiting-list offer (a hold made for the next customer in line) lasts before it passes on.
WAITLIST_OFFER_SECONDS = env_int("WAITLIST_OFFER_SECONDS", 600)
# Test-only: make a booking step fail ("after_reserve") or kill the process
# ("crash:after_reserve"); see tests/hooks/faults.py. Honoured only with DEBUG or
# TESTING on, and the service refuses to start with it set otherwise.
TESTING = env_bool("TESTING", False)
BOOKING_FAULT_INJECTION = env_str("BOOKING_FAULT_INJECTION", "")
if BOOKING_FAULT_INJECTION and not (DEBUG or TESTING):
    raise ImproperlyConfigured("BOOKING_FAULT_INJECTION is for tests: set it only with DEBUG=1 or TESTING=1.")

# Ticket codes (tickets/keys.py). The Ed25519 key that signs the codes of tickets, as
# "<key id>:<base64url private key>" (`manage.py ticket_key` makes one); and the earlier
# keys whose codes still verify, comma-separated "<key id>:<base64url public key>".
# Unset with DEBUG on: a key made on first run, kept in DATA_DIR/ticket-signing-key.
TICKET_SIGNING_KEY = env_str("TICKET_SIGNING_KEY", "")
if not TICKET_SIGNING_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("TICKET_SIGNING_KEY is unset and DEBUG is off: make one with `python -m tickets.keys`.")
    TICKET_SIGNING_KEY = development_ticket_key(DATA_DIR)
TICKET_VERIFY_KEYS = env_list("TICKET_VERIFY_KEYS", [])
# How far back GET /events/:id/revocations's `next_since` reaches: a cancellation is
# stamped when it starts and may be written this much later (a reconciler finishing it).
TICKET_REVOCATION_OVERLAP_SECONDS = env_int("TICKET_REVOCATION_OVERLAP_SECONDS", 120)

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.TokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["shared.jsonbody.BoundedJSONParser"],
    "EXCEPTION_HANDLER": "shared.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "shared.schema.AutoSchema",
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_THROTTLE_RATES": {
        # accounts/throttles.py: per account from one address; per address; wrong
        # passwords per account from addresses it has not logged in from.
        "login_email_address": env_str("LOGIN_RATE_PER_EMAIL_ADDRESS", "5/min"),
        "login_address": env_str("LOGIN_RATE_PER_ADDRESS", "30/min"),
        "login_email_failures": env_str("LOGIN_FAILURES_PER_EMAIL", "20/hour"),
        "register_address": env_str("REGISTER_RATE_PER_ADDRESS", "10/hour"),
    },
    # How many proxies in front of daphne are trusted for the client address (X-Forwarded-For);
    # by default none: the address is the connection's peer. Behind one load balancer, set 1.
    "NUM_PROXIES": env_int("NUM_PROXIES", 0),
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("ACCESS_TOKEN_MINUTES", 15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("REFRESH_TOKEN_DAYS", 7)),
    "SIGNING_KEY": env_str("JWT_SIGNING_KEY", SECRET_KEY),
    "ALGORITHM": "HS256",
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    "UPDATE_LAST_LOGIN": False,
    "AUTH_HEADER_TYPES": ("Bearer",),
    # Claims of the wrong shape are a 401 (accounts/authentication.py).
    "AUTH_TOKEN_CLASSES": ("accounts.authentication.CheckedAccessToken",),
    "TOKEN_REFRESH_SERIALIZER": "accounts.authentication.RefreshInput",
}

if PUBLIC_DEVELOPMENT_KEY in (SECRET_KEY, SIMPLE_JWT["SIGNING_KEY"]) and not (DEBUG and is_loopback(HOST)):
    raise ImproperlyConfigured(
        "SECRET_KEY or JWT_SIGNING_KEY is the development key that is public in the repository: anyone could "
        f"forge a token. Refused with DEBUG off or HOST={HOST} (not loopback). Unset it (a DEBUG run makes "
        "a random key in DATA_DIR/secret-key) or set a long random value."
    )

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Static files (the admin's, Swagger UI's from drf-spectacular-sidecar) are served by
# WhiteNoise inside daphne. DEBUG on: straight from the apps' folders, re-read on change.
# DEBUG off: from STATIC_ROOT, filled by `manage.py collectstatic` (`make run` and
# `make test` run it), under content-hashed names, gzip-compressed, cached for a year.
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "filters": {"request_error": {"()": "server.logfilters.RequestErrorFilter"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # One record per failed request, with its id (the API's own are logged by shared.errors).
    "loggers": {
        "django.request": {"level": "ERROR", "filters": ["request_error"]},
        # daphne's start-up chatter (endpoints, "HTTP/2 support not enabled"); `make run` prints its own banner.
        "daphne": {"level": "WARNING"},
    },
}

# OpenAPI schema at /schema/, Swagger UI at /docs/ (assets served locally by the sidecar).
SPECTACULAR_SETTINGS = {
    "TITLE": "Event Booking API",
    "DESCRIPTION": "Events, bookings, analytics and real-time notifications. Errors: {\"error\": {code, message, fields?}}.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# Hardening. CORS_ALLOWED_ORIGINS (above) also governs the HTTP API; tokens travel
# in headers, not cookies, so credentials are never allowed cross-origin.
CORS_ALLOW_CREDENTIALS = False
CORS_EXPOSE_HEADERS = ["X-Request-ID", "Retry-After"]
CORS_ALLOW_HEADERS = ["authorization", "content-type", "idempotency-key", "x-request-id"]
MAX_REQUEST_BODY_BYTES = env_int("MAX_REQUEST_BODY_BYTES", 64 * 1024)
# Arrays and objects nested deeper than this in a JSON body or message: 400 parse_error.
MAX_JSON_DEPTH = env_int("MAX_JSON_DEPTH", 64)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BODY_BYTES
SECURE_CONTENT_TYPE_NOSNIFF = True
# Browsers send `Origin: null` on a form POST from a page served with
# `Referrer-Policy: no-referrer`, and Django's CSRF check then refuses the admin's
# login (403 "Origin checking failed - null"). HTML pages get `same-origin`: our own
# pages see the full referrer and the real Origin, other sites see none.
# The JSON API keeps `no-referrer` (server.middleware.ApiSecurityHeadersMiddleware).
SECURE_REFERRER_POLICY = "same-origin"
# The public https origins of the admin behind a TLS proxy that rewrites Host
# (comma-separated, e.g. https://booking.example.com); the request's own origin
# always passes Django's CSRF Origin check.
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", False) else None
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("BEHIND_TLS_PROXY", False)

# The notice log (notifications/log.py): how long each user's notices are kept for
# reconnecting clients, GET /notices and webhooks (days; a fraction is allowed).
NOTICE_RETENTION_DAYS = float(env_str("NOTICE_RETENTION_DAYS", "7"))
if NOTICE_RETENTION_DAYS <= 0:
    raise ImproperlyConfigured("NOTICE_RETENTION_DAYS must be more than 0.")
# How far back the reconciler looks for cancelled bookings whose notice a crash lost.
NOTICE_RECOVERY_MINUTES = env_int("NOTICE_RECOVERY_MINUTES", 60)

# Webhooks (webhooks/): delivered by `manage.py deliver_webhooks --every` (what `make run`
# starts beside daphne), never from a request. Targets must be https on public addresses;
# WEBHOOK_ALLOW_PRIVATE=1 also allows http and loopback/private/link-local addresses
# (development and tests only).
WEBHOOK_ALLOW_PRIVATE = env_bool("WEBHOOK_ALLOW_PRIVATE", False)
WEBHOOK_TIMEOUT_SECONDS = float(env_str("WEBHOOK_TIMEOUT_SECONDS", "10"))
# Retries: the first after WEBHOOK_RETRY_FIRST_SECONDS, then twice as long each time, at
# most WEBHOOK_RETRY_MAX_SECONDS apart, until WEBHOOK_RETRY_HOURS after the first attempt.
WEBHOOK_RETRY_FIRST_SECONDS = float(env_str("WEBHOOK_RETRY_FIRST_SECONDS", "30"))
WEBHOOK_RETRY_MAX_SECONDS = float(env_str("WEBHOOK_RETRY_MAX_SECONDS", str(6 * 3600)))
WEBHOOK_RETRY_HOURS = float(env_str("WEBHOOK_RETRY_HOURS", "72"))
# How often a worker looks for new notices and due retries, and how many it sends at once.
WEBHOOK_POLL_SECONDS = float(env_str("WEBHOOK_POLL_SECONDS", "1"))
WEBHOOK_CONCURRENCY = env_int("WEBHOOK_CONCURRENCY", 4)
WEBHOOK_MAX_PER_ORGANIZER = env_int("WEBHOOK_MAX_PER_ORGANIZER", 10)
