"""Pure arithmetic of the ledger: what a set of violations adds up to at a moment, under a policy.

No I/O here, so the same functions serve the services, the seller's standing page and the property tests.
"""

from bisect import bisect_left, insort
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import groupby, pairwise
from typing import TYPE_CHECKING, NamedTuple
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from listings.models import Site

    from .models import Action, Policy, PolicyStep, Violation


class Row(NamedTuple):
    """The facts of one established violation the arithmetic needs (a tuple: a page builds thousands)."""

    severity: str  # "general" or "serious"
    points: int
    established_at: datetime
    expires_at: datetime
    withdrawn: bool = False
    key: str = ""  # the same rights holder's right: rows with one key aggregate (``Rules.aggregation_window_days``)
    decision: int = 0  # the store's decision that established it: rows of one decision were told in one notice

    def active_at(self, at: datetime) -> bool:
        return not self.withdrawn and self.established_at <= at < self.expires_at


@dataclass(frozen=True)
class Rules:
    daily_general_cap: int  # 0: no cap
    strike_window_days: int  # 0: serious violations are not strikes
    timezone: str
    aggregation_window_days: int = 0  # 0: every complaint counts on its own
    prior_warning: bool = True  # a suspension or termination needs a warning sent in an earlier decision


@dataclass(frozen=True)
class Measures:
    points: int
    strikes: int
    serious: int
    serious_per_right: int = 0

    def get(self, measure: str) -> int:
        return getattr(self, measure)


SEVERITY_RANK = {"general": 1, "serious": 2}


def _clusters(members: list[tuple[datetime, int, int]], window: timedelta) -> list[tuple[datetime, int, int]]:
    """Members (time, severity rank, points), sorted, into the violations they count as: a cluster starts at a
    member and takes in those established within the window after it; it counts as its most severe member."""
    counted: list[tuple[datetime, int, int]] = []
    for when, rank, points in members:
        if counted and when - counted[-1][0] < window:
            start, best_rank, best_points = counted[-1]
            if (rank, points) > (best_rank, best_points):
                counted[-1] = (start, rank, points)
        else:
            counted.append((when, rank, points))
    return counted


