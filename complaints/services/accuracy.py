"""The accuracy snapshots pages read (``selectors.accuracy.complainant_accuracy_shown``): derived figures, not
decisions, so no audit row — the record they copy is the claims themselves."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from ..models import AccuracySnapshot, Complainant
from ..selectors.accuracy import complainant_accuracy


def accuracy_snapshots_refresh(*, now: datetime | None = None, batch_size: int = 100) -> int:
    """Compute every complainant's record again, ``batch_size`` complainants per query, and store it; idempotent.
    Run by beat every ten minutes, so a page shows figures at most that old (it says when they were computed).
    Returns how many snapshots were written."""
    now = now or timezone.now()
    ids = list(Complainant.objects.filter(claims__submitted_at__isnull=False).distinct().order_by("pk").values_list(
        "pk", flat=True
    ))  # fmt: skip
    written = 0
    for start in range(0, len(ids), batch_size):
        records = complainant_accuracy(ids[start : start + batch_size], now=now)
        with transaction.atomic():
            AccuracySnapshot.objects.bulk_create(
                [AccuracySnapshot(complainant_id=pk, computed_at=now, record=r.to_json()) for pk, r in records.items()],
                update_conflicts=True,
                unique_fields=["complainant"],
                update_fields=["computed_at", "record"],
            )
        written += len(records)
    return written
