"""Every write in enforcement: the ledger, automated escalation and de-escalation, discretionary actions, second
approval of terminations, appeals. Each locks the seller row, recomputes standing from the ledger, audits and
queues notices in one transaction."""

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from ipp_portal.audit.services import record, record_many
from ipp_portal.audit.verbs import Verb
from ipp_portal.errors import DeadlinePassed, InvalidTransition, NotPermitted, PortalError
from ipp_portal.notifications.services import queue
from ipp_portal.permissions import require_perm
from ipp_portal.transactions import retry_on_conflict
from ipp_portal.transitions import transition_many
from listings.models import Seller
from listings.services import listings_remove_all_for_seller

from .errors import Code
from .ledger import (
    Replay,
    RungKey,
    in_force,
    plan,
    points_for,
    rows_for,
    rules_for,
    validate_ladder,
)
from .models import Action, ActionKind, Appeal, Policy, PolicyStep, Violation
from .selectors import ledger_history, policy_current, rungs_of

if TYPE_CHECKING:
    from ipp_portal.accounts.models import User
    from ipp_portal.documents.models import Document

    from .ledger import Measures

STANDING_OF = {
    ActionKind.WARNING: Seller.Standing.WARNED,
    ActionKind.POSTING_RESTRICTION: Seller.Standing.RESTRICTED,
    ActionKind.REMOVE_LISTINGS: Seller.Standing.RESTRICTED,
    ActionKind.SUSPENSION: Seller.Standing.SUSPENDED,
    ActionKind.TERMINATION: Seller.Standing.TERMINATED,
}
REDRESS = (
    "You may appeal this decision to the platform until {deadline} (a person decides; at least six months under "
    "DSA Art. 20). You may also counter-notify the claims behind it from your notices page, and you keep the right "
    "to seek redress before a court or an out-of-court dispute settlement body."
)


def _lock_seller(seller: Seller) -> Seller:
    return Seller.objects.select_for_update(of=("self",)).select_related("site", "user").get(pk=seller.pk)


def _notify_seller(seller: Seller, template: str, action: Action, **extra: Any) -> None:
    user = seller.user  # a null foreign key loads nothing: the same queries as testing user_id
    if user is None:  # an imported store nobody has claimed yet: the ledger still records everything
        return
    queue(
        recipient=user,
        template=template,
        context={
            "store": seller.store_name,
            "site": seller.site.name,
            "kind": action.get_kind_display(),
            "duration": action.duration_label,
            "ground": action.ground,
            "facts": action.facts,
            "automated": action.is_automated,
            "reason": action.reason,
            "redress": action.redress,
            "status": action.get_status_display(),
            "path": reverse("enforcement:standing"),
            **extra,
        },
        target=action,
    )


def _rules_path(seller: Seller, policy: Policy) -> str:
    """The published rules of the version an automated action applied (the statement of reasons links them)."""
    return reverse("policy:version", args=[seller.site.code, policy.version])


def _facts(seller: Seller, violations: list[Violation], step: PolicyStep, measures: "Measures", policy: Policy) -> str:
    """The facts of an automated action, truthfully: what the ledger adds up to, and how each violation behind it
    was established (only established violations count)."""
    shown = violations[-20:]
    how = "; ".join(f"{v.reference} ({v.get_establishment_display()}, {_day(v.established_at, seller)})" for v in shown)
    more = f" and {len(violations) - len(shown)} earlier" if len(violations) > len(shown) else ""
    text = (
        f"Your store {seller.store_name} on {seller.site.name} has {measures.points} active point(s), "
        f"{measures.strikes} active strike(s) and {measures.serious} active serious violation(s). The "
        f"{step.get_measure_display().lower()} reached {step.threshold}. The established violations behind it: "
        f"{how or 'none'}{more}."
    )
    if policy.aggregation_window_days:
        text += (
            f" Complaints by one rights holder on one right established within {policy.aggregation_window_days} "
            "day(s) of each other count as one violation (the most severe of them)."
        )
    return text


