"""The trusted programme (DSA Art. 22 in spirit; Alibaba's Good-Faith Takedown Mechanism): the sweep proposes
complainants whose accuracy record meets the site's bar (``TrustCriteria``) and flags members who fell below it; a
supervisor admits, declines or revokes, with a statement of reasons the complainant reads. Trusted complainants'
claims go first in the review queue (``Claim.is_trusted``), and staff may take all of their pending items down in
one decision. Nothing here changes a decision's standard: the same reviewer checks the same evidence."""

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from ipp_portal.audit.services import record
from ipp_portal.audit.verbs import Verb
from ipp_portal.errors import InvalidTransition, PortalError
from ipp_portal.notifications.services import queue
from ipp_portal.permissions import require_perm
from ipp_portal.transitions import transition, transition_many

from ..errors import Code
from ..models import Claim, ClaimItem, Complainant, Trust, TrustCriteria, VerificationStatus
from ..selectors.accuracy import Figures, complainant_accuracy
from .review import claim_items_take_down

if TYPE_CHECKING:
    from ipp_portal.accounts.models import User

T = Trust.Status


@dataclass(frozen=True)
class SweepResult:
    proposed: int = 0
    flagged: int = 0


def meets_bar(figures: Figures, criteria: TrustCriteria) -> bool:
    """The site's bar, over the criteria's window: enough decided items, rate high enough, losses low enough."""
    rate, loss = figures.takedown_rate, figures.counter_notice_loss_share
    return (
        figures.items_decided >= criteria.min_items
        and rate is not None
        and Decimal(str(rate)) >= criteria.min_takedown_rate
        and Decimal(str(loss or 0)) <= criteria.max_counter_notice_loss_share
    )


def _snapshot(figures: Figures, criteria: TrustCriteria) -> dict[str, Any]:
    return {
        **asdict(figures),
        "items_decided": figures.items_decided,
        "takedown_rate": figures.takedown_rate,
        "counter_notice_loss_share": figures.counter_notice_loss_share,
        "window_days": criteria.window_days,
    }


def trust_sweep(*, now: datetime | None = None) -> SweepResult:
    """Propose complainants who meet their site's bar and flag members who no longer do (idempotent: a proposal or a
    flag waiting for a supervisor is left as it is; a declined or revoked complainant is proposed again only once
    the decision is older than the window). One site per transaction; a fixed number of queries per site."""
    now = now or timezone.now()
    result = SweepResult()
    for criteria in TrustCriteria.objects.select_related("site").order_by("site_id"):
        done = _sweep_site(criteria, now)
        result = SweepResult(result.proposed + done.proposed, result.flagged + done.flagged)
    return result


@transaction.atomic
def _sweep_site(criteria: TrustCriteria, now: datetime) -> SweepResult:
    since = now - timedelta(days=criteria.window_days)
    active = set(
        ClaimItem.objects.filter(site=criteria.site, decided_at__gte=since)
        .values_list("claim__complainant_id", flat=True)
        .distinct()
    )
    trusts = {
        t.complainant_id: t
        for t in Trust.objects.select_for_update().filter(site=criteria.site).order_by("pk")
        if t.complainant_id in active or t.status in Trust.TRUSTED
    }
    verified = set(
        Complainant.objects.filter(pk__in=active, status=VerificationStatus.VERIFIED).values_list("pk", flat=True)
    )
    records = complainant_accuracy(
        verified | set(trusts), now=now, window_days=criteria.window_days, site_id=criteria.site_id
    )
    to_propose: list[Trust] = []
    to_flag: list[Trust] = []
    new: list[Trust] = []
    for complainant_id, accuracy in records.items():
        figures, trust = accuracy.recent, trusts.get(complainant_id)
        good = complainant_id in verified and meets_bar(figures, criteria)
        if trust is None:
            if good:
                new.append(
                    Trust(complainant_id=complainant_id, site=criteria.site, figures=_snapshot(figures, criteria),
                          proposed_at=now)
                )  # fmt: skip
        elif trust.status == T.ADMITTED and not good:
            trust.figures, trust.flagged_at = _snapshot(figures, criteria), now
            to_flag.append(trust)
        elif good and trust.status in (T.DECLINED, T.REVOKED) and (trust.decided_at or now) <= since:
            trust.figures, trust.proposed_at = _snapshot(figures, criteria), now
            to_propose.append(trust)
    created = Trust.objects.bulk_create(new)
    for trust in created:
        record(actor=None, verb=Verb.TRUST_PROPOSED, target=trust, after=trust.status, data=trust.figures)
    transition_many(to_propose, T.PROPOSED, actor=None, verb=Verb.TRUST_PROPOSED, fields=["figures", "proposed_at"])
    transition_many(to_flag, T.FLAGGED, actor=None, verb=Verb.TRUST_FLAGGED, fields=["figures", "flagged_at"])
    return SweepResult(proposed=len(created) + len(to_propose), flagged=len(to_flag))


