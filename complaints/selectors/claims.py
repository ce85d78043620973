"""Reads of claims with their visibility rules: the complainant's dashboard and claim page, timelines, conflicts
and the review service levels."""

import contextlib
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from ipp_portal.audit.verbs import Verb

from ..references import typed_number

if TYPE_CHECKING:
    from ipp_portal.accounts.models import User
    from ipp_portal.audit.models import AuditEvent
    from listings.models import Seller

    from ..models import Claim, ClaimItem, Complainant

# --- Claims -----------------------------------------------------------------------------------------------------

# What a complainant may see of a claim's history (staff-internal events such as assignment stay out).
COMPLAINANT_TIMELINE_VERBS: dict[str, str] = {
    Verb.CLAIM_DRAFT_SAVED: "Draft saved",
    Verb.CLAIM_WAITING_FOR_RIGHT: "Filed; waiting for the right to be verified",
    Verb.CLAIM_SUBMITTED: "Submitted",
    Verb.CLAIM_INFO_REQUESTED: "Staff asked for more information",
    Verb.CLAIM_INFO_PROVIDED: "You answered",
    Verb.CLAIM_REJECTED: "Staff rejected the claim",
    Verb.CLAIM_WITHDRAWN: "You withdrew the claim",
    Verb.CLAIM_ITEM_WITHDRAWN: "You withdrew a listing",
    Verb.CLAIM_ITEM_REMOVED: "Listing removed",
    Verb.CLAIM_ITEM_REJECTED: "Listing not removed",
    Verb.CLAIM_ITEM_DISPUTED: "The seller sent a counter-notice",
    Verb.CLAIM_ITEM_REINSTATED: "Listing reinstated",
    Verb.CLAIM_ITEM_UPHELD: "Removal upheld",
    Verb.CLAIM_ITEM_STAFF_REVIEW: "Disputed removal sent to staff",
    Verb.CLAIM_ITEM_RETRACTED: "The rights holder retracted the takedown",
    Verb.CLAIM_ITEM_REOPENED: "Listing back in review after an appeal",
    Verb.CLAIM_REOPENED: "Claim back in review after an appeal",
}

# The seller sees the history of their own listings in a claim, not the claim's internal exchanges.
SELLER_TIMELINE_VERBS: dict[str, str] = {
    verb: label
    for verb, label in COMPLAINANT_TIMELINE_VERBS.items()
    if verb.startswith("claim_item.") and verb != Verb.CLAIM_ITEM_WITHDRAWN
}


def _item_counts() -> dict[str, Count]:

    from ..models import ClaimItem

    return {
        "item_total": Count("items"),
        **{
            f"item_{status}": Count("items", filter=Q(items__status=status))
            for status in (ClaimItem.Status.PENDING, ClaimItem.Status.REMOVED, ClaimItem.Status.REJECTED,
                           ClaimItem.Status.WITHDRAWN)
        },
    }  # fmt: skip


def claim_list_for_complainant(
    complainant: "Complainant", *, status: str | None = None, q: str = "", owner: str = ""
) -> "QuerySet[Claim]":
    """The complainant's claims, newest first (item counts come per page: ``claims_with_item_counts``)."""

    from listings.links import ListingURLError, parse_listing_url

    from ..models import Claim

    claims = (
        Claim.objects.filter(complainant=complainant)
        .select_related("right", "site", "authorization")
        .order_by("-created_at", "-id")
    )
    if status:
        claims = claims.filter(status=status)
    if owner:
        claims = claims.filter(authorization__owner_name=owner)
    q = q.strip()
    if q:
        number = typed_number(q)
        if number:
            # A claim's number, or a listing's id on the marketplace (both are bare digits people paste).
            claims = claims.filter(Q(pk=int(number)) | Q(items__external_id=number)).distinct()
        else:
            try:
                ref = parse_listing_url(q)
            except ListingURLError:
                claims = claims.filter(Q(items__url__icontains=q) | Q(items__submitted_url__icontains=q)).distinct()
            else:
                claims = claims.filter(items__external_id=ref.external_id, items__site__code=ref.site_code).distinct()
    return claims


