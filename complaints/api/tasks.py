"""Celery tasks of the API: thin — call a service."""

from celery import shared_task

from .idempotency import idempotency_keys_sweep


@shared_task(name="api.sweep_idempotency_keys")
def sweep_idempotency_keys() -> int:
    """Forget Idempotency-Keys older than 24 hours: a retry comes within minutes, not days."""
    return idempotency_keys_sweep()
