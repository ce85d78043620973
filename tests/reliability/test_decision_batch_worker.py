"""A decision on more listings than a request waits for, asked while the broker hangs: the reviewer's request answers
at once with the progress page, nothing is decided yet, and once Redis is back the minute sweep hands the batch to a
real worker, which decides every listing in one go and tells the reviewer."""

import re
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from complaints.models import ClaimItem, DecisionBatch
from complaints.tasks import sweep_decision_batches
from ipp_portal.notifications.models import Notification
from tests.factories import ListingFactory, SellerFactory, make_claim, make_staff
from tests.faults import SilentServer
from tests.reliability.test_broker_outage import BROKER_ALLOWANCE, _wait_for, _worker, broker, private_redis

pytestmark = [pytest.mark.redis, pytest.mark.celery_worker]
__all__ = ["broker", "private_redis"]  # the fixtures this module borrows


@pytest.mark.django_db(transaction=True)
def test_a_batch_asked_while_the_broker_hangs_answers_at_once_and_runs_when_it_is_back(broker, client, settings):
    settings.DECISION_BATCH_ASYNC_ITEMS = 100
    seller = SellerFactory(store_name="Shenzhen Knockoffs")
    claim = make_claim(listings=[*ListingFactory.create_batch(120, seller=seller), ListingFactory()])
    reviewer = make_staff("Reviewer")
    client.force_login(reviewer)
    page = client.get(f"/admin/complaints/claim/{claim.pk}/change/?seller={seller.pk}").content.decode()
    shown = re.search(r'name="seen" value="([^"]+)"', page).group(1)
    data = {"decision": "take_down", "scope": "seller", "scope_seller": seller.pk, "seen": shown, "confirmed": "yes"}

    broker.stop()
    with SilentServer(lifetime=60, port=broker.port):
        started = time.monotonic()
        answer = client.post(f"/admin/complaints/claim/{claim.pk}/decide/", data)
        elapsed = time.monotonic() - started
    broker.start()

    batch = DecisionBatch.objects.get(claim=claim)
    assert elapsed < BROKER_ALLOWANCE, elapsed
    assert answer.status_code == 302
    assert answer["Location"] == f"/admin/complaints/claim/{claim.pk}/batches/{batch.pk}/"
    assert batch.status == DecisionBatch.Status.QUEUED
    assert not claim.items.exclude(status=ClaimItem.Status.PENDING).exists()

    DecisionBatch.objects.filter(pk=batch.pk).update(created_at=timezone.now() - timedelta(minutes=2))
    with _worker():
        sweep_decision_batches.delay()
        assert _wait_for(lambda: DecisionBatch.objects.get(pk=batch.pk).finished, 60)

    batch.refresh_from_db()
    assert batch.status == DecisionBatch.Status.DONE
    assert batch.decided_count == 120
    assert claim.items.filter(seller=seller, status=ClaimItem.Status.REMOVED).count() == 120
    assert claim.items.exclude(seller=seller).get().status == ClaimItem.Status.PENDING
    assert Notification.objects.filter(recipient=reviewer, template="complaints/decision_batch_finished").exists()
    progress = client.get(answer["Location"]).content.decode()
    assert "120 listings taken down" in progress