def claims_with_item_counts(claims: Iterable["Claim"]) -> list["Claim"]:
    """Attach item counts per status to a page of claims with one grouped query over just those claims' items
    (counting in the list query would aggregate every item of every complainant before paginating)."""

    from ..models import ClaimItem

    claims = list(claims)
    counts: dict[int, dict[str, int]] = {}
    rows = (
        ClaimItem.objects.filter(claim_id__in=[c.pk for c in claims])
        .order_by()
        .values("claim_id", "status")
        .annotate(n=Count("id"))
    )
    for row in rows:
        counts.setdefault(row["claim_id"], {})[row["status"]] = row["n"]
    for claim in claims:
        by_status = counts.get(claim.pk, {})
        # Set on each loaded claim for the templates (item_total, item_pending, …): not fields of the model.
        shown = {"total": sum(by_status.values())}
        shown |= {status: by_status.get(status, 0) for status in ("pending", "removed", "rejected", "withdrawn")}
        for name, n in shown.items():
            setattr(claim, f"item_{name}", n)
    return claims


def claim_owner_names(complainant: "Complainant") -> list[str]:
    from ..models import Claim

    return list(
        Claim.objects.filter(complainant=complainant, authorization__isnull=False)
        .values_list("authorization__owner_name", flat=True)
        .distinct()
        .order_by("authorization__owner_name")
    )


def claim_get_for_user(user: "User", claim_id: int, *, counts: bool = True) -> "Claim":
    """The user's own claim (as its complainant); anyone else's raises DoesNotExist (404). With ``counts``, its
    items counted by status (``item_total``, ``item_pending``, …); a caller that loads every item anyway counts
    them itself (``claim_item_counts``)."""
    from ..models import Claim

    claims = Claim.objects.select_related("right", "site", "authorization", "complainant").prefetch_related("evidence")
    if counts:
        claims = claims.annotate(**_item_counts())
    return claims.get(pk=claim_id, complainant__user=user)


def claim_item_counts(claim: "Claim", items: "Iterable[ClaimItem]") -> None:
    """Set the counts ``claim_get_for_user`` annotates from items already loaded (no second pass over the table)."""
    statuses = [item.status for item in items]
    claim.item_total = len(statuses)  # type: ignore[attr-defined]
    for status in ("pending", "removed", "rejected", "withdrawn"):
        setattr(claim, f"item_{status}", statuses.count(status))


def claim_item_get_for_user(user: "User", *, claim_id: int, item_id: int) -> "ClaimItem":
    """One item of one of the user's claims, with its listing; anyone else's (or a mismatched pair) is not found."""
    from ..models import ClaimItem

    return ClaimItem.objects.select_related("listing").get(pk=item_id, claim_id=claim_id, claim__complainant__user=user)


def claim_items(
    claim: "Claim", *, status: str | None = None, seller_id: int | None = None, review: bool = False
) -> "QuerySet[ClaimItem]":
    """The claim's items in their order, optionally of one status or one seller (served by claimitem_claim_status_idx
    and the claim's own rows: a page of a 300-item claim reads its page). ``review``: with what staff see beside
    each (the listing's state, the snapshot, who decided, the allow-list entry)."""
    items = claim.items.all()
    if status:
        items = items.filter(status=status)
    if seller_id:
        items = items.filter(seller_id=seller_id)
    if review:
        return items.select_related("listing", "seller", "snapshot", "decided_by", "authorised_seller").order_by(
            "position"
        )
    return (
        items.select_related("listing", "seller")
        .only(
            "id", "claim_id", "position", "url", "external_id", "status", "check_result", "decided_at",
            "decision_reason", "listing__id", "listing__title", "seller__id", "seller__store_name",
        )
        .order_by("position")
    )  # fmt: skip


def claim_items_page(
    claim: "Claim", params: Mapping[str, str], *, per_page: int, review: bool = False
) -> dict[str, Any]:
    """A claim's listings as its pages show them (the complainant's and the staff review page): ``params`` (the query
    string) may name a status, a seller and a page; with the count per status and the sellers, for the filters."""
    from django.core.paginator import Paginator

    from ..models import ClaimItem

    status = params.get("status") or ""
    if status not in ClaimItem.Status.values:
        status = ""
    seller = params.get("seller") or ""
    seller_id = int(seller) if seller.isdigit() and len(seller) < 12 else None
    items = claim_items(claim, status=status or None, seller_id=seller_id, review=review)
    page = Paginator(items, per_page).get_page(params.get("page"))
    return {
        "items": page.object_list,
        "page": page,
        "query": urlencode({k: v for k, v in (("status", status), ("seller", seller_id or "")) if v}),
        "status": status,
        "seller_id": seller_id,
        "summary": claim_item_summary(claim),
        "sellers": claim_item_sellers(claim),
    }


