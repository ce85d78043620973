"""Complainants' redress and accountability: appeals against rejections and sanctions (DSA Art. 20), and the abuse
control that warns, then suspends, complainants who frequently file manifestly unfounded notices (DSA Art. 23(2);
policy §4). Every decision carries a statement of reasons and a way to appeal; an appeal is decided by a person other
than the one who made the decision."""

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from ipp_portal.audit.services import record
from ipp_portal.audit.verbs import Verb
from ipp_portal.errors import DeadlinePassed, InvalidTransition, NotPermitted, PortalError
from ipp_portal.notifications.services import queue
from ipp_portal.permissions import require_perm
from ipp_portal.transactions import retry_on_conflict
from ipp_portal.transitions import transition, transition_many
from listings.models import Site

from ..errors import Code
from ..models import AbuseRules, Claim, ClaimItem, Complainant, ComplainantAppeal, ComplainantSanction
from ..sanctions import (
    COURT,
    GROUND,
    facts_text,
    redress_text,
    six_months_after,
    unfounded_count,
    unfounded_counts_by_complainant,
)
from .claims import listing_lines
from .review import _lock_claim, lock_claim_items

if TYPE_CHECKING:
    from ipp_portal.accounts.models import User
    from ipp_portal.documents.models import Document

Kind = ComplainantSanction.Kind
Subject = ComplainantAppeal.Subject


def _day(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%d %B %Y}"


# Appeals -------------------------------------------------------------------------------------------------------


def _check_statement(statement: str) -> None:
    if not statement.strip():
        raise PortalError(
            "Explain why the decision should be changed: staff read it.",
            code=Code.STATEMENT_REQUIRED,
            field="statement",
        )


def _notify_appeal_received(appeal: ComplainantAppeal, *, what: str, path: str) -> None:
    queue(
        recipient=appeal.filed_by,
        template="complaints/appeal_received",
        context={"appeal": appeal.pk, "what": what, "path": path},
        target=appeal,
    )


@transaction.atomic
def complainant_appeal_file(
    *, user: "User", claim_id: int, item_ids: Iterable[int], statement: str, documents: "Sequence[Document]" = ()
) -> ComplainantAppeal:
    """The complainant appeals rejected listings of their claim, within six months of the decision; one open appeal
    per decision. Selecting a listing of a claim rejected as a whole appeals the whole claim's rejection (every
    listing it rejected)."""
    _check_statement(statement)
    claim = _lock_claim(claim_id)
    if claim.complainant.user_id != user.pk:
        raise Claim.DoesNotExist
    chosen = set(item_ids)
    if claim.rejection_code:
        whole = set(
            claim.items.filter(status=ClaimItem.Status.REJECTED, rejection_code=claim.rejection_code).values_list(
                "pk", flat=True
            )
        )
        subject = Subject.CLAIM if chosen & whole else Subject.ITEMS
        if subject == Subject.CLAIM:
            chosen |= whole
    else:
        subject = Subject.ITEMS
    items = lock_claim_items(chosen, catalogue=False, claim=claim)
    if not items:
        raise PortalError("Select at least one listing that was not removed.", code=Code.NO_ITEMS, field="items")
    now = timezone.now()
    for item in items:
        if item.status != ClaimItem.Status.REJECTED or item.decided_at is None:
            raise InvalidTransition(
                f"Listing #{item.position} is {item.get_status_display().lower()}: there is no rejection to appeal.",
                code=Code.NOTHING_TO_APPEAL,
            )
        if now > six_months_after(item.decided_at):
            raise DeadlinePassed(
                f"The appeal window for listing #{item.position} closed on {_day(six_months_after(item.decided_at))}."
            )
    if ComplainantAppeal.objects.filter(status=ComplainantAppeal.Status.OPEN, items__in=items).exists():
        raise InvalidTransition(
            "An appeal against this decision is already open; staff will decide it.", code=Code.APPEAL_OPEN
        )
    appeal = ComplainantAppeal.objects.create(
        complainant=claim.complainant, subject=subject, claim=claim, filed_by=user, statement=statement.strip()
    )
    appeal.items.add(*items)
    if documents:
        appeal.documents.add(*documents)
    record(actor=user, verb=Verb.COMPLAINANT_APPEAL_FILED, target=appeal, after=appeal.status,
           data={"claim": claim.pk, "items": [i.pk for i in items], "subject": subject})  # fmt: skip
    what = (
        f"the rejection of claim {claim.reference}"
        if subject == Subject.CLAIM
        else f"the rejection of {len(items)} listing{'s' if len(items) != 1 else ''} of claim {claim.reference}"
    )
    _notify_appeal_received(appeal, what=what, path=reverse("complaints:claim-detail", args=[claim.pk]))
    return appeal


