"""Litigation holds (policy §3: the platform's discretion "where litigation has already been initiated by the
intellectual property rights holder"). Staff place a hold on a store, a listing or a claim, naming the court and
the case; while it applies, no listing it covers comes back on sale on any path (``refuse_held`` is called by every
reinstatement, and by ``listings_reinstate`` through the guard this app registers). Lifting it changes nothing by
itself: the removed listings wait for the next decision as before."""

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from ipp_portal.audit.services import record
from ipp_portal.audit.verbs import Verb
from ipp_portal.errors import PortalError
from ipp_portal.notifications.services import queue_many
from ipp_portal.permissions import require_perm
from listings.models import Listing, Seller
from listings.services import lock_sellers_and_listings

from ..errors import Code
from ..models import Claim, ClaimItem, LitigationHold
from ..selectors.holds import holds_covering

if TYPE_CHECKING:
    from ipp_portal.accounts.models import User


class Held(PortalError):
    code = Code.HELD


def held_message(hold: LitigationHold, what: str = "it") -> str:
    return (
        f"A litigation hold on {hold.scope_label} (case {hold.case_reference}, {hold.court}) keeps {what} removed: "
        "nothing can reinstate it until staff lift the hold."
    )


def refuse_held(listing_ids: Iterable[int]) -> None:
    """Raise ``Held`` (code ``held``) when an active hold covers any of these listings, naming the hold's scope and
    its case; callers hold the listings' locks, so a hold placed meanwhile waits for them (or is seen)."""
    holds = holds_covering(listing_ids)
    if holds:
        raise Held(held_message(holds[0], "these listings" if len(set(listing_ids)) > 1 else "this listing"))


def guard_listings(listings: list[Listing]) -> None:
    """The guard ``listings_reinstate`` calls on the listings it is about to put back on sale."""
    refuse_held([listing.pk for listing in listings])


def check_hold_fields(*, court: str, case_reference: str, reason: str) -> None:
    if not court.strip():
        raise PortalError("Name the court hearing the case.", code=Code.COURT_REQUIRED, field="court")
    if not case_reference.strip():
        raise PortalError("Give the court's case reference.", code=Code.CASE_REQUIRED, field="case_reference")
    if not reason.strip():
        raise PortalError("Give the reason for the hold.", code=Code.REASON_REQUIRED, field="reason")


def _covered(hold: LitigationHold) -> tuple[list[int], list[str]]:
    """The sellers a hold concerns and the listings it names (for the notices)."""
    if hold.seller_id is not None:
        return [hold.seller_id], []
    if hold.listing is not None:
        return [hold.listing.seller_id], [str(hold.listing)]
    items = ClaimItem.objects.filter(claim=hold.claim).select_related("listing").order_by("position")
    return sorted({i.seller_id for i in items}), [str(i.listing) for i in items if i.listing_id]


def _notify(hold: LitigationHold, template: str, seller_ids: list[int], listings: list[str], **context) -> None:
    base = {"court": hold.court, "case_reference": hold.case_reference, "listings": listings, **context}
    messages = [
        {"recipient": seller.user, "template": template, "target": hold,
         "context": {**base, "store": seller.store_name, "for_seller": True,
                     "path": reverse("complaints_seller:seller-notices")}}
        for seller in Seller.objects.filter(pk__in=seller_ids, user__isnull=False).select_related("user").order_by("pk")
    ]  # fmt: skip
    if hold.claim is not None:
        messages.append(
            {"recipient": hold.claim.complainant.user, "template": template, "target": hold,
             "context": {**base, "reference": hold.claim.reference, "for_seller": False}}
        )  # fmt: skip
    queue_many(messages)