def _new_action(seller: Seller, *, kind: str, at: datetime, policy: Policy, **fields: Any) -> Action:
    ends_at = fields.pop("ends_at", None)
    action = Action(
        seller=seller,
        kind=kind,
        starts_at=at,
        ends_at=ends_at,
        appeal_deadline=at + timedelta(days=policy.appeal_days),
        **fields,
    )
    action.redress = REDRESS.format(deadline=f"{timezone.localtime(action.appeal_deadline):%d %B %Y}")
    action.save()
    return action


def _apply_step(
    seller: Seller,
    step: PolicyStep,
    *,
    kind: str,
    replaced: bool,
    at: datetime,
    policy: Policy,
    violations: list[Violation],
    measures: "Measures",
    actor: "User | None",
    notify: bool = True,
) -> Action:
    duration = step.duration_days if kind == step.action else None
    removes = step.removes_all_listings and kind == step.action
    ground, facts = step.clause, _facts(seller, violations, step, measures, policy)
    if replaced:
        facts += (
            f" Under the policy this would be: {step.get_action_display().lower()}. Because no warning or restriction "
            "was sent to you in an earlier decision, it is a formal warning instead: a further established violation "
            "applies the next step."
        )
        ground = f"{step.clause} (replaced by a prior warning: DSA Art. 23)"
    action = _new_action(
        seller,
        kind=kind,
        at=at,
        policy=policy,
        ends_at=at + timedelta(days=duration) if duration else None,
        status=Action.Status.PENDING_APPROVAL if kind == ActionKind.TERMINATION else Action.Status.ACTIVE,
        removes_all_listings=removes,
        is_automated=True,
        step=step,
        trigger_measure=step.measure,
        trigger_threshold=step.threshold,
        ground=ground,
        facts=facts,
        references=[v.reference for v in violations[-100:]],  # the most recent; the ledger keeps them all
    )
    record(actor=actor, verb=Verb.ACTION_IMPOSED, target=action, after=action.status,
           data={"kind": action.kind, "automated": True, "step": str(step)})  # fmt: skip
    if action.status == Action.Status.ACTIVE and removes:
        listings_remove_all_for_seller(seller=seller, actor=actor, reason=str(step))
    if action.status == Action.Status.ACTIVE and notify:
        _notify_seller(seller, "enforcement/action_taken", action, rules_path=_rules_path(seller, policy))
    return action


def _end(action: Action, *, status: str, at: datetime, actor: "User | None", verb: str) -> None:
    before = action.status
    action.move_to(status)
    if action.ends_at is None or action.ends_at > at:
        action.ends_at = at
    action.save(update_fields=["status", "ends_at", "cleared_at"])
    record(actor=actor, verb=verb, target=action, before=before, after=action.status)


