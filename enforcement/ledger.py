"""Pure arithmetic of the ledger: what a set of violations adds up to at a moment, under a policy.

No I/O here, so the same functions serve the services, the seller's standing page and the property tests.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo


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


def measures_at(rows: list[Row], rules: Rules, at: datetime) -> Measures:
    """Active points (general points capped per calendar day in the site's zone, plus serious points), active
    strikes (serious violations established within the window of a strike's first one count as that strike), and
    the number of active serious violations."""
    tz = ZoneInfo(rules.timezone)
    active = sorted((r for r in rows if r.active_at(at)), key=lambda r: r.occurred_at)
    per_day: dict = defaultdict(int)
    serious_points = 0
    serious_times = []
    for row in active:
        if row.severity == "serious":
            serious_points += row.points
            serious_times.append(row.occurred_at)
        else:
            per_day[row.occurred_at.astimezone(tz).date()] += row.points
    cap = rules.daily_general_cap
    general = sum(min(total, cap) if cap else total for total in per_day.values())
    strikes = 0
    if rules.strike_window_days:
        window = timedelta(days=rules.strike_window_days)
        strike_started = None
        for when in serious_times:
            if strike_started is None or when - strike_started >= window:
                strikes += 1
                strike_started = when
    return Measures(points=general + serious_points, strikes=strikes, serious=len(serious_times))


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


PRIOR_NOTICE = frozenset({"warning", "posting_restriction", "remove_listings"})
NEEDS_PRIOR_NOTICE = frozenset({"suspension", "termination"})
KIND_RANK = {"warning": 1, "posting_restriction": 2, "remove_listings": 2, "suspension": 3, "termination": 4}


def outcomes(
    rows: list[Row], rules: Rules, rungs: list[Rung], at: datetime, *, prior_notice_given: bool = False
) -> list[Outcome]:
    """The rungs the active ledger reaches at ``at``, in the order it reached them (replaying the ledger in its
    order), each with the action that applies. A pure function of the ledger, so the standing built incrementally
    and the standing rebuilt from scratch agree.

    DSA Art. 23: a rung that would suspend or close the store applies only when an earlier violation already led to
    a warning or restriction (or staff gave one: ``prior_notice_given``); otherwise it is a warning instead."""
    active = [row for row in rows if row.active_at(at)]
    crossed: dict[Rung, int] = {}
    for index in range(len(active)):
        pending = [rung for rung in rungs if rung not in crossed]
        if not pending:
            break
        measures = measures_at(active[: index + 1], rules, at)
        for rung in pending:
            if measures.get(rung.measure) >= rung.threshold:
                crossed[rung] = index
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
