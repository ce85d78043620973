"""/healthz against real backends: Redis, the Celery broker and an S3 bucket that work, refuse connections (a
closed port) or accept and never answer (a silent TCP server); every check is bounded in time."""

import socket
import subprocess
import sys
import threading
import time

import pytest

from tests import faults
from tests.documents.conftest import s3  # noqa: F401 - the moto S3 fixture, reused
from tests.test_deployment import healthcheck_argvs, web_healthcheck_url

pytestmark = pytest.mark.django_db

CHECKS = {"database", "cache", "broker", "storage"}
REDIS_CACHE = "django.core.cache.backends.redis.RedisCache"


@pytest.fixture
def closed_port():
    """A port nothing listens on: connecting to it is refused at once."""
    return faults.closed_port()


@pytest.fixture
def silent_port():
    """A TCP server that accepts every connection and never sends a byte."""
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.1)
    accepted, stop = [], threading.Event()

    def serve():
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        for conn in accepted:
            conn.close()
        server.close()


def redis_cache(url: str) -> dict:
    return {"default": {"BACKEND": REDIS_CACHE, "LOCATION": url}}


def get_health(client):
    started = time.monotonic()
    response = client.get("/healthz")
    return response, time.monotonic() - started


@pytest.mark.redis
def test_every_check_passes_against_real_redis_broker_and_bucket(client, settings, s3):  # noqa: F811
    settings.CACHES = redis_cache(settings.TEST_REDIS_URL)
    settings.CELERY_BROKER_URL = settings.TEST_REDIS_URL

    response, _ = get_health(client)

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "broker": "ok", "storage": "ok"},
    }
    assert response["Cache-Control"].startswith("max-age=0")


def test_backends_that_are_not_configured_are_skipped(client, settings):
    settings.CELERY_BROKER_URL = "memory://"  # and the test settings' per-process cache and local-disk storage

    response, _ = get_health(client)

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "skipped", "broker": "skipped", "storage": "skipped"},
    }


def test_refused_redis_and_broker_fail_fast_and_are_named(client, settings, closed_port):
    url = f"redis://127.0.0.1:{closed_port}/0"
    settings.CACHES = redis_cache(url)
    settings.CELERY_BROKER_URL = url

    response, elapsed = get_health(client)

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["storage"] == "skipped"
    assert body["checks"]["cache"].startswith("error: ")
    assert body["checks"]["broker"].startswith("error: ")
    assert elapsed < 3


def test_hung_redis_and_broker_fail_within_the_timeout(client, settings, silent_port):
    url = f"redis://127.0.0.1:{silent_port}/0"
    settings.CACHES = redis_cache(url)
    settings.CELERY_BROKER_URL = url

    response, elapsed = get_health(client)

    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["cache"].startswith("error: ")
    assert checks["broker"].startswith("error: ")
    assert checks["database"] == "ok"
    assert elapsed < 3


def test_missing_bucket_fails_the_storage_check(client, settings, s3):  # noqa: F811
    client_s3, bucket = s3
    client_s3.delete_bucket(Bucket=bucket)
    settings.CELERY_BROKER_URL = "memory://"

    response, _ = get_health(client)

    assert response.status_code == 503
    assert response.json()["checks"]["storage"] == "error: ClientError"


def test_hung_storage_endpoint_fails_within_the_timeout(client, settings, s3, silent_port):  # noqa: F811
    """botocore would wait 60 s for an answer, and retry: the check's own deadline ends it."""
    default = settings.STORAGES["default"]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**default, "OPTIONS": {**default["OPTIONS"], "endpoint_url": f"http://127.0.0.1:{silent_port}"}},
    }
    settings.CELERY_BROKER_URL = "memory://"

    response, elapsed = get_health(client)

    assert response.status_code == 503
    assert response.json()["checks"] == {
        "database": "ok",
        "cache": "skipped",
        "broker": "skipped",
        "storage": "error: timed out",
    }
    assert elapsed < 3


def test_failure_reason_goes_to_the_log_not_to_the_response(client, settings, closed_port, caplog):
    url = f"redis://:not-for-the-public@127.0.0.1:{closed_port}/0"
    settings.CACHES = redis_cache(url)
    settings.CELERY_BROKER_URL = url

    with caplog.at_level("WARNING", logger="ipp_portal.views"):
        response = client.get("/healthz", headers={"X-Request-ID": "probe-42"})

    text = response.content.decode()
    assert "not-for-the-public" not in text
    assert str(closed_port) not in text
    failures = [r for r in caplog.records if r.getMessage().startswith("Health check")]
    assert {r.getMessage() for r in failures} == {"Health check cache failed", "Health check broker failed"}
    # Logged from the checks' own threads, and still tied to the request.
    assert {r.threadName for r in failures} == {"healthz-cache", "healthz-broker"}
    assert {r.request_id for r in failures} == {"probe-42"}
    assert all(r.exc_info for r in failures)


def test_health_check_is_get_only(client):
    assert client.post("/healthz").status_code == 405


def _run_compose_web_healthcheck(base_url: str) -> subprocess.CompletedProcess:
    """docker-compose.yml's web healthcheck, as written, aimed at ``base_url`` instead of the container's port."""
    (argv,) = healthcheck_argvs("web")
    parts = web_healthcheck_url()
    script = argv[2].replace(f"{parts.scheme}://{parts.netloc}", base_url)
    assert script != argv[2]
    return subprocess.run(  # noqa: S603 - the compose file's own command
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30, check=False
    )


@pytest.mark.django_db(transaction=True)
def test_compose_web_healthcheck_passes_when_healthy_and_fails_when_a_backend_is_down(
    live_server, settings, closed_port
):
    settings.CELERY_BROKER_URL = "memory://"
    assert _run_compose_web_healthcheck(live_server.url).returncode == 0

    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port}/0"
    assert _run_compose_web_healthcheck(live_server.url).returncode != 0
