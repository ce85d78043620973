"""Reads in the complaints app with their visibility rules, and the filing gate."""

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format

from enforcement.selectors import policy_current
from ipp_portal.audit.verbs import Verb
from ipp_portal.documents.models import Document

from .errors import Code
from .models import Authorization, ClaimItem, Complainant, IPRight, RightDocument
from .references import typed_number


def complainant_get_for_user(user) -> Complainant | None:
    if not user.is_authenticated:
        return None
    return Complainant.objects.filter(user=user).prefetch_related("identity_documents").first()


def ip_right_list_for_complainant(complainant: Complainant) -> QuerySet[IPRight]:
    return (
        IPRight.objects.filter(registered_by=complainant)
        .annotate(document_count=Count("documents"))
        .order_by("-created_at", "-id")
    )


def ip_right_get_for_user(user, right_id: int) -> IPRight:
    """The user's own right; anyone else's raises DoesNotExist (a 404: no existence leak)."""
    return (
        IPRight.objects.select_related("registered_by")
        .prefetch_related("documents__document")
        .get(pk=right_id, registered_by__user=user)
    )


def authorization_list_for_agent(complainant: Complainant) -> QuerySet[Authorization]:
    return (
        Authorization.objects.filter(agent=complainant)
        .select_related("letter")
        .prefetch_related("rights", "sites")
        .order_by("-created_at", "-id")
    )


def authorization_get_for_user(user, authorization_id: int) -> Authorization:
    return (
        Authorization.objects.select_related("agent", "letter")
        .prefetch_related("rights", "sites")
        .get(pk=authorization_id, agent__user=user)
    )


def right_conflicts(right: IPRight) -> QuerySet[IPRight]:
    """Other complainants' rights with the same registration number, kind and jurisdiction."""
    if not right.registration_key:
        return IPRight.objects.none()
    return (
        IPRight.objects.filter(
            registration_key=right.registration_key, kind=right.kind, jurisdiction=right.jurisdiction
        )
        .exclude(registered_by=right.registered_by_id)
        .select_related("registered_by")
    )


def ip_rights_with_conflict_flag(queryset: QuerySet[IPRight]) -> QuerySet[IPRight]:
    """Annotate ``has_conflict`` in the same query (for queues and lists)."""
    same = IPRight.objects.filter(
        registration_key=OuterRef("registration_key"), kind=OuterRef("kind"), jurisdiction=OuterRef("jurisdiction")
    ).exclude(registered_by=OuterRef("registered_by"))
    return queryset.annotate(has_conflict=Exists(same) & ~Q(registration_key=""))


def document_get_for_user(user, document_id: int) -> Document:
    """A document the user may download: their own; one a seller shared with them in a counter-notice on their
    claim; any, for staff whose role holds the documents permission (``is_staff`` alone grants nothing). Anything
    else raises DoesNotExist, shown as 404 (ids are sequential: no existence leak)."""
    from .models import CounterNotice

    documents = Document.objects.all()
    if not user.has_perm("documents.view_document"):
        shared_with_me = CounterNotice.objects.filter(claim__complainant__user=user, shared_documents=OuterRef("pk"))
        documents = documents.filter(Q(uploaded_by=user) | Exists(shared_with_me))
    return documents.get(pk=document_id)


def right_documents(right: IPRight) -> QuerySet[RightDocument]:
    return right.documents.select_related("document").order_by("added_at", "id")


@dataclass(frozen=True)
class FilingGate:
    """May this complainant file against this site with this right? If not, why, in words a person can act on."""

    allowed: bool
    code: str = "ok"
    reason: str = ""
    authorization: Authorization | None = None


