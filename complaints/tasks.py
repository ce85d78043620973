"""Celery tasks of the complaints app: thin — call a service."""

from celery import shared_task

from . import services


@shared_task(name="complaints.sweep_vault_expiry")
def sweep_vault_expiry() -> dict[str, int]:
    """Warn holders 30 days before a right expires, expire rights and authorizations whose date has passed."""
    return {
        "rights_warned": services.rights_warn_expiring(),
        "rights_expired": services.rights_expire_due(),
        "authorizations_expired": services.authorizations_expire_due(),
    }


@shared_task(name="complaints.sweep_counter_notice_deadlines")
def sweep_counter_notice_deadlines() -> int:
    """Counter-notices unanswered past their deadline go to staff (or are reinstated where the policy says so)."""
    return services.counter_notices_sweep_due()


@shared_task(name="complaints.sweep_trusted_programme")
def sweep_trusted_programme() -> dict[str, int]:
    """Propose complainants who meet their site's trusted-programme bar; flag members who fell below it."""
    result = services.trust_sweep()
    return {"proposed": result.proposed, "flagged": result.flagged}


@shared_task(name="complaints.sweep_complainant_sanctions")
def sweep_complainant_sanctions() -> int:
    """Warn, then suspend, complainants who frequently file manifestly unfounded notices (DSA Art. 23(2))."""
    return services.complainant_sanctions_sweep()


@shared_task(name="complaints.refresh_accuracy_snapshots")
def refresh_accuracy_snapshots() -> int:
    """Compute the complainants' accuracy records again for the pages that show them (every ten minutes)."""
    return services.accuracy_snapshots_refresh()


@shared_task(name="complaints.run_decision_batch")
def decision_batch_run_task(batch_id: int) -> str | None:
    """A reviewer's decision on many listings (``services.decision_batch_run``); a second delivery does nothing."""
    batch = services.decision_batch_run(batch_id)
    return batch.status if batch is not None else None


@shared_task(name="complaints.sweep_decision_batches")
def sweep_decision_batches() -> int:
    """Hand over again the decision batches that a broker failure left queued (every minute)."""
    return services.decision_batches_redispatch()
