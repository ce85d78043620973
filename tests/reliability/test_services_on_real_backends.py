"""Concurrency and shared state on the real PostgreSQL and Redis."""

import pytest
from django.core import mail

from ipp_portal.notifications import services
from ipp_portal.notifications.models import Notification
from tests.factories import UserFactory
from tests.threads import run_together


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_delivering_the_same_row_at_once_send_one_email():
    user = UserFactory()
    # A pending row whose delivery tasks are all about to run at once (e.g. the sweep and a redelivery).
    notification = Notification.objects.create(recipient=user, template="generic", subject="s", body_text="b")
    mail.outbox.clear()
    errors = run_together(*[lambda: services.notification_deliver(notification.pk)] * 4, timeout=30)

    notification.refresh_from_db()
    assert errors == []
    assert len(mail.outbox) == 1
    assert (notification.status, notification.attempts) == (Notification.Status.SENT, 1)
