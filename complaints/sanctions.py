"""What counts against a complainant under DSA Art. 23(2) (policy §4: claims are made under penalty of perjury),
the texts of a statement of reasons, and the appeal window every complainant decision carries (DSA Art. 20).

"Manifestly unfounded" items are counted here, in the database, by one aggregate query:

- items rejected ``not_infringing``;
- items of claims rejected as a whole ``identity_not_proven`` or ``ownership_not_proven`` (a whole-claim rejection
  writes the claim's code on each item it rejects, so the item's own code tells);
- items lost to a counter-notice: reinstated because the complainant accepted the counter-notice, or because staff
  decided for the seller after one (a counter-notice the complainant left unanswered is not counted: nobody found
  the notice unfounded).

An item counts on the day of its decision (``decided_at`` for a rejection, ``reinstated_at`` for a reinstatement).
An item put back in review by an appeal is pending again and no longer counts. The same count is meant to be offered
by a general accuracy selector for complainants; until there is one, this module is its only home."""

import calendar
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from .models import ClaimItem, CounterNotice

if TYPE_CHECKING:
    from listings.models import Site

    from .models import Complainant

UNFOUNDED_REJECTION_CODES = ("not_infringing", "identity_not_proven", "ownership_not_proven")
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


def _lost_to_counter_notice():
    return Exists(
        CounterNotice.objects.filter(items=OuterRef("pk")).filter(
            Q(status=CounterNotice.Status.ACCEPTED)
            | Q(status=CounterNotice.Status.DECIDED, decision="reinstate", decided_by__isnull=False)
        )
    )


def _kind_filters(since: datetime) -> dict[str, Q]:
    return {
        "not_infringing": Q(status=ClaimItem.Status.REJECTED, rejection_code="not_infringing", decided_at__gte=since),
        "not_proven": Q(
            status=ClaimItem.Status.REJECTED,
            rejection_code__in=UNFOUNDED_REJECTION_CODES[1:],
            decided_at__gte=since,
        ),
        "counter_notice": Q(status=ClaimItem.Status.REINSTATED, reinstated_at__gte=since, lost=True),
    }


def _unfounded_q(since: datetime) -> Q:
    kinds = list(_kind_filters(since).values())
    return kinds[0] | kinds[1] | kinds[2]


def unfounded_items(*, site: "Site", since: datetime, complainant: "Complainant | None" = None) -> QuerySet[ClaimItem]:
    """The manifestly unfounded items on a site decided since ``since`` (of one complainant, or of everyone)."""
    items = ClaimItem.objects.filter(site=site).annotate(lost=_lost_to_counter_notice())
    if complainant is not None:
        items = items.filter(claim__complainant=complainant)
    return items.filter(_unfounded_q(since))


@dataclass(frozen=True)
class UnfoundedCount:
    total: int
    not_infringing: int
    not_proven: int
    counter_notice: int
    examples: list[dict]


def unfounded_count(*, complainant: "Complainant", site: "Site", since: datetime, examples: int = 5) -> UnfoundedCount:
    """The count behind a warning or a suspension, by kind, with a few examples (two queries)."""
    items = unfounded_items(site=site, since=since, complainant=complainant)
    counts = items.aggregate(
        total=Count("pk"), **{name: Count("pk", filter=q) for name, q in _kind_filters(since).items()}
    )
    shown = [
        {"claim": item.claim.reference, "claim_id": item.claim_id, "position": item.position, "url": item.url,
         "why": item.decision_reason or item.get_status_display()}
        for item in items.select_related("claim").order_by("-id")[:examples]
    ]  # fmt: skip
    return UnfoundedCount(examples=shown, **counts)


def unfounded_counts_by_complainant(*, site: "Site", since: datetime, at_least: int) -> dict[int, int]:
    """Every complainant with at least ``at_least`` unfounded items on the site since ``since`` (one query)."""
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
