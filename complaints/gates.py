"""The filing gate again, on the day staff decide: a takedown rests on the same three proofs as the filing (policy §5:
identity, ownership of the right, and the owner's authorization when an agent files), so a claim whose right has
expired or was rejected since it was filed, or whose agent's authorization was revoked or lapsed, removes nothing.

``takedown_gate`` answers whether a claim may be acted on today; the takedown service raises ``TakedownBlocked``
when it may not, and the complainant is told what to do (``takedown_blocked_notify``)."""

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from ipp_portal.audit.models import AuditEvent
from ipp_portal.audit.services import record
from ipp_portal.audit.verbs import Verb
from ipp_portal.errors import PortalError
from ipp_portal.notifications.services import queue

from .errors import Code
from .models import Authorization, Claim, IPRight
from .selectors.vault import FilingGate, filing_gate

if TYPE_CHECKING:
    from ipp_portal.accounts.models import User


@dataclass(frozen=True)
class TakedownGate(FilingGate):
    """A filing gate for a filed claim. ``reason`` speaks to the complainant (what happened and what to do), as at
    filing; ``cause`` speaks to staff ("the right … expired on …"); ``authorization`` is the letter the decision
    rests on, which may be a successor of the one the claim was filed under (see ``takedown_gate``)."""

    cause: str = ""


def _day(value: date) -> str:
    return f"{value:%d %b %Y}".lstrip("0")


def _filed_right(claim: Claim) -> IPRight:
    if claim.right is None:
        raise ValueError(f"{claim.reference} is a draft: it has no right yet.")
    return claim.right


def _covers(authorization: Authorization, claim: Claim) -> bool:
    right, site = _filed_right(claim), claim.filed_site
    if authorization.agent_id != claim.complainant_id:
        return False
    return authorization.rights.filter(pk=right.pk).exists() and authorization.sites.filter(pk=site.pk).exists()


def _own_authorization_problem(claim: Claim, today: date) -> tuple[str, str, str] | None:
    """Why the authorization the claim was filed under no longer backs it today, as (code, cause for staff,
    reason for the complainant); None when it still does."""
    authorization = claim.authorization
    right, site = _filed_right(claim), claim.filed_site
    if authorization is None:
        return (
            Code.NO_AUTHORIZATION,
            f"the agent has no verified authorization in force for {right} on {site.name}",
            f"You act as an agent, and no verified authorization in force covers {right} on {site.name}. Add the "
            "owner's authorization letter naming this right and site.",
        )
    owner = authorization.owner_name
    if authorization.status == Authorization.Status.REVOKED:
        when = f" on {_day(timezone.localdate(authorization.revoked_at))}" if authorization.revoked_at else ""
        return (
            Code.AUTHORIZATION_REVOKED,
            f"the authorization from {owner} it was filed under was revoked{when}",
            f"The authorization from {owner} this claim was filed under was revoked{when}. Add a new authorization "
            f"from the owner naming {right} on {site.name}; once staff verify it, the claim can be decided.",
        )
    if authorization.status == Authorization.Status.REJECTED:
        return (
            Code.AUTHORIZATION_REJECTED,
            f"the authorization from {owner} it was filed under was rejected",
            f"The authorization from {owner} this claim was filed under was rejected: "
            f"{authorization.rejection_reason} Add a new authorization from the owner naming {right} on {site.name}.",
        )
    if authorization.status == Authorization.Status.EXPIRED or authorization.valid_until < today:
        return (
            Code.AUTHORIZATION_LAPSED,
            f"the authorization from {owner} it was filed under ended on {_day(authorization.valid_until)}",
            f"The authorization from {owner} this claim was filed under ended on {_day(authorization.valid_until)}. "
            f"Add the owner's renewed authorization naming {right} on {site.name}; once staff verify it, the claim "
            "can be decided.",
        )
    if not authorization.is_in_force_on(today):  # pending again, or not yet in force
        return (
            Code.AUTHORIZATION_LAPSED,
            f"the authorization from {owner} it was filed under is not in force today",
            f"The authorization from {owner} this claim was filed under is not in force today. Add an authorization "
            f"from the owner naming {right} on {site.name} and in force now.",
        )
    if not _covers(authorization, claim):
        return (
            Code.AUTHORIZATION_NOT_COVERING,
            f"the authorization from {owner} it was filed under no longer covers {right} on {site.name}",
            f"The authorization from {owner} this claim was filed under no longer covers {right} on {site.name}. "
            "Add an authorization from the owner naming this right and site.",
        )
    return None


