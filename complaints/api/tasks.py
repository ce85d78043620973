"""The API's Celery tasks (Celery discovers each installed app's ``tasks`` module)."""

from .webhooks.tasks import deliver_webhook, sweep_webhook_deliveries

__all__ = ["deliver_webhook", "sweep_webhook_deliveries"]
