"""Staff review: take a claim, decide its items singly or in batches, reject a whole claim.

A takedown batch is one transaction: listings removed with snapshots, a violation on each seller's ledger (serious
for counterfeits), the counter-notice deadline in business days, one notice per seller listing all of that seller's
removed listings (never one per listing), and one notice to the complainant with every decision."""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from enforcement.selectors import policy_current
from enforcement.services import violations_record_pending
from ipp_portal.audit.services import record
from ipp_portal.audit.verbs import Verb
from ipp_portal.errors import InvalidTransition, PortalError
from ipp_portal.notifications.services import queue
from ipp_portal.permissions import require_perm
from ipp_portal.transactions import retry_on_conflict
from ipp_portal.transitions import transition, transition_many
from listings.business_days import add_business_days
from listings.services import listings_take_down, lock_sellers_and_listings

from ..errors import AlreadyDecided, Code
from ..gates import TakedownBlocked, takedown_blocked_notify, takedown_gate
from ..models import Claim, ClaimItem
from ..reasons import BY_CODE, CLAIM_REJECTION_CODES, ITEM_REJECTION_CODES
from ..sanctions import redress_text
from ..seen import check_seen
from .claims import listing_lines

if TYPE_CHECKING:
    from ipp_portal.accounts.models import User

REVIEWABLE = (Claim.Status.SUBMITTED, Claim.Status.IN_REVIEW)


def _lock_claim(claim_id: int) -> Claim:
    return (
        Claim.objects.select_for_update(of=("self",))
        .select_related("complainant__user", "right", "site", "assigned_to")
        .get(pk=claim_id)
    )


def _check_reviewable(claim: Claim) -> None:
    if claim.status not in REVIEWABLE:
        raise InvalidTransition(f"{claim.reference} is {claim.get_status_display().lower()}: nothing to decide now.")


def _mark_reviewed(claim: Claim, reviewer: "User | None", now: datetime) -> list[str]:
    """A submitted claim enters review (its own audited step); returns the other fields the caller saves."""
    fields = []
    if claim.status == Claim.Status.SUBMITTED:
        transition(claim, Claim.Status.IN_REVIEW, actor=reviewer, verb=Verb.CLAIM_IN_REVIEW)
    if claim.assigned_to_id is None:
        claim.assigned_to, claim.assigned_at = reviewer, now
        fields += ["assigned_to", "assigned_at"]
    if claim.first_reviewed_at is None:
        claim.first_reviewed_at = now
        fields.append("first_reviewed_at")
    return fields


@transaction.atomic
def claim_take(*, claim_id: int, reviewer: "User", force: bool = False) -> Claim:
    """Assign the claim to the reviewer; others see who has it (a supervisor may take it over with ``force``)."""
    require_perm(reviewer, "complaints.change_claim")
    claim = _lock_claim(claim_id)
    _check_reviewable(claim)
    taken_by = claim.assigned_to
    if taken_by is not None and taken_by.pk != reviewer.pk:
        if not force:
            raise PortalError(f"{taken_by.email} has already taken {claim.reference}.", code=Code.TAKEN)
        require_perm(
            reviewer,
            "complaints.reassign_claim",
            message=f"{taken_by.email} has taken {claim.reference}; only a supervisor can take it over.",
        )
    now = timezone.now()
    previous = taken_by.email if taken_by is not None else ""
    fields = _mark_reviewed(claim, reviewer, now)
    claim.assigned_to, claim.assigned_at = reviewer, now
    claim.save(update_fields=sorted({*fields, "assigned_to", "assigned_at"}))
    record(actor=reviewer, verb=Verb.CLAIM_TAKEN, target=claim, data={"from": previous} if previous else None)
    return claim


def lock_claim_items(
    item_ids: Iterable[int], *, catalogue: bool, related: Sequence[str] = (), **filters: Any
) -> list[ClaimItem]:
    """Lock claim items in the global lock order (sellers, then listings, then claim items, each by id; see
    ``listings.services.lock_sellers_and_listings``), with their sellers and listings first when ``catalogue`` —
    a batch that goes on to write them (a takedown, a reinstatement) must hold them before the items.
    Returns the items ordered by id; callers check their status now that they hold them."""
    refs = list(ClaimItem.objects.filter(pk__in=list(item_ids), **filters).values_list("pk", "seller_id", "listing_id"))
    if catalogue:
        lock_sellers_and_listings(seller_ids={r[1] for r in refs}, listing_ids={r[2] for r in refs})
    if not refs:
        return []
    return list(
        ClaimItem.objects.select_for_update(of=("self",))
        .select_related(*related)
        .filter(pk__in=[r[0] for r in refs])
        .order_by("pk")
    )