def _filing_refusal(gate: FilingGate, claim: Claim) -> tuple[str, str]:
    """The filing gate's refusal as (cause for staff, reason for the complainant). The complainant's words are the
    filing gate's, except where the claim itself cannot be saved: an expired right is renewed as a new right, which
    this claim does not name."""
    right, site = _filed_right(claim), claim.filed_site
    if gate.code == Code.RIGHT_EXPIRED and right.expires_on is not None:
        return (
            f"the right {right} expired on {_day(right.expires_on)}",
            f"{right} expired on {_day(right.expires_on)}, and this claim was filed with it. Register the renewed "
            "right, then file a new claim for these listings with it.",
        )
    causes: dict[str, str] = {
        Code.RIGHT_EXPIRED: f"the right {right} has expired",
        Code.RIGHT_REJECTED: f"the right {right} was rejected since the claim was filed",
        Code.RIGHT_PENDING: f"the right {right} is being verified again",
        Code.NOT_YOUR_RIGHT: f"the right {right} is no longer in the complainant's vault",
        Code.IDENTITY_PENDING: "the complainant's identity is being verified again",
        Code.IDENTITY_REJECTED: "the complainant's identity proof was rejected",
        Code.NO_PROFILE: "the complainant has no profile",
        Code.NO_AUTHORIZATION: f"the agent has no verified authorization in force for {right} on {site.name}",
    }
    return causes.get(gate.code, gate.reason), gate.reason


def takedown_gate(claim: Claim, today: date | None = None) -> TakedownGate:
    """May staff take down this claim's listings today? The filing gate is asked again with the claim's own
    complainant, right and site; for an agent, the authorization the claim was filed under must also still be
    verified, within its dates today, and cover the claim's right and site.

    When that authorization no longer backs the claim (revoked, rejected, lapsed, or no longer covering the right
    and site) but another verified authorization in force today covers the same right and site, the gate is open
    and ``authorization`` names that one: what the sworn statement asserts is the agent's authority to act for the
    owner for this right on this site, which the owner still gives; asking the agent to file the same listings
    again under the new letter would protect no one and lose the claim's evidence and place in the queue. The
    review page shows staff which letter the decision rests on. Without such a successor the gate is closed with the
    cause of the claim's own authorization (``authorization_revoked``, ``authorization_lapsed``, …)."""
    today = today or timezone.localdate()
    right = _filed_right(claim)
    gate = filing_gate(
        complainant=claim.complainant, site=claim.filed_site, right=right, today=today, check_suspension=False
    )
    if not gate.allowed and gate.code != Code.NO_AUTHORIZATION:
        cause, reason = _filing_refusal(gate, claim)
        return TakedownGate(False, gate.code, reason, cause=cause)
    if not claim.complainant.is_agent:
        return TakedownGate(True, authorization=claim.authorization)
    problem = _own_authorization_problem(claim, today)
    if problem is None:
        return TakedownGate(True, authorization=claim.authorization)
    if gate.allowed:
        return TakedownGate(True, authorization=gate.authorization)  # a successor covers the right and site
    code, cause, reason = problem
    return TakedownGate(False, code, reason, cause=cause)


class TakedownBlocked(PortalError):
    """Staff asked to take down listings of a claim whose filing gate is closed today: nothing was taken down."""

    def __init__(self, claim: Claim, gate: FilingGate) -> None:
        cause = gate.cause if isinstance(gate, TakedownGate) and gate.cause else gate.reason
        super().__init__(
            f"Nothing was taken down: {cause}, so the listings of {claim.reference} cannot be taken down. The "
            "complainant is told what to do; reject the claim, or leave it open until they have done it.",
            code=gate.code,
        )
        self.claim_id = claim.pk
        self.gate = gate


def takedown_blocked_notify(claim_id: int, blocked: TakedownBlocked, *, reviewer: "User | None") -> None:
    """Record the refused takedown (every attempt) and tell the complainant why and what to do, once per claim
    per cause: a reviewer trying again does not send the same notice twice. The caller runs it in a transaction of
    its own, after the takedown's was rolled back; the claim's lock makes two refusals at once tell only once."""
    claim = Claim.objects.select_for_update(of=("self",)).select_related("complainant__user").get(pk=claim_id)
    code, reason = blocked.gate.code, blocked.gate.reason
    told = AuditEvent.objects.filter(
        verb=Verb.CLAIM_TAKEDOWN_BLOCKED,
        target_type=ContentType.objects.get_for_model(Claim),
        target_id=str(claim.pk),
        data__code=code,
    ).exists()
    data: dict[str, Any] = {"code": code, "cause": blocked.gate.cause if isinstance(blocked.gate, TakedownGate) else ""}
    record(actor=reviewer, verb=Verb.CLAIM_TAKEDOWN_BLOCKED, target=claim, data={**data, "notified": not told})
    if told:
        return
    queue(
        recipient=claim.complainant.user,
        template="complaints/takedown_blocked",
        context={
            "reference": claim.reference,
            "reason": reason,
            "path": reverse("complaints:claim-detail", args=[claim.pk]),
        },
        target=claim,
        dedupe_key=f"claim:{claim.pk}:takedown_blocked:{code}",
    )
