"""Concurrency and shared state on the real PostgreSQL and Redis."""

import threading

import pytest
from django.core import mail
from django.db import connection

from ipp_portal.notifications import services
from ipp_portal.notifications.models import Notification
from tests.factories import UserFactory


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_delivering_the_same_row_at_once_send_one_email():
    user = UserFactory()
    # A pending row whose delivery tasks are all about to run at once (e.g. the sweep and a redelivery).
    notification = Notification.objects.create(recipient=user, template="generic", subject="s", body_text="b")
    mail.outbox.clear()
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def deliver():
        try:
            barrier.wait()
            services.notification_deliver(notification.pk)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)

    notification.refresh_from_db()
    assert errors == []
    assert len(mail.outbox) == 1
    assert (notification.status, notification.attempts) == (Notification.Status.SENT, 1)