def _lock_pending_items(claim: Claim, item_ids: Iterable[int], *, catalogue: bool = False) -> list[ClaimItem]:
    items = lock_claim_items(
        item_ids, catalogue=catalogue, related=("listing", "seller__user", "seller__site", "decided_by"), claim=claim
    )
    items.sort(key=lambda item: item.position)  # locked by id; decided, labelled and told in the claim's order
    if not items:
        raise PortalError("Select at least one listing of this claim.", code=Code.NO_ITEMS)
    decided = [item for item in items if item.status != ClaimItem.Status.PENDING]
    if decided:
        item = decided[0]
        who = item.decided_by.email if item.decided_by is not None else "the complainant (withdrawn)"
        when = date_format(timezone.localtime(item.decided_at or item.withdrawn_at), "j M Y, H:i")
        raise AlreadyDecided(
            f"Listing #{item.position} was already decided ({item.get_status_display().lower()}) by {who} at {when} "
            "UTC. Nothing in this batch was changed; reload the claim."
        )
    for item in items:
        item.claim = claim  # labels and notices read the claim; it is already loaded and locked
    return items


def _settle(claim: Claim, fields: list[str], *, actor: "User | None") -> None:
    """Save the review fields; a claim with nothing left pending is decided (audited)."""
    if not claim.items.filter(status=ClaimItem.Status.PENDING).exists() and claim.can_move_to(Claim.Status.DECIDED):
        transition(claim, Claim.Status.DECIDED, actor=actor, verb=Verb.CLAIM_DECIDED, fields=sorted(set(fields)))
    elif fields:
        claim.save(update_fields=sorted(set(fields)))


def _notify_complainant(claim: Claim, items: list[ClaimItem]) -> None:
    queue(
        recipient=claim.complainant.user,
        template="complaints/claim_decisions",
        context={
            "reference": claim.reference,
            "decisions": [
                {"position": i.position, "url": i.url, "status": i.get_status_display(), "reason": i.decision_reason}
                for i in items
            ],
            "path": reverse("complaints:claim-detail", args=[claim.pk]),
            # Every rejection tells the complainant their redress (DSA Art. 20: appeal within six months; court).
            "redress": redress_text(timezone.now())
            if any(i.status == ClaimItem.Status.REJECTED for i in items)
            else "",
        },
        target=claim,
    )


def claim_items_take_down(
    *, claim_id: int, item_ids: Iterable[int], reviewer: "User | None", seen: dict[str, Any] | None
) -> list[ClaimItem]:
    """Take down the selected listings of a claim as the reviewer saw it (one transaction for the batch, run again
    if PostgreSQL aborts it on a deadlock or serialization failure).

    A claim whose filing gate is closed today (``gates.takedown_gate``) takes nothing down: the batch is rolled back,
    then the refusal is audited and the complainant told what to do (in a transaction of its own), and the error
    reaches the reviewer."""
    try:
        return _take_down(claim_id=claim_id, item_ids=list(item_ids), reviewer=reviewer, seen=seen)
    except TakedownBlocked as blocked:
        with transaction.atomic():
            takedown_blocked_notify(claim_id, blocked, reviewer=reviewer)
        raise