class Totals:
    """Running totals of a ledger: general points per calendar day (site zone), the serious violations' times and
    rights, and the aggregation of complaints on one right.

    Everything the measures depend on, so they can be built from rows one at a time (the replay of ``outcomes``) or
    straight from aggregates computed by the database (``standing_for``). The totals depend only on the set of rows
    added, never on their order."""

    def __init__(self, rules: Rules) -> None:
        self.rules = rules
        self._tz = ZoneInfo(rules.timezone)
        self._window = timedelta(days=rules.aggregation_window_days)
        self.day_points: dict = defaultdict(int)
        self.general = 0  # capped general points, kept up to date as days fill
        self.serious_points = 0
        self.serious_times: list[datetime] = []  # sorted
        self.serious_by_key: Counter[str] = Counter()
        self.strikes = 0
        self._strike_start: datetime | None = None  # where the last strike started
        self._members: dict[str, list[tuple[datetime, int, int]]] = {}  # per key, sorted
        self._counted: dict[str, list[tuple[datetime, int, int]]] = {}  # per key, what its members count as

    def _capped(self, total: int) -> int:
        cap = self.rules.daily_general_cap
        return min(total, cap) if cap else total

    def add_general(self, day: date, points: int) -> None:
        before = self._capped(self.day_points[day])
        self.day_points[day] += points
        self.general += self._capped(self.day_points[day]) - before

    def add_serious(self, when: datetime, points: int, key: str = "") -> None:
        self.serious_points += points
        if key:
            self.serious_by_key[key] += 1
        if self.serious_times and when < self.serious_times[-1]:
            insort(self.serious_times, when)
            self.strikes = self._count_strikes()
            return
        # In time order (the usual case): only a new strike can start, so no recount.
        self.serious_times.append(when)
        window = self.rules.strike_window_days
        if window and (self._strike_start is None or when - self._strike_start >= timedelta(days=window)):
            self.strikes, self._strike_start = self.strikes + 1, when

    def _remove(self, when: datetime, rank: int, points: int, key: str) -> None:
        if rank == SEVERITY_RANK["serious"]:
            self.serious_points -= points
            self.serious_times.remove(when)
            self.serious_by_key[key] -= 1
            self.strikes = self._count_strikes()
        else:
            day = when.astimezone(self._tz).date()
            before = self._capped(self.day_points[day])
            self.day_points[day] -= points
            self.general += self._capped(self.day_points[day]) - before

    def _count(self, when: datetime, rank: int, points: int, key: str) -> None:
        if rank == SEVERITY_RANK["serious"]:
            self.add_serious(when, points, key)
        else:
            self.add_general(when.astimezone(self._tz).date(), points)

    def add(self, row: Row) -> None:
        rank = SEVERITY_RANK[row.severity]
        if not (row.key and self._window):
            self._count(row.established_at, rank, row.points, row.key)
            return
        member = (row.established_at, rank, row.points)
        members = self._members.setdefault(row.key, [])
        counted = self._counted.setdefault(row.key, [])
        if not members or member >= members[-1]:
            # The usual case, in time order: only the last cluster can change.
            members.append(member)
            first = len(counted) - 1 if counted and member[0] - counted[-1][0] < self._window else len(counted)
        else:
            insort(members, member)
            first = 0
        if first == len(counted):
            subset = [member]  # a cluster of its own
        elif first == 0:
            subset = members
        else:
            subset = [m for m in members if m[0] >= counted[first][0]]
        new = _clusters(subset, self._window)
        for old in counted[first:]:
            self._remove(*old, row.key)
        for one in new:
            self._count(*one, row.key)
        counted[first:] = new

    def copy(self) -> "Totals":
        other = Totals(self.rules)
        other.day_points = defaultdict(int, self.day_points)
        other.general, other.serious_points, other.strikes = self.general, self.serious_points, self.strikes
        other.serious_times = list(self.serious_times)
        other._strike_start = self._strike_start
        other.serious_by_key = Counter(self.serious_by_key)
        other._members = {key: list(rows) for key, rows in self._members.items()}
        other._counted = {key: list(rows) for key, rows in self._counted.items()}
        return other

    def _count_strikes(self) -> int:
        # A strike starts at a serious violation and takes in those established within the window after it.
        self._strike_start = None
        if not self.rules.strike_window_days:
            return 0
        window = timedelta(days=self.rules.strike_window_days)
        strikes, started = 0, None
        for when in self.serious_times:
            if started is None or when - started >= window:
                strikes, started = strikes + 1, when
        self._strike_start = started
        return strikes

    def measures(self) -> Measures:
        return Measures(
            points=self.general + self.serious_points,
            strikes=self.strikes,
            serious=len(self.serious_times),
            serious_per_right=max(self.serious_by_key.values(), default=0),
        )


def measures_at(rows: list[Row], rules: Rules, at: datetime) -> Measures:
    """Active points (general points capped per calendar day in the site's zone, plus serious points), active
    strikes (serious violations established within the window of a strike's first one count as that strike), the
    number of active serious violations, and the most under one right — after complaints on one right established
    within the aggregation window are counted as one."""
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
    crossed_by: int  # the decision (its place among the active ledger's decisions) from which the rung is reached
    action: str
    is_prior_warning: bool


# How much each kind of action restricts the seller (the action in force is the most severe), and which kinds count
# as the prior notice that a suspension or termination needs (DSA Art. 23): the one ranking and the one set.
PRIOR_NOTICE = frozenset({"warning", "posting_restriction", "remove_listings"})
NEEDS_PRIOR_NOTICE = frozenset({"suspension", "termination"})
KIND_RANK = {"warning": 1, "posting_restriction": 2, "remove_listings": 2, "suspension": 3, "termination": 4}
TIMED_KINDS = frozenset({"posting_restriction", "remove_listings", "suspension"})