@transaction.atomic
def complainant_sanction_appeal_file(
    *, user: "User", sanction_id: int, statement: str, documents: "Sequence[Document]" = ()
) -> ComplainantAppeal:
    """The complainant appeals a warning or a suspension within six months; one open appeal per sanction."""
    _check_statement(statement)
    sanction = (
        ComplainantSanction.objects.select_for_update(of=("self",))
        .select_related("complainant")
        .filter(pk=sanction_id, complainant__user=user)
        .first()
    )
    if sanction is None:
        raise ComplainantSanction.DoesNotExist
    if sanction.status == ComplainantSanction.Status.OVERTURNED:
        raise InvalidTransition(
            "This decision was overturned: there is nothing to appeal.", code=Code.NOTHING_TO_APPEAL
        )
    if timezone.now() > sanction.appeal_deadline:
        raise DeadlinePassed(f"The appeal window for this decision closed on {_day(sanction.appeal_deadline)}.")
    if sanction.appeals.filter(status=ComplainantAppeal.Status.OPEN).exists():
        raise InvalidTransition(
            "An appeal against this decision is already open; staff will decide it.", code=Code.APPEAL_OPEN
        )
    appeal = ComplainantAppeal.objects.create(
        complainant=sanction.complainant, subject=Subject.SANCTION, sanction=sanction, filed_by=user,
        statement=statement.strip(),
    )  # fmt: skip
    if documents:
        appeal.documents.add(*documents)
    record(actor=user, verb=Verb.COMPLAINANT_APPEAL_FILED, target=appeal, after=appeal.status,
           data={"sanction": sanction.pk, "subject": Subject.SANCTION})  # fmt: skip
    what = f"the {sanction.get_kind_display().lower()} of {_day(sanction.starts_at)}"
    _notify_appeal_received(appeal, what=what, path=reverse("complaints:sanction-detail", args=[sanction.pk]))
    return appeal


def appeal_deciders(appeal: ComplainantAppeal) -> set[int]:
    """The staff whose decision the appeal is against: none of them may decide it."""
    if appeal.subject == Subject.SANCTION and appeal.sanction is not None:
        return {pk for pk in (appeal.sanction.imposed_by_id, appeal.sanction.lifted_by_id) if pk is not None}
    return {pk for pk in appeal.items.values_list("decided_by_id", flat=True) if pk is not None}


@retry_on_conflict
def complainant_appeal_decide(
    *, appeal_id: int, reviewer: "User | None", outcome: str, reason: str
) -> ComplainantAppeal:
    """A person decides the appeal: uphold, or overturn. Overturning a rejection puts the listings back in review
    (and a decided claim back in review); overturning a sanction ends it (a suspension no longer closes the gate)."""
    with transaction.atomic():
        return _decide(appeal_id=appeal_id, reviewer=reviewer, outcome=outcome, reason=reason)


