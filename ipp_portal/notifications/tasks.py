"""Celery tasks for notifications: thin — load by id, call a service."""

from celery import shared_task
from django.conf import settings

from . import services


@shared_task(bind=True, name="notifications.notify_by_email", max_retries=None, acks_late=True)
def notify_by_email(self, notification_id: int) -> None:
    """Email one outbox row if still pending; retried with backoff on transient failure."""
    try:
        services.notification_deliver(notification_id)
    except services.DeliveryFailed as exc:
        if self.request.retries + 1 >= settings.NOTIFICATION_MAX_ATTEMPTS:
            return
        raise self.retry(exc=exc, countdown=services.retry_countdown(self.request.retries)) from exc


@shared_task(name="notifications.sweep_pending_notifications")
def sweep_pending_notifications() -> int:
    """Re-dispatch outbox rows still pending after the redispatch delay (a broker outage loses nothing)."""
    return services.notifications_redispatch_pending()