def _recompute(
    seller: Seller, *, at: datetime, actor: "User | None" = None, policy: Policy | None = None, notify: bool = True
) -> list[Action]:
    """Bring the seller's actions and stored standing in line with the ledger at ``at`` (seller row locked).

    The rungs that apply are a pure function of the active, established ledger (``ledger.plan``); the stored actions
    are reconciled with them: a rung newly reached gets its action, a rung no longer reached is cleared and its
    action lifted (de-escalation), and a rung whose action changed (a prior warning that no longer stands) is
    replaced."""
    policy = policy or policy_current(seller.site)
    steps: dict[RungKey, PolicyStep] = {(s.measure, s.threshold): s for s in policy.steps.all()}
    violations = list(
        Violation.objects.filter(
            seller=seller, status=Violation.Status.ESTABLISHED, established_at__lte=at, expires_at__gt=at
        )
        .only("id", "severity", "points", "reference", "aggregation_key", "establishment", "decision",
              "established_at", "expires_at", "withdrawn_at")
        .order_by("decision", "id")
    )  # fmt: skip
    rules = rules_for(policy, seller.site)
    replay = Replay(rows_for(violations), rules, at)
    measures = replay.measures
    history = list(Action.objects.filter(seller=seller).order_by("starts_at", "id"))
    for action in history:
        if action.status == Action.Status.ACTIVE and action.ends_at is not None and action.ends_at <= at:
            _end(action, status=Action.Status.ENDED, at=action.ends_at, actor=actor, verb=Verb.ACTION_ENDED)
    state = ledger_history(history)
    step_plan = plan(
        replay, rules, rungs_of(steps.values()), at, armed={k: a.kind for k, a in state.armed.items()},
        prior_notice_given=state.prior_notice_given, open_terminations=state.open_terminations,
    )  # fmt: skip
    for key in step_plan.clear:
        action = state.armed[key]
        action.cleared_at = at
        if action.status in (Action.Status.ACTIVE, Action.Status.PENDING_APPROVAL) and (
            action.ends_at is None or action.ends_at > at
        ):
            _end(action, status=Action.Status.LIFTED, at=at, actor=actor, verb=Verb.ACTION_LIFTED)
            if action.kind != ActionKind.WARNING:
                _notify_seller(seller, "enforcement/action_lifted", action)
        else:
            action.save(update_fields=["cleared_at"])
    created = [
        _apply_step(
            seller, steps[(outcome.rung.measure, outcome.rung.threshold)], kind=outcome.action,
            replaced=outcome.is_prior_warning, at=at, policy=policy, violations=violations, measures=measures,
            actor=actor, notify=notify,
        )
        for outcome in step_plan.apply
    ]  # fmt: skip
    _store_standing(seller, history + created, at=at, actor=actor)
    return created


def _store_standing(seller: Seller, actions: list[Action], *, at: datetime, actor: "User | None") -> None:
    top, until = in_force(actions, at)
    standing = STANDING_OF[ActionKind(top.kind)] if top else Seller.Standing.GOOD
    reason = f"{top.get_kind_display()}: {top.ground}" if top else ""
    if (seller.standing, seller.standing_until, seller.standing_reason) == (standing, until, reason[:500]):
        return
    before = seller.standing
    seller.standing, seller.standing_until, seller.standing_reason = standing, until, reason[:500]
    seller.standing_changed_at = at
    seller.save(update_fields=["standing", "standing_until", "standing_reason", "standing_changed_at"])
    record(actor=actor, verb=Verb.SELLER_STANDING_CHANGED, target=seller, before=before, after=standing,
           data={"until": until.isoformat() if until else None})  # fmt: skip


# --- The public interface -----------------------------------------------------------------------------------------


def violation_record(
    *,
    seller: Seller,
    severity: str,
    reference: str,
    occurred_at: datetime | None = None,
    actor: "User | None" = None,
    key: str = "",
) -> Violation:
    """Append one violation, established at ``occurred_at`` (its own decision), to the seller's ledger under the
    site's current policy; escalate if a rung is reached. For facts already established (a court's finding, a
    migration); a takedown records a pending violation instead (``violations_record_pending``)."""
    violations, _ = violations_record_many(
        seller=seller, entries=[(severity, reference)], occurred_at=occurred_at, actor=actor, key=key
    )
    return violations[0]


def _check_entries(entries: Sequence[tuple[str, str]]) -> None:
    if any(severity not in Violation.Severity.values for severity, _ in entries):
        raise PortalError("Unknown severity: use general or serious.", code=Code.BAD_SEVERITY)


def _insert(
    seller: Seller, entries: Sequence[tuple[str, str]], *, policy: Policy, at: datetime, actor: "User | None",
    key: str, establishes_at: datetime | None,
) -> list[Violation]:  # fmt: skip
    violations = Violation.objects.bulk_create(
        Violation(
            seller=seller, policy=policy, severity=severity, points=points_for(policy, severity), reference=reference,
            aggregation_key=key, occurred_at=at, establishes_at=establishes_at, recorded_by=actor,
        )
        for severity, reference in entries
    )  # fmt: skip
    record_many(
        actor=actor, verb=Verb.VIOLATION_RECORDED, targets=violations, after=Violation.Status.PENDING,
        data={"seller": seller.pk, "policy": policy.pk},
    )  # fmt: skip
    return violations


