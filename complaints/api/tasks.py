"""The API's Celery tasks (Celery discovers each installed app's ``tasks`` module): thin — call a service."""

from celery import shared_task

from .idempotency import idempotency_keys_sweep
from .webhooks.tasks import deliver_webhook, sweep_webhook_deliveries

__all__ = ["deliver_webhook", "sweep_idempotency_keys", "sweep_webhook_deliveries"]


@shared_task(name="api.sweep_idempotency_keys")
def sweep_idempotency_keys() -> int:
    """Forget Idempotency-Keys older than 24 hours: a retry comes within minutes, not days."""
    return idempotency_keys_sweep()
