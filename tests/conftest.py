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


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Database tests first, transactional ones (live server, real worker, threads) after them, the rest last —
    pytest-django sorts so, but pytest's own grouping of items by parametrized session fixtures (the browser
    tests' ``browser_name``) runs after it and can move browser tests ahead of ordinary ones; a transactional
    test's flush would then leave them without the seeded sites and roles. Sorted again here, stably, last."""

    def order(item) -> int:
        marker = item.get_closest_marker("django_db")
        names = getattr(item, "fixturenames", ())
        if (marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences"))) or (
            "transactional_db" in names or "live_server" in names
        ):
            return 1
        return 0 if marker or "db" in names else 2

    items.sort(key=order)


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
def _empty_cache():
    """Each test starts with an empty cache (the test settings' is in process memory): what one test cached, such
    as the review queue's service levels, must not expire in the middle of another and change its query count."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _seeded_reference_data(request):
    """Transactional tests (live server, real worker, threads) start from a flushed database: put back what the
    data migrations seed (the two sites, their penalty policies, the staff roles and the trusted-programme criteria),
    with the migrations' own functions."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        return
    import importlib

    from django.apps import apps

    request.getfixturevalue("transactional_db")
    importlib.import_module("listings.migrations.0002_seed_marketplace_sites").add_sites(apps, None)
    importlib.import_module("enforcement.migrations.0002_seed_site_policies").seed(apps, None)
    importlib.import_module("enforcement.migrations.0007_publish_established_complaint_rules").publish(apps, None)
    importlib.import_module("complaints.migrations.0008_grant_roles_their_work").grant(apps, None)
    accuracy = importlib.import_module("complaints.migrations.0009_accuracy")
    accuracy.seed_criteria(apps, None)
    accuracy.grant(apps, None)
    importlib.import_module("complaints.migrations.0010_litigation_holds").grant(apps, None)
    importlib.import_module("complaints.migrations.0011_redress_and_abuse_control").seed_and_grant(apps, None)


@pytest.fixture
def password():
    return "correct horse battery staple"


def which(name: str) -> str | None:
    return shutil.which(name)


# --- Every status change is audited -----------------------------------------------------------------------------
# On PostgreSQL a trigger records every change of a status column (and a seller's standing) during the tests; after
# each test, every recorded change must have its audit row with the same from → to, whatever code path made it
# (a bulk .update(), a bulk_update, a save). Notifications are excluded: their status is delivery bookkeeping.
AUDITED_STATUS_COLUMNS = {
    "complaints_complainant": "status",
    "complaints_ipright": "status",
    "complaints_authorization": "status",
    "complaints_claim": "status",
    "complaints_claimitem": "status",
    "complaints_counternotice": "status",
    "complaints_complainantsanction": "status",
    "complaints_complainantappeal": "status",
    "enforcement_action": "status",
    "enforcement_appeal": "status",
    "enforcement_violation": "status",
    "listings_listing": "status",
    "listings_seller": "standing",
}
_HISTORY_SQL = """
CREATE TABLE IF NOT EXISTS test_status_history (id bigserial PRIMARY KEY, tbl text, row_id text, old text, new text);
CREATE OR REPLACE FUNCTION test_record_status_change() RETURNS trigger AS $$
BEGIN
  IF (to_jsonb(OLD) ->> TG_ARGV[0]) IS DISTINCT FROM (to_jsonb(NEW) ->> TG_ARGV[0]) THEN
    INSERT INTO test_status_history (tbl, row_id, old, new)
    VALUES (TG_TABLE_NAME, (to_jsonb(NEW) ->> 'id'), to_jsonb(OLD) ->> TG_ARGV[0], to_jsonb(NEW) ->> TG_ARGV[0]);
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
"""


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from django.db import connection

    with django_db_blocker.unblock(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_HISTORY_SQL)
            for table, column in AUDITED_STATUS_COLUMNS.items():
                cursor.execute(f'DROP TRIGGER IF EXISTS test_status_history ON "{table}"')
                cursor.execute(
                    f'CREATE TRIGGER test_status_history AFTER UPDATE ON "{table}" '
                    f"FOR EACH ROW EXECUTE FUNCTION test_record_status_change('{column}')"
                )


def status_history_mark() -> int:
    """Where the status history stands now (changes after it are the ones a check looks at)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM test_status_history")
        return cursor.fetchone()[0]


def unaudited_status_changes(since: int) -> list[str]:
    """Every status change recorded after ``since`` that has no audit row with the same from → to."""
    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection

    from ipp_portal.audit.models import AuditEvent

    models = {model._meta.db_table: model for model in apps.get_models()}
    with connection.cursor() as cursor:
        cursor.execute("SELECT tbl, row_id, old, new FROM test_status_history WHERE id > %s ORDER BY id", [since])
        changes = cursor.fetchall()
    missing = []
    for table, row_id, old, new in changes:
        target_type = ContentType.objects.get_for_model(models[table])
        events = AuditEvent.objects.filter(target_type=target_type, target_id=row_id, to_state=new)
        if not events.filter(from_state=old).exists():
            found = list(events.values_list("verb", "from_state"))
            missing.append(f"{table} {row_id}: {old} → {new} (audit rows to {new}: {found or 'none'})")
    return missing


@pytest.fixture(autouse=True)
def _every_status_change_is_audited(request):
    marker = request.node.get_closest_marker("django_db")
    if marker is None or request.node.get_closest_marker("unaudited_status_setup"):
        yield
        return
    from django.db import connection

    request.getfixturevalue("transactional_db" if marker.kwargs.get("transaction") else "db")
    if connection.vendor != "postgresql":
        yield
        return
    start = status_history_mark()
    yield
    if connection.connection is None or connection.connection.closed:
        return  # the test closed its connection (a streamed response does): what it changed is rolled back
    missing = unaudited_status_changes(start)
    assert not missing, "status changes without a matching audit row:\n" + "\n".join(missing)