@transaction.atomic
def violations_record_many(
    *,
    seller: Seller,
    entries: list[tuple[str, str]],
    occurred_at: datetime | None = None,
    actor: "User | None" = None,
    policy: Policy | None = None,
    notify_seller: bool = True,
    key: str = "",
) -> tuple[list[Violation], list[Action]]:
    """Record several violations of one seller as established at ``occurred_at``, in one decision: one lock, one
    insert, one audit insert and one recomputation. ``entries`` are (severity, reference). Returns the violations
    and the actions they triggered."""
    _check_entries(entries)
    seller = _lock_seller(seller)
    policy = policy or policy_current(seller.site)
    now = timezone.now()
    occurred_at = occurred_at or now
    if occurred_at > now:
        raise PortalError("A violation cannot be established in the future.", code=Code.FUTURE_VIOLATION)
    violations = _insert(seller, entries, policy=policy, at=occurred_at, actor=actor, key=key, establishes_at=None)
    return _establish(
        seller, violations, how=Violation.Establishment.RECORDED, at=now, when=lambda v: occurred_at, actor=actor,
        notify_seller=notify_seller,
    )  # fmt: skip


@transaction.atomic
def violations_record_pending(
    *,
    seller: Seller,
    entries: Sequence[tuple[str, str]],
    establishes_at: datetime,
    key: str = "",
    actor: "User | None" = None,
    policy: Policy | None = None,
) -> list[Violation]:
    """A takedown: record pending violations that count for nothing until established — at ``establishes_at`` if
    the seller does not counter-notify by then (``violations_establish_due``), when a counter-notice fails and
    staff uphold the removal, or when the seller chooses not to dispute (``violations_establish``). ``key`` names
    the rights holder's right, for aggregation. No penalty before the seller could answer."""
    _check_entries(entries)
    seller = _lock_seller(seller)
    policy = policy or policy_current(seller.site)
    return _insert(
        seller, entries, policy=policy, at=timezone.now(), actor=actor, key=key, establishes_at=establishes_at
    )


def _lock_pending(seller: Seller, violation_ids: Iterable[int]) -> list[Violation]:
    return list(
        Violation.objects.select_for_update(of=("self",))
        .select_related("policy")
        .filter(pk__in=list(violation_ids), seller=seller, status=Violation.Status.PENDING)
        .order_by("pk")
    )


def _day(moment: datetime | None, seller: Seller) -> str:
    return f"{timezone.localtime(moment, seller.site.tzinfo):%d %B %Y}" if moment else ""


def _establish(
    seller: Seller,
    violations: list[Violation],
    *,
    how: str,
    at: datetime,
    when: "Callable[[Violation], datetime]",
    actor: "User | None",
    notify_seller: bool = True,
) -> tuple[list[Violation], list[Action]]:
    """Establish pending violations of a locked seller as one decision (one notice), then recompute."""
    if not violations:
        return [], []
    last = Violation.objects.filter(seller=seller).aggregate(last=Max("decision"))["last"] or 0
    for violation in violations:
        violation.established_at = when(violation)
        violation.expires_at = violation.established_at + timedelta(days=violation.policy.expiry_days)
        violation.establishment, violation.decision, violation.establishes_at = how, last + 1, None
    transition_many(
        violations, Violation.Status.ESTABLISHED, actor=actor, verb=Verb.VIOLATION_ESTABLISHED,
        fields=["established_at", "expires_at", "establishment", "decision", "establishes_at"], data={"how": how},
    )  # fmt: skip
    created = _recompute(seller, at=at, actor=actor, notify=False)
    if notify_seller and seller.user is not None:
        queue(
            recipient=seller.user,
            template="enforcement/violations_established",
            context={
                "store": seller.store_name,
                "site": seller.site.name,
                "violations": [
                    {
                        "reference": v.reference,
                        "severity": v.get_severity_display(),
                        "how": v.get_establishment_display(),
                        "expires": _day(v.expires_at, seller),
                    }
                    for v in violations
                ],
                "actions": [
                    {"kind": a.get_kind_display(), "status": a.get_status_display(), "duration": a.duration_label,
                     "ground": a.ground, "facts": a.facts, "redress": a.redress,
                     "rules_path": _rules_path(seller, a.step.policy) if a.step else ""}
                    for a in created
                ],
                "path": reverse("enforcement:standing"),
            },
            target=seller,
        )  # fmt: skip
    return violations, created