def claim_item_summary(claim: "Claim") -> list[dict[str, Any]]:
    """How many of the claim's items are in each status, in the order of the statuses (one grouped query)."""
    from ..models import ClaimItem

    counts = dict(claim.items.order_by().values_list("status").annotate(n=Count("id")))
    return [
        {"status": value, "label": label, "count": counts[value]}
        for value, label in ClaimItem.Status.choices
        if counts.get(value)
    ]


def claim_item_sellers(claim: "Claim") -> list[dict[str, Any]]:
    """The sellers named in the claim with how many of their listings it names, by store name (one query)."""
    rows = (
        claim.items.order_by()
        .values("seller_id", "seller__store_name")
        .annotate(n=Count("id"))
        .order_by("seller__store_name", "seller_id")
    )
    return [{"id": row["seller_id"], "name": row["seller__store_name"], "count": row["n"]} for row in rows]


def claim_timeline(claim: "Claim", *, seller: "Seller | None" = None) -> list[dict[str, Any]]:
    """What happened to the claim and its items, oldest first, limited to what the party may see: the complainant
    sees the claim and all its items; a seller (``seller=``) sees only their own listings' events. Both read the
    same events, so the two views of an item agree."""
    from django.contrib.contenttypes.models import ContentType

    from ipp_portal.audit.models import AuditEvent

    from ..models import Claim, ClaimItem

    verbs = SELLER_TIMELINE_VERBS if seller is not None else COMPLAINANT_TIMELINE_VERBS
    items = claim.items.order_by()
    if seller is not None:
        items = items.filter(seller=seller)
    item_ids = [str(pk) for pk in items.values_list("pk", flat=True)]
    scope = Q(target_type=ContentType.objects.get_for_model(ClaimItem), target_id__in=item_ids)
    if seller is None:
        scope |= Q(target_type=ContentType.objects.get_for_model(Claim), target_id=str(claim.pk))
    events = AuditEvent.objects.filter(verb__in=list(verbs)).filter(scope).order_by("created_at", "id")
    return [timeline_row(event, verbs) for event in events]


def claim_timeline_folded(claim: "Claim") -> list[dict[str, Any]]:
    """The claim page's timeline: what ``claim_timeline`` shows the complainant, with the events of one batch
    decision (the same kind, in the same minute) on one line that counts its listings, so that a 300-item takedown
    is one line, not 300 (each listing's own state is in the items table). Grouped in the database: two queries,
    and rows that grow with the decisions made, not with the claim's items."""
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import Case, F, Min, When
    from django.db.models.fields.json import KT
    from django.db.models.functions import TruncMinute
    from django.utils.translation import ngettext

    from ipp_portal.audit.models import AuditEvent

    from ..models import Claim, ClaimItem

    verbs = COMPLAINANT_TIMELINE_VERBS
    item_ids = [str(pk) for pk in claim.items.order_by().values_list("pk", flat=True)]
    claim_type = ContentType.objects.get_for_model(Claim)
    scope = Q(target_type=ContentType.objects.get_for_model(ClaimItem), target_id__in=item_ids) | Q(
        target_type=claim_type, target_id=str(claim.pk)
    )
    rows = (
        AuditEvent.objects.filter(verb__in=list(verbs))
        .filter(scope)
        # The claim's own events stay one a line (grouped by their id); its items' fold by kind and minute.
        .values("verb", minute=TruncMinute("created_at"), own=Case(When(target_type=claim_type, then=F("id"))))
        .annotate(at=Min("created_at"), n=Count("id"), label=Min("target_label"), note=Min(KT("data__message")))
        .order_by("at", "verb")
    )
    timeline = []
    for row in rows:
        n, is_item = row["n"], row["verb"].startswith("claim_item.")
        if n == 1:
            item = row["label"] if is_item else ""
        else:
            item = ngettext("%(count)d listing", "%(count)d listings", n) % {"count": n}
        timeline.append({"at": row["at"], "verb": row["verb"], "what": verbs[row["verb"]], "item": item,
                         "note": (row["note"] or "") if n == 1 else ""})  # fmt: skip
    return timeline


def timeline_row(event: "AuditEvent", verbs: Mapping[str, str]) -> dict[str, Any]:
    return {
        "at": event.created_at,
        "verb": event.verb,
        "what": verbs[event.verb],
        "item": event.target_label if event.verb.startswith("claim_item.") else "",
        "note": (event.data or {}).get("message", ""),
    }


CONFLICTS_SHOWN = 50