@retry_on_conflict
def _take_down(
    *, claim_id: int, item_ids: list[int], reviewer: "User | None", seen: dict[str, Any] | None
) -> list[ClaimItem]:
    require_perm(reviewer, "complaints.change_claim")
    claim = _lock_claim(claim_id)
    # The claim, then its sellers, listings and items in the global order; the ledger and the catalogue lock the
    # same sellers and listings again below, which costs nothing. Items first: a decided one says who and when.
    items = _lock_pending_items(claim, item_ids, catalogue=True)
    _check_reviewable(claim)
    check_seen(claim, seen, noun="claim")
    if not (gate := takedown_gate(claim)).allowed:
        raise TakedownBlocked(claim, gate)
    now = timezone.now()
    fields = _mark_reviewed(claim, reviewer, now)
    reason = BY_CODE.get(claim.reason_code)
    severity = reason.severity if reason else "general"
    snapshots = listings_take_down(
        listing_ids=[item.listing_id for item in items],
        actor=reviewer,
        reason=f"{claim.reference}: {claim.reason_code}",
    )
    policy = policy_current(claim.filed_site)
    due_at = add_business_days(now, policy.counter_notice_business_days, site=claim.filed_site)
    further_due_at = add_business_days(now, policy.further_counter_notice_business_days, site=claim.filed_site)
    by_seller = ClaimItem.by_seller(items)
    for seller_items in by_seller:
        # One ledger call per seller, not per listing: one lock, one insert. The violations are pending: they count
        # only once established (no counter-notice by the deadline, a failed counter-notice, or the seller's choice
        # not to dispute), so nothing is imposed while the seller can still answer.
        violations = violations_record_pending(
            seller=seller_items[0].seller, entries=[(severity, str(item)) for item in seller_items],
            establishes_at=due_at, key=aggregation_key(claim), actor=reviewer, policy=policy,
        )  # fmt: skip
        for item, violation in zip(seller_items, violations, strict=True):
            item.violation = violation
    for item in items:
        item.snapshot = snapshots[item.listing_id]
        item.decided_by, item.decided_at, item.decision_reason = reviewer, now, reason.label if reason else ""
        item.counter_notice_due_at, item.further_counter_notice_due_at = due_at, further_due_at
    transition_many(
        items, ClaimItem.Status.REMOVED, actor=reviewer, verb=Verb.CLAIM_ITEM_REMOVED,
        fields=["snapshot", "violation", "decided_by", "decided_at", "decision_reason", "counter_notice_due_at",
                "further_counter_notice_due_at"],
    )  # fmt: skip
    for seller_items in by_seller:
        _notify_seller_of_takedown(claim, seller_items, due_at)
    _settle(claim, fields, actor=reviewer)
    _notify_complainant(claim, items)  # after _settle: its webhook says if the claim is decided
    return items


def aggregation_key(claim: Claim) -> str:
    """The ledger's aggregation key: complaints by one rights holder on one right (a right has one holder)."""
    return f"right:{claim.right_id}"


def _notify_seller_of_takedown(claim: Claim, items: list[ClaimItem], due_at: datetime) -> None:
    seller = items[0].seller
    if seller.user is None:
        return  # an imported store nobody has claimed: the ledger and the listing status still record it
    complainant = claim.complainant
    local_due = timezone.localtime(due_at, seller.site.tzinfo)
    queue(
        recipient=seller.user,
        template="complaints/takedown_notice",
        context={
            "store": seller.store_name,
            "site": seller.site.name,
            "reference": claim.reference,
            "listings": [{"title": i.listing.title, "url": i.url, "item": str(i)} for i in items],
            "complainant": {
                "name": complainant.legal_name,
                "email": complainant.contact_email,
                "phone": complainant.phone,
                "address": complainant.postal_address,
                "for_owner": claim.authorization.owner_name if claim.authorization is not None else "",
            },
            "right": str(claim.right),
            "reason": claim.reason.label if claim.reason else claim.reason_code,
            "explanation": claim.explanation,
            "due": f"{date_format(local_due, 'j F Y, H:i')} ({seller.site.timezone} time)",
            # Nothing is imposed yet: the violations count only once established.
            "severity": items[0].violation.get_severity_display() if items[0].violation else "",
            "path": reverse("enforcement:standing"),
            # The published rules of the version the violations are judged under.
            "rules_path": reverse("policy:version", args=[seller.site.code, items[0].violation.policy.version])
            if items[0].violation
            else "",
        },
        target=claim,
    )


def _notify_sellers_of_rejection(claim: Claim, items: list[ClaimItem]) -> None:
    """Every decided item ends with a notice to both sides: the seller learns the claim was rejected, no action."""
    for seller_items in ClaimItem.by_seller(items):
        seller = seller_items[0].seller
        if seller.user is None:
            continue
        queue(
            recipient=seller.user,
            template="complaints/claim_rejected_no_action",
            context={"reference": claim.reference, "listings": listing_lines(seller_items)},
            target=claim,
        )


