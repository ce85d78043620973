"""What counts against a complainant under DSA Art. 23(2) (policy §4: claims are made under penalty of perjury),
the texts of a statement of reasons, and the appeal window every complainant decision carries (DSA Art. 20).

"Manifestly unfounded" is the accuracy record's count (``complaints.selectors.accuracy.complainant_accuracy``,
its ``manifestly_unfounded``): items rejected ``not_infringing``; items of claims rejected as a whole
``identity_not_proven`` or ``ownership_not_proven``; items lost to a counter-notice (the complainant accepted it,
staff reinstated after it, or the complainant left it unanswered). Each counts from the time of its decision
(``decided_at``). An item put back in review by an appeal is pending again and no longer counts. The examples in a
statement of reasons are read here with the same definition."""

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from .models import ClaimItem
from .selectors.accuracy import UNFOUNDED_CLAIM_CODES, UNFOUNDED_ITEM_CODES, complainant_accuracy

if TYPE_CHECKING:
    from listings.models import Site

    from .models import Complainant

GROUND = (
    "DSA Art. 23(2) and policy §4: frequently submitting manifestly unfounded notices (claims are made under "
    "penalty of perjury)"
)
COURT = (
    "You also keep the right to go to court, or to an out-of-court dispute settlement body certified under DSA Art. 21."
)
REDRESS = (
    "You may appeal this decision until {deadline}: a member of staff who did not make it reads your statement and "
    "documents and decides (DSA Art. 20). " + COURT
)


def six_months_after(moment: datetime) -> datetime:
    """The same day six calendar months later (the last day of that month when it is shorter)."""
    month = moment.month + 6
    year, month = moment.year + (month - 1) // 12, (month - 1) % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def redress_text(decided_at: datetime) -> str:
    return REDRESS.format(deadline=f"{timezone.localtime(six_months_after(decided_at)):%d %B %Y}")


def _kind_filters() -> dict[str, Q]:
    """The three kinds of manifestly unfounded item, as the accuracy record defines them."""
    whole = Q(status=ClaimItem.Status.REJECTED, claim__rejection_code__gt="", rejection_code=F("claim__rejection_code"))
    return {
        "not_infringing": Q(status=ClaimItem.Status.REJECTED, rejection_code__in=UNFOUNDED_ITEM_CODES) & ~whole,
        "not_proven": whole & Q(claim__rejection_code__in=UNFOUNDED_CLAIM_CODES),
        "counter_notice": Q(status=ClaimItem.Status.REINSTATED, reinstated_via__in=ClaimItem.LOST_TO_COUNTER_NOTICE),
    }


def unfounded_items(*, site: "Site", since: datetime, complainant: "Complainant | None" = None) -> QuerySet[ClaimItem]:
    """The manifestly unfounded items on a site decided since ``since`` (of one complainant, or of everyone)."""
    kinds = list(_kind_filters().values())
    items = ClaimItem.objects.filter(claim__site=site, claim__submitted_at__isnull=False, decided_at__gte=since)
    if complainant is not None:
        items = items.filter(claim__complainant=complainant)
    return items.filter(kinds[0] | kinds[1] | kinds[2])


@dataclass(frozen=True)
class UnfoundedCount:
    total: int
    not_infringing: int
    not_proven: int
    counter_notice: int
    examples: list[dict]


def unfounded_count(*, complainant: "Complainant", site: "Site", since: datetime, examples: int = 5) -> UnfoundedCount:
    """The count behind a warning or a suspension, by kind, from the accuracy record (one query), with a few
    examples (one more). The accuracy record counts from ``now - window_days``: asking it "as of one day after
    ``since``, over one day" counts exactly what was decided since ``since``."""
    record = complainant_accuracy([complainant.pk], now=since + timedelta(days=1), window_days=1, site_id=site.pk)[
        complainant.pk
    ].recent
    shown = [
        {"claim": item.claim.reference, "claim_id": item.claim_id, "position": item.position, "url": item.url,
         "why": (item.decision_reason or item.get_status_display()).rstrip(".")}
        for item in unfounded_items(site=site, since=since, complainant=complainant)
        .select_related("claim")
        .order_by("-decided_at", "-id")[:examples]
    ] if examples else []  # fmt: skip
    return UnfoundedCount(
        total=record.manifestly_unfounded,
        not_infringing=sum(record.rejected_by_item_code.get(code, 0) for code in UNFOUNDED_ITEM_CODES),
        not_proven=sum(record.rejected_by_claim_code.get(code, 0) for code in UNFOUNDED_CLAIM_CODES),
        counter_notice=record.reinstated_after_counter_notice,
        examples=shown,
    )


def unfounded_counts_by_complainant(*, site: "Site", since: datetime, at_least: int) -> dict[int, int]:
    """Every complainant with at least ``at_least`` unfounded items on the site since ``since`` (one query): the
    sweep's candidates, each then counted again under its lock."""
    rows = (
        unfounded_items(site=site, since=since)
        .values("claim__complainant_id")
        .annotate(n=Count("pk"))
        .filter(n__gte=at_least)
        .values_list("claim__complainant_id", "n")
    )
    return dict(rows)


def facts_text(count: UnfoundedCount, *, site_name: str, window_days: int, since_label: str) -> str:
    parts = []
    if count.not_infringing:
        parts.append(f"{count.not_infringing} not removed because they did not infringe on the evidence given")
    if count.not_proven:
        parts.append(f"{count.not_proven} in claims rejected because identity or ownership was not proven")
    if count.counter_notice:
        parts.append(f"{count.counter_notice} reinstated after the seller's counter-notice")
    examples = "; ".join(f"{e['claim']} #{e['position']} ({e['why']})" for e in count.examples)
    return (
        f"{since_label} (a window of {window_days} days), {count.total} listings you named in claims on {site_name} "
        f"were manifestly unfounded: {', '.join(parts) or 'none'}. Examples: {examples or 'none'}."
    )
