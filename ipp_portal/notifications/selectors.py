"""Reads of notifications: a user sees only their own."""

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from .models import Notification

if TYPE_CHECKING:
    from ipp_portal.accounts.models import User


def notification_list_for_user(user: "User") -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user).only(
        "id", "subject", "body_text", "created_at", "read_at", "template", "recipient_id"
    )


def notification_get_for_user(user: "User", notification_id: int) -> Notification:
    return Notification.objects.get(recipient=user, pk=notification_id)


def notification_unread_count(user: "User") -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
