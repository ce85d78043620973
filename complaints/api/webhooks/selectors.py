"""Reads of webhooks: only ever the user's own endpoints and their deliveries."""

from typing import TYPE_CHECKING

from django.db.models import Prefetch, QuerySet

from .models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

if TYPE_CHECKING:
    from ipp_portal.accounts.models import User

RECENT_DELIVERIES = 50


def webhook_endpoint_list_for_user(user: "User") -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(owner=user).order_by("-created_at", "-id")


def webhook_endpoint_get_for_user(user: "User", pk: int) -> WebhookEndpoint | None:
    return webhook_endpoint_list_for_user(user).filter(pk=pk).first()


def webhook_delivery_list(endpoint: WebhookEndpoint, *, limit: int = RECENT_DELIVERIES) -> list[WebhookDelivery]:
    """The endpoint's latest deliveries with their attempts, newest first (three queries whatever the count)."""
    return list(
        WebhookDelivery.objects.filter(endpoint=endpoint)
        .select_related("event")
        .prefetch_related(Prefetch("attempt_log", queryset=WebhookAttempt.objects.order_by("-at", "-id")))
        .order_by("-created_at", "-id")[:limit]
    )
