"""The rights holder's allow-list of authorised resellers: declaring a store authorised to sell goods under one of
their rights, and ending an entry (never deleting it). A claim naming listings of a store authorised for its right
is filed only when the complainant swears the authorisation has ended; filing it ends the entry (``claim_submit``).

Every write here locks the complainant's row first, as ``claim_submit`` does: a claim's link check and a change to
the same complainant's allow-list take turns."""

from datetime import date
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from ipp_portal.audit.services import record
from ipp_portal.audit.verbs import Verb
from ipp_portal.errors import InvalidTransition, NotPermitted, PortalError

from ..errors import Code
from ..models import AuthorisedSeller, Authorization, Claim, Complainant, IPRight
from ..rules import authorisation_ended_on_check, authorised_seller_dates_check
from ..selectors.allowlist import day_label
from ..selectors.vault import filing_gate

if TYPE_CHECKING:
    from ipp_portal.accounts.models import User
    from listings.models import Seller


def _complainant_for_update(user: "User") -> Complainant:
    complainant = Complainant.objects.select_for_update().filter(user=user).first()
    if complainant is None:
        raise NotPermitted("Create your complainant profile first.", code=Code.NO_PROFILE)
    return complainant


def agent_covers(complainant: Complainant, right: IPRight | int, site_id: int, today: date) -> bool:
    """An agent acts for a right only under a verified authorization in force that names the right and the site."""
    return Authorization.objects.filter(
        agent=complainant, status=Authorization.Status.VERIFIED, valid_from__lte=today, valid_until__gte=today,
        rights=right, sites=site_id,
    ).exists()  # fmt: skip


@transaction.atomic
def authorised_seller_declare(
    *,
    user: "User",
    right_id: int,
    seller: "Seller",
    authorised_from: date | None,
    authorised_until: date | None = None,
    note: str = "",
) -> AuthorisedSeller:
    """Declare ``seller`` authorised to sell goods under the right from ``authorised_from`` (until
    ``authorised_until``, when given). The right must be the complainant's own and verified, and an agent must hold
    a verified authorization in force covering the right on the seller's site (the filing gate: whoever may not
    file for the right may not speak for its owner about it either)."""
    complainant = _complainant_for_update(user)
    right = IPRight.objects.filter(pk=right_id, registered_by=complainant).first()
    if right is None:
        raise IPRight.DoesNotExist
    gate = filing_gate(complainant=complainant, site=seller.site, right=right)
    if not gate.allowed:
        raise NotPermitted(gate.reason, code=gate.code)
    authorised_seller_dates_check(authorised_from, authorised_until)
    assert authorised_from is not None  # noqa: S101 - the check above refuses None; this narrows the type
    for other in AuthorisedSeller.objects.filter(right=right, seller=seller):
        last = other.last_day
        overlaps = (last is None or last >= authorised_from) and (
            authorised_until is None or other.authorised_from <= authorised_until
        )
        if overlaps and (other.ended_on is None or other.ended_on > other.authorised_from):
            raise PortalError(
                f"{seller.store_name} is already on your list for this right from {day_label(other.authorised_from)}"
                + (f" until {day_label(last)}" if last else "")
                + ". End that entry first, or choose dates after it.",
                code=Code.ALREADY_AUTHORISED,
                field="seller",
            )
    entry = AuthorisedSeller.objects.create(
        right=right, seller=seller, authorised_from=authorised_from, authorised_until=authorised_until,
        note=note.strip(), declared_by=user,
    )  # fmt: skip
    record(
        actor=user,
        verb=Verb.AUTHORISED_SELLER_DECLARED,
        target=entry,
        data={
            "right": right.pk, "seller": seller.pk, "authorised_from": authorised_from.isoformat(),
            "authorised_until": authorised_until.isoformat() if authorised_until else None,
            "authorization": gate.authorization.pk if gate.authorization else None,
        },
    )  # fmt: skip
    return entry


def end_entry(
    entry: AuthorisedSeller, *, user: "User", ended_on: date, reason: str, claim: Claim | None = None
) -> AuthorisedSeller:
    """End a locked entry on ``ended_on`` (the first day it no longer applies) and audit it; the caller holds the
    transaction, has checked the actor, and checked the day (``authorisation_ended_on_check``)."""
    today = timezone.localdate()
    before = entry.state_on(today)
    entry.ended_on, entry.ended_at, entry.ended_by, entry.end_reason = ended_on, timezone.now(), user, reason.strip()
    entry.ended_by_claim = claim
    entry.save(update_fields=["ended_on", "ended_at", "ended_by", "end_reason", "ended_by_claim"])
    record(
        actor=user,
        verb=Verb.AUTHORISED_SELLER_ENDED,
        target=entry,
        before=before,
        after=entry.state_on(today),
        data={"ended_on": ended_on.isoformat(), "reason": entry.end_reason, "claim": claim.pk if claim else None},
    )
    return entry


@transaction.atomic
def authorised_seller_end(
    *, user: "User", entry_id: int, ended_on: date | None = None, reason: str = ""
) -> AuthorisedSeller:
    """End an entry: the seller is no longer authorised from ``ended_on`` (today when not given). The entry stays,
    with when it ended, who ended it and why."""
    complainant = _complainant_for_update(user)
    entry = (
        AuthorisedSeller.objects.select_for_update(of=("self",))
        .select_related("right", "seller")
        .filter(pk=entry_id, right__registered_by=complainant)
        .first()
    )
    if entry is None:
        raise AuthorisedSeller.DoesNotExist
    today = timezone.localdate()
    if complainant.is_agent and not agent_covers(complainant, entry.right, entry.seller.site_id, today):
        raise NotPermitted(
            f"You act as an agent, and no verified authorization in force covers {entry.right} on this seller's "
            "marketplace: only the owner, or an agent they authorise, may change this list.",
            code=Code.NO_AUTHORIZATION,
        )
    if entry.ended_on is not None:
        raise InvalidTransition(f"This entry already ended on {day_label(entry.ended_on)}.")
    ended_on = ended_on or today
    authorisation_ended_on_check(ended_on, entry.authorised_from, today, field="ended_on")
    return end_entry(entry, user=user, ended_on=ended_on, reason=reason)
