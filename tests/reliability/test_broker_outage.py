"""Redis down or hung never fails a request that already succeeded.

A private ``redis-server`` is the Celery broker. It is stopped (connections refused) or replaced on its port by a
server that accepts connections and never answers (hung); a claim is filed and a takedown for many sellers is decided
through the admin: both answer at once, their rows are committed and the notices wait in the outbox. Redis comes
back on the same port, a real worker runs the outbox sweep, and every notice is sent. Sign-in goes on while the
shared cache, a real Redis this time, is stopped or frozen after the web process had connected to it.
"""

import os
import re
import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.core import mail
from django.core.cache import caches
from django.test import override_settings

from complaints.api.models import WebhookDelivery
from complaints.api.webhooks.services import webhook_endpoint_create
from complaints.models import Claim, ClaimItem
from ipp_portal.accounts import throttle
from ipp_portal.celery import app as celery_app
from ipp_portal.celery import use_broker
from ipp_portal.notifications import services
from ipp_portal.notifications.models import Notification
from ipp_portal.notifications.tasks import sweep_pending_notifications
from tests.complaints.test_claim_views import form_data
from tests.factories import ListingFactory, SellerFactory, UserFactory, make_claim, make_complainant, take_down
from tests.faults import RedisServer, SilentServer

pytestmark = [pytest.mark.redis, pytest.mark.celery_worker]

SELLERS = 60
# What a request may spend on a broker that is down or hung, over what the same request costs with the broker up:
# one connection attempt within the ~1 s broker timeouts (before, 0.65 s per notice refused, forever when hung).
BROKER_ALLOWANCE = 2.0
PASSWORD = "correct horse battery staple"


@pytest.fixture
def private_redis():
    if not RedisServer.available():
        message = "redis-server is not installed (apt-get install redis-server)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    server = RedisServer()
    server.start()
    yield server
    server.close()


@pytest.fixture
def broker(private_redis, monkeypatch):
    """Celery publishes to the private Redis, not eagerly; everything is put back afterwards."""
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    previous_url = celery_app.conf.broker_url
    use_broker(private_redis.url)
    services.dispatch_pause_clear()
    yield private_redis
    # use_broker also drops the pooled connections to the private Redis, which monkeypatch alone would keep.
    use_broker(previous_url)
    services.dispatch_pause_clear()


@contextmanager
def _broker_fault(redis: RedisServer, fault: str):
    """Take the broker away for the block; when it ends, a fresh Redis (empty: no persistence) answers on the same
    port."""
    redis.stop()
    if fault == "hung":
        with SilentServer(lifetime=60, port=redis.port):
            yield
    else:
        yield
    redis.start()


@contextmanager
def _worker():
    from celery.contrib.testing import tasks  # noqa: F401 - registers celery's own ping task
    from celery.contrib.testing.worker import start_worker

    with start_worker(celery_app, pool="solo", concurrency=1, perform_ping_check=False, shutdown_timeout=10):
        yield


