"""Settings, read from the environment (see .env.example for every variable).

With nothing set this is the embedded default: SQLite and uploads under ``var/``, Celery tasks run eagerly in
process, email printed to the console, DEBUG on. Setting DATABASE_URL, REDIS_URL, the S3 and SMTP variables turns
the same code into a production deployment; environments differ only in values.
"""

from datetime import timedelta
from pathlib import Path

import environ
from boto3.s3.transfer import TransferConfig
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env")
VAR_DIR = Path(env.str("IPP_VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DJANGO_DEBUG", default=True)

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
    # Only ever used with DEBUG on, on a developer's machine.
    SECRET_KEY = "insecure-development-key-never-used-in-production"  # noqa: S105

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# The portal's public address, used in the links that emails carry; production must say what it is.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000" if DEBUG else "").rstrip("/")
if not SITE_URL:
    raise ImproperlyConfigured("SITE_URL must be set when DJANGO_DEBUG is off (e.g. https://ipp.example.com).")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # the reference page's Swagger UI, served from our own static files (no CDN)
    "ipp_portal.accounts",
    "ipp_portal.audit",
    "ipp_portal.notifications",
    "ipp_portal.documents",
    "listings",
    "enforcement",
    "complaints",
    "complaints.api",
]

MIDDLEWARE = [
    "ipp_portal.observability.RequestIDMiddleware",  # first: every later log record carries the id
    "django.middleware.security.SecurityMiddleware",
    "ipp_portal.cache_headers.PrivatePagesMiddleware",  # pages and JSON: private, revalidated
    # Pages and JSON compressed (static files come precompressed from WhiteNoise). BREACH needs a secret and text
    # the attacker chooses in one compressed response: Django masks the CSRF token anew in every response, and the
    # one page that shows another secret (a new API token, once) reflects nothing from the request.
    "django.middleware.gzip.GZipMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Inside the others, so a replayed answer gets the same security headers as the first one.
    "complaints.api.idempotency.IdempotencyMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a refused sign-in (lockout or address limit) into a 429
]

ROOT_URLCONF = "ipp_portal.urls"

# The public API (/api/v1/): JSON only, bearer tokens only (no session, so no CSRF exemption to reason about),
# every view closed unless it says otherwise, and one error shape (``complaints.api.errors.exception_handler``).
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": ["complaints.api.authentication.ApiTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated", "complaints.api.permissions.HasScope"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "complaints.api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["complaints.api.throttles.PerToken", "complaints.api.throttles.PerComplainant"],
    "DEFAULT_THROTTLE_RATES": {
        "token": env.str("API_RATE_PER_TOKEN", default="600/min"),
        # Every token of one complainant together; a complainant's own row of ApiLimits (admin) overrides it.
        "complainant": env.str("API_RATE_PER_COMPLAINANT", default="1200/min"),
    },
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "IPP Portal API",
    "DESCRIPTION": "Rights, claims and notices of the IP-protection programme. Authenticate with "
    "`Authorization: Bearer <token>`; tokens are made on the account pages.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    # The reference page (/api/v1/docs/) loads Swagger UI from our own static files: no CDN, and nothing the
    # Content-Security-Policy would have to allow from elsewhere.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        # The Error component, the error answers of every operation and Idempotency-Key on every write.
        "complaints.api.schema.document_errors_and_idempotency",
    ],
    "ENUM_NAME_OVERRIDES": {
        "RightStatusEnum": "complaints.models.IPRight.Status",
        "ClaimStatusEnum": "complaints.models.Claim.Status",
        "ClaimItemStatusEnum": "complaints.models.ClaimItem.Status",
        "CounterNoticeStatusEnum": "complaints.models.CounterNotice.Status",
    },
}
WSGI_APPLICATION = "ipp_portal.wsgi.application"

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
                # The navigation (roles and the unread count, one query); it replaces the inbox's own processor.
                "complaints.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    VAR_DIR.mkdir(parents=True, exist_ok=True)  # the embedded default keeps its database under var/
    # Writers take the lock when their transaction starts and wait for each other, instead of failing with
    # "database is locked" when two requests write at once; WAL lets readers run beside a writer.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts -------------------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