def _decide(*, appeal_id: int, reviewer: "User | None", outcome: str, reason: str) -> ComplainantAppeal:
    require_perm(reviewer, "complaints.change_complainantappeal")
    if outcome not in (ComplainantAppeal.Status.UPHELD, ComplainantAppeal.Status.OVERTURNED):
        raise PortalError("Choose uphold or overturn.", code=Code.BAD_OUTCOME, field="outcome")
    if not reason.strip():
        raise PortalError(
            "Give the reason for the decision: the complainant reads it.", code=Code.REASON_REQUIRED, field="reason"
        )
    head = ComplainantAppeal.objects.filter(pk=appeal_id).values("claim_id", "subject").get()
    claim = _lock_claim(head["claim_id"]) if head["claim_id"] else None  # claims before their items, appeal last
    item_ids = list(ComplainantAppeal.items.through.objects.filter(complainantappeal_id=appeal_id).values_list(
        "claimitem_id", flat=True))  # fmt: skip
    items = lock_claim_items(item_ids, catalogue=False, related=("seller__user", "listing")) if item_ids else []
    appeal = (
        ComplainantAppeal.objects.select_for_update(of=("self",))
        .select_related("complainant__user", "sanction__site", "claim")
        .get(pk=appeal_id)
    )
    if appeal.subject == Subject.SANCTION:
        require_perm(reviewer, "complaints.sanction_complainant",
                     message="Only a supervisor may decide an appeal against a warning or a suspension.")  # fmt: skip
    if appeal.status != ComplainantAppeal.Status.OPEN:
        raise InvalidTransition(f"This appeal was already decided ({appeal.get_status_display().lower()}).")
    if reviewer is not None and reviewer.pk in appeal_deciders(appeal):
        raise NotPermitted(
            "You made the decision this appeal is against: another member of staff must decide it.",
            code=Code.OWN_DECISION,
        )
    now = timezone.now()
    appeal.decided_by, appeal.decided_at, appeal.decision_reason = reviewer, now, reason.strip()
    verb = Verb.COMPLAINANT_APPEAL_UPHELD if outcome == "upheld" else Verb.COMPLAINANT_APPEAL_OVERTURNED
    transition(appeal, outcome, actor=reviewer, verb=verb, fields=["decided_by", "decided_at", "decision_reason"],
               data={"reason": appeal.decision_reason})  # fmt: skip
    if outcome == ComplainantAppeal.Status.OVERTURNED:
        if appeal.sanction is not None:
            transition(appeal.sanction, ComplainantSanction.Status.OVERTURNED, actor=reviewer,
                       verb=Verb.COMPLAINANT_SANCTION_OVERTURNED, data={"appeal": appeal.pk})  # fmt: skip
        elif claim is not None:
            _reopen(claim, items, appeal=appeal, reviewer=reviewer)
    if appeal.sanction is not None:
        path = reverse("complaints:sanction-detail", args=[appeal.sanction_id])
        what = f"the {appeal.sanction.get_kind_display().lower()} of {_day(appeal.sanction.starts_at)}"
    else:
        reference = appeal.claim.reference if appeal.claim is not None else ""
        path = reverse("complaints:claim-detail", args=[appeal.claim_id])
        what = f"the rejection of {'claim ' if appeal.subject == Subject.CLAIM else 'listings of claim '}{reference}"
    queue(
        recipient=appeal.complainant.user,
        template="complaints/appeal_decided",
        context={"appeal": appeal.pk, "what": what, "outcome": outcome, "outcome_label": appeal.get_status_display(),
                 "reason": appeal.decision_reason, "court": COURT, "path": path},
        target=appeal,
    )  # fmt: skip
    return appeal


def _reopen(claim: Claim, items: list[ClaimItem], *, appeal: ComplainantAppeal, reviewer: "User | None") -> None:
    stale = [item for item in items if item.status != ClaimItem.Status.REJECTED]
    if stale:
        raise InvalidTransition(f"Listing #{stale[0].position} is no longer rejected; reload the appeal.")
    for item in items:
        item.decided_by, item.decided_at, item.rejection_code, item.decision_reason = None, None, "", ""
    transition_many(
        items, ClaimItem.Status.PENDING, actor=reviewer, verb=Verb.CLAIM_ITEM_REOPENED,
        fields=["decided_by", "decided_at", "rejection_code", "decision_reason"], data={"appeal": appeal.pk},
    )  # fmt: skip
    fields = []
    if appeal.subject == Subject.CLAIM:
        claim.rejection_code = ""
        fields.append("rejection_code")
    if claim.status == Claim.Status.DECIDED:
        claim.assigned_to, claim.assigned_at = None, None  # back in the queue for a reviewer to take
        transition(claim, Claim.Status.IN_REVIEW, actor=reviewer, verb=Verb.CLAIM_REOPENED,
                   fields=[*fields, "assigned_to", "assigned_at"], data={"appeal": appeal.pk})  # fmt: skip
    elif fields:
        claim.save(update_fields=fields)
    for seller_items in ClaimItem.by_seller(items):
        seller = seller_items[0].seller
        if seller.user is None:
            continue
        for item in seller_items:
            item.claim = claim
        queue(
            recipient=seller.user,
            template="complaints/claim_reopened",
            context={"reference": claim.reference, "listings": listing_lines(seller_items)},
            target=claim,
        )


# Abuse control -------------------------------------------------------------------------------------------------


def _rules(site: Site) -> AbuseRules:
    return AbuseRules.objects.get_or_create(site=site)[0]


def _notify_sanction(sanction: ComplainantSanction, template: str) -> None:
    queue(
        recipient=sanction.complainant.user,
        template=template,
        context={
            "kind": sanction.get_kind_display(),
            "is_suspension": sanction.kind == Kind.SUSPENSION,
            "site": sanction.site.name,
            "until": _day(sanction.ends_at) if sanction.ends_at else "",
            "ground": sanction.ground,
            "facts": sanction.facts,
            "reason": sanction.reason,
            "next_steps": sanction.next_steps,
            "redress": sanction.redress,
            "lift_reason": sanction.lift_reason,
            "path": reverse("complaints:sanction-detail", args=[sanction.pk]),
        },
        target=sanction,
    )