@transaction.atomic
def violations_establish(
    *, seller: Seller, violation_ids: Iterable[int], how: str, actor: "User | None" = None
) -> tuple[list[Violation], list[Action]]:
    """Establish the seller's pending violations now, in one decision: staff upheld the removal after a
    counter-notice, or the seller chose not to dispute. The seller is told in one notice what became established
    and what it triggered. Violations already established or withdrawn are left as they are."""
    if how not in (Violation.Establishment.UPHELD, Violation.Establishment.NOT_DISPUTED):
        raise PortalError("A violation is established now only when upheld or not disputed.", code=Code.BAD_OUTCOME)
    seller = _lock_seller(seller)
    now = timezone.now()
    return _establish(seller, _lock_pending(seller, violation_ids), how=how, at=now, when=lambda v: now, actor=actor)


@transaction.atomic
def violations_hold(*, seller: Seller, violation_ids: Iterable[int], actor: "User | None" = None) -> int:
    """The seller counter-notified: their pending violations wait for the outcome instead of a date."""
    seller = _lock_seller(seller)
    held = [v for v in _lock_pending(seller, violation_ids) if v.establishes_at is not None]
    for violation in held:
        violation.establishes_at = None
    Violation.objects.bulk_update(held, ["establishes_at"])
    record_many(actor=actor, verb=Verb.VIOLATION_HELD, targets=held)
    return len(held)


