"""Reads of disputes: the seller's notices with the windows for a counter-notice."""

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.paginator import Paginator
from django.db.models import Case, F, Max, Min, QuerySet, When
from django.utils import timezone
from django.utils.formats import date_format

from enforcement.selectors import policy_current

from ..errors import Code
from ..models import ClaimItem, CounterNotice
from .claims import SELLER_TIMELINE_VERBS, timeline_row

if TYPE_CHECKING:
    from enforcement.models import Policy
    from ipp_portal.accounts.models import User
    from listings.models import Site


SELLER_NOTICES_PER_PAGE = 50


def seller_notice_claims(user: "User", now: datetime) -> "QuerySet[Any]":
    """The claims against the seller's stores as rows of ``claim_id``, the ones with the nearest open deadline for
    a counter-notice first (what the seller must act on), then the newest. One grouped query over the seller's
    items, whatever page is shown."""
    removed = ClaimItem.Status.REMOVED
    open_deadline = Case(
        When(status=removed, counter_notice_due_at__gt=now, then=F("counter_notice_due_at")),
        When(status=removed, further_counter_notice_due_at__gt=now, then=F("further_counter_notice_due_at")),
        default=None,
    )
    return (
        claim_item_list_for_seller(user)
        .values("claim_id")
        .annotate(next_deadline=Min(open_deadline), sent_at=Max("claim__submitted_at"))
        .order_by(F("next_deadline").asc(nulls_last=True), F("sent_at").desc(), F("claim_id").desc())
    )


def seller_notice_page(user: "User", now: datetime, page_number: Any, *, per_page: int = SELLER_NOTICES_PER_PAGE):
    """One page of the seller's notices page (``per_page`` claims) and its claims with their items, in the page's
    order. A fixed number of queries whatever the page and however many claims the seller has."""
    page = Paginator(seller_notice_claims(user, now), per_page).get_page(page_number)
    order = [row["claim_id"] for row in page.object_list]
    groups = seller_notice_list(user, now, claim_ids=order)
    position = {claim_id: n for n, claim_id in enumerate(order)}
    groups.sort(key=lambda group: position[group["claim"].pk])
    return page, groups