def filing_gate(*, complainant: Complainant | None, site, right: IPRight, today: date | None = None) -> FilingGate:
    today = today or timezone.localdate()
    if complainant is None:
        return FilingGate(False, "no_profile", "Create your complainant profile and prove your identity first.")
    if complainant.status == "pending":
        return FilingGate(False, "identity_pending", "Your identity is still being verified (3–5 business days).")
    if complainant.status != "verified":
        return FilingGate(
            False, "identity_rejected", "Your identity proof was rejected. Correct your profile and send it again."
        )
    if right.registered_by_id != complainant.pk:
        return FilingGate(False, "not_your_right", "This right is not in your vault.")
    if right.status == IPRight.Status.EXPIRED or right.is_expired_on(today):
        return FilingGate(
            False, "right_expired", f"{right} expired on {right.expires_on:%d %b %Y}. Register the renewed right."
        )
    if right.status == IPRight.Status.PENDING:
        return FilingGate(False, "right_pending", f"{right} is still being verified.")
    if right.status == IPRight.Status.REJECTED:
        return FilingGate(
            False, "right_rejected", f"{right} was rejected: {right.rejection_reason} Correct it and send it again."
        )
    if not complainant.is_agent:
        return FilingGate(True)
    authorization = (
        Authorization.objects.filter(
            agent=complainant,
            status=Authorization.Status.VERIFIED,
            valid_from__lte=today,
            valid_until__gte=today,
            rights=right,
            sites=site,
        )
        .order_by("-valid_until")
        .first()
    )
    if authorization is None:
        return FilingGate(
            False,
            "no_authorization",
            f"You act as an agent, and no verified authorization in force covers {right} on {site.name}. "
            "Add the owner's authorization letter naming this right and site, or wait for its verification.",
        )
    return FilingGate(True, authorization=authorization)


# --- Claims -----------------------------------------------------------------------------------------------------

# What a complainant may see of a claim's history (staff-internal events such as assignment stay out).
COMPLAINANT_TIMELINE_VERBS = {
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
}

# The seller sees the history of their own listings in a claim, not the claim's internal exchanges.
SELLER_TIMELINE_VERBS = {
    verb: label
    for verb, label in COMPLAINANT_TIMELINE_VERBS.items()
    if verb.startswith("claim_item.") and verb != Verb.CLAIM_ITEM_WITHDRAWN
}


def _item_counts():
    from django.db.models import Count

    from .models import ClaimItem

    return {
        "item_total": Count("items"),
        **{
            f"item_{status}": Count("items", filter=Q(items__status=status))
            for status in (ClaimItem.Status.PENDING, ClaimItem.Status.REMOVED, ClaimItem.Status.REJECTED,
                           ClaimItem.Status.WITHDRAWN)
        },
    }  # fmt: skip


def claim_list_for_complainant(complainant, *, status: str | None = None, q: str = "", owner: str = ""):
    """The complainant's claims, newest first (item counts come per page: ``claims_with_item_counts``)."""

    from listings.links import ListingURLError, parse_listing_url

    from .models import Claim

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


def claims_with_item_counts(claims) -> list:
    """Attach item counts per status to a page of claims with one grouped query over just those claims' items
    (counting in the list query would aggregate every item of every complainant before paginating)."""
    from django.db.models import Count

    from .models import ClaimItem

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
        claim.item_total = sum(by_status.values())
        for status in ("pending", "removed", "rejected", "withdrawn"):
            setattr(claim, f"item_{status}", by_status.get(status, 0))
    return claims


def claim_owner_names(complainant) -> list[str]:
    from .models import Claim

    return list(
        Claim.objects.filter(complainant=complainant, authorization__isnull=False)
        .values_list("authorization__owner_name", flat=True)
        .distinct()
        .order_by("authorization__owner_name")
    )


def claim_get_for_user(user, claim_id: int):
    """The user's own claim (as its complainant); anyone else's raises DoesNotExist (404)."""
    from .models import Claim

    return (
        Claim.objects.select_related("right", "site", "authorization", "complainant")
        .prefetch_related("evidence")
        .annotate(**_item_counts())
        .get(pk=claim_id, complainant__user=user)
    )


def claim_items(claim):
    return (
        claim.items.select_related("listing", "seller")
        .only(
            "id", "claim_id", "position", "url", "external_id", "status", "check_result", "decided_at",
            "decision_reason", "listing__id", "listing__title", "seller__id", "seller__store_name",
        )
        .order_by("position")
    )  # fmt: skip