def _next_steps(kind: str, *, rules: AbuseRules, site: Site, ends_at: datetime | None) -> str:
    if kind == Kind.WARNING:
        return (
            f"You can keep filing. If {rules.suspend_after} more listings you name on {site.name} are manifestly "
            f"unfounded within {rules.window_days} days, filing on {site.name} is suspended for "
            f"{rules.suspension_days} days. Check each listing and your evidence before you file."
        )
    until = _day(ends_at) if ends_at else "further notice"
    return (
        f"You cannot file new claims on {site.name} until {until}. Claims you filed before stay in review. "
        "After the suspension you may file again; if the pattern continues, a new warning and suspension follow."
    )


def _impose(
    complainant: Complainant,
    site: Site,
    *,
    kind: str,
    rules: AbuseRules,
    now: datetime,
    actor: "User | None",
    since: datetime,
    since_label: str,
    reason: str = "",
    days: int | None = None,
) -> ComplainantSanction:
    count = unfounded_count(complainant=complainant, site=site, since=since)
    ends_at = now + timedelta(days=days or rules.suspension_days) if kind == Kind.SUSPENSION else None
    sanction = ComplainantSanction.objects.create(
        complainant=complainant, site=site, kind=kind, is_automated=actor is None, imposed_by=actor, starts_at=now,
        ends_at=ends_at, unfounded_count=count.total, ground=GROUND,
        facts=facts_text(count, site_name=site.name, window_days=rules.window_days, since_label=since_label),
        references=[{"claim": e["claim"], "position": e["position"]} for e in count.examples],
        reason=reason.strip(), next_steps=_next_steps(kind, rules=rules, site=site, ends_at=ends_at),
        redress=redress_text(now), appeal_deadline=six_months_after(now),
    )  # fmt: skip
    verb = Verb.COMPLAINANT_WARNED if kind == Kind.WARNING else Verb.COMPLAINANT_SUSPENDED
    record(actor=actor, verb=verb, target=sanction, after=sanction.status,
           data={"site": site.code, "count": count.total, "automated": actor is None,
                 "ends_at": ends_at.isoformat() if ends_at else None})  # fmt: skip
    _notify_sanction(sanction, "complaints/sanction_imposed")
    return sanction


def active_suspension(complainant: Complainant, site: Site, at: datetime | None = None) -> ComplainantSanction | None:
    at = at or timezone.now()
    return (
        ComplainantSanction.objects.filter(
            complainant=complainant,
            site=site,
            kind=Kind.SUSPENSION,
            status=ComplainantSanction.Status.ACTIVE,
            starts_at__lte=at,
            ends_at__gt=at,
        )
        .order_by("-ends_at")
        .first()
    )


def complainant_sanctions_sweep(*, now: datetime | None = None) -> int:
    """Warn, then suspend, complainants past their site's thresholds (idempotent: a run that finds nothing new does
    nothing). Each complainant is decided in a transaction of its own."""
    now = now or timezone.now()
    made = 0
    for rules in AbuseRules.objects.select_related("site").order_by("site_id"):
        since = now - timedelta(days=rules.window_days)
        at_least = min(rules.warning_after, rules.suspend_after)
        for complainant_id in sorted(unfounded_counts_by_complainant(site=rules.site, since=since, at_least=at_least)):
            made += _sweep_one(complainant_id, rules.site_id, now)
    return made


