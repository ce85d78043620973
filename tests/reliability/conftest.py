"""A real Celery worker (in a thread) consuming from the real Redis broker, on a queue of its own per test run."""

import time
import uuid

import pytest
import redis
from django.conf import settings

from ipp_portal.celery import app as celery_app


@celery_app.task(name="tests.sentinel")
def sentinel(key: str) -> None:
    """Runs after everything queued before it (one solo worker, prefetch 1): a barrier for assertions."""
    redis.Redis.from_url(settings.TEST_REDIS_URL).set(key, "1", ex=60)


@pytest.fixture
def celery_worker_app(monkeypatch):
    from celery.contrib.testing import tasks  # noqa: F401 - registers celery's own ping task
    from celery.contrib.testing.worker import start_worker

    queue = f"ipp-test-{uuid.uuid4().hex[:8]}"
    # monkeypatch puts the app's configuration back after this fixture's own teardown (the queue is deleted
    # on the test broker first).
    for key, value in {
        "broker_url": settings.TEST_REDIS_URL,
        "task_always_eager": False,
        "task_default_queue": queue,
    }.items():
        monkeypatch.setitem(celery_app.conf, key, value)
    try:
        with start_worker(
            celery_app, pool="solo", concurrency=1, perform_ping_check=False, queues=[queue], shutdown_timeout=10
        ):
            yield celery_app
    finally:
        with celery_app.connection_for_write() as conn:
            conn.default_channel.queue_delete(queue)


@pytest.fixture
def drain(celery_worker_app):
    """Block until the worker has run everything queued so far."""

    client = redis.Redis.from_url(settings.TEST_REDIS_URL)

    def _drain(timeout: float = 15) -> None:
        key = f"ipp-test-sentinel-{uuid.uuid4().hex}"
        sentinel.delay(key)
        end = time.monotonic() + timeout
        while not client.exists(key):
            assert time.monotonic() < end, "the Celery worker did not drain its queue in time"
            time.sleep(0.02)

    return _drain
