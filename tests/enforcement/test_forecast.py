"""What the seller is told establishing a group of pending violations would do is what the ledger then does.

For each seeded site, sellers are driven through sequences of pending groups that together reach every rung of the
site's current policy. Before each group is established, the seller's standing forecasts it (``Foreseen.applies``);
the sweep (``violations_establish_due``) then establishes it, and the automated actions that call created must be
exactly the forecast, as a multiset of (measure, threshold, kind). The sequences include a prior warning replacing a
suspension or termination, complaints on one right aggregating into one violation, and the daily cap on general
points. "One more violation" (``one_more_serious`` / ``one_more_general``) is checked the same way against
``violation_record``, with ``ledger.forecast`` itself as the structured expectation.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from enforcement import services
from enforcement.ledger import Row, forecast, points_for, rules_for
from enforcement.models import Action, ActionKind, Policy, Violation
from enforcement.selectors import active_rows, ledger_history, rungs_of, standing_for
from listings.models import Seller, Site
from tests.factories import SellerFactory

pytestmark = pytest.mark.django_db

Applied = tuple[str, int, str]  # (measure, threshold, action kind)


@dataclass(frozen=True)
class Batch:
    severity: str
    count: int
    key: str = ""


def g(count: int, key: str = "") -> Batch:
    return Batch("general", count, key)


def s(count: int, key: str = "") -> Batch:
    return Batch("serious", count, key)


@dataclass(frozen=True)
class Step:
    """One pending group: every batch is recorded with the same ``establishes_at`` (``day`` days after the start of
    the sequence, at local noon), so the standing shows one group and the sweep establishes it as one decision.
    ``expect`` (and ``lifts``: automated actions cleared) is what the scenario is meant to show; the forecast and the
    ledger must also agree with each other."""

    day: int
    batches: tuple[Batch, ...]
    expect: list[Applied] = field(default_factory=list)
    lifts: int = 0


W, R, SUSP, TERM = "warning", "posting_restriction", "suspension", "termination"

# Days of one sequence are local calendar days (the daily cap); serious violations 4 days apart are separate strikes
# and separate aggregation clusters (both windows are 3 days), those 1 day apart are not.
SEQUENCES: dict[str, dict[str, list[Step]]] = {
    "alibaba": {
        "points ladder to termination, with the cap and aggregation": [
            Step(0, (g(3),), [("points", 6, W)]),
            Step(1, (g(3),), [("points", 12, R)]),
            Step(2, (g(9),), []),  # 18 points on one day count 6: 18 in all, not 30
            Step(3, (g(4, "right-A"),), []),  # one right within 3 days: one violation, 2 points (20)
            Step(4, (g(3, "right-A"),), []),  # still the cluster started the day before: 20
            Step(5, (g(2),), [("points", 24, R)]),
            Step(6, (s(2),), [("points", 36, R)]),
            Step(7, (g(3),), []),
            Step(8, (g(3),), [("points", 48, TERM)]),
            # Four serious violations while the points termination waits: no second termination.
            Step(9, (s(2),), []),
        ],
        "the fourth serious violation after a warning terminates": [
            Step(0, (g(3),), [("points", 6, W)]),
            Step(1, (s(3),), [("points", 12, R), ("points", 24, R)]),
            Step(2, (s(1),), [("serious", 4, TERM)]),
        ],
        "three serious violations under one right terminate": [
            Step(0, (g(3),), [("points", 6, W)]),
            Step(1, (s(1, "right-X"),), [("points", 12, R)]),
            Step(2, (s(2, "right-X"),), []),  # within 3 days of the first: the same violation
            Step(5, (s(1, "right-X"),), []),  # a second violation of right-X: 18 points
            Step(9, (s(1, "right-X"),), [("points", 24, R), ("serious_per_right", 3, TERM)]),
        ],
        "warning and termination crossed in one decision: a warning instead": [
            Step(0, (s(4),), [("points", 6, W), ("points", 12, R), ("points", 24, R), ("serious", 4, W)]),
            Step(1, (g(1),), []),
        ],
        "groups established out of date order": [
            Step(5, (g(3),), [("points", 6, W)]),
            Step(5, (g(3),), []),  # the same local day: capped, still 6
            Step(2, (g(3),), [("points", 12, R)]),  # an earlier day, a later decision
        ],
        "two terminations crossed in one decision: warnings instead": [
            Step(
                0,
                (s(8),),
                [
                    ("points", 6, W),
                    ("points", 12, R),
                    ("points", 24, R),
                    ("points", 36, R),
                    ("points", 48, W),
                    ("serious", 4, W),
                ],
            ),
        ],
    },
    "aliexpress": {
        "strike 1 alone is a warning instead of a freeze": [
            Step(0, (s(1),), [("strikes", 1, W)]),
            Step(1, (s(1),), []),  # within 3 days of the strike's first: the same strike
            Step(4, (s(1),), [("strikes", 2, SUSP)]),
            Step(8, (s(1),), [("strikes", 3, TERM)]),
        ],
        "points ladder to termination, then strikes": [
            Step(0, (g(3),), [("points", 6, W)]),
            Step(1, (g(3),), [("points", 12, R)]),
            Step(2, (g(9),), []),  # the daily cap: 18 in all, not 30
            Step(3, (g(4, "right-B"),), []),  # one right within 3 days: one violation (20)
            Step(4, (g(3, "right-B"),), []),
            Step(5, (g(2),), [("points", 24, R)]),
            Step(6, (g(3),), []),
            Step(7, (g(3),), [("points", 36, R)]),
            Step(8, (g(3),), []),
            Step(9, (g(3),), [("points", 48, TERM)]),
            Step(10, (s(1),), [("strikes", 1, SUSP)]),  # warned before: the published 1-day freeze
            Step(14, (s(1),), [("strikes", 2, SUSP)]),
            Step(18, (s(1),), []),  # strike 3 while the points termination waits: no second termination
        ],
        "warning and freeze crossed in one decision: a warning instead": [
            Step(0, (g(3), s(1)), [("points", 6, W), ("strikes", 1, W)]),
            Step(4, (s(1),), [("strikes", 2, SUSP)]),
            Step(8, (s(1),), [("strikes", 3, TERM)]),
        ],
        "a serious complaint on a right absorbs a general one": [
            Step(0, (g(3),), [("points", 6, W)]),
            Step(1, (g(1, "right-C"),), []),  # 8 points
            # The same right within 3 days: one serious violation (a strike, no points): back to 6 points.
            Step(2, (s(1, "right-C"),), [("strikes", 1, SUSP)]),
            Step(3, (g(3),), [("points", 12, R)]),
        ],
        "a complaint turning serious lowers the points below the warning: the warning clears": [
            Step(0, (g(1, "right-D"), g(1, "right-E"), g(1, "right-F")), [("points", 6, W)]),
            # right-D's complaint becomes one serious violation (no points): 4 points, and the warning no longer
            # stands, so strike 1 has no prior warning either.
            Step(1, (s(1, "right-D"),), [("strikes", 1, W)], lifts=1),
            Step(2, (g(1),), [("points", 6, W)]),
            Step(6, (s(1),), [("strikes", 2, SUSP)]),
        ],
    },
}


def start_of_sequence(site: Site) -> datetime:
    """Local noon 60 days ago on the site's calendar: every step's day lies in the past, well within expiry."""
    local = timezone.localtime(timezone.now(), site.tzinfo) - timedelta(days=60)
    return datetime.combine(local.date(), time(12), tzinfo=site.tzinfo)


def automated_since(seller: Seller, last_id: int) -> list[Applied]:
    return [
        (measure, threshold, kind)
        for measure, threshold, kind in Action.objects.filter(seller=seller, is_automated=True, id__gt=last_id)
        .order_by("id")
        .values_list("trigger_measure", "trigger_threshold", "kind")
    ]


def last_action_id() -> int:
    return Action.objects.order_by("-id").values_list("id", flat=True).first() or 0


def cleared_count(seller: Seller) -> int:
    return Action.objects.filter(seller=seller, cleared_at__isnull=False).count()


def drive(seller: Seller, steps: list[Step], name: str) -> list[Applied]:
    """Record and establish each step's group, checking the forecast against the ledger; return what was applied."""
    start = start_of_sequence(seller.site)
    applied: list[Applied] = []
    for number, step in enumerate(steps):
        when = start + timedelta(days=step.day)
        assert when < timezone.now()
        for b, batch in enumerate(step.batches):
            services.violations_record_pending(
                seller=seller,
                entries=[(batch.severity, f"{name[:20]}-{number}-{b}-{i}") for i in range(batch.count)],
                establishes_at=when,
                key=batch.key,
            )
        pending = standing_for(seller).pending
        assert len(pending) == 1, f"{name}, step {number}: {pending}"
        foreseen = pending[0]
        assert foreseen.at == when
        assert len(foreseen.references) == sum(batch.count for batch in step.batches)
        assert len(foreseen.actions) == len(foreseen.applies)
        last, cleared = last_action_id(), cleared_count(seller)

        established = services.violations_establish_due()

        assert established == len(foreseen.references)
        actual = automated_since(seller, last)
        assert Counter(actual) == Counter(foreseen.applies), f"{name}, step {number}: forecast != ledger"
        assert cleared_count(seller) - cleared == foreseen.lifts, f"{name}, step {number}: lifts"
        assert foreseen.lifts == step.lifts, f"{name}, step {number}: not the lifts meant"
        assert Counter(actual) == Counter(step.expect), f"{name}, step {number}: not the scenario meant"
        assert not Violation.objects.filter(seller=seller, status=Violation.Status.PENDING).exists()
        applied += actual
    return applied