class Replay:
    """The active ledger at ``at`` replayed decision by decision: the measures after each decision, and the totals
    after the last, so that a forecast adds decisions without replaying what came before."""

    def __init__(self, rows: list[Row], rules: Rules, at: datetime) -> None:
        self.rows, self.rules, self.at = list(rows), rules, at
        active = sorted((r for r in self.rows if r.active_at(at)), key=lambda r: r.decision)
        # Until when this replay stays true: until a row expires or a row established later joins.
        later = (r.established_at for r in self.rows if not r.withdrawn and r.established_at > at)
        self.valid_until = min([*(r.expires_at for r in active), *later], default=None)
        self.totals = Totals(rules)
        self.prefixes: list[Measures] = []
        self.last_decision = max((r.decision for r in self.rows), default=0)
        for _, group in groupby(active, key=lambda r: r.decision):
            for row in group:
                self.totals.add(row)
            self.prefixes.append(self.totals.measures())
        self._root, self._root_len = self, len(self.prefixes)
        self._minima: dict[str, list[int]] = {}

    @property
    def measures(self) -> Measures:
        return self.prefixes[-1] if self.prefixes else Totals(self.rules).measures()

    def then(self, group: list[Row], at: datetime) -> "Replay":
        """The replay with ``group`` established as the next decision, at ``at`` (not before this replay's)."""
        group = [r._replace(decision=self.last_decision + 1) for r in group]
        still = at >= self.at and (self.valid_until is None or at < self.valid_until)
        if not still or any(not r.active_at(at) for r in group):
            return Replay(self.rows + group, self.rules, at)  # a row expired meanwhile: replay from the start
        other = object.__new__(Replay)
        other.rows, other.rules, other.at = self.rows + group, self.rules, at
        other.valid_until = min([r.expires_at for r in group] + ([self.valid_until] if self.valid_until else []))
        other.totals = self.totals.copy()
        for row in group:
            other.totals.add(row)
        other.prefixes = [*self.prefixes, other.totals.measures()]
        other.last_decision = self.last_decision + 1
        other._root, other._root_len = self._root, self._root_len
        return other

    def _suffix_min(self, measure: str) -> list[int]:
        """For the root replay's decisions: the least value of ``measure`` from each decision on (non-decreasing)."""
        cached = self._root._minima.get(measure)
        if cached is None:
            cached, low = [], None
            for measures in reversed(self._root.prefixes):
                value = measures.get(measure)
                low = value if low is None or value < low else low
                cached.append(low)
            cached.reverse()
            self._root._minima[measure] = cached
        return cached

    def crossing(self, measure: str, threshold: int) -> int | None:
        """The decision from which ``measure`` stays at or above ``threshold`` to the end; None when the last does
        not reach it. (Aggregation can lower a measure, so this is not simply the first decision that reached it.)"""
        prefixes = self.prefixes
        if not prefixes or prefixes[-1].get(measure) < threshold:
            return None
        for index in range(len(prefixes) - 1, self._root_len - 1, -1):  # the decisions added by then(): a few
            if prefixes[index].get(measure) < threshold:
                return index + 1
        return bisect_left(self._suffix_min(measure), threshold)


def outcomes(
    rows: "list[Row] | Replay", rules: Rules, rungs: list[Rung], at: datetime, *, prior_notice_given: bool = False
) -> list[Outcome]:
    """The rungs the active ledger reaches at ``at``, in the order it reached them (replaying the ledger decision
    by decision), each with the action that applies. A pure function of the ledger, so the standing built decision
    by decision and the standing rebuilt from scratch agree.

    DSA Art. 23 (``rules.prior_warning``): a rung that would suspend or close the store applies only when a warning
    or restriction was sent in an earlier decision (or staff gave one: ``prior_notice_given``) — never one sent in
    the same batch; otherwise it is a warning instead."""
    replay = rows if isinstance(rows, Replay) else Replay(rows, rules, at)
    crossed: dict[Rung, int] = {}
    for rung in rungs:
        # Aggregation can lower a measure (a general complaint becoming part of a serious one), so a rung counts
        # from the decision after which it stayed reached.
        index = replay.crossing(rung.measure, rung.threshold)
        if index is not None:
            crossed[rung] = index
    result: list[Outcome] = []
    notice_at = -1 if prior_notice_given else None
    for rung, index in sorted(
        crossed.items(), key=lambda item: (item[1], KIND_RANK[item[0].action], item[0].threshold)
    ):
        action, replaced = rung.action, False
        if rules.prior_warning and action in NEEDS_PRIOR_NOTICE and (notice_at is None or notice_at >= index):
            action, replaced = "warning", True
        if action in PRIOR_NOTICE and notice_at is None:
            notice_at = index
        result.append(Outcome(rung, index, action, replaced))
    return result


