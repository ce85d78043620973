"""Pages that belong to the portal as a whole: home, health check and the error pages."""

import contextvars
import logging
import threading
import time

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.core.files.storage import storages
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)

# Each backend check must answer within this many seconds: a hung database, Redis or S3 makes the check fail fast
# instead of hanging the load balancer's probe (and a web worker with it).
HEALTH_CHECK_TIMEOUT = 2.0


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        connection.close()  # the check runs in a thread of its own: do not leave its connection open
    return "ok"


def _check_cache() -> str:
    """Redis behind the cache (login throttling counters); a per-process cache cannot be down."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    cache = caches["default"]
    if not isinstance(cache, RedisCache):
        return "skipped"
    # The server URLs are a private attribute of Django's RedisCache, which django-stubs does not declare.
    for url in cache._servers:  # type: ignore[attr-defined]
        client = redis.Redis.from_url(
            url,
            socket_connect_timeout=HEALTH_CHECK_TIMEOUT,
            socket_timeout=HEALTH_CHECK_TIMEOUT,
            retry=Retry(NoBackoff(), 0),
        )
        try:
            client.ping()
        finally:
            client.close()
    return "ok"


def _check_broker() -> str:
    from kombu import Connection

    url = settings.CELERY_BROKER_URL
    if not url or url.startswith("memory://"):
        return "skipped"
    transport_options = {
        **settings.CELERY_BROKER_TRANSPORT_OPTIONS,
        "socket_timeout": HEALTH_CHECK_TIMEOUT,
        "socket_connect_timeout": HEALTH_CHECK_TIMEOUT,
        "max_retries": 0,
    }
    with Connection(url, connect_timeout=HEALTH_CHECK_TIMEOUT, transport_options=transport_options) as broker:
        broker.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=HEALTH_CHECK_TIMEOUT)
    return "ok"


def _check_storage() -> str:
    """The private documents' bucket, through the configured storage's own client (its endpoint and keys)."""
    storage = storages["default"]
    bucket_name = getattr(storage, "bucket_name", None)
    if not bucket_name or not hasattr(storage, "connection"):
        return "skipped"  # local disk
    storage.connection.meta.client.head_bucket(Bucket=bucket_name)
    return "ok"


HEALTH_CHECKS = {
    "database": _check_database,
    "cache": _check_cache,
    "broker": _check_broker,
    "storage": _check_storage,
}


def _run_checks(checks: dict, timeout: float) -> dict[str, str]:
    """Every check in a daemon thread of its own, all at once, none awaited past ``timeout`` seconds."""
    results: dict[str, str] = {}

    def run(name, check):
        try:
            results[name] = check()
        except Exception as exc:
            # The reason goes to the log only: the probe is public and an error text may name hosts or users.
            logger.warning("Health check %s failed", name, exc_info=True)
            results[name] = f"error: {type(exc).__name__}"

    threads = []
    for name, check in checks.items():
        # copy_context: the thread's log records carry the request id.
        thread = threading.Thread(
            target=contextvars.copy_context().run, args=(run, name, check), name=f"healthz-{name}", daemon=True
        )
        thread.start()
        threads.append((name, thread))
    deadline = time.monotonic() + timeout
    finished = {}
    for name, thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
        finished[name] = not thread.is_alive()
        if not finished[name]:
            logger.warning("Health check %s did not answer within %s s", name, timeout)
    # Decided at the deadline: a check still running then has failed, whatever it returns later.
    return {name: results[name] if finished[name] else "error: timed out" for name, _ in threads}


@never_cache
@require_GET
def healthz(request):
    """Readiness for load balancers and compose healthchecks: the database, Redis (cache), the Celery broker and
    the document bucket, each bounded by HEALTH_CHECK_TIMEOUT. 200 when every check passed or does not apply,
    503 otherwise; the body names each check's result."""
    checks = _run_checks(HEALTH_CHECKS, HEALTH_CHECK_TIMEOUT)
    healthy = all(result in ("ok", "skipped") for result in checks.values())
    return JsonResponse({"status": "ok" if healthy else "fail", "checks": checks}, status=200 if healthy else 503)


def ping(request):
    """The trivial view the HTTP benchmark uses as its ceiling."""
    return HttpResponse(b"ok", content_type="text/plain")


def bad_request(request, exception=None):
    return render(request, "errors/400.html", status=400)


def permission_denied(request, exception=None):
    return render(request, "errors/403.html", status=403)


def page_not_found(request, exception=None):
    return render(request, "errors/404.html", status=404)


def server_error(request):
    # No context processors that touch the database: the error may be the database.
    from django.template import loader

    return HttpResponse(loader.get_template("errors/500.html").render(), status=500)


def csrf_failure(request, reason=""):
    return render(request, "errors/403_csrf.html", status=403)
