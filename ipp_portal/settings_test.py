"""Test settings: the same settings module, made fast and deterministic.

DATABASE_URL and REDIS_URL, when set (CI always sets them), point the suite at real PostgreSQL and Redis.
"""

import os

os.environ.setdefault("DJANGO_DEBUG", "true")
# Tests drive Celery explicitly: eager by default, a real worker where a test starts one.
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")

from .settings import *  # noqa: F403
from .settings import BASE_DIR, PRIVATE_STORAGE, REDIS_URL, STORAGES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only; never in production
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    **STORAGES,
    "default": {
        **PRIVATE_STORAGE,
        "OPTIONS": {**PRIVATE_STORAGE.get("OPTIONS", {}), "location": str(BASE_DIR / "var" / "test-private")},
    }
    if PRIVATE_STORAGE["BACKEND"].endswith("FileSystemStorage")
    else PRIVATE_STORAGE,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Throttle counters live in a per-process cache in tests so parallel runs do not share them; the Redis-backed
# cache is exercised by its own test.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
TEST_REDIS_URL = REDIS_URL
STATIC_ROOT = None  # static files come from the finders in tests (no collectstatic)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
AXES_VERBOSE = False  # no log line for every sign-in a test makes
LOGGING = {**LOGGING, "loggers": {**LOGGING["loggers"], "axes": {"level": "WARNING"}}}  # noqa: F405