@pytest.mark.parametrize("code", sorted(SEQUENCES))
def test_the_forecast_of_each_pending_group_is_what_the_ledger_does(code):
    site = Site.objects.get(code=code)
    policy = Policy.objects.get(site=site, is_current=True)
    rungs = {(step.measure, step.threshold): step.action for step in policy.steps.all()}
    applied: list[Applied] = []
    for name, steps in SEQUENCES[code].items():
        applied += drive(SellerFactory(site=site), steps, name)

    # Every rung is reached, and every rung's published action applied as published in some sequence (each
    # termination rung is first in a sequence of its own: a second one applies nothing while one waits).
    assert {(measure, threshold) for measure, threshold, _ in applied} == set(rungs)
    assert {(m, t) for m, t, kind in applied if kind == rungs[(m, t)]} == set(rungs)
    # And the scenarios show what they are meant to: a prior warning replacing a suspension or termination.
    assert any(kind == ActionKind.WARNING and rungs[(m, t)] in (SUSP, TERM) for m, t, kind in applied)


def one_more_forecast(seller: Seller, severity: str, at: datetime) -> list[Applied]:
    """What one more violation established at ``at`` would apply, straight from ``ledger.forecast`` over the stored
    ledger and actions."""
    policy = Policy.objects.get(site=seller.site, is_current=True)
    rows = active_rows(seller, at)
    history = ledger_history(Action.objects.filter(seller=seller))
    row = Row(severity, points_for(policy, severity), at, at + timedelta(days=policy.expiry_days))
    (step,) = forecast(
        rows, [(at, [row])], rules_for(policy, seller.site), rungs_of(policy.steps.all()),
        armed={key: a.kind for key, a in history.armed.items()}, prior_notice_given=history.prior_notice_given,
        open_terminations=history.open_terminations,
    )  # fmt: skip
    return [(o.rung.measure, o.rung.threshold, o.action) for o in step.applies]


