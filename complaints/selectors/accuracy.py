"""A complainant's accuracy record: what their claims asked for and what became of it, over the last ``window_days``
(90 by default) and all time, and for an agent broken down by the owner each authorization names.

What is counted, per complainant (claims that were filed, drafts never count):

- claims and items filed (the window: when the claim was submitted);
- items taken down, items rejected (by the item's reason code, or with the whole claim by the claim's code), items
  withdrawn by the complainant (the window: when it was withdrawn);
- of the items taken down: reinstated after a counter-notice (the seller won: the complainant accepted it, staff
  reinstated after it, or the complainant's silence reinstated it), retracted by the complainant, reversed by a
  supervisor (``ClaimItem.reinstated_via``);
- derived: the takedown rate (taken down / decided), the share of takedowns lost to counter-notices, and the
  "manifestly unfounded" count (DSA Art. 23(2)): items rejected as not infringing, items of claims rejected because
  identity or ownership was not proven, and items lost to a counter-notice.

Decisions and their later fate are windowed by the item's decision time (``decided_at``), so the rate and the share
of one window always speak of the same takedowns. Everything is computed by PostgreSQL with conditional aggregates
in one query for any number of complainants, whatever their history."""

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from ..models import AccuracySnapshot, ClaimItem
from ..reasons import CLAIM_REJECTION_CODES, ITEM_REJECTION_CODES

WINDOW_DAYS = 90
# Claim rejection codes that say the complainant had no standing to complain: manifestly unfounded.
UNFOUNDED_CLAIM_CODES = ("identity_not_proven", "ownership_not_proven")
UNFOUNDED_ITEM_CODES = ("not_infringing",)

S = ClaimItem.Status
VIA = ClaimItem.ReinstatedVia
TAKEN_DOWN = (S.REMOVED, S.DISPUTED, S.STAFF_REVIEW, S.UPHELD, S.REINSTATED)


@dataclass(frozen=True)
class Figures:
    """One window's figures (see the module's docstring for what each counts)."""

    claims_filed: int = 0
    items_filed: int = 0
    items_taken_down: int = 0
    items_rejected: int = 0
    items_withdrawn: int = 0
    reinstated_after_counter_notice: int = 0
    retractions: int = 0
    supervisor_reversals: int = 0
    manifestly_unfounded: int = 0
    # Rejected items by reason: the item's own code, or the claim's code when the whole claim was rejected.
    rejected_by_item_code: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ITEM_REJECTION_CODES, 0))
    rejected_by_claim_code: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CLAIM_REJECTION_CODES, 0))

    @property
    def items_decided(self) -> int:
        return self.items_taken_down + self.items_rejected

    @property
    def takedown_rate(self) -> float | None:
        """Taken down / decided (None before any decision)."""
        return self.items_taken_down / self.items_decided if self.items_decided else None

    @property
    def counter_notice_loss_share(self) -> float | None:
        """Share of the takedowns the seller won back by counter-notice (None before any takedown)."""
        return self.reinstated_after_counter_notice / self.items_taken_down if self.items_taken_down else None

    def __add__(self, other: "Figures") -> "Figures":
        values: dict[str, Any] = {}
        for f in fields(self):
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            if isinstance(mine, dict):
                values[f.name] = {code: mine.get(code, 0) + theirs.get(code, 0) for code in {*mine, *theirs}}
            else:
                values[f.name] = mine + theirs
        return Figures(**values)


@dataclass(frozen=True)
class OwnerAccuracy:
    """An agent's figures for the claims filed under one owner's authorizations."""

    owner_name: str
    recent: Figures
    all_time: Figures


@dataclass(frozen=True)
class Accuracy:
    complainant_id: int
    window_days: int
    recent: Figures
    all_time: Figures
    by_owner: dict[str, OwnerAccuracy] = field(default_factory=dict)  # agents only, by owner name
    as_of: datetime | None = None  # when a snapshot was computed; None: computed for this request

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("as_of")
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any], as_of: datetime) -> "Accuracy":
        def figures(values: dict[str, Any]) -> Figures:
            return Figures(**{f.name: values[f.name] for f in fields(Figures) if f.name in values})

        return cls(
            complainant_id=data["complainant_id"],
            window_days=data["window_days"],
            recent=figures(data["recent"]),
            all_time=figures(data["all_time"]),
            by_owner={
                name: OwnerAccuracy(name, figures(owner["recent"]), figures(owner["all_time"]))
                for name, owner in data["by_owner"].items()
            },
            as_of=as_of,
        )


_COUNTS = (
    "items_filed",
    "items_taken_down",
    "items_rejected",
    "items_withdrawn",
    "reinstated_after_counter_notice",
    "retractions",
    "supervisor_reversals",
    "manifestly_unfounded",
)