# Axes first: it refuses a locked-out (address, account) pair before any password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Sign-in throttling (ASVS V6): attempts per client address in a sliding window (cache), portal and admin alike.
# Failed passwords are counted by django-axes per (address, account) pair (AXES_* below).
LOGIN_THROTTLE_IP_LIMIT = env.int("LOGIN_THROTTLE_IP_LIMIT", default=25)
LOGIN_THROTTLE_WINDOW_SECONDS = env.int("LOGIN_THROTTLE_WINDOW_SECONDS", default=300)
# Forms that send account email (sign-up, password reset, new confirmation link): requests per client address and
# per target mailbox within the window, so nobody can flood an inbox or our mail quota through them.
ACCOUNT_EMAIL_LIMIT_PER_CLIENT = env.int("ACCOUNT_EMAIL_LIMIT_PER_CLIENT", default=20)
ACCOUNT_EMAIL_LIMIT_PER_MAILBOX = env.int("ACCOUNT_EMAIL_LIMIT_PER_MAILBOX", default=3)
ACCOUNT_EMAIL_LIMIT_WINDOW_SECONDS = env.int("ACCOUNT_EMAIL_LIMIT_WINDOW_SECONDS", default=3600)
# django-axes: after AXES_FAILURE_LIMIT failed sign-ins of one account from one client address, that pair is
# refused for the cool-off (each further try restarts it). The records live in the database (the default handler),
# not in the cache: a Redis outage cannot break sign-in or erase lockouts, and staff see the attempts and unlock
# (delete an access attempt) in the admin.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "ipp_portal.accounts.lockout.username"
AXES_CLIENT_IP_CALLABLE = "ipp_portal.accounts.lockout.client_ip"
AXES_LOCKOUT_CALLABLE = "ipp_portal.accounts.lockout.lockout_response"
AXES_RESET_ON_SUCCESS = True
# Number of proxies in front of the app whose X-Forwarded-For entries are trusted (0: use REMOTE_ADDR).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24
# Argon2 (memory-hard) for new hashes; the PBKDF2 and scrypt hashers stay so existing hashes still verify, and
# Django rehashes them with Argon2 at the person's next sign-in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

# --- Cache (rate-limit counters) ------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    # Short socket timeouts: a hung Redis costs at most this per call, and the limiter then counts in process
    # memory for a while (ipp_portal.accounts.throttle), so no request waits on it for long or fails.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "socket_connect_timeout": env.float("CACHE_SOCKET_CONNECT_TIMEOUT", default=1.0),
                "socket_timeout": env.float("CACHE_SOCKET_TIMEOUT", default=1.0),
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery ---------------------------------------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True  # a task is acknowledged only once it finished: a crashed worker's task runs again
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A web request hands notices to the broker after its commit: a broker that refuses connections or accepts them and
# never answers must cost it about a second, never an error (notifications.services.dispatch_many).
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=1.0)
# Tasks are never scheduled past the Redis visibility timeout; deadlines are stored timestamps swept by beat.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    "socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT,
    "socket_timeout": env.float("CELERY_BROKER_SOCKET_TIMEOUT", default=1.0),
}
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "sweep-pending-notifications": {
        "task": "notifications.sweep_pending_notifications",
        "schedule": crontab(minute="*"),
    },
    "sweep-decision-batches": {
        "task": "complaints.sweep_decision_batches",
        "schedule": crontab(minute="*"),
    },
    "sweep-counter-notice-deadlines": {
        "task": "complaints.sweep_counter_notice_deadlines",
        "schedule": crontab(minute="*"),
    },
    "establish-due-violations": {
        "task": "enforcement.establish_due_violations",
        "schedule": crontab(minute="*"),
    },
    "refresh-accuracy-snapshots": {
        "task": "complaints.refresh_accuracy_snapshots",
        "schedule": crontab(minute="*/10"),
    },
    "sweep-standings": {
        "task": "enforcement.sweep_standings",
        "schedule": crontab(minute="*/5"),
    },
    "sweep-complainant-sanctions": {
        "task": "complaints.sweep_complainant_sanctions",
        "schedule": crontab(minute="17"),  # hourly: thresholds count days, an hour's delay changes nothing
    },
    "sweep-vault-expiry": {
        "task": "complaints.sweep_vault_expiry",
        "schedule": crontab(minute="7"),  # hourly: expiry is by date, so any hour of the day catches it
    },
    "sweep-webhook-deliveries": {
        "task": "api.sweep_webhook_deliveries",
        "schedule": crontab(minute="*"),  # retries are due by the minute (backoff starts at one)
    },
    "sweep-idempotency-keys": {
        "task": "api.sweep_idempotency_keys",
        "schedule": crontab(minute="41"),  # hourly: keys live 24 hours, an hour more changes nothing
    },
    "sweep-trusted-programme": {
        "task": "complaints.sweep_trusted_programme",
        "schedule": crontab(minute="23", hour="3"),  # daily: a 90-day record moves slowly
    },
}
# A pending outbox row older than this is dispatched again by the sweep (the broker may have lost it).
NOTIFICATION_REDISPATCH_AFTER = timedelta(minutes=env.int("NOTIFICATION_REDISPATCH_AFTER_MINUTES", default=3))
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", default=8)

