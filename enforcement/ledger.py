"""Pure arithmetic of the ledger: what a set of violations adds up to at a moment, under a policy.

No I/O here, so the same functions serve the services, the seller's standing page and the property tests.
"""

from bisect import insort
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import pairwise
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from listings.models import Site

    from .models import Action, Policy, PolicyStep, Violation


@dataclass(frozen=True)
class Row:
    """The facts of one violation the arithmetic needs."""

    severity: str  # "general" or "serious"
    points: int
    occurred_at: datetime
    expires_at: datetime
    withdrawn: bool = False

    def active_at(self, at: datetime) -> bool:
        return not self.withdrawn and self.occurred_at <= at < self.expires_at


@dataclass(frozen=True)
class Rules:
    daily_general_cap: int  # 0: no cap
    strike_window_days: int  # 0: serious violations are not strikes
    timezone: str


@dataclass(frozen=True)
class Measures:
    points: int
    strikes: int
    serious: int

    def get(self, measure: str) -> int:
        return getattr(self, measure)


class Totals:
    """Running totals of a ledger: general points per calendar day (site zone) and the serious violations' times.

    Everything the measures depend on, so they can be built from rows one at a time (the replay of ``outcomes``) or
    straight from aggregates computed by the database (``standing_for``)."""

    def __init__(self, rules: Rules) -> None:
        self.rules = rules
        self._tz = ZoneInfo(rules.timezone)
        self.day_points: dict = defaultdict(int)
        self.general = 0  # capped general points, kept up to date as days fill
        self.serious_points = 0
        self.serious_times: list[datetime] = []  # sorted
        self.strikes = 0

    def _capped(self, total: int) -> int:
        cap = self.rules.daily_general_cap
        return min(total, cap) if cap else total

    def add_general(self, day: date, points: int) -> None:
        before = self._capped(self.day_points[day])
        self.day_points[day] += points
        self.general += self._capped(self.day_points[day]) - before

    def add_serious(self, when: datetime, points: int) -> None:
        self.serious_points += points
        insort(self.serious_times, when)
        self.strikes = self._count_strikes()

    def add_serious_many(self, rows: list[tuple[datetime, int]]) -> None:
        """Add many serious violations at once (counting strikes once, not after each)."""
        for when, points in rows:
            self.serious_points += points
            self.serious_times.append(when)
        self.serious_times.sort()
        self.strikes = self._count_strikes()

    def copy(self) -> "Totals":
        other = Totals(self.rules)
        other.day_points = defaultdict(int, self.day_points)
        other.general, other.serious_points, other.strikes = self.general, self.serious_points, self.strikes
        other.serious_times = list(self.serious_times)
        return other

    def add(self, row: Row) -> None:
        if row.severity == "serious":
            self.add_serious(row.occurred_at, row.points)
        else:
            self.add_general(row.occurred_at.astimezone(self._tz).date(), row.points)

    def _count_strikes(self) -> int:
        # A strike starts at a serious violation and takes in those established within the window after it.
        if not self.rules.strike_window_days:
            return 0
        window = timedelta(days=self.rules.strike_window_days)
        strikes, started = 0, None
        for when in self.serious_times:
            if started is None or when - started >= window:
                strikes, started = strikes + 1, when
        return strikes

    def measures(self) -> Measures:
        return Measures(
            points=self.general + self.serious_points, strikes=self.strikes, serious=len(self.serious_times)
        )


def measures_at(rows: list[Row], rules: Rules, at: datetime) -> Measures:
    """Active points (general points capped per calendar day in the site's zone, plus serious points), active
    strikes (serious violations established within the window of a strike's first one count as that strike), and
    the number of active serious violations."""
    totals = Totals(rules)
    for row in rows:
        if row.active_at(at):
            totals.add(row)
    return totals.measures()


@dataclass(frozen=True)
class Rung:
    measure: str
    threshold: int
    action: str  # the published action


@dataclass(frozen=True)
class Outcome:
    """What a rung amounts to for this ledger: the action that applies, and whether a prior warning replaced it."""

    rung: Rung
    crossed_by: int  # index (ledger order) of the violation that reached the rung
    action: str
    is_prior_warning: bool