def _conditions() -> dict[str, Q]:
    """What each count counts, windowless (the window is added per window)."""
    with_claim = Q(status=S.REJECTED, claim__rejection_code__gt="", rejection_code=F("claim__rejection_code"))
    rejected_alone = Q(status=S.REJECTED) & ~with_claim
    return {
        "items_filed": Q(),
        "items_taken_down": Q(status__in=TAKEN_DOWN),
        "items_rejected": Q(status=S.REJECTED),
        "items_withdrawn": Q(status=S.WITHDRAWN),
        "reinstated_after_counter_notice": Q(status=S.REINSTATED, reinstated_via__in=ClaimItem.LOST_TO_COUNTER_NOTICE),
        "retractions": Q(status=S.REINSTATED, reinstated_via=VIA.RETRACTION),
        "supervisor_reversals": Q(status=S.REINSTATED, reinstated_via=VIA.SUPERVISOR),
        "manifestly_unfounded": (rejected_alone & Q(rejection_code__in=UNFOUNDED_ITEM_CODES))
        | (with_claim & Q(claim__rejection_code__in=UNFOUNDED_CLAIM_CODES))
        | Q(status=S.REINSTATED, reinstated_via__in=ClaimItem.LOST_TO_COUNTER_NOTICE),
        **{f"item_code:{code}": rejected_alone & Q(rejection_code=code) for code in ITEM_REJECTION_CODES},
        **{f"claim_code:{code}": with_claim & Q(claim__rejection_code=code) for code in CLAIM_REJECTION_CODES},
    }


def _aggregates(since: datetime) -> dict[str, Any]:
    recent = {
        "claims_filed": Q(claim__submitted_at__gte=since),
        "items_filed": Q(claim__submitted_at__gte=since),
        "items_withdrawn": Q(withdrawn_at__gte=since),
    }
    decided_since = Q(decided_at__gte=since)
    aggregates: dict[str, Any] = {"a:claims_filed": Count("claim", distinct=True)}
    aggregates["r:claims_filed"] = Count("claim", distinct=True, filter=recent["claims_filed"])
    for name, condition in _conditions().items():
        aggregates[f"a:{name}"] = Count("pk", filter=condition) if condition else Count("pk")
        aggregates[f"r:{name}"] = Count("pk", filter=condition & recent.get(name, decided_since))
    return aggregates


def _figures(row: dict[str, Any], prefix: str) -> Figures:
    return Figures(
        claims_filed=row[f"{prefix}:claims_filed"],
        **{name: row[f"{prefix}:{name}"] for name in _COUNTS},
        rejected_by_item_code={code: row[f"{prefix}:item_code:{code}"] for code in ITEM_REJECTION_CODES},
        rejected_by_claim_code={code: row[f"{prefix}:claim_code:{code}"] for code in CLAIM_REJECTION_CODES},
    )


def complainant_accuracy(
    complainant_ids: Iterable[int],
    *,
    now: datetime | None = None,
    window_days: int = WINDOW_DAYS,
    site_id: int | None = None,
) -> dict[int, Accuracy]:
    """The accuracy record of each complainant (one query, whatever their number and history); every id asked for
    has an entry, zeros when nothing was filed. ``site_id`` limits the record to claims filed on one site."""
    ids = sorted(set(complainant_ids))
    if not ids:
        return {}
    since = (now or timezone.now()) - timedelta(days=window_days)
    items = ClaimItem.objects.filter(claim__complainant_id__in=ids, claim__submitted_at__isnull=False)
    if site_id is not None:
        items = items.filter(claim__site_id=site_id)
    rows = (
        items.annotate(owner=Coalesce(F("claim__authorization__owner_name"), Value("")))
        .values("claim__complainant_id", "owner")
        .annotate(**_aggregates(since))
        .order_by()
    )
    totals: dict[int, tuple[Figures, Figures]] = {pk: (Figures(), Figures()) for pk in ids}
    owners: dict[int, dict[str, OwnerAccuracy]] = {pk: {} for pk in ids}
    for row in rows:  # one row per complainant and owner, never per item
        pk, recent, all_time = row["claim__complainant_id"], _figures(row, "r"), _figures(row, "a")
        totals[pk] = (totals[pk][0] + recent, totals[pk][1] + all_time)
        if row["owner"]:
            owners[pk][row["owner"]] = OwnerAccuracy(row["owner"], recent, all_time)
    return {pk: Accuracy(pk, window_days, totals[pk][0], totals[pk][1], dict(sorted(owners[pk].items()))) for pk in ids}


def complainant_accuracy_shown(complainant_ids: Iterable[int]) -> dict[int, Accuracy]:
    """The records pages show: each complainant's last snapshot (one query whatever the histories, with the time it
    was computed), computed afresh only for complainants the refresh has not reached yet."""
    ids = sorted(set(complainant_ids))
    shown = {
        snapshot.complainant_id: Accuracy.from_json(snapshot.record, snapshot.computed_at)
        for snapshot in AccuracySnapshot.objects.filter(complainant_id__in=ids)
    }
    missing = [pk for pk in ids if pk not in shown]
    return {**shown, **complainant_accuracy(missing)} if missing else shown
