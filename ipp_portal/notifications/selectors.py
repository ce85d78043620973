"""Reads of notifications: a user sees only their own."""

from django.db.models import QuerySet

from .models import Notification


def notification_list_for_user(user) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user).only(
        "id", "subject", "body_text", "created_at", "read_at", "template", "recipient_id"
    )


def notification_get_for_user(user, notification_id: int) -> Notification:
    return Notification.objects.get(recipient=user, pk=notification_id)


def notification_unread_count(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
