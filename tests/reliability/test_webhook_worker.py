"""Webhook deliveries with a real Celery worker, the real Redis broker and a real receiving server."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from complaints.api.models import WebhookAttempt, WebhookDelivery
from complaints.api.tasks import deliver_webhook, sweep_webhook_deliveries
from complaints.api.webhooks import services
from tests.factories import make_claim, make_complainant, take_down
from tests.webhook_receiver import Receiver, signed_by

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def _wait_for(predicate, timeout: float = 15.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def receiver(settings):
    settings.WEBHOOKS_ALLOW_HTTP_LOCAL = True
    server = Receiver()
    yield server
    if server.server is not None:
        server.stop()


def test_a_receiver_that_is_down_gets_the_event_later_exactly_once(celery_worker_app, drain, receiver):
    holder = make_complainant()
    _endpoint, secret = services.webhook_endpoint_create(
        user=holder.user, url=receiver.url(), events=["claim_item.decided"]
    )
    receiver.stop()

    take_down(make_claim(holder))  # commits; the worker tries and finds the port closed
    assert _wait_for(lambda: WebhookAttempt.objects.exists())
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending"

    receiver.start()
    # Time passes: the retry is due (it was handed to the broker before it became due).
    WebhookDelivery.objects.update(
        next_attempt_at=timezone.now() - timedelta(seconds=1), dispatched_at=timezone.now() - timedelta(seconds=2)
    )
    sweep_webhook_deliveries.delay()
    drain()
    drain()  # the sweep queued the delivery after its own commit
    sweep_webhook_deliveries.delay()
    deliver_webhook.delay(delivery.pk)  # a duplicated task, as after a lost acknowledgement
    drain()
    drain()

    delivery.refresh_from_db()
    assert delivery.status == "delivered"
    assert receiver.event_ids() == [str(delivery.event.event_id)]
    assert signed_by(secret, receiver.received[0])
    assert list(WebhookAttempt.objects.order_by("at").values_list("status_code", flat=True)) == [None, 200]