# How much each kind of action restricts the seller (the action in force is the most severe), and which kinds count
# as the prior notice that a suspension or termination needs (DSA Art. 23): the one ranking and the one set.
PRIOR_NOTICE = frozenset({"warning", "posting_restriction", "remove_listings"})
NEEDS_PRIOR_NOTICE = frozenset({"suspension", "termination"})
KIND_RANK = {"warning": 1, "posting_restriction": 2, "remove_listings": 2, "suspension": 3, "termination": 4}
TIMED_KINDS = frozenset({"posting_restriction", "remove_listings", "suspension"})


def outcomes(
    rows: list[Row], rules: Rules, rungs: list[Rung], at: datetime, *, prior_notice_given: bool = False
) -> list[Outcome]:
    """The rungs the active ledger reaches at ``at``, in the order it reached them (replaying the ledger in its
    order), each with the action that applies. A pure function of the ledger, so the standing built incrementally
    and the standing rebuilt from scratch agree.

    DSA Art. 23: a rung that would suspend or close the store applies only when an earlier violation already led to
    a warning or restriction (or staff gave one: ``prior_notice_given``); otherwise it is a warning instead."""
    crossed: dict[Rung, int] = {}
    totals = Totals(rules)
    pending = list(rungs)
    for index, row in enumerate(r for r in rows if r.active_at(at)):
        if not pending:
            break
        totals.add(row)  # measures never fall as rows are added, so the first prefix that reaches a rung counts
        measures = totals.measures()
        for rung in [r for r in pending if measures.get(r.measure) >= r.threshold]:
            crossed[rung] = index
            pending.remove(rung)
    result: list[Outcome] = []
    notice_at = -1 if prior_notice_given else None
    for rung, index in sorted(
        crossed.items(), key=lambda item: (item[1], KIND_RANK[item[0].action], item[0].threshold)
    ):
        action, replaced = rung.action, False
        if action in NEEDS_PRIOR_NOTICE and (notice_at is None or notice_at >= index):
            action, replaced = "warning", True
        if action in PRIOR_NOTICE and notice_at is None:
            notice_at = index
        result.append(Outcome(rung, index, action, replaced))
    return result


# --- From model rows to the arithmetic (attribute reads only, so services and selectors share them) ------------


def rules_for(policy: "Policy", site: "Site") -> Rules:
    """The ledger rules of a policy version on a site."""
    return Rules(
        daily_general_cap=policy.daily_general_cap,
        strike_window_days=policy.strike_window_days,
        timezone=site.timezone,
    )


def rows_for(violations: "Iterable[Violation]") -> list[Row]:
    return [
        Row(v.severity, v.points, v.occurred_at, v.expires_at, withdrawn=v.withdrawn_at is not None) for v in violations
    ]


def points_for(policy: "Policy", severity: str) -> int:
    return policy.serious_points if severity == "serious" else policy.general_points


def in_force(actions: "Iterable[Action]", at: datetime) -> "tuple[Action | None, datetime | None]":
    """The most restrictive action in force at ``at``, and until when that level of restriction lasts."""
    live = [a for a in actions if a.is_in_force_at(at)]
    if not live:
        return None, None
    top = max(live, key=lambda a: (KIND_RANK[a.kind], a.ends_at is None, a.ends_at or at))
    same = [a for a in live if KIND_RANK[a.kind] == KIND_RANK[top.kind]]
    until = None if any(a.ends_at is None for a in same) else max(a.ends_at for a in same if a.ends_at is not None)
    return top, until


def validate_ladder(steps: "Iterable[PolicyStep]") -> list[str]:
    """Thresholds strictly increase per measure, actions never get milder as they rise, durations fit the action."""
    problems = []
    by_measure: dict[str, list] = {}
    for step in steps:
        by_measure.setdefault(step.measure, []).append(step)
        timed = step.action in TIMED_KINDS
        if step.threshold < 1:
            problems.append(f"{step}: the threshold must be at least 1.")
        if timed and not step.duration_days:
            problems.append(f"{step}: a restriction or suspension needs a duration in days.")
        if not timed and step.duration_days:
            problems.append(f"{step}: a warning or termination has no duration.")
    for measure, rungs in by_measure.items():
        rungs.sort(key=lambda s: s.threshold)
        for lower, higher in pairwise(rungs):
            if lower.threshold == higher.threshold:
                problems.append(f"Two rungs at {measure} {lower.threshold}: thresholds must strictly increase.")
            elif KIND_RANK[higher.action] < KIND_RANK[lower.action]:
                problems.append(f"{higher} is milder than {lower}: a higher threshold cannot lead to a milder action.")
    return problems