RungKey = tuple[str, int]


@dataclass(frozen=True)
class Plan:
    """What the stored actions must do to match the ledger: rungs whose action clears, and outcomes to apply."""

    clear: list[RungKey]
    apply: list[Outcome]


def plan(
    rows: "list[Row] | Replay",
    rules: Rules,
    rungs: list[Rung],
    at: datetime,
    *,
    armed: dict[RungKey, str],
    prior_notice_given: bool = False,
    open_terminations: frozenset[RungKey | None] = frozenset(),
) -> Plan:
    """Reconcile the rungs the ledger reaches with the rungs already consumed by an automated action (``armed``:
    rung → the kind of its action). A rung newly reached gets its action; a rung no longer reached, or whose action
    changed (a prior warning that no longer stands), clears. One store never has two terminations waiting or in
    force for one cause: ``open_terminations`` are the rungs (``None``: staff's) of those it has; while one stays,
    another termination rung applies nothing. The one planner for the services and the seller's forecast."""
    reached = outcomes(rows, rules, rungs, at, prior_notice_given=prior_notice_given)
    wanted = {(o.rung.measure, o.rung.threshold): o for o in reached}
    clear = [key for key, kind in armed.items() if key not in wanted or wanted[key].action != kind]
    terminating = any(key not in clear for key in open_terminations)
    apply = []
    for key, outcome in sorted(wanted.items(), key=lambda item: (item[1].crossed_by, KIND_RANK[item[1].action])):
        if key in armed and key not in clear:
            continue
        if outcome.action == "termination":
            if terminating:
                continue
            terminating = True
        apply.append(outcome)
    return Plan(clear, apply)


@dataclass(frozen=True)
class Forecast:
    """What establishing a group of pending violations would do: the day, and the actions it would apply."""

    at: datetime
    count: int
    applies: list[Outcome]
    clears: list[RungKey]


def forecast(
    rows: "list[Row] | Replay",
    pending: list[tuple[datetime, list[Row]]],
    rules: Rules,
    rungs: list[Rung],
    *,
    armed: dict[RungKey, str],
    prior_notice_given: bool = False,
    open_terminations: frozenset[RungKey | None] = frozenset(),
) -> list[Forecast]:
    """Establish each group of pending violations in turn (each its own decision, at its date) and plan what the
    ledger would then do, with exactly the planner the services use. ``rows`` may be a replay of the ledger
    already made (the standing page forecasts several things from one)."""
    armed = dict(armed)
    terminations = set(open_terminations)
    state = rows if isinstance(rows, Replay) else None
    base_rows = [] if isinstance(rows, Replay) else list(rows)
    result = []
    for when, group in pending:
        if state is None:
            state = Replay(base_rows, rules, when)
        state = state.then(group, max(when, state.at))
        step = plan(state, rules, rungs, state.at, armed=armed, prior_notice_given=prior_notice_given,
                    open_terminations=frozenset(terminations))  # fmt: skip
        for key in step.clear:
            armed.pop(key, None)
            terminations.discard(key)
        for outcome in step.apply:
            key = (outcome.rung.measure, outcome.rung.threshold)
            armed[key] = outcome.action
            if outcome.action == "termination":
                terminations.add(key)
        result.append(Forecast(when, len(group), step.apply, step.clear))
    return result


# --- From model rows to the arithmetic (attribute reads only, so services and selectors share them) ------------


def rules_for(policy: "Policy", site: "Site") -> Rules:
    """The ledger rules of a policy version on a site."""
    return Rules(
        daily_general_cap=policy.daily_general_cap,
        strike_window_days=policy.strike_window_days,
        timezone=site.timezone,
        aggregation_window_days=policy.aggregation_window_days,
        prior_warning=policy.requires_prior_warning,
    )


def rows_for(violations: "Iterable[Violation]") -> list[Row]:
    """The established violations as rows (pending ones count for nothing yet)."""
    return [
        Row(
            v.severity, v.points, v.established_at, v.expires_at, withdrawn=v.withdrawn_at is not None,
            key=v.aggregation_key, decision=v.decision or 0,
        )
        for v in violations
        if v.established_at is not None and v.expires_at is not None
    ]  # fmt: skip


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