def _lock_trust(trust_id: int) -> Trust:
    return Trust.objects.select_for_update(of=("self",)).select_related("complainant__user", "site").get(pk=trust_id)


def _mark_open_claims(trust: Trust, trusted: bool) -> int:
    """The queue orders by ``Claim.is_trusted``: the member's open claims on the site follow the decision."""
    return Claim.objects.filter(
        complainant_id=trust.complainant_id, site_id=trust.site_id, status__in=Claim.OPEN_STATUSES
    ).update(is_trusted=trusted)


def _decide(trust_id: int, supervisor: "User | None", reason: str, to: str, verb: str, allowed: tuple) -> Trust:
    require_perm(supervisor, "complaints.decide_trust", message="Only a supervisor decides on the trusted programme.")
    if not reason.strip():
        raise PortalError("Give the reason: the complainant reads it.", code=Code.REASON_REQUIRED, field="reason")
    trust = _lock_trust(trust_id)
    if trust.status not in allowed:
        raise InvalidTransition(f"This membership is {trust.get_status_display().lower()}: nothing to decide.")
    trust.decided_at, trust.decided_by, trust.reason = timezone.now(), supervisor, reason.strip()
    transition(trust, to, actor=supervisor, verb=verb, fields=["decided_at", "decided_by", "reason"],
               data={"reason": trust.reason})  # fmt: skip
    return trust


def _tell(trust: Trust, template: str) -> None:
    queue(
        recipient=trust.complainant.user,
        template=template,
        context={"site": trust.site.name, "reason": trust.reason, "path": reverse("complaints:claim-list")},
        target=trust,
    )


@transaction.atomic
def trust_admit(*, trust_id: int, supervisor: "User | None", reason: str) -> Trust:
    """Admit a proposed complainant, or keep a flagged member: their claims go first in the review queue."""
    trust = _decide(trust_id, supervisor, reason, T.ADMITTED, Verb.TRUST_ADMITTED, (T.PROPOSED, T.FLAGGED))
    _mark_open_claims(trust, True)
    _tell(trust, "complaints/trust_admitted")
    return trust


@transaction.atomic
def trust_decline(*, trust_id: int, supervisor: "User | None", reason: str) -> Trust:
    """Decline a proposal (nothing changes for the complainant, who never asked: no notice)."""
    return _decide(trust_id, supervisor, reason, T.DECLINED, Verb.TRUST_DECLINED, (T.PROPOSED,))


@transaction.atomic
def trust_revoke(*, trust_id: int, supervisor: "User | None", reason: str) -> Trust:
    """Remove a member from the programme: their open claims rejoin the queue by age; they are told why and how to
    ask staff to look again."""
    trust = _decide(trust_id, supervisor, reason, T.REVOKED, Verb.TRUST_REVOKED, (T.ADMITTED, T.FLAGGED))
    _mark_open_claims(trust, False)
    _tell(trust, "complaints/trust_revoked")
    return trust


def claim_take_down_all_pending(*, claim_id: int, reviewer: "User | None", seen: dict[str, Any] | None) -> list:
    """A trusted complainant's claim: every pending item taken down in one decision (the ordinary takedown service,
    with its checks, gate and notices)."""
    require_perm(reviewer, "complaints.change_claim")
    claim = Claim.objects.get(pk=claim_id)
    if not claim.is_trusted:
        raise PortalError(
            "Only a trusted complainant's claim can be decided in one action; select the listings.",
            code=Code.NOT_TRUSTED,
        )
    pending = list(claim.items.filter(status=ClaimItem.Status.PENDING).values_list("pk", flat=True))
    return claim_items_take_down(claim_id=claim_id, item_ids=pending, reviewer=reviewer, seen=seen)