# --- Webhooks (complaints/api/webhooks) -------------------------------------------------------------------------
# Attempts per delivery (1 min, 2 min, 4 min … between them: ten span about 8.5 hours).
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=10)
# A receiver that accepts the connection and never answers must not hold a worker: connect + read ≤ 5 s.
WEBHOOK_CONNECT_TIMEOUT = env.float("WEBHOOK_CONNECT_TIMEOUT", default=2.0)
WEBHOOK_READ_TIMEOUT = env.float("WEBHOOK_READ_TIMEOUT", default=3.0)
# A due delivery handed to the broker this long ago and still pending is handed over again (the broker lost it).
WEBHOOK_REDISPATCH_AFTER = timedelta(minutes=env.int("WEBHOOK_REDISPATCH_AFTER_MINUTES", default=5))
# After a rotation the old secret also signs for this long, so receivers can switch without a gap.
WEBHOOK_ROTATION_OVERLAP = timedelta(hours=env.int("WEBHOOK_ROTATION_OVERLAP_HOURS", default=24))
# An endpoint is disabled (and its owner told) after this many failed attempts in a row spanning at least this long.
WEBHOOK_DISABLE_AFTER_FAILURES = env.int("WEBHOOK_DISABLE_AFTER_FAILURES", default=20)
WEBHOOK_DISABLE_AFTER = timedelta(hours=env.int("WEBHOOK_DISABLE_AFTER_HOURS", default=24))
# Plain http to 127.0.0.1 or localhost (otherwise only with DEBUG): the tests' receiving server.
WEBHOOKS_ALLOW_HTTP_LOCAL = env.bool("WEBHOOKS_ALLOW_HTTP_LOCAL", default=False)

# --- Email ----------------------------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="IPP Portal <ipp@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Files ----------------------------------------------------------------------------------------------------
# Uploaded documents are private: never under STATIC or a public MEDIA_URL; served only through views that check
# who is asking.
# Every document upload (ipp_portal.documents): the largest accepted file, and the most files in one submission.
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)
UPLOAD_MAX_FILES = env.int("UPLOAD_MAX_FILES", default=20)
# Optional virus scanning of every accepted upload by a ClamAV daemon (clamd INSTREAM), e.g. tcp://clamav:3310. When
# set, a file is stored only if clamd answers that it is clean; unreachable or silent past the timeout, it is refused.
CLAMAV_URL = env.str("CLAMAV_URL", default="")
CLAMAV_TIMEOUT_SECONDS = 30  # per connect, write and read: a 10 MB file scans in well under a second
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    PRIVATE_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default=None),
            "region_name": env.str("AWS_S3_REGION_NAME", default=None),
            "access_key": env.str("AWS_ACCESS_KEY_ID", default=None),
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default=None),
            "default_acl": "private",
            # One PUT per document (uploads are capped well below S3's 5 GB limit): boto's multipart transfer
            # would buffer up to 80 MB per upload in memory.
            "transfer_config": TransferConfig(multipart_threshold=UPLOAD_MAX_BYTES + 1),
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    PRIVATE_STORAGE = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(VAR_DIR / "private"), "base_url": None},
    }
STORAGES = {
    "default": PRIVATE_STORAGE,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
}
# Nothing is public media: uploads go to the private storage above. These two only satisfy tools that expect them
# (e.g. the test live server), and point at a folder nothing is written to.
MEDIA_ROOT = str(VAR_DIR / "no-public-media")
MEDIA_URL = "/no-public-media/"
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 6 * 1024 * 1024

# --- Claims ---------------------------------------------------------------------------------------------------
CLAIM_MAX_LINKS = env.int("CLAIM_MAX_LINKS", default=300)
# Listing links one complainant may file through the API per UTC day (all its tokens together); a complainant's own
# row of ApiLimits (admin) overrides it.
API_LINKS_PER_DAY = env.int("API_LINKS_PER_DAY", default=5000)
# A review decision on more listings than this runs on a worker, followed on a progress page (still one transaction).
DECISION_BATCH_ASYNC_ITEMS = env.int("DECISION_BATCH_ASYNC_ITEMS", default=100)

# --- Internationalisation -------------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Security -------------------------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy (django-csp), the same in every environment: scripts, styles and fonts only from the
# portal's own static files, so an injected <script>, inline handler or style="" does nothing. Templates therefore
# carry no inline script or style; the admin loads its extra rules from static files too.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=True)

# json: one JSON object per line (time, level, logger, message, request_id, exc_info) for a log collector to parse;
# text: readable lines for a developer's console.
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json")
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or text, not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "ipp_portal.observability.RequestIDFilter"}},
    "formatters": {
        "json": {"()": "ipp_portal.observability.JSONFormatter"},
        "text": {"()": "ipp_portal.observability.TextFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["request_id"], "formatter": LOG_FORMAT},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
CSRF_FAILURE_VIEW = "ipp_portal.views.csrf_failure"

# --- Error reporting ------------------------------------------------------------------------------------------
# Unhandled errors (views, Celery tasks) and ERROR log records go to Sentry when SENTRY_DSN is set. No personal data
# is sent: no cookies, no user, no client address (send_default_pii off).
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        integrations=[DjangoIntegration()],
        send_default_pii=False,
        environment=env.str("SENTRY_ENVIRONMENT", default="") or ("development" if DEBUG else "production"),
        release=env.str("SENTRY_RELEASE", default="") or None,
    )
