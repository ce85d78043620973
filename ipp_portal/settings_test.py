"""Test settings: the same settings module, made fast and deterministic.

DATABASE_URL and REDIS_URL, when set (CI always sets them), point the suite at real PostgreSQL and Redis.
"""

import os
from typing import Any

os.environ.setdefault("DJANGO_DEBUG", "true")
# Tests drive Celery explicitly: eager by default, a real worker where a test starts one.
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")

from .settings import *  # noqa: F403
from .settings import BASE_DIR, LOGGING, PRIVATE_STORAGE, REDIS_URL, STORAGES

# settings.py's dicts mix value types, so their inferred types are too narrow (Collection[str], object) to read
# nested keys from; here they are read as the plain mappings Django treats them as.
_private_storage: dict[str, Any] = PRIVATE_STORAGE
_logging: dict[str, Any] = LOGGING

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only; never in production
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    **STORAGES,
    "default": {
        **_private_storage,
        "OPTIONS": {**_private_storage.get("OPTIONS", {}), "location": str(BASE_DIR / "var" / "test-private")},
    }
    if _private_storage["BACKEND"].endswith("FileSystemStorage")
    else _private_storage,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Throttle counters live in a per-process cache in tests so parallel runs do not share them; the Redis-backed
# cache is exercised by its own test.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
TEST_REDIS_URL = REDIS_URL
# Static files come from the finders in tests (no collectstatic). mypy types the name from settings.py's Path and a
# star-imported setting cannot be re-annotated; Django's own type for STATIC_ROOT allows None.
STATIC_ROOT = None  # type: ignore[assignment]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
AXES_VERBOSE = False  # no log line for every sign-in a test makes
LOGGING = {**_logging, "loggers": {**_logging["loggers"], "axes": {"level": "WARNING"}}}
