"""Reads of the ledger: a seller's standing, computed from the ledger and the actions (never from cached fields)."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import F, Prefetch, QuerySet
from django.utils import timezone

from ipp_portal.audit.models import AuditEvent
from ipp_portal.audit.verbs import Verb
from listings.models import Seller, Site

from .ledger import (
    PRIOR_NOTICE,
    Forecast,
    Measures,
    Replay,
    Row,
    Rung,
    RungKey,
    forecast,
    in_force,
    points_for,
    rules_for,
)
from .models import Action, ActionKind, Appeal, Measure, Policy, PolicyStep, Violation


def policy_current(site: Site) -> Policy:
    return Policy.objects.prefetch_related(
        Prefetch("steps", queryset=PolicyStep.objects.order_by("measure", "threshold"))
    ).get(site=site, is_current=True)


@dataclass(frozen=True)
class NextStep:
    measure: str
    threshold: int
    action: str
    duration_days: int | None
    missing: int  # how much more of the measure reaches it

    @property
    def action_label(self) -> str:
        return ActionKind(self.action).label

    @property
    def measure_label(self) -> str:
        return Measure(self.measure).label.lower()


@dataclass(frozen=True)
class Foreseen:
    """What establishing a group of pending violations would do, in words, with exactly the ledger's planner."""

    at: datetime | None  # None: waiting for a counter-notice's outcome
    references: list[str]
    actions: list[str]  # the actions it would apply, described
    lifts: int  # rungs it would clear (a prior warning replaced by the published action)
    applies: list[tuple[str, int, str]]  # (measure, threshold, action) of each, as the ledger would record them


@dataclass(frozen=True)
class Standing:
    """Where a seller stands on one site at a moment."""

    at: datetime
    measures: Measures
    in_force: Action | None
    in_force_until: datetime | None
    can_post: bool
    is_pending_termination: bool
    next_steps: list[NextStep] = field(default_factory=list)
    one_more_general: list[str] = field(default_factory=list)
    one_more_serious: list[str] = field(default_factory=list)
    pending: list[Foreseen] = field(default_factory=list)

    @property
    def points(self) -> int:
        return self.measures.points

    @property
    def strikes(self) -> int:
        return self.measures.strikes


@dataclass(frozen=True)
class LedgerHistory:
    """What the planner needs from a store's actions: the rungs automated actions consumed (and the action), whether
    staff already gave a prior warning, and the terminations waiting or in force (one per cause)."""

    armed: dict[RungKey, Action]
    prior_notice_given: bool
    open_terminations: frozenset[RungKey | None]


def ledger_history(actions: Iterable[Action]) -> LedgerHistory:
    actions = list(actions)
    armed = {
        (a.trigger_measure, a.trigger_threshold): a
        for a in actions
        if a.is_automated and a.trigger_measure and a.trigger_threshold is not None and a.cleared_at is None
    }
    staff_notice = any(
        not a.is_automated and a.kind in PRIOR_NOTICE and a.status in (Action.Status.ACTIVE, Action.Status.ENDED)
        for a in actions
    )
    # A refused automated termination holds its rung until the ledger falls below it: staff said no to these facts.
    terminations: set[RungKey | None] = set()
    for a in actions:
        if a.kind != ActionKind.TERMINATION:
            continue
        if a.is_automated and a.trigger_measure and a.trigger_threshold is not None and a.cleared_at is None:
            if a.status in (Action.Status.PENDING_APPROVAL, Action.Status.ACTIVE, Action.Status.REFUSED):
                terminations.add((a.trigger_measure, a.trigger_threshold))
        elif not a.is_automated and a.status in (Action.Status.PENDING_APPROVAL, Action.Status.ACTIVE):
            terminations.add(None)
    return LedgerHistory(armed, staff_notice, frozenset(terminations))


def rungs_of(steps: Iterable[PolicyStep]) -> list[Rung]:
    return [Rung(s.measure, s.threshold, s.action) for s in steps]