def claim_timeline(claim, *, seller=None) -> list[dict]:
    """What happened to the claim and its items, oldest first, limited to what the party may see: the complainant
    sees the claim and all its items; a seller (``seller=``) sees only their own listings' events. Both read the
    same events, so the two views of an item agree."""
    from django.contrib.contenttypes.models import ContentType

    from ipp_portal.audit.models import AuditEvent

    from .models import Claim, ClaimItem

    verbs = SELLER_TIMELINE_VERBS if seller is not None else COMPLAINANT_TIMELINE_VERBS
    items = claim.items.order_by()
    if seller is not None:
        items = items.filter(seller=seller)
    item_ids = [str(pk) for pk in items.values_list("pk", flat=True)]
    scope = Q(target_type=ContentType.objects.get_for_model(ClaimItem), target_id__in=item_ids)
    if seller is None:
        scope |= Q(target_type=ContentType.objects.get_for_model(Claim), target_id=str(claim.pk))
    events = AuditEvent.objects.filter(verb__in=list(verbs)).filter(scope).order_by("created_at", "id")
    return [_timeline_row(event, verbs) for event in events]


def _timeline_row(event, verbs) -> dict:
    return {
        "at": event.created_at,
        "what": verbs[event.verb],
        "item": event.target_label if event.verb.startswith("claim_item.") else "",
        "note": (event.data or {}).get("message", ""),
    }


def seller_notice_list(user, now: datetime, *, limit: int = 500) -> list[dict]:
    """The seller's notices page: every claim against their stores that has gone out, its items with the window
    for a counter-notice, and the seller's part of its history. A fixed number of queries however many claims:
    one for the items, one for the sites' policies, one for all the timelines."""
    from django.contrib.contenttypes.models import ContentType

    from enforcement.models import Policy
    from ipp_portal.audit.models import AuditEvent

    items = list(
        claim_item_list_for_seller(user)
        .select_related("claim__complainant", "claim__right", "claim__authorization", "listing", "seller__site")
        .order_by("-claim__submitted_at", "claim_id", "position")[:limit]
    )
    policies = {
        policy.site_id: policy
        for policy in Policy.objects.filter(site_id__in={item.seller.site_id for item in items}, is_current=True)
    }
    events: dict[str, list] = {}
    if items:
        history = AuditEvent.objects.filter(
            verb__in=list(SELLER_TIMELINE_VERBS),
            target_type=ContentType.objects.get_for_model(ClaimItem),
            target_id__in=[str(item.pk) for item in items],
        ).order_by("created_at", "id")
        for event in history:
            events.setdefault(event.target_id, []).append(event)
    claims: dict[int, dict] = {}
    for item in items:
        window = counter_notice_window_for(item, now, policy=policies.get(item.seller.site_id))
        item.can_counter, item.counter_why = window.allowed, window.message
        item.deadline = (
            item.counter_notice_due_at if item.counter_notice_count == 0 else item.further_counter_notice_due_at
        )
        group = claims.setdefault(item.claim_id, {"claim": item.claim, "items": [], "can_counter": False, "events": []})
        group["items"].append(item)
        group["can_counter"] |= item.can_counter
        group["events"] += events.get(str(item.pk), [])
    for group in claims.values():
        group["events"].sort(key=lambda event: (event.created_at, event.pk))
        group["timeline"] = [_timeline_row(event, SELLER_TIMELINE_VERBS) for event in group.pop("events")]
    return list(claims.values())


def claim_item_list_for_seller(user):
    """The claim items against the user's stores, only from claims that have gone out (a claim waiting for its
    right to be verified has not been sent: its complainant and contents are nobody else's business yet)."""
    from .models import ClaimItem

    return ClaimItem.objects.filter(seller__user=user, claim__submitted_at__isnull=False)


def claim_conflicts(claim) -> dict[int, list]:
    """{listing id: other complainants' open items on it} for the listings of this claim (staff only)."""
    from .models import Claim, ClaimItem

    others = (
        ClaimItem.objects.filter(
            listing_id__in=claim.items.values("listing_id"),
            claim__status__in=Claim.OPEN_STATUSES,
            status__in=ClaimItem.OPEN_STATUSES,
        )
        .exclude(claim__complainant_id=claim.complainant_id)
        .select_related("claim__complainant", "claim__right")
    )
    result: dict[int, list] = {}
    for item in others:
        result.setdefault(item.listing_id, []).append(item)
    return result