@retry_on_conflict
def _sweep_one(complainant_id: int, site_id: int, now: datetime) -> int:
    with transaction.atomic():
        complainant = Complainant.objects.select_for_update().select_related("user").get(pk=complainant_id)
        rules = AbuseRules.objects.select_related("site").get(site_id=site_id)
        site = rules.site
        window_start = now - timedelta(days=rules.window_days)
        standing = list(
            ComplainantSanction.objects.filter(complainant=complainant, site=site)
            .exclude(status=ComplainantSanction.Status.OVERTURNED)
            .order_by("-starts_at", "-id")[:1]
        )
        last = standing[0] if standing else None
        if last is not None and last.kind == Kind.SUSPENSION and last.is_in_force_at(now):
            return 0  # suspended now: nothing more to decide
        warned = last is not None and last.kind == Kind.WARNING and last.status == ComplainantSanction.Status.ACTIVE
        if last is not None and warned and last.starts_at >= window_start:
            # After a warning within the window: what came after it counts towards a suspension.
            count = unfounded_count(complainant=complainant, site=site, since=last.starts_at, examples=0).total
            if count < rules.suspend_after:
                return 0
            _impose(complainant, site, kind=Kind.SUSPENSION, rules=rules, now=now, actor=None, since=last.starts_at,
                    since_label=f"Since your warning of {_day(last.starts_at)}")  # fmt: skip
            return 1
        # A fresh start: the window, but nothing before the end of the last suspension (or warning) counts again.
        since = window_start
        if last is not None:
            since = max(since, last.lifted_at or last.ends_at or last.starts_at)
        count = unfounded_count(complainant=complainant, site=site, since=since, examples=0).total
        if count < rules.warning_after:
            return 0
        _impose(complainant, site, kind=Kind.WARNING, rules=rules, now=now, actor=None, since=since,
                since_label=f"In the {rules.window_days} days to {_day(now)}")  # fmt: skip
        return 1


@transaction.atomic
def complainant_sanction_impose(
    *, complainant_id: int, site: Site, kind: str, actor: "User | None", reason: str, days: int | None = None
) -> ComplainantSanction:
    """Staff warn or suspend a complainant by discretion, with a written reason the complainant reads."""
    require_perm(actor, "complaints.sanction_complainant")
    if kind not in Kind.values:
        raise PortalError("Choose a warning or a suspension.", code=Code.BAD_OUTCOME, field="kind")
    if not reason.strip():
        raise PortalError(
            "Write the reason for the decision: the complainant reads it.", code=Code.REASON_REQUIRED, field="reason"
        )
    if days is not None and days < 1:
        raise PortalError("A suspension lasts at least one day.", code=Code.BAD_OUTCOME, field="days")
    complainant = Complainant.objects.select_for_update().select_related("user").get(pk=complainant_id)
    rules = _rules(site)
    now = timezone.now()
    return _impose(complainant, site, kind=kind, rules=rules, now=now, actor=actor, reason=reason,
                   since=now - timedelta(days=rules.window_days),
                   since_label=f"In the {rules.window_days} days to {_day(now)}", days=days)  # fmt: skip


@transaction.atomic
def complainant_sanction_lift(*, sanction_id: int, actor: "User | None", reason: str) -> ComplainantSanction:
    """Staff lift a suspension (or withdraw a warning) early, with a reason the complainant reads."""
    require_perm(actor, "complaints.sanction_complainant")
    if not reason.strip():
        raise PortalError("Write the reason for lifting it.", code=Code.REASON_REQUIRED, field="reason")
    sanction = (
        ComplainantSanction.objects.select_for_update(of=("self",))
        .select_related("complainant__user", "site")
        .get(pk=sanction_id)
    )
    if sanction.status != ComplainantSanction.Status.ACTIVE:
        raise InvalidTransition(f"This {sanction.get_kind_display().lower()} is no longer in place.")
    sanction.lifted_by, sanction.lifted_at, sanction.lift_reason = actor, timezone.now(), reason.strip()
    transition(sanction, ComplainantSanction.Status.LIFTED, actor=actor, verb=Verb.COMPLAINANT_SANCTION_LIFTED,
               fields=["lifted_by", "lifted_at", "lift_reason"], data={"reason": sanction.lift_reason})  # fmt: skip
    _notify_sanction(sanction, "complaints/sanction_lifted")
    return sanction


@transaction.atomic
def abuse_rules_update(*, rules_id: int, actor: "User | None", **values: int) -> AbuseRules:
    """Staff change a site's thresholds (audited with what they were); the next sweep applies them."""
    require_perm(actor, "complaints.change_abuserules")
    rules = AbuseRules.objects.select_for_update().get(pk=rules_id)
    fields = ["window_days", "warning_after", "suspend_after", "suspension_days"]
    if any(not isinstance(values.get(name), int) or values[name] < 1 for name in fields):
        raise PortalError("Every threshold is a whole number of at least 1.", code=Code.BAD_OUTCOME)
    before = {name: getattr(rules, name) for name in fields}
    for name in fields:
        setattr(rules, name, values[name])
    rules.save(update_fields=[*fields, "updated_at"])
    record(actor=actor, verb=Verb.ABUSE_RULES_CHANGED, target=rules, data={"before": before, "after": values})
    return rules