def _reached(measures: Measures, steps: Iterable[PolicyStep]) -> set[tuple[str, int]]:
    return {(s.measure, s.threshold) for s in steps if measures.get(s.measure) >= s.threshold}


def _describe(step: PolicyStep, kind: str) -> str:
    if kind != step.action:
        return (
            f"{ActionKind(kind).label} instead of {step.get_action_display().lower()}, as no warning was sent to you "
            f"before ({step.get_measure_display().lower()} reach {step.threshold})"
        )
    days = f" for {step.duration_days} days" if step.duration_days else ""
    extra = " and all listings removed" if step.removes_all_listings else ""
    waits = " (after a second staff approval)" if kind == ActionKind.TERMINATION else ""
    return (
        f"{step.get_action_display()}{days}{extra}{waits} ({step.get_measure_display().lower()} reach {step.threshold})"
    )


def active_rows(seller: Seller, at: datetime) -> list[Row]:
    """The established violations in force at ``at``, as the arithmetic's rows, in decision order (one query, no
    model objects)."""
    values = (
        Violation.objects.filter(
            seller=seller, status=Violation.Status.ESTABLISHED, established_at__lte=at, expires_at__gt=at
        )
        .order_by("decision", "id")
        .values_list("severity", "points", "established_at", "expires_at", "aggregation_key", "decision")
    )
    return [
        Row(sev, pts, est, exp, key=key, decision=dec or 0)
        for sev, pts, est, exp, key, dec in values
        if est is not None and exp is not None  # always so when established (a check constraint)
    ]


def standing_for(seller: Seller, at: datetime | None = None) -> Standing:
    """Active points or strikes, the action in force and until when, whether the seller can post, the pending
    violations with the day each becomes established unless disputed, and what establishing them — or one more
    violation — would do, forecast by the ledger's own planner. A fixed number of queries."""
    at = at or timezone.now()
    policy = policy_current(seller.site)
    steps = list(policy.steps.all())
    by_key = {(s.measure, s.threshold): s for s in steps}
    rules = rules_for(policy, seller.site)
    replay = Replay(active_rows(seller, at), rules, at)  # once: every forecast below goes on from it
    measures = replay.measures
    actions = list(
        Action.objects.filter(seller=seller).only(
            "id", "seller_id", "kind", "status", "starts_at", "ends_at", "ground", "is_automated", "trigger_measure",
            "trigger_threshold", "cleared_at",
        )
    )  # fmt: skip
    live = [a for a in actions if a.status in (Action.Status.ACTIVE, Action.Status.PENDING_APPROVAL)]
    top, until = in_force(live, at)
    pending_termination = any(
        a.kind == ActionKind.TERMINATION and a.status == Action.Status.PENDING_APPROVAL for a in live
    )
    blocked = top is not None and top.kind in (
        ActionKind.POSTING_RESTRICTION, ActionKind.REMOVE_LISTINGS, ActionKind.SUSPENSION, ActionKind.TERMINATION
    )  # fmt: skip
    reached = _reached(measures, steps)
    next_steps = [
        NextStep(s.measure, s.threshold, s.action, s.duration_days, s.threshold - measures.get(s.measure))
        for s in steps
        if (s.measure, s.threshold) not in reached
    ]
    # The lowest rung not yet reached, per measure.
    lowest: dict[str, NextStep] = {}
    for step in sorted(next_steps, key=lambda n: n.threshold):
        lowest.setdefault(step.measure, step)
    history = ledger_history(actions)
    armed = {key: a.kind for key, a in history.armed.items()}
    rungs = rungs_of(steps)

    def foresee(groups: list[tuple[datetime, list[Row]]]) -> list[Forecast]:
        return forecast(replay, groups, rules, rungs, armed=armed, prior_notice_given=history.prior_notice_given,
                        open_terminations=history.open_terminations)  # fmt: skip

    def described(step: Forecast) -> list[str]:
        return [_describe(by_key[(o.rung.measure, o.rung.threshold)], o.action) for o in step.applies]

    def after_one_more(severity: str) -> list[str]:
        row = Row(severity, points_for(policy, severity), at, at + timedelta(days=policy.expiry_days))
        return described(foresee([(at, [row])])[0])

    return Standing(
        at=at,
        measures=measures,
        in_force=top,
        in_force_until=until,
        can_post=not blocked,
        is_pending_termination=pending_termination,
        next_steps=sorted(lowest.values(), key=lambda n: n.measure),
        one_more_general=after_one_more(Violation.Severity.GENERAL),
        one_more_serious=after_one_more(Violation.Severity.SERIOUS),
        pending=_pending_forecast(seller, policy, at, foresee, described),
    )


