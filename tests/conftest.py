"""Shared fixtures, and the rule for tests that need a real service.

Tests marked ``postgres``, ``redis``, ``celery_worker`` or ``browser`` skip with the reason when their service is
missing on a developer's machine; with CI=true such a skip is a failure, so CI can never go green without them.
"""

import os
import shutil
from functools import cache

import pytest
from django.conf import settings

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@cache
def _redis_problem() -> str | None:
    url = settings.TEST_REDIS_URL
    if not url:
        return "REDIS_URL is not set"
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception as exc:
        return f"Redis at {url} does not answer ({exc})"
    return None


def _missing(marker: str) -> str | None:
    if marker == "postgres":
        engine = settings.DATABASES["default"]["ENGINE"]
        return None if engine.endswith("postgresql") else "DATABASE_URL does not point at PostgreSQL"
    if marker in ("redis", "celery_worker"):
        return _redis_problem()
    if marker == "browser":
        if not os.path.exists(CHROMIUM):
            return f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        try:
            import playwright  # noqa: F401
        except ImportError:
            return "the playwright package is not installed"
    return None


def pytest_runtest_setup(item):
    for marker in ("postgres", "redis", "celery_worker", "browser"):
        if item.get_closest_marker(marker):
            problem = _missing(marker)
            if problem:
                if IN_CI:
                    pytest.fail(f"[{marker}] required in CI: {problem}", pytrace=False)
                pytest.skip(f"[{marker}] {problem}")


@pytest.fixture(autouse=True)
def _private_storage(settings, tmp_path):
    """Uploaded files of each test land in a fresh folder (local-disk storage)."""
    storages = dict(settings.STORAGES)
    if storages["default"]["BACKEND"].endswith("FileSystemStorage"):
        storages["default"] = {**storages["default"], "OPTIONS": {"location": str(tmp_path / "private")}}
        settings.STORAGES = storages


@pytest.fixture(autouse=True)
def _fresh_content_type_cache():
    """A flush between transactional tests recreates content types under new ids; a process-wide cache of the
    old ids would point audit rows at rows that no longer exist."""
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()


@pytest.fixture(autouse=True)
def _seeded_reference_data(request):
    """Transactional tests (live server, real worker, threads) start from a flushed database: put back what the
    data migrations seed (the two sites, their penalty policies and the staff roles), with the migrations' own
    functions."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        return
    import importlib

    from django.apps import apps

    request.getfixturevalue("transactional_db")
    importlib.import_module("listings.migrations.0002_seed_marketplace_sites").add_sites(apps, None)
    importlib.import_module("enforcement.migrations.0002_seed_site_policies").seed(apps, None)
    importlib.import_module("complaints.migrations.0008_grant_roles_their_work").grant(apps, None)


@pytest.fixture
def password():
    return "correct horse battery staple"


def which(name: str) -> str | None:
    return shutil.which(name)