def violations_establish_due(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Pending violations whose counter-notice window closed unused become established, each at the moment its
    window closed (so expiry and the daily cap run from then, even when the sweep catches up after downtime). One
    transaction and one decision per store and run; idempotent. Returns how many were established."""
    now = now or timezone.now()
    done = 0
    while True:
        seller_ids = list(
            Violation.objects.filter(status=Violation.Status.PENDING, establishes_at__lte=now)
            .order_by("seller_id")
            .values_list("seller_id", flat=True)
            .distinct()[:batch_size]
        )
        if not seller_ids:
            return done
        for seller_id in seller_ids:
            done += _establish_due_for(seller_id, now)


@retry_on_conflict
def _establish_due_for(seller_id: int, now: datetime) -> int:
    seller = Seller.objects.select_for_update(of=("self",)).select_related("site", "user").get(pk=seller_id)
    due = list(
        Violation.objects.select_for_update(of=("self",))
        .select_related("policy")
        .filter(seller=seller, status=Violation.Status.PENDING, establishes_at__lte=now)
        .order_by("pk")
    )
    violations, _ = _establish(
        seller, due, how=Violation.Establishment.WINDOW_CLOSED, at=now,
        when=lambda v: v.establishes_at or now, actor=None,
    )  # fmt: skip
    return len(violations)


@transaction.atomic
def violation_withdraw(*, violation: Violation, reason: str, actor: "User | None" = None) -> Violation:
    """Withdraw a violation, pending or established (a successful counter-notice, a retraction, an overturned
    appeal, a staff error); de-escalate."""
    if not reason or not reason.strip():
        raise PortalError("Say why the violation is withdrawn: the seller reads it.", code=Code.REASON_REQUIRED)
    seller = _lock_seller(violation.seller)
    violation = Violation.objects.select_for_update().get(pk=violation.pk)
    if violation.status == Violation.Status.WITHDRAWN:
        return violation
    was_established = violation.status == Violation.Status.ESTABLISHED
    _withdraw([violation], reason=reason.strip(), actor=actor, data=None)
    if was_established:
        _recompute(seller, at=violation.withdrawn_at, actor=actor)  # type: ignore[arg-type]
    return violation


def _withdraw(violations: list[Violation], *, reason: str, actor: "User | None", data: dict | None) -> None:
    now = timezone.now()
    for violation in violations:
        violation.withdrawn_at, violation.withdrawal_reason, violation.establishes_at = now, reason, None
    transition_many(
        violations, Violation.Status.WITHDRAWN, actor=actor, verb=Verb.VIOLATION_WITHDRAWN,
        fields=["withdrawn_at", "withdrawal_reason", "establishes_at"], data={"reason": reason, **(data or {})},
    )  # fmt: skip


@transaction.atomic
def action_impose(
    *, seller: Seller, kind: str, reason: str, actor: "User | None", ends_at: datetime | None = None, ground: str = ""
) -> Action:
    """A discretionary action (policy §3: "full discretion ... such as where litigation has been initiated"): needs a
    written reason and a ground; a termination waits for a second staff member's approval."""
    require_perm(actor, "enforcement.add_action")
    if kind not in ActionKind.values:
        raise PortalError(f"Unknown action “{kind}”.", code=Code.BAD_KIND)
    if not reason or not reason.strip() or not ground.strip():
        raise PortalError("A discretionary action needs a written reason and its ground.", code=Code.REASON_REQUIRED)
    seller = _lock_seller(seller)
    now = timezone.now()
    if ends_at is not None and ends_at <= now:
        raise PortalError("The end must be in the future.", code=Code.BAD_END)
    policy = policy_current(seller.site)
    action = _new_action(
        seller,
        kind=kind,
        at=now,
        policy=policy,
        ends_at=ends_at,
        status=Action.Status.PENDING_APPROVAL if kind == ActionKind.TERMINATION else Action.Status.ACTIVE,
        removes_all_listings=kind == ActionKind.REMOVE_LISTINGS,
        is_automated=False,
        imposed_by=actor,
        ground=ground.strip(),
        reason=reason.strip(),
        facts=f"Decided by platform staff: {reason.strip()}",
    )
    record(actor=actor, verb=Verb.ACTION_IMPOSED, target=action, after=action.status,
           data={"kind": kind, "automated": False, "reason": reason.strip()})  # fmt: skip
    if action.status == Action.Status.ACTIVE:
        if action.removes_all_listings:
            listings_remove_all_for_seller(seller=seller, actor=actor, reason=reason.strip())
        _notify_seller(seller, "enforcement/action_taken", action)
    _recompute(seller, at=now, actor=actor)
    return action


@transaction.atomic
def action_approve(*, action_id: int, approver: "User") -> Action:
    """The second staff approval that puts a termination into force."""
    require_perm(approver, "enforcement.change_action")
    action = (
        Action.objects.select_for_update(of=("self",)).select_related("seller__site", "step__policy").get(pk=action_id)
    )
    if action.status != Action.Status.PENDING_APPROVAL:
        raise InvalidTransition(f"This action is {action.get_status_display().lower()}; there is nothing to approve.")
    if action.imposed_by_id is not None and action.imposed_by_id == approver.pk:
        raise NotPermitted("A termination needs a second staff member: someone else must approve it.")
    seller = _lock_seller(action.seller)
    now = timezone.now()
    action.move_to(Action.Status.ACTIVE)
    action.approved_by, action.approved_at, action.starts_at = approver, now, now
    action.removes_all_listings = True
    action.save(update_fields=["status", "approved_by", "approved_at", "starts_at", "removes_all_listings"])
    record(actor=approver, verb=Verb.ACTION_APPROVED, target=action, before="pending_approval", after=action.status)
    listings_remove_all_for_seller(seller=seller, actor=approver, reason="membership terminated")
    rules = {"rules_path": _rules_path(seller, action.step.policy)} if action.step else {}
    _notify_seller(seller, "enforcement/action_taken", action, **rules)
    _recompute(seller, at=now, actor=approver)
    return action


@transaction.atomic
def action_refuse(*, action_id: int, approver: "User", reason: str) -> Action:
    """The second staff member does not approve a termination."""
    require_perm(approver, "enforcement.change_action")
    if not reason.strip():
        raise PortalError("Say why the termination is not approved.", code=Code.REASON_REQUIRED)
    action = Action.objects.select_for_update(of=("self",)).select_related("seller").get(pk=action_id)
    if action.status != Action.Status.PENDING_APPROVAL:
        raise InvalidTransition(f"This action is {action.get_status_display().lower()}; there is nothing to refuse.")
    seller = _lock_seller(action.seller)
    action.move_to(Action.Status.REFUSED)
    action.approved_by, action.approved_at = approver, timezone.now()
    action.save(update_fields=["status", "approved_by", "approved_at"])
    record(actor=approver, verb=Verb.ACTION_REFUSED, target=action, before="pending_approval", after=action.status,
           data={"reason": reason.strip()})  # fmt: skip
    _recompute(seller, at=timezone.now(), actor=approver)
    return action


def standings_sweep(*, at: datetime | None = None, batch_size: int = 500) -> int:
    """End timed actions whose end passed and lift rungs whose violations expired; idempotent, catches up."""
    at = at or timezone.now()
    seller_ids = set(
        Action.objects.filter(status=Action.Status.ACTIVE, ends_at__lte=at).values_list("seller_id", flat=True)[
            :batch_size
        ]
    )
    seller_ids |= set(
        Action.objects.filter(is_automated=True, cleared_at__isnull=True)
        .values_list("seller_id", flat=True)
        .distinct()[:batch_size]
    )
    for seller_id in sorted(seller_ids):
        with transaction.atomic():
            seller = Seller.objects.select_for_update(of=("self",)).select_related("site", "user").get(pk=seller_id)
            _recompute(seller, at=at, actor=None)
    return len(seller_ids)


@transaction.atomic
def appeal_file(*, action_id: int, user: "User", statement: str, documents: "Sequence[Document]" = ()) -> Appeal:
    """The seller appeals an action within its appeal window (at least 180 days); one open appeal per action."""
    action = Action.objects.select_for_update(of=("self",)).select_related("seller").filter(pk=action_id).first()
    if action is None or action.seller.user_id != user.pk:
        raise Action.DoesNotExist
    if not statement.strip():
        raise PortalError("Explain why the action should be overturned.", code=Code.STATEMENT_REQUIRED)
    if timezone.now() > action.appeal_deadline:
        raise DeadlinePassed(
            f"The appeal window for this action closed on {timezone.localtime(action.appeal_deadline):%d %B %Y}."
        )
    if action.status in (Action.Status.OVERTURNED, Action.Status.REFUSED):
        raise InvalidTransition("This action is no longer in place; there is nothing to appeal.")
    if action.appeals.filter(status=Appeal.Status.OPEN).exists():
        raise InvalidTransition("You already have an open appeal against this action; staff will decide it.")
    appeal = Appeal.objects.create(action=action, filed_by=user, statement=statement.strip())
    if documents:
        appeal.documents.add(*documents)
    record(actor=user, verb=Verb.APPEAL_FILED, target=appeal, after=appeal.status, data={"action": action.pk})
    return appeal


@transaction.atomic
def appeal_decide(
    *,
    appeal_id: int,
    reviewer: "User | None",
    outcome: str,
    reason: str,
    withdraw_violation_ids: Iterable[int] = (),
) -> Appeal:
    """Staff decide an appeal: uphold, or overturn (the action lifts and the chosen violations are withdrawn)."""
    require_perm(reviewer, "enforcement.change_appeal")
    if outcome not in (Appeal.Status.UPHELD, Appeal.Status.OVERTURNED):
        raise PortalError("Choose uphold or overturn.", code=Code.BAD_OUTCOME)
    if not reason.strip():
        raise PortalError("Give the reason for the decision: the seller reads it.", code=Code.REASON_REQUIRED)
    appeal = Appeal.objects.select_for_update(of=("self",)).select_related("action__seller").get(pk=appeal_id)
    if appeal.status != Appeal.Status.OPEN:
        raise InvalidTransition(f"This appeal was already decided ({appeal.get_status_display().lower()}).")
    seller = _lock_seller(appeal.action.seller)
    now = timezone.now()
    appeal.move_to(outcome)
    appeal.decided_by, appeal.decided_at, appeal.decision_reason = reviewer, now, reason.strip()
    appeal.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    record(actor=reviewer, verb=f"appeal.{outcome}", target=appeal, before="open", after=outcome,
           data={"reason": appeal.decision_reason})  # fmt: skip
    action = Action.objects.select_for_update().get(pk=appeal.action_id)
    if outcome == Appeal.Status.OVERTURNED:
        _end(action, status=Action.Status.OVERTURNED, at=now, actor=reviewer, verb=Verb.ACTION_OVERTURNED)
        withdrawn = list(
            Violation.objects.select_for_update()
            .filter(pk__in=list(withdraw_violation_ids), seller=seller)
            .exclude(status=Violation.Status.WITHDRAWN)
            .order_by("pk")
        )
        _withdraw(withdrawn, reason=f"Appeal overturned: {appeal.decision_reason}", actor=reviewer,
                  data={"appeal": appeal.pk})  # fmt: skip
        _recompute(seller, at=now, actor=reviewer)
    _notify_seller(seller, "enforcement/appeal_decided", action, outcome=appeal.get_status_display(),
                   decision_reason=appeal.decision_reason)  # fmt: skip
    return appeal


# What a new version does not copy: what makes it a version of its own. Everything else is copied, so a field added
# to the policy is copied without anyone remembering to (a test checks every concrete field).
POLICY_OWN = frozenset({"id", "version", "is_current", "created_at", "created_by"})


@transaction.atomic
def policy_new_version(*, policy_id: int, actor: "User | None") -> Policy:
    """Copy a policy (with its ladder) into the next version, not yet current, for staff to edit."""
    require_perm(actor, "enforcement.add_policy")
    source = Policy.objects.select_for_update().get(pk=policy_id)
    latest = Policy.objects.filter(site=source.site).order_by("-version").values_list("version", flat=True).first()
    copy = Policy.objects.create(
        site=source.site,
        version=(latest or 0) + 1,
        is_current=False,
        created_by=actor,
        **{f.attname: getattr(source, f.attname) for f in Policy._meta.concrete_fields if f.name not in POLICY_OWN},
    )
    PolicyStep.objects.bulk_create(
        PolicyStep(
            policy=copy, measure=s.measure, threshold=s.threshold, action=s.action, duration_days=s.duration_days,
            removes_all_listings=s.removes_all_listings, clause=s.clause,
        )
        for s in source.steps.all()
    )  # fmt: skip
    record(actor=actor, verb=Verb.POLICY_VERSION_CREATED, target=copy, data={"from_version": source.version})
    return copy


@transaction.atomic
def policy_activate(*, policy_id: int, actor: "User | None") -> Policy:
    """Make a policy version the one new violations are judged under (earlier violations keep theirs)."""
    require_perm(actor, "enforcement.activate_policy")
    policy = Policy.objects.select_for_update().select_related("site").get(pk=policy_id)
    if policy.is_current:
        return policy
    problems = validate_ladder(list(policy.steps.all()))
    if problems:
        raise PortalError(" ".join(problems), code=Code.INVALID_POLICY)
    previous = Policy.objects.select_for_update().filter(site=policy.site, is_current=True).first()
    Policy.objects.filter(site=policy.site, is_current=True).update(is_current=False)
    policy.is_current = True
    policy.save(update_fields=["is_current"])
    record(actor=actor, verb=Verb.POLICY_ACTIVATED, target=policy, before=str(previous.version) if previous else "",
           after=str(policy.version))  # fmt: skip
    return policy
