"""Celery tasks for webhooks: thin — ids as arguments, call a service. Retries are the sweep's: a failed attempt
stores when the next one is due (see ``services``)."""

from celery import shared_task

from . import services


@shared_task(name="api.deliver_webhook", acks_late=True)
def deliver_webhook(delivery_id: int) -> None:
    """Send one delivery if it is pending and due."""
    services.webhook_deliver(delivery_id)


@shared_task(name="api.sweep_webhook_deliveries")
def sweep_webhook_deliveries() -> int:
    """Hand due deliveries (retries, and those the broker lost) to the workers."""
    return services.webhooks_dispatch_due()