def claim_conflict_items(claim: "Claim") -> "QuerySet[ClaimItem]":
    """Other complainants' open items on the listings of this claim (staff only), by listing then claim."""
    from ..models import Claim, ClaimItem

    return (
        ClaimItem.objects.filter(
            listing_id__in=claim.items.values("listing_id"),
            claim__status__in=Claim.OPEN_STATUSES,
            status__in=ClaimItem.OPEN_STATUSES,
        )
        .exclude(claim__complainant_id=claim.complainant_id)
        .order_by("listing_id", "claim_id", "id")
    )


def claim_conflicts(claim: "Claim", *, limit: int = CONFLICTS_SHOWN) -> tuple[dict[int, list["ClaimItem"]], int]:
    """({listing id: other complainants' open items on it}, how many there are in all), at most ``limit`` of them:
    a claim whose 300 listings are all claimed by others does not make a review page of megabytes."""
    others = list(claim_conflict_items(claim).select_related("claim__complainant", "claim__right")[: limit + 1])
    total = len(others) if len(others) <= limit else claim_conflict_items(claim).count()
    result: dict[int, list[ClaimItem]] = {}
    for item in others[:limit]:
        result.setdefault(item.listing_id, []).append(item)
    return result, total


SERVICE_LEVELS_CACHE_KEY = "complaints:review-service-levels"
SERVICE_LEVELS_CACHE_SECONDS = 60


def review_service_levels(now: datetime | None = None) -> dict[str, Any]:
    """Queue size, the oldest waiting claim, and the share of listings decided within 24 hours of the claim's
    submission over the last 7 days (Alibaba reports 98 %). One statement: each figure is a scalar subquery the ORM
    builds, and the 7-day window walks ``claimitem_decided_idx``."""
    from datetime import timedelta

    from django.db import connection
    from django.db.models import DurationField, ExpressionWrapper, F, Min, Value

    from ..models import Claim, ClaimItem

    now = now or timezone.now()
    queue = Claim.objects.filter(status__in=[Claim.Status.SUBMITTED, Claim.Status.IN_REVIEW])
    decided = ClaimItem.objects.filter(
        decided_at__gte=now - timedelta(days=7), claim__submitted_at__isnull=False
    ).annotate(took=ExpressionWrapper(F("decided_at") - F("claim__submitted_at"), output_field=DurationField()))

    def scalar(queryset: "QuerySet[Any]", **aggregate: Any) -> "QuerySet[Any]":
        # Grouped by a constant, which Django leaves out of GROUP BY: one row over the whole filtered set.
        (name,) = aggregate
        return queryset.order_by().annotate(all=Value(1)).values("all").annotate(**aggregate).values(name)

    parts = [
        scalar(queue, n=Count("id")),
        scalar(queue, n=Min("submitted_at")),
        scalar(ClaimItem.objects.filter(claim__in=queue, status=ClaimItem.Status.PENDING), n=Count("id")),
        scalar(decided, n=Count("id")),
        scalar(decided, n=Count("id", filter=Q(took__lte=timedelta(hours=24)))),
    ]
    sql: list[str] = []
    params: list[Any] = []
    for part in parts:
        text, part_params = part.query.sql_with_params()
        sql.append(f"({text})")
        params.extend(part_params)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(sql)}", params)
        claims, oldest, pending_items, total, on_time = cursor.fetchone()
    if isinstance(oldest, str):  # SQLite hands back a scalar subquery's datetime as text
        oldest = datetime.fromisoformat(oldest)
    if oldest is not None and timezone.is_naive(oldest):
        oldest = timezone.make_aware(oldest, UTC)
    total, on_time = total or 0, on_time or 0
    return {
        "queue_claims": claims or 0,
        "queue_items": pending_items or 0,
        "oldest_submitted_at": oldest,
        "oldest_age_hours": round((now - oldest).total_seconds() / 3600, 1) if oldest else None,
        "decided_7d": total,
        "decided_within_24h_7d": on_time,
        "share_within_24h": round(100 * on_time / total, 1) if total else None,
        "as_of": now,
    }


def review_service_levels_cached() -> dict[str, Any]:
    """The service levels as the queue's header shows them: computed at most once a minute for all reviewers (the
    queue is loaded on every decision). A cache that fails is passed by, never a failed page."""
    from django.core.cache import cache

    try:
        levels = cache.get(SERVICE_LEVELS_CACHE_KEY)
    except Exception:  # the cache (Redis) is down: compute, as without a cache
        levels = None
    if levels is None:
        levels = review_service_levels()
        with contextlib.suppress(Exception):
            cache.set(SERVICE_LEVELS_CACHE_KEY, levels, SERVICE_LEVELS_CACHE_SECONDS)
    return levels