@transaction.atomic
def litigation_hold_place(
    *,
    actor: "User | None",
    reason: str,
    court: str,
    case_reference: str,
    seller_id: int | None = None,
    listing_id: int | None = None,
    claim_id: int | None = None,
) -> LitigationHold:
    """Place a hold on exactly one store, listing or claim; audited, and the sellers (and the claim's rights holder)
    told in neutral words."""
    require_perm(actor, "complaints.add_litigationhold", message="Only a supervisor can place a litigation hold.")
    if sum(x is not None for x in (seller_id, listing_id, claim_id)) != 1:
        raise PortalError("Choose one store, one listing or one claim to hold.", code=Code.HOLD_TARGET)
    check_hold_fields(court=court, case_reference=case_reference, reason=reason)
    if actor is None:  # require_perm refused it already; this tells the type checker
        raise PortalError("Only a supervisor can place a litigation hold.", code=Code.NOT_PERMITTED)
    # The sellers concerned first (the global order): a reinstatement of a covered listing locks them too, so it
    # either finishes before the hold exists or sees it.
    if claim_id is not None:
        claim = Claim.objects.select_related("complainant__user").filter(pk=claim_id).first()
        if claim is None or claim.status == Claim.Status.DRAFT:
            raise PortalError("No such claim.", code=Code.HOLD_TARGET, field="claim")
        refs = ClaimItem.objects.filter(claim_id=claim_id).values_list("seller_id", "listing_id")
        lock_sellers_and_listings(seller_ids={r[0] for r in refs}, listing_ids={r[1] for r in refs if r[1]})
    elif listing_id is not None:
        if not lock_sellers_and_listings(listing_ids=[listing_id]):
            raise PortalError("No such listing.", code=Code.HOLD_TARGET, field="listing")
    elif seller_id is not None:
        lock_sellers_and_listings(seller_ids=[seller_id])
        if not Seller.objects.filter(pk=seller_id).exists():
            raise PortalError("No such store.", code=Code.HOLD_TARGET, field="seller")
    hold = LitigationHold.objects.create(
        seller_id=seller_id, listing_id=listing_id, claim_id=claim_id, court=court.strip(),
        case_reference=case_reference.strip(), reason=reason.strip(), placed_by=actor, placed_at=timezone.now(),
    )  # fmt: skip
    hold = LitigationHold.objects.select_related("seller", "listing", "claim__complainant__user").get(pk=hold.pk)
    seller_ids, listings = _covered(hold)
    record(
        actor=actor, verb=Verb.HOLD_PLACED, target=hold, after="active",
        data={"scope": hold.scope, "court": hold.court, "case_reference": hold.case_reference, "reason": hold.reason,
              "seller": seller_id, "listing": listing_id, "claim": claim_id},
    )  # fmt: skip
    _notify(hold, "complaints/litigation_hold_placed", seller_ids, listings)
    return hold


@transaction.atomic
def litigation_hold_lift(*, actor: "User | None", hold_id: int, reason: str) -> LitigationHold:
    """Lift a hold with a reason; audited, and the same people told. The listings stay as they are: a removed listing
    comes back only by a decision on one of the usual paths, which the hold no longer blocks."""
    require_perm(actor, "complaints.change_litigationhold", message="Only a supervisor can lift a litigation hold.")
    if not reason.strip():
        raise PortalError("Give the reason for lifting the hold.", code=Code.REASON_REQUIRED, field="reason")
    hold = (
        LitigationHold.objects.select_for_update(of=("self",))
        .select_related("seller", "listing", "claim__complainant__user")
        .get(pk=hold_id)
    )
    if not hold.is_active:
        raise PortalError("This hold is already lifted.", code=Code.HOLD_LIFTED)
    hold.lifted_by, hold.lifted_at, hold.lift_reason = actor, timezone.now(), reason.strip()
    hold.save(update_fields=["lifted_by", "lifted_at", "lift_reason"])
    seller_ids, listings = _covered(hold)
    record(
        actor=actor, verb=Verb.HOLD_LIFTED, target=hold, before="active", after="lifted",
        data={"case_reference": hold.case_reference, "reason": hold.lift_reason},
    )  # fmt: skip
    _notify(hold, "complaints/litigation_hold_lifted", seller_ids, listings, reason=hold.lift_reason)
    return hold
