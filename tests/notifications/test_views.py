import pytest
from django.db import transaction

from ipp_portal.notifications import services
from ipp_portal.notifications.models import Notification
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _notify(user, subject="Your claim IPP-2026-000001 was received"):
    with transaction.atomic():
        return services.queue(recipient=user, template="generic", context={"subject": subject, "body": "Details"})


def test_inbox_lists_own_messages_with_unread_count(client):
    user, other = UserFactory(), UserFactory()
    _notify(user)
    _notify(other, subject="Someone else's notice")
    client.force_login(user)

    response = client.get("/inbox/")

    assert response.status_code == 200
    assert b"IPP-2026-000001" in response.content
    assert b"Someone else" not in response.content
    assert b'aria-label="1 unread"' in response.content


def test_opening_a_message_marks_it_read(client):
    user = UserFactory()
    notification = _notify(user)
    client.force_login(user)

    response = client.post(f"/inbox/{notification.pk}/open/", follow=True)

    assert response.status_code == 200
    assert b"Details" in response.content
    assert Notification.objects.get(pk=notification.pk).read_at is not None
    assert b'aria-label="1 unread"' not in response.content


def test_opening_needs_post(client):
    user = UserFactory()
    notification = _notify(user)
    client.force_login(user)

    response = client.get(f"/inbox/{notification.pk}/open/")

    assert response.status_code == 405
    assert Notification.objects.get(pk=notification.pk).read_at is None


def test_another_users_message_is_not_found(client):
    owner, intruder = UserFactory(), UserFactory()
    notification = _notify(owner)
    client.force_login(intruder)

    assert client.get(f"/inbox/{notification.pk}/").status_code == 404
    assert client.post(f"/inbox/{notification.pk}/open/").status_code == 404
    assert Notification.objects.get(pk=notification.pk).read_at is None


def test_mark_all_read_touches_only_own_messages(client):
    user, other = UserFactory(), UserFactory()
    _notify(user)
    _notify(user)
    theirs = _notify(other)
    client.force_login(user)

    client.post("/inbox/read-all/")

    assert not Notification.objects.filter(recipient=user, read_at__isnull=True).exists()
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def _inbox_queries(client, user, count):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(count):
        _notify(user)
    client.force_login(user)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/inbox/").status_code == 200
    return len(ctx.captured_queries)


def test_inbox_query_count_does_not_grow_with_messages(client):
    few = _inbox_queries(client, UserFactory(), 3)
    many = _inbox_queries(client, UserFactory(), 60)

    assert few == many
    assert many <= 6


def test_inbox_requires_sign_in(client):
    response = client.get("/inbox/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