def _pending_forecast(seller: Seller, policy: Policy, at: datetime, foresee, described) -> list[Foreseen]:
    """Pending violations grouped by the moment they become established (one decision each, as the sweep makes),
    earliest first, each with what it would do if established then; those waiting for a counter-notice's outcome
    last, as if upheld after the dated ones. The groups already due at ``at`` (windows closed, not swept yet) are
    one group: the next sweep establishes them together, in one decision (``violations_establish_due``)."""
    pending = list(
        Violation.objects.filter(seller=seller, status=Violation.Status.PENDING)
        .order_by(F("establishes_at").asc(nulls_last=True), "id")
        .values_list("reference", "severity", "points", "aggregation_key", "establishes_at")[:PENDING_SHOWN]
    )
    groups: list[tuple[datetime | None, list[tuple[str, Row]]]] = []
    for reference, severity, points, key, when in pending:
        established = when or at  # a window that closed is established at its deadline, even if not swept yet
        row = Row(severity, points, established, established + timedelta(days=policy.expiry_days), key=key)
        overdue = when is not None and when <= at
        if groups and (groups[-1][0] == when or (overdue and groups[-1][0] is not None and groups[-1][0] <= at)):
            # Ordered by the moment, so the groups already due come first, as one showing the latest moment.
            members = groups[-1][1]
            members.append((reference, row))
            groups[-1] = (when, members)
        else:
            groups.append((when, [(reference, row)]))
    steps = foresee([(max(when or at, at), [row for _, row in group]) for when, group in groups])
    return [
        Foreseen(
            when, [ref for ref, _ in group], described(step), len(step.clears),
            [(o.rung.measure, o.rung.threshold, o.action) for o in step.applies],
        )
        for (when, group), step in zip(groups, steps, strict=True)
    ]  # fmt: skip


# The pending violations a standing page lists and forecasts (a store rarely has more than a claim's worth).
PENDING_SHOWN = 300


def violation_list_for_seller(seller: Seller) -> QuerySet[Violation]:
    # The version each was judged under: the standing page links its published rules.
    return Violation.objects.filter(seller=seller).select_related("policy").order_by("-occurred_at", "-id")


def action_list_for_seller(seller: Seller) -> QuerySet[Action]:
    return Action.objects.filter(seller=seller).prefetch_related("appeals").order_by("-starts_at", "-id")


def appeal_open_for(action: Action) -> Appeal | None:
    return action.appeals.filter(status=Appeal.Status.OPEN).first()


def policy_list_for_site(site: Site) -> list[Policy]:
    """Every version of a site's policy with its ladder, newest first (two queries however many versions)."""
    return list(
        Policy.objects.filter(site=site)
        .prefetch_related(Prefetch("steps", queryset=PolicyStep.objects.order_by("measure", "threshold")))
        .order_by("-version")
    )


def policy_activation_list(policies: Iterable[Policy]) -> list[tuple[datetime, int, str]]:
    """When staff made each of these versions current, from the audit trail: (time, policy id, the version it
    replaced), oldest first. One query; nothing about who did it."""
    return list(
        AuditEvent.objects.filter(
            verb=Verb.POLICY_ACTIVATED,
            target_type__app_label="enforcement",
            target_type__model="policy",
            target_id__in=[str(p.pk) for p in policies],
        )
        .order_by("created_at", "id")
        .values_list("created_at", "target_id", "from_state")
    )
