"""RankLab settings: one file, everything that differs between machines comes from the
environment (12-factor). `DJANGO_ENV=production` switches on the deploy checks."""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
env.read_env(BASE_DIR / ".env", overwrite=False)

_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}


def env_bool(name: str, *, default: bool) -> bool:
    """A boolean from the environment; anything but a clear yes or no is an error."""
    raw = env.str(name, default=str(default)).strip().lower()
    if raw not in _TRUE | _FALSE:
        raise ImproperlyConfigured(f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}")
    return raw in _TRUE


# Where the embedded defaults keep their files: the SQLite database, the broker's queue
# folders, uploaded and exported files.
DATA_DIR = Path(env.str("RANKLAB_DATA_DIR", default=str(BASE_DIR / "var")))

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
if DJANGO_ENV not in {"development", "production", "test"}:
    raise ImproperlyConfigured(f"DJANGO_ENV must be development, production or test, not {DJANGO_ENV!r}")
PRODUCTION = DJANGO_ENV == "production"

_DEV_SECRET_KEY = "dev-only-insecure-key-never-use-in-production"  # noqa: S105 (refused in production below)
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY)
if PRODUCTION and (SECRET_KEY == _DEV_SECRET_KEY or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured("SECRET_KEY must be set to a random value of at least 50 characters in production")

DEBUG = env_bool("DEBUG", default=not PRODUCTION)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off in production")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "axes",
    "labeler",
    "safety",
    "privacy",
    "rankings",
    "exports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # A trainer paused by their lead gets a page that says so (labeler/selectors.py raises it).
    "labeler.middleware.MembershipPausedMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# Content-Security-Policy (django-csp): scripts only from this site's static files, never
# inline; inline style attributes stay allowed (they run no code).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

if PRODUCTION:
    # runserver serves static files in development; gunicorn needs WhiteNoise.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ranklab.context_processors.background_status",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'ranklab.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web process and the worker share the file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login throttling (django-axes), for the login page and /admin/login/ alike: after
# AXES_FAILURE_LIMIT wrong passwords for one username from one address, that pair is locked
# out for AXES_COOLOFF_MINUTES (the right password included); a success resets the count.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.float("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Behind a proxy (SECURE_PROXY_SSL_HEADER), how many proxies add to X-Forwarded-For.
AXES_IPWARE_PROXY_COUNT = env.int("AXES_PROXY_COUNT", default=0) or None
# Invitations (labeler/invitations.py): how long an e-mailed link may be used.
RANKLAB_INVITATION_DAYS = env.int("RANKLAB_INVITATION_DAYS", default=7)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Mail (invitations, password resets): printed to the console unless a server is configured,
# either as one EMAIL_URL (smtp+tls://user:password@host:587, smtps://… for implicit TLS) or
# as EMAIL_HOST with EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD and EMAIL_USE_TLS.
if env.str("EMAIL_URL", default=""):
    globals().update(env.email_url("EMAIL_URL"))
elif env.str("EMAIL_HOST", default=""):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = env.str("EMAIL_HOST")
    EMAIL_PORT = env.int("EMAIL_PORT", default=587)
    EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
    EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="RankLab <ranklab@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(DATA_DIR / "staticfiles")))
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(DATA_DIR / "media")))
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Celery: Redis when REDIS_URL is set; otherwise kombu's filesystem transport, which
# needs no server. The database stays the source of truth: conditional claims and periodic
# sweeps (labeler/sampling/queueing.py) hand out again what a lost message left behind.
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)}
if CELERY_BROKER_URL == "filesystem://":
    _queue_dir = DATA_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir / "out"),
        "data_folder_out": str(_queue_dir / "out"),
        "processed_folder": str(_queue_dir / "processed"),
        "control_folder": str(_queue_dir / "control"),
        "store_processed": False,
    }
    for _folder in ("out", "processed", "control"):
        (_queue_dir / _folder).mkdir(parents=True, exist_ok=True)
# A worker that loses the broker keeps reconnecting instead of giving up after 100 tries, and
# one started while the broker is away waits for it; the Procfile and docker-compose.yml
# restart a worker that exits all the same.
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {}