def seller_notice_list(user: "User", now: datetime, *, claim_ids: list[int]) -> list[dict[str, Any]]:
    """The seller's notices for the claims ``claim_ids``: each claim with its items against the seller's stores,
    the window for a counter-notice, and the seller's part of its history. A fixed number of queries however many
    claims: one for the items, one for the sites' policies, one for all the timelines."""
    from django.contrib.contenttypes.models import ContentType

    from enforcement.models import Policy
    from ipp_portal.audit.models import AuditEvent

    if not claim_ids:
        return []
    # The page's rows are the items with what the page adds to each (the window, the deadline): plain attributes.
    items: list[Any] = list(
        claim_item_list_for_seller(user)
        .filter(claim_id__in=claim_ids)
        .select_related("claim__complainant", "claim__right", "claim__authorization", "listing", "seller__site")
        # The policy version its violation was judged under: the page links those published rules.
        .annotate(policy_version=F("violation__policy__version"))
        .order_by("claim_id", "position")
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
        _with_window(item, now, policies.get(item.seller.site_id))
        group = claims.setdefault(
            item.claim_id, {"claim": item.claim, "items": [], "can_counter": False, "can_concede": False, "events": []}
        )
        group["items"].append(item)
        group["can_counter"] |= item.can_counter
        group["can_concede"] |= item.can_concede
        group["events"] += events.get(str(item.pk), [])
    for group in claims.values():
        group["events"].sort(key=lambda event: (event.created_at, event.pk))
        group["timeline"] = [timeline_row(event, SELLER_TIMELINE_VERBS) for event in group.pop("events")]
    return list(claims.values())


def _with_window(item: Any, now: datetime, policy: "Policy | None" = None) -> None:
    """What the notices page adds to an item: may the seller counter-notify (and if not, why), may they concede,
    and the next deadline."""
    window = counter_notice_window_for(item, now, policy=policy)
    item.can_counter, item.counter_why = window.allowed, window.message
    item.can_concede = first_window_open(item, now)
    item.deadline = item.counter_notice_due_at if item.can_concede else item.further_counter_notice_due_at


def seller_notice_get(user: "User", item_id: int, now: datetime) -> ClaimItem:
    """One row of the seller's notices page: an item against the user's stores from a claim that has gone out, with
    who complained and the window for a counter-notice; anyone else's raises DoesNotExist."""
    item: Any = (
        claim_item_list_for_seller(user)
        .select_related("claim__complainant", "claim__right", "claim__authorization", "listing", "seller__site")
        .get(pk=item_id)
    )
    _with_window(item, now)
    return item


def claim_item_list_for_seller(user: "User") -> "QuerySet[ClaimItem]":
    """The claim items against the user's stores, only from claims that have gone out (a claim waiting for its
    right to be verified has not been sent: its complainant and contents are nobody else's business yet)."""
    from ..models import ClaimItem

    return ClaimItem.objects.filter(seller__user=user, claim__submitted_at__isnull=False)


def counter_notice_list_for_complainant(user: "User", *, status: str | None = None) -> "QuerySet[CounterNotice]":
    """The counter-notices sellers sent against the user's claims (an agent's: the claims the agent filed), with
    what their pages show of each: the claim, the store, the listings."""
    from django.db.models import Prefetch

    notices = CounterNotice.objects.filter(claim__complainant__user=user)
    if status:
        notices = notices.filter(status=status)
    return notices.select_related("claim", "seller").prefetch_related(
        Prefetch("items", queryset=ClaimItem.objects.select_related("listing", "claim").order_by("position"))
    )


def counter_notice_get_for_complainant(user: "User", notice_id: int) -> CounterNotice:
    """One counter-notice against the user's claims with the documents the seller shared (never the others);
    anyone else's raises DoesNotExist (a 404: ids are sequential, no existence leak)."""
    return counter_notice_list_for_complainant(user).prefetch_related("shared_documents").get(pk=notice_id)


def site_time(moment: datetime, site: "Site") -> str:
    """A moment as the seller's marketplace states it (its own time zone, named)."""
    return f"{date_format(timezone.localtime(moment, site.tzinfo), 'j F Y, H:i')} ({site.timezone} time)"


@dataclass(frozen=True)
class CounterNoticeWindow:
    """May the seller counter-notify this item now? If not, a stable code and, in words, what they can still do.
    ``counter_notice_file`` picks its error by the code: ``deadline_passed`` for a window that closed."""

    allowed: bool
    code: str = Code.OK
    message: str = ""


def first_window_open(item: ClaimItem, now: datetime) -> bool:
    """The first counter-notice window: a removed listing the seller has not answered, before its deadline (a seller
    who chose not to dispute closed it then)."""
    return (
        item.status == ClaimItem.Status.REMOVED
        and item.counter_notice_count == 0
        and not (item.counter_notice_due_at and now > item.counter_notice_due_at)
    )


def chances_used(item: ClaimItem, now: datetime) -> int:
    """Counter-notice chances used: those filed, and a first window that closed unused (it uses up that chance
    only: the further chances stay open, the published rule)."""
    if item.counter_notice_count == 0 and item.counter_notice_due_at and now > item.counter_notice_due_at:
        return 1
    return item.counter_notice_count


def counter_notice_window_for(item: ClaimItem, now: datetime, *, policy: "Policy | None" = None) -> CounterNoticeWindow:
    """The seller's windows (Alibaba's): the first counter-notice until its deadline; the further ones — after a
    removal was upheld, or after the first window closed unused — until the further deadline (27 business days
    after the takedown notice by default), up to the site policy's number of chances."""
    S = ClaimItem.Status
    site = item.seller.site
    if first_window_open(item, now):
        return CounterNoticeWindow(True)
    if item.status in (S.REMOVED, S.UPHELD):
        policy = policy or policy_current(site)
        used = chances_used(item, now)
        if used >= policy.max_counter_notices:
            return CounterNoticeWindow(
                False,
                Code.COUNTER_NOTICE_LIMIT,
                f"You have used all {policy.max_counter_notices} counter-notice chances for {item}.",
            )
        if item.further_counter_notice_due_at and now > item.further_counter_notice_due_at:
            return CounterNoticeWindow(
                False,
                Code.DEADLINE_PASSED,
                f"The window for a further counter-notice on {item} closed on "
                f"{site_time(item.further_counter_notice_due_at, site)}. The removal stands; you can still contact "
                "the rights holder directly or appeal any resulting action.",
            )
        return CounterNoticeWindow(True)
    if item.status in (S.DISPUTED, S.STAFF_REVIEW):
        return CounterNoticeWindow(
            False, Code.COUNTER_NOTICE_PENDING, f"{item} already has a counter-notice being decided."
        )
    return CounterNoticeWindow(
        False, Code.NOTHING_TO_COUNTER, f"{item} is {item.get_status_display().lower()}: there is nothing to counter."
    )