def check_one_more(seller: Seller, severity: str, reference: str) -> list[Applied]:
    now = timezone.now()
    standing = standing_for(seller, at=now)
    words = standing.one_more_serious if severity == "serious" else standing.one_more_general
    expected = one_more_forecast(seller, severity, now)
    assert len(words) == len(expected), (words, expected)
    for text, (_, threshold, kind) in zip(words, expected, strict=True):
        assert f"reach {threshold})" in text, (text, threshold)
        assert ActionKind(kind).label in text, (text, kind)
    last = last_action_id()

    services.violation_record(seller=seller, severity=severity, reference=reference, occurred_at=now)

    assert Counter(automated_since(seller, last)) == Counter(expected), f"{severity}: {words}"
    return expected


# (sequence, how many of its steps) before asking what one more violation would do.
PROBES = {
    "alibaba": [
        ("points ladder to termination, with the cap and aggregation", 0),
        ("points ladder to termination, with the cap and aggregation", 1),
        ("points ladder to termination, with the cap and aggregation", 3),
        ("points ladder to termination, with the cap and aggregation", 7),
        ("three serious violations under one right terminate", 4),
        ("warning and termination crossed in one decision: a warning instead", 1),
    ],
    "aliexpress": [
        ("strike 1 alone is a warning instead of a freeze", 0),
        ("strike 1 alone is a warning instead of a freeze", 1),
        ("strike 1 alone is a warning instead of a freeze", 3),
        ("points ladder to termination, then strikes", 2),
        ("points ladder to termination, then strikes", 10),
    ],
}


@pytest.mark.parametrize("code", sorted(PROBES))
def test_one_more_violation_forecast_is_what_the_ledger_does(code):
    site = Site.objects.get(code=code)
    applied: list[Applied] = []
    for n, (name, length) in enumerate(PROBES[code]):
        seller = SellerFactory(site=site)
        drive(seller, SEQUENCES[code][name][:length], name)
        applied += check_one_more(seller, "serious", f"probe-{n}-serious")
        applied += check_one_more(seller, "general", f"probe-{n}-general")
    assert applied, "no probe applied anything: the states are too tame to test the forecast"


# Two groups already due when the seller looks (their windows closed, the sweep has not run yet, e.g. after
# downtime): the next sweep establishes them together, as one decision (``violations_establish_due``), so a warning
# in the first does not count as a prior warning for the second.
OVERDUE = {
    # Points 6, then four serious violations: were they two decisions, the termination would follow a warning.
    "alibaba": [(0, (g(3),)), (1, (s(4),))],
    # Points 6, then strike 1: likewise a freeze after a warning.
    "aliexpress": [(0, (g(3),)), (4, (s(1),))],
}


@pytest.mark.parametrize("code", sorted(OVERDUE))
def test_groups_already_due_are_forecast_as_the_one_decision_the_sweep_makes(code):
    seller = SellerFactory(site=Site.objects.get(code=code))
    start = start_of_sequence(seller.site)
    for number, (day, batches) in enumerate(OVERDUE[code]):
        for b, batch in enumerate(batches):
            services.violations_record_pending(
                seller=seller,
                entries=[(batch.severity, f"overdue-{number}-{b}-{i}") for i in range(batch.count)],
                establishes_at=start + timedelta(days=day),
                key=batch.key,
            )
    foreseen = [outcome for group in standing_for(seller).pending for outcome in group.applies]
    last = last_action_id()

    services.violations_establish_due()

    actual = automated_since(seller, last)
    assert Counter(actual) == Counter(foreseen)
    assert any(kind == ActionKind.WARNING and measure in ("serious", "strikes") for measure, _, kind in actual)
