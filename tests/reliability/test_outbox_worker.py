"""The outbox with a real Celery worker and the real Redis broker."""

import time
from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from ipp_portal.notifications import services
from ipp_portal.notifications.models import Notification
from ipp_portal.notifications.tasks import notify_by_email, sweep_pending_notifications
from tests.factories import UserFactory

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def _wait_for(predicate, timeout: float = 15.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def _queue(user, subject="Takedown notice"):
    return services.queue(recipient=user, template="generic", context={"subject": subject, "body": "Details"})


def test_row_is_delivered_by_the_worker_only_after_commit(celery_worker_app, drain):
    user = UserFactory()
    mail.outbox.clear()

    with transaction.atomic():
        notification = _queue(user)
        drain()  # the worker is idle and has seen nothing: delivery waits for the commit
        assert mail.outbox == []

    assert _wait_for(lambda: Notification.objects.get(pk=notification.pk).status == Notification.Status.SENT)
    assert [m.subject for m in mail.outbox] == ["Takedown notice"]


def test_rolled_back_change_sends_nothing(celery_worker_app, drain):
    user = UserFactory()
    mail.outbox.clear()

    def failing_change():
        with transaction.atomic():
            _queue(user)
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        failing_change()
    drain()

    assert not Notification.objects.exists()
    assert mail.outbox == []


def test_task_run_several_times_sends_once(celery_worker_app, drain):
    user = UserFactory()
    mail.outbox.clear()
    with transaction.atomic():
        notification = _queue(user)

    notify_by_email.delay(notification.pk)  # a redelivery, as after a lost acknowledgement
    notify_by_email.delay(notification.pk)
    drain()

    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT
    assert notification.attempts == 1
    assert len(mail.outbox) == 1


def test_sweep_on_the_worker_delivers_a_row_the_broker_never_got(celery_worker_app, drain):
    user = UserFactory()
    mail.outbox.clear()
    stale = timezone.now() - timedelta(minutes=10)
    lost = Notification.objects.create(
        recipient=user, template="generic", subject="Lost in an outage", body_text="b", dispatched_at=stale
    )

    sweep_pending_notifications.delay()
    drain()
    drain()  # the sweep queued the delivery after its own commit; let it run

    lost.refresh_from_db()
    assert lost.status == Notification.Status.SENT
    assert [m.subject for m in mail.outbox] == ["Lost in an outage"]