# The cache holds cross-process state (each endpoint's concurrency slots), so without Redis
# it lives in the database, shared by the web process and the worker.
CACHES = (
    {
        "default": {
            "BACKEND": "ranklab.cache.RedisCache",
            "LOCATION": REDIS_URL,
            # A Redis that is away fails a cache call in a second instead of holding the request.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    if REDIS_URL
    else {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "ranklab_cache"}}
)
# With Redis, every trainer request reads its session from memory; the database copy stays
# the durable one, so restarting Redis logs nobody out, and while it is away requests go on
# with the database alone (ranklab/sessions.py).
if REDIS_URL:
    SESSION_ENGINE = "ranklab.sessions"

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    # `format` is the export format of the pipeline API, not DRF's renderer switch.
    "URL_FORMAT_OVERRIDE": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "RankLab pipeline API",
    "DESCRIPTION": "Ranked comparisons for reward-model training, pulled incrementally.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI's files come from the installed sidecar package, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Import limits: a file or message over these is refused with a clear error.
RANKLAB_IMPORT_MAX_FILE_BYTES = env.int("RANKLAB_IMPORT_MAX_FILE_BYTES", default=512 * 1024 * 1024)
RANKLAB_IMPORT_MAX_MESSAGE_CHARS = env.int("RANKLAB_IMPORT_MAX_MESSAGE_CHARS", default=200_000)
RANKLAB_IMPORT_MAX_ERRORS = env.int("RANKLAB_IMPORT_MAX_ERRORS", default=50)

# The port `make run` serves the app on (the Procfile reads the same variable).
RANKLAB_WEB_PORT = env.int("RANKLAB_WEB_PORT", default=8000)

# The embedded model server (llama.cpp) that `make run` starts and the demo project uses.
RANKLAB_MODEL_HOST = env.str("RANKLAB_MODEL_HOST", default="127.0.0.1")
RANKLAB_MODEL_PORT = env.int("RANKLAB_MODEL_PORT", default=8001)

# Requests made on a lead's behalf (model endpoints, webhooks) go to public addresses only,
# besides these hosts, addresses or networks, each with an optional port (ranklab/outbound.py).
RANKLAB_OUTBOUND_ALLOW = env.list("RANKLAB_OUTBOUND_ALLOW", default=[f"{RANKLAB_MODEL_HOST}:{RANKLAB_MODEL_PORT}"])

# Sampling (labeler/sampling/): retries of transient failures, duplicate re-samples, how
# long to wait for an endpoint's concurrency slot, and when the sweep hands work out again.
RANKLAB_SAMPLING_MAX_RETRIES = env.int("RANKLAB_SAMPLING_MAX_RETRIES", default=6)
RANKLAB_SAMPLING_RETRY_BACKOFF_SECONDS = env.float("RANKLAB_SAMPLING_RETRY_BACKOFF_SECONDS", default=2.0)
RANKLAB_SAMPLING_RETRY_BACKOFF_MAX_SECONDS = env.float("RANKLAB_SAMPLING_RETRY_BACKOFF_MAX_SECONDS", default=300.0)
RANKLAB_SAMPLING_DUPLICATE_RETRIES = env.int("RANKLAB_SAMPLING_DUPLICATE_RETRIES", default=2)
RANKLAB_SAMPLING_SLOT_WAIT_SECONDS = env.float("RANKLAB_SAMPLING_SLOT_WAIT_SECONDS", default=120.0)
# A run in flight renews its stamp every heartbeat; one silent for the stale time lost its worker.
RANKLAB_SAMPLING_HEARTBEAT_SECONDS = env.float("RANKLAB_SAMPLING_HEARTBEAT_SECONDS", default=10.0)
RANKLAB_SAMPLING_STALE_AFTER_SECONDS = env.int("RANKLAB_SAMPLING_STALE_AFTER_SECONDS", default=60)
RANKLAB_SAMPLING_REQUEUE_AFTER_SECONDS = env.int("RANKLAB_SAMPLING_REQUEUE_AFTER_SECONDS", default=3600)
RANKLAB_SAMPLING_SWEEP_BATCH = env.int("RANKLAB_SAMPLING_SWEEP_BATCH", default=1000)
CELERY_BEAT_SCHEDULE["sampling-sweep"] = {
    "task": "labeler.tasks.sampling_sweep",
    "schedule": env.float("RANKLAB_SAMPLING_SWEEP_EVERY_SECONDS", default=60.0),
}

# Statistics (rankings/stats.py): recomputed after the first and every N-th submission of a
# project, and by beat for every project with rankings newer than its statistics.
RANKLAB_STATS_REFRESH_EVERY = env.int("RANKLAB_STATS_REFRESH_EVERY", default=50)
CELERY_BEAT_SCHEDULE["stats-refresh"] = {
    "task": "rankings.tasks.stats_refresh_stale",
    "schedule": env.float("RANKLAB_STATS_REFRESH_EVERY_SECONDS", default=300.0),
}

# Queue scores (rankings/queue_scores.py): a submission keeps its comparison's score; beat
# recomputes, a batch at a time, those it did not (rankings from before, a changed overlap).
RANKLAB_QUEUE_SCORES_REFRESH_BATCH = env.int("RANKLAB_QUEUE_SCORES_REFRESH_BATCH", default=2000)
CELERY_BEAT_SCHEDULE["queue-scores-refresh"] = {
    "task": "rankings.tasks.queue_scores_refresh",
    "schedule": env.float("RANKLAB_QUEUE_SCORES_REFRESH_EVERY_SECONDS", default=120.0),
}

# The AI judge (rankings/judging.py): a failed judgement waits this long, doubling per failure,
# until it has been tried this many times; beat opens and hands out the judgements due.
RANKLAB_JUDGE_MAX_ATTEMPTS = env.int("RANKLAB_JUDGE_MAX_ATTEMPTS", default=3)
RANKLAB_JUDGE_RETRY_SECONDS = env.float("RANKLAB_JUDGE_RETRY_SECONDS", default=60.0)
RANKLAB_JUDGE_SWEEP_BATCH = env.int("RANKLAB_JUDGE_SWEEP_BATCH", default=200)
CELERY_BEAT_SCHEDULE["judge-sweep"] = {
    "task": "rankings.tasks.judge_sweep",
    "schedule": env.float("RANKLAB_JUDGE_SWEEP_EVERY_SECONDS", default=60.0),
}

# Export jobs (exports/sweep.py): a running job silent this long lost its worker; a queued one
# not handed out this long lost its message.
RANKLAB_EXPORT_STALE_AFTER_SECONDS = env.int("RANKLAB_EXPORT_STALE_AFTER_SECONDS", default=120)
RANKLAB_EXPORT_REQUEUE_AFTER_SECONDS = env.int("RANKLAB_EXPORT_REQUEUE_AFTER_SECONDS", default=300)
CELERY_BEAT_SCHEDULE["export-sweep"] = {
    "task": "exports.tasks.export_sweep",
    "schedule": env.float("RANKLAB_EXPORT_SWEEP_EVERY_SECONDS", default=60.0),
}

# Moderation verdicts (safety/verdicts.py): a check that found the filter down waits this long,
# doubling per failure up to the ceiling; beat checks again what is due.
RANKLAB_MODERATION_RETRY_SECONDS = env.float("RANKLAB_MODERATION_RETRY_SECONDS", default=30.0)
RANKLAB_MODERATION_RETRY_MAX_SECONDS = env.float("RANKLAB_MODERATION_RETRY_MAX_SECONDS", default=1800.0)
RANKLAB_MODERATION_SWEEP_BATCH = env.int("RANKLAB_MODERATION_SWEEP_BATCH", default=500)
CELERY_BEAT_SCHEDULE["moderation-sweep"] = {
    "task": "safety.tasks.moderation_sweep",
    "schedule": env.float("RANKLAB_MODERATION_SWEEP_EVERY_SECONDS", default=60.0),
}

# Model audits (safety/audits.py): a running run silent this long lost its worker; a queued one
# not handed out this long lost its message.
RANKLAB_AUDIT_STALE_AFTER_SECONDS = env.int("RANKLAB_AUDIT_STALE_AFTER_SECONDS", default=300)
RANKLAB_AUDIT_REQUEUE_AFTER_SECONDS = env.int("RANKLAB_AUDIT_REQUEUE_AFTER_SECONDS", default=300)
CELERY_BEAT_SCHEDULE["audit-sweep"] = {
    "task": "safety.tasks.audit_sweep",
    "schedule": env.float("RANKLAB_AUDIT_SWEEP_EVERY_SECONDS", default=60.0),
}
# Personal data (privacy/): the background scan picks up texts no message announced, and a
# detected span scoring at least the threshold is redacted in exports without a trainer's word.
# The scan has a queue of its own, served by a worker of its own (the Procfile's `pii`): a large
# import keeps it busy for many minutes, and sampling, exports and statistics never wait behind it.
CELERY_TASK_ROUTES = {
    "privacy.tasks.pii_scan_project": {"queue": "privacy"},
    "privacy.tasks.pii_scan_comparison": {"queue": "privacy"},
}
CELERY_BEAT_SCHEDULE["pii-scan-sweep"] = {
    "task": "privacy.tasks.pii_scan_sweep",
    "schedule": env.float("RANKLAB_PII_SCAN_SWEEP_EVERY_SECONDS", default=60.0),
}
RANKLAB_PII_REDACT_THRESHOLD = env.float("RANKLAB_PII_REDACT_THRESHOLD", default=0.4)
# Names and places come from a small model that also takes cities of a travel question for
# personal data: above 1, only those a trainer confirmed or marked are redacted. Those it is unsure
# of are stored at 0.35 (privacy.entities.NER_SUGGESTED_SCORE): below 0.35, they act too.
RANKLAB_PII_NER_REDACT_THRESHOLD = env.float("RANKLAB_PII_NER_REDACT_THRESHOLD", default=0.4)

# /metrics (config/operations.py) asks for this bearer token when it is set.
RANKLAB_METRICS_TOKEN = env.str("RANKLAB_METRICS_TOKEN", default="")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "httpx2": {"level": "WARNING"},
        # django-axes logs every login at INFO; failures and lockouts come at WARNING.
        "axes": {"level": "WARNING"},
        # Presidio logs each recognizer it loads, and each it leaves out for another language.
        "presidio-analyzer": {"level": "ERROR"},
    },
}

if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    X_FRAME_OPTIONS = "DENY"
