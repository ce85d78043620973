from datetime import timedelta

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from ipp_portal.notifications import services
from ipp_portal.notifications.models import Notification
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _queue(user, **extra):
    with transaction.atomic():
        return services.queue(
            recipient=user,
            template="generic",
            context={"subject": "Claim received", "body": "Body text"},
            **extra,
        )


def test_queue_writes_rendered_row_and_delivers_after_commit(django_capture_on_commit_callbacks, mailoutbox):
    user = UserFactory()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notification = _queue(user)

    notification.refresh_from_db()
    assert len(callbacks) == 1
    assert notification.status == Notification.Status.SENT
    assert notification.attempts == 1
    assert [m.to for m in mailoutbox] == [[user.email]]
    assert mailoutbox[0].subject == "Claim received"
    assert mailoutbox[0].body == "Body text\n"
    assert mailoutbox[0].alternatives[0][1] == "text/html"


def test_nothing_is_delivered_before_commit(django_capture_on_commit_callbacks, mailoutbox):
    user = UserFactory()

    with django_capture_on_commit_callbacks(execute=False):
        notification = _queue(user)

    assert mailoutbox == []
    assert Notification.objects.get(pk=notification.pk).status == Notification.Status.PENDING


@pytest.mark.django_db(transaction=True)
def test_queue_outside_a_transaction_is_refused():
    user = UserFactory()

    with pytest.raises(RuntimeError, match="inside the transaction"):
        services.queue(recipient=user, template="generic", context={"subject": "s", "body": "b"})

    assert not Notification.objects.exists()


def test_dedupe_key_queues_once(django_capture_on_commit_callbacks, mailoutbox):
    user = UserFactory()

    with django_capture_on_commit_callbacks(execute=True):
        first = _queue(user, dedupe_key="claim:1:receipt")
        second = _queue(user, dedupe_key="claim:1:receipt")

    assert first.pk == second.pk
    assert Notification.objects.count() == 1
    assert len(mailoutbox) == 1


def test_delivering_twice_sends_once(mailoutbox):
    user = UserFactory()
    with transaction.atomic():
        notification = services.queue(recipient=user, template="generic", context={"subject": "s", "body": "b"})

    services.notification_deliver(notification.pk)
    services.notification_deliver(notification.pk)

    notification.refresh_from_db()
    assert len(mailoutbox) == 1
    assert notification.attempts == 1


@override_settings(EMAIL_BACKEND="tests.notifications.failing_backend.FailingBackend", NOTIFICATION_MAX_ATTEMPTS=2)
def test_failed_send_stays_pending_then_fails_after_max_attempts(mailoutbox):
    user = UserFactory()
    with transaction.atomic():
        notification = services.queue(recipient=user, template="generic", context={"subject": "s", "body": "b"})

    with pytest.raises(services.DeliveryFailed):
        services.notification_deliver(notification.pk)
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == (Notification.Status.PENDING, 1)
    assert "SMTP is down" in notification.last_error

    services.notification_deliver(notification.pk)
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == (Notification.Status.FAILED, 2)
    assert mailoutbox == []


def test_sweep_redispatches_only_stale_pending_rows(django_capture_on_commit_callbacks, mailoutbox, settings):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=False):
        stale = _queue(user)
        fresh = _queue(user)
    sent = _queue(user)
    Notification.objects.filter(pk=sent.pk).update(status=Notification.Status.SENT)
    old = timezone.now() - settings.NOTIFICATION_REDISPATCH_AFTER - timedelta(seconds=1)
    Notification.objects.filter(pk__in=[stale.pk, sent.pk]).update(dispatched_at=old)

    with django_capture_on_commit_callbacks(execute=True):
        count = services.notifications_redispatch_pending()

    assert count == 1
    assert [m.subject for m in mailoutbox] == ["Claim received"]
    assert Notification.objects.get(pk=stale.pk).status == Notification.Status.SENT
    assert Notification.objects.get(pk=fresh.pk).status == Notification.Status.PENDING


def test_retry_countdown_backs_off_and_caps():
    assert [services.retry_countdown(n) for n in range(8)] == [30, 60, 120, 240, 480, 960, 1800, 1800]


def test_queue_many_inserts_once_and_delivers_each_after_commit(django_capture_on_commit_callbacks, mailoutbox):
    first, second = UserFactory(), UserFactory()
    same = {"template": "generic", "context": {"subject": "Counter-notice unanswered", "body": "Staff decide."}}

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        rows = services.queue_many(
            [
                {**same, "recipient": first},
                {**same, "recipient": second},
                {"template": "generic", "context": {"subject": "Other", "body": "b"}, "recipient": first},
            ]
        )

    assert [row.subject for row in rows] == ["Counter-notice unanswered", "Counter-notice unanswered", "Other"]
    assert sorted(m.to[0] for m in mailoutbox) == sorted([first.email, second.email, first.email])
    assert Notification.objects.filter(status=Notification.Status.SENT).count() == 3