def _wait_for(predicate, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def _timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def _file_and_take_down(client, holder, staff, listings):
    """File a claim as the complainant, then take every listing down as a reviewer in the admin, as people do."""
    client.force_login(holder.user)
    filed, filing_time = _timed(
        lambda: client.post("/rights/claims/new/", form_data(holder, [listing.url for listing in listings]))
    )
    claim = Claim.objects.latest("pk")
    client.force_login(staff)
    client.post(f"/admin/complaints/claim/{claim.pk}/decide/", {"decision": "take"})
    # Whatever an earlier request met is forgotten: this takedown's own notices must stop at their first failure.
    services.dispatch_pause_clear()
    items = list(claim.items.values_list("pk", flat=True))
    page = client.get(f"/admin/complaints/claim/{claim.pk}/change/").content.decode()
    shown = re.search(r'name="seen" value="([^"]+)"', page).group(1)  # the version the reviewer saw
    decided, takedown_time = _timed(
        lambda: client.post(
            f"/admin/complaints/claim/{claim.pk}/decide/", {"decision": "take_down", "items": items, "seen": shown}
        )
    )
    assert (filed.status_code, filed["Location"]) == (302, f"/rights/claims/{claim.pk}/receipt/")
    assert (decided.status_code, decided["Location"]) == (302, f"/admin/complaints/claim/{claim.pk}/change/")
    return claim, filing_time, takedown_time


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("fault", ["stopped", "hung"])
def test_takedown_while_the_broker_is_down_answers_at_once_and_the_sweep_delivers_later(
    fault, broker, client, settings
):
    sellers = SellerFactory.create_batch(SELLERS)
    first, second = ([ListingFactory(seller=seller) for seller in sellers] for _ in range(2))
    holder = make_complainant()
    staff = UserFactory(is_staff=True, is_superuser=True, email="reviewer@staff.example")
    # The same requests with the broker up: what the work itself costs on this machine. It also leaves the web
    # process connected to the broker, as it is in production when Redis goes away.
    _, usual_filing, usual_takedown = _file_and_take_down(client, holder, staff, first)

    with _broker_fault(broker, fault):
        claim, filing_time, takedown_time = _file_and_take_down(client, holder, staff, second)

        assert filing_time < usual_filing + BROKER_ALLOWANCE, (filing_time, usual_filing)
        assert takedown_time < usual_takedown + BROKER_ALLOWANCE, (takedown_time, usual_takedown)
        assert set(claim.items.values_list("status", flat=True)) == {ClaimItem.Status.REMOVED}
        assert claim.items.count() == SELLERS
        notices = Notification.objects.filter(target_id=str(claim.pk), template="complaints/takedown_notice")
        assert notices.count() == SELLERS  # committed, one per seller
        assert set(Notification.objects.values_list("status", "attempts")) == {(Notification.Status.PENDING, 0)}

    # Redis is back (empty). The beat sweep, run by a real worker, hands every pending row to the broker again.
    pending = Notification.objects.count()
    settings.NOTIFICATION_REDISPATCH_AFTER = timedelta(0)
    mail.outbox.clear()
    with _worker():
        sweep_pending_notifications.delay()
        assert _wait_for(lambda: not Notification.objects.exclude(status=Notification.Status.SENT).exists(), 60)

    assert set(Notification.objects.values_list("status", "attempts")) == {(Notification.Status.SENT, 1)}
    assert len(mail.outbox) == pending
    assert {m.to[0] for m in mail.outbox} >= {seller.user.email for seller in sellers}


@pytest.mark.django_db(transaction=True)
def test_a_batch_stops_at_the_first_broker_failure(broker):
    """queue_many hands its rows over one connection; a hung broker costs the batch one timeout, not one per row."""
    from django.db import transaction

    users = UserFactory.create_batch(30)
    broker.stop()
    with SilentServer(lifetime=60, port=broker.port):
        started = time.monotonic()
        with transaction.atomic():
            rows = services.queue_many(
                [{"recipient": user, "template": "generic", "context": {"subject": "s", "body": "b"}} for user in users]
            )
        elapsed = time.monotonic() - started

    assert elapsed < BROKER_ALLOWANCE, elapsed
    pending = Notification.objects.filter(pk__in=[row.pk for row in rows], status=Notification.Status.PENDING)
    assert pending.count() == 30


@pytest.mark.django_db(transaction=True)
def test_webhooks_and_notices_share_the_pause_after_a_broker_hangs(broker, settings):
    """One takedown commits notices and webhook deliveries: a hung broker costs it one timeout, not one per kind, and
    both wait for their sweeps."""
    settings.WEBHOOKS_ALLOW_HTTP_LOCAL = True
    holder = make_complainant()
    webhook_endpoint_create(user=holder.user, url="http://127.0.0.1:9/hook", events=["claim_item.decided"])
    claim = make_claim(holder)
    broker.stop()
    with SilentServer(lifetime=60, port=broker.port):
        started = time.monotonic()
        take_down(claim)
        elapsed = time.monotonic() - started

    assert elapsed < BROKER_ALLOWANCE, elapsed
    deliveries = WebhookDelivery.objects.filter(endpoint__owner=holder.user)
    assert list(deliveries.values_list("status", "attempts")) == [(WebhookDelivery.Status.PENDING, 0)]
    assert Notification.objects.filter(target_id=str(claim.pk), status=Notification.Status.PENDING).exists()


# --- Sign-in while the shared cache (a real Redis) stops or freezes -----------------------------------------------


def _redis_cache(url: str) -> dict:
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 1.0, "socket_timeout": 1.0},
        }
    }


def _sign_ins(client):
    """A wrong and a right password on the portal, and a staff sign-in to the admin; with the times they took."""
    client.logout()
    started = time.monotonic()
    wrong = client.post("/accounts/login/", {"username": "steady@example.com", "password": "wrong"})
    right = client.post("/accounts/login/", {"username": "steady@example.com", "password": PASSWORD})
    client.logout()
    admin = client.post("/admin/login/", {"username": "boss@staff.example", "password": PASSWORD, "next": "/admin/"})
    return (wrong.status_code, right.status_code, admin.status_code, admin.get("Location")), time.monotonic() - started


@pytest.mark.django_db
@pytest.mark.parametrize("fault", ["stopped", "frozen"])
def test_portal_and_admin_sign_in_go_on_when_a_connected_cache_stops_or_freezes(fault, client, private_redis):
    UserFactory(email="steady@example.com")
    UserFactory(email="boss@staff.example", is_staff=True, is_superuser=True)
    throttle.reset_for_tests()
    try:
        with override_settings(CACHES=_redis_cache(private_redis.url)):
            assert type(caches["default"]).__name__ == "RedisCache"
            before, _ = _sign_ins(client)  # the process now holds open connections to Redis
            (private_redis.stop if fault == "stopped" else private_redis.pause)()
            throttle.reset_for_tests()  # forget nothing but the counters: the fault must be met, not remembered
            during, elapsed = _sign_ins(client)
    finally:
        caches["default"].close()
        private_redis.resume()
        throttle.reset_for_tests()

    assert before == during == (200, 302, 302, "/admin/")
    assert elapsed < 2 * BROKER_ALLOWANCE, elapsed