def review_service_levels(now=None) -> dict:
    """Queue size, the oldest waiting claim, and the share of listings decided within 24 hours of the claim's
    submission over the last 7 days (Alibaba reports 98 %)."""
    from datetime import timedelta

    from django.db.models import Count, DurationField, ExpressionWrapper, F, Min

    from .models import Claim, ClaimItem

    now = now or timezone.now()
    queue = Claim.objects.filter(status__in=[Claim.Status.SUBMITTED, Claim.Status.IN_REVIEW])
    queue_stats = queue.aggregate(claims=Count("id"), oldest=Min("submitted_at"))
    pending_items = ClaimItem.objects.filter(claim__in=queue, status=ClaimItem.Status.PENDING).count()
    decided = (
        ClaimItem.objects.filter(decided_at__gte=now - timedelta(days=7), claim__submitted_at__isnull=False)
        .annotate(took=ExpressionWrapper(F("decided_at") - F("claim__submitted_at"), output_field=DurationField()))
        .aggregate(total=Count("id"), on_time=Count("id", filter=Q(took__lte=timedelta(hours=24))))
    )
    total = decided["total"] or 0
    return {
        "queue_claims": queue_stats["claims"] or 0,
        "queue_items": pending_items,
        "oldest_submitted_at": queue_stats["oldest"],
        "oldest_age_hours": round((now - queue_stats["oldest"]).total_seconds() / 3600, 1)
        if queue_stats["oldest"]
        else None,
        "decided_7d": total,
        "decided_within_24h_7d": decided["on_time"] or 0,
        "share_within_24h": round(100 * (decided["on_time"] or 0) / total, 1) if total else None,
    }


# --- Counter-notices --------------------------------------------------------------------------------------------


def site_time(moment: datetime, site) -> str:
    """A moment as the seller's marketplace states it (its own time zone, named)."""
    return f"{date_format(timezone.localtime(moment, site.tzinfo), 'j F Y, H:i')} ({site.timezone} time)"


@dataclass(frozen=True)
class CounterNoticeWindow:
    """May the seller counter-notify this item now? If not, a stable code and, in words, what they can still do.
    ``counter_notice_file`` picks its error by the code: ``deadline_passed`` for a window that closed."""

    allowed: bool
    code: str = Code.OK
    message: str = ""


def counter_notice_window_for(item, now: datetime, *, policy=None) -> CounterNoticeWindow:
    """The seller's windows (Alibaba's): the first counter-notice until its deadline, a further one after a
    removal is upheld, up to the site policy's limit."""
    S = ClaimItem.Status
    site = item.seller.site
    if item.status == S.REMOVED and item.counter_notice_count == 0:
        if item.counter_notice_due_at and now > item.counter_notice_due_at:
            return CounterNoticeWindow(
                False,
                Code.DEADLINE_PASSED,
                f"The window for a counter-notice on {item} closed on {site_time(item.counter_notice_due_at, site)}. "
                "The removal stands; you can still contact the rights holder directly or appeal the resulting action.",
            )
        return CounterNoticeWindow(True)
    if item.status == S.UPHELD:
        policy = policy or policy_current(site)
        if item.counter_notice_count >= policy.max_counter_notices:
            return CounterNoticeWindow(
                False,
                Code.COUNTER_NOTICE_LIMIT,
                f"You have used all {policy.max_counter_notices} counter-notices for {item}.",
            )
        if item.further_counter_notice_due_at and now > item.further_counter_notice_due_at:
            return CounterNoticeWindow(
                False,
                Code.DEADLINE_PASSED,
                f"The window for a further counter-notice on {item} closed on "
                f"{site_time(item.further_counter_notice_due_at, site)}.",
            )
        return CounterNoticeWindow(True)
    if item.status in (S.DISPUTED, S.STAFF_REVIEW):
        return CounterNoticeWindow(
            False, Code.COUNTER_NOTICE_PENDING, f"{item} already has a counter-notice being decided."
        )
    return CounterNoticeWindow(
        False, Code.NOTHING_TO_COUNTER, f"{item} is {item.get_status_display().lower()}: there is nothing to counter."
    )
