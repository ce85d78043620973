"""Reads of the ledger: a seller's standing, computed from the ledger and the actions (never from cached fields)."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Prefetch, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from listings.models import Seller, Site

from .ledger import Measures, Totals, in_force, points_for, rules_for
from .models import Action, ActionKind, Appeal, Policy, PolicyStep, Violation


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

    @property
    def points(self) -> int:
        return self.measures.points

    @property
    def strikes(self) -> int:
        return self.measures.strikes


def _reached(measures: Measures, steps: Iterable[PolicyStep]) -> set[tuple[str, int]]:
    return {(s.measure, s.threshold) for s in steps if measures.get(s.measure) >= s.threshold}


def _describe(step: PolicyStep) -> str:
    days = f" for {step.duration_days} days" if step.duration_days else ""
    extra = " and all listings removed" if step.removes_all_listings else ""
    return f"{step.get_action_display()}{days}{extra} ({step.get_measure_display().lower()} reach {step.threshold})"


def ledger_totals(seller: Seller, policy: Policy, at: datetime) -> Totals:
    """The active ledger's totals, added up by the database: general points per local day, and the serious
    violations' times. Two queries whatever the size of the ledger, and no model objects."""
    active = Violation.objects.filter(
        seller=seller, withdrawn_at__isnull=True, occurred_at__lte=at, expires_at__gt=at
    ).order_by()
    totals = Totals(rules_for(policy, seller.site))
    per_day = (
        active.filter(severity=Violation.Severity.GENERAL)
        .annotate(day=TruncDate("occurred_at", tzinfo=seller.site.tzinfo))
        .values("day")
        .annotate(points=Sum("points"))
        .values_list("day", "points")
    )
    for day, points in per_day:
        totals.add_general(day, points)
    totals.add_serious_many(
        list(active.filter(severity=Violation.Severity.SERIOUS).values_list("occurred_at", "points"))
    )
    return totals


def standing_for(seller: Seller, at: datetime | None = None) -> Standing:
    """Active points or strikes, the action in force and until when, whether the seller can post, and what the
    next violation would trigger. A fixed number of queries, whatever the size of the ledger."""
    at = at or timezone.now()
    policy = policy_current(seller.site)
    steps = list(policy.steps.all())
    totals = ledger_totals(seller, policy, at)
    measures = totals.measures()
    actions = list(
        Action.objects.filter(seller=seller, status__in=[Action.Status.ACTIVE, Action.Status.PENDING_APPROVAL]).only(
            "id", "seller_id", "kind", "status", "starts_at", "ends_at", "ground"
        )
    )
    top, until = in_force(actions, at)
    pending_termination = any(
        a.kind == ActionKind.TERMINATION and a.status == Action.Status.PENDING_APPROVAL for a in actions
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
    today = at.astimezone(seller.site.tzinfo).date()

    def after_one_more(severity: str) -> list[str]:
        # One more violation established now changes only today's capped total, or the serious list: add it to a
        # copy of the totals instead of adding everything up again.
        more = totals.copy()
        if severity == Violation.Severity.SERIOUS:
            more.add_serious(at, points_for(policy, severity))
        else:
            more.add_general(today, points_for(policy, severity))
        return [_describe(s) for s in steps if (s.measure, s.threshold) in _reached(more.measures(), steps) - reached]

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
    )


def violation_list_for_seller(seller: Seller) -> QuerySet[Violation]:
    return Violation.objects.filter(seller=seller).order_by("-occurred_at", "-id")


def action_list_for_seller(seller: Seller) -> QuerySet[Action]:
    return Action.objects.filter(seller=seller).prefetch_related("appeals").order_by("-starts_at", "-id")


def appeal_open_for(action: Action) -> Appeal | None:
    return action.appeals.filter(status=Appeal.Status.OPEN).first()