def claim_items_reject(
    *,
    claim_id: int,
    item_ids: Iterable[int],
    reviewer: "User | None",
    code: str,
    seen: dict[str, Any] | None,
    note: str = "",
) -> list[ClaimItem]:
    """Reject the selected listings with a reason code and a note the complainant reads (one transaction, run
    again on a deadlock or serialization failure)."""
    return _reject_items(claim_id=claim_id, item_ids=list(item_ids), reviewer=reviewer, code=code, seen=seen, note=note)


@retry_on_conflict
def _reject_items(
    *, claim_id: int, item_ids: list[int], reviewer: "User | None", code: str, seen: dict[str, Any] | None, note: str
) -> list[ClaimItem]:
    require_perm(reviewer, "complaints.change_claim")
    if code not in ITEM_REJECTION_CODES:
        raise PortalError("Choose a reason for the rejection.", code=Code.BAD_CODE)
    if code == "other" and not note.strip():
        raise PortalError("Explain the rejection in the note: the complainant reads it.", code=Code.NOTE_REQUIRED)
    claim = _lock_claim(claim_id)
    items = _lock_pending_items(claim, item_ids)  # first: a decided item says who decided it and when
    _check_reviewable(claim)
    check_seen(claim, seen, noun="claim")
    now = timezone.now()
    fields = _mark_reviewed(claim, reviewer, now)
    text = ITEM_REJECTION_CODES[code] + (f": {note.strip()}" if note.strip() else "")
    _reject(items, reviewer=reviewer, now=now, code=code, text=text, note=note)
    _notify_sellers_of_rejection(claim, items)
    _settle(claim, fields, actor=reviewer)
    _notify_complainant(claim, items)  # after _settle: its webhook says if the claim is decided
    return items


def _reject(items: list[ClaimItem], *, reviewer: "User | None", now: datetime, code: str, text: str, note: str) -> None:
    for item in items:
        item.decided_by, item.decided_at, item.rejection_code, item.decision_reason = reviewer, now, code, text
    transition_many(
        items, ClaimItem.Status.REJECTED, actor=reviewer, verb=Verb.CLAIM_ITEM_REJECTED,
        fields=["decided_by", "decided_at", "rejection_code", "decision_reason"],
        data={"code": code, "note": note.strip()},
    )  # fmt: skip


@retry_on_conflict
def claim_reject(
    *, claim_id: int, reviewer: "User | None", code: str, seen: dict[str, Any] | None, note: str = ""
) -> Claim:
    """Reject the whole claim (identity, ownership or authorization not proven): every pending listing with it.
    One transaction, run again on a deadlock or serialization failure."""
    require_perm(reviewer, "complaints.change_claim")
    if code not in CLAIM_REJECTION_CODES:
        raise PortalError("Choose a reason for rejecting the claim.", code=Code.BAD_CODE)
    claim = _lock_claim(claim_id)
    _check_reviewable(claim)
    check_seen(claim, seen, noun="claim")
    pending = list(claim.items.filter(status=ClaimItem.Status.PENDING).values_list("pk", flat=True))
    text = CLAIM_REJECTION_CODES[code] + (f": {note.strip()}" if note.strip() else "")
    before = claim.status
    claim.rejection_code = code
    claim.save(update_fields=["rejection_code"])
    if pending:
        items = _lock_pending_items(claim, pending)
        now = timezone.now()
        fields = _mark_reviewed(claim, reviewer, now)
        _reject(items, reviewer=reviewer, now=now, code=code, text=text, note=note)
        _notify_sellers_of_rejection(claim, items)
        _settle(claim, fields, actor=reviewer)
        _notify_complainant(claim, items)  # after settling, as above
    # The claim-level decision, with the state the claim really reached (nothing moves when nothing was pending).
    record(actor=reviewer, verb=Verb.CLAIM_REJECTED, target=claim, before=before, after=claim.status,
           data={"code": code, "note": note.strip(), "items": len(pending)})  # fmt: skip
    return claim
