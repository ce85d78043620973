"""Celery tasks of enforcement: thin — call a service."""

from celery import shared_task

from . import services


@shared_task(name="enforcement.sweep_standings")
def sweep_standings() -> int:
    """End timed actions whose end has passed and lift rungs whose violations expired (idempotent, catches up)."""
    return services.standings_sweep()


@shared_task(name="enforcement.establish_due_violations")
def establish_due_violations() -> int:
    """Pending violations whose counter-notice window closed unused become established (idempotent, catches up)."""
    return services.violations_establish_due()
