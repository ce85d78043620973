"""Reads for complainants' redress: what they may appeal and until when, their appeals, and their sanctions."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from ..models import Claim, ClaimItem, Complainant, ComplainantAppeal, ComplainantSanction
from ..sanctions import six_months_after


@dataclass(frozen=True)
class Appealable:
    items: Sequence[ClaimItem]
    deadline: datetime | None  # the earliest deadline among them
    whole_claim: bool


def claim_appealable(claim: Claim) -> Appealable:
    """The rejected listings of a claim the complainant may still appeal: within six months of the decision and
    not already under an open appeal (one query)."""
    now = timezone.now()
    open_appeal = ComplainantAppeal.objects.filter(items=OuterRef("pk"), status=ComplainantAppeal.Status.OPEN)
    rejected = (
        ClaimItem.objects.filter(claim=claim, status=ClaimItem.Status.REJECTED, decided_at__isnull=False)
        .select_related("listing")
        .annotate(under_appeal=Exists(open_appeal))
        .order_by("position")
    )
    items = [i for i in rejected if not i.under_appeal and i.decided_at and now <= six_months_after(i.decided_at)]
    deadline = min((six_months_after(i.decided_at) for i in items if i.decided_at), default=None)
    whole = bool(claim.rejection_code) and any(i.rejection_code == claim.rejection_code for i in items)
    return Appealable(items=items, deadline=deadline, whole_claim=whole)


def appeals_for_claim(claim: Claim) -> QuerySet[ComplainantAppeal]:
    return claim.appeals.select_related("decided_by").prefetch_related("items").order_by("created_at", "id")


def sanctions_for_complainant(complainant: Complainant) -> QuerySet[ComplainantSanction]:
    return complainant.sanctions.select_related("site").order_by("-starts_at", "-id")


def sanction_get_for_user(user, sanction_id: int) -> ComplainantSanction:
    return ComplainantSanction.objects.select_related("site", "complainant").get(pk=sanction_id, complainant__user=user)
