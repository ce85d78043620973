"""Both seeded ladders, rung by rung, with the daily cap, the 3-day strike window, expiry, withdrawal and
de-escalation."""

from datetime import timedelta

import pytest
from django.utils import timezone

from enforcement import services
from enforcement.models import Action, Violation
from enforcement.selectors import standing_for
from ipp_portal.notifications.models import Notification
from listings.models import Listing, Seller, Site
from tests.factories import ListingFactory, SellerFactory, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def t0(now):
    # Violations are established in the past (never in the future); actions start when they are recorded.
    return now - timedelta(days=30)


@pytest.fixture
def alibaba_seller():
    return SellerFactory(site=Site.objects.get(code="alibaba"))


@pytest.fixture
def aliexpress_seller():
    return SellerFactory(site=Site.objects.get(code="aliexpress"))


@pytest.fixture
def record(t0):
    """Record ``n`` violations of one severity, from ``t0`` unless told otherwise, ``step`` apart."""

    def record(seller, severity, n=1, *, at=None, step=timedelta(0)):
        at = at or t0
        return [
            services.violation_record(
                seller=seller, severity=severity, reference=f"IPP-2026-{i:06d}", occurred_at=at + i * step
            )
            for i in range(n)
        ]

    return record


def kinds(seller):
    return list(Action.objects.filter(seller=seller).order_by("id").values_list("kind", "status"))


def test_general_points_on_one_day_count_at_most_six(alibaba_seller, record, t0):
    record(alibaba_seller, "general", 5)  # 10 points on one day

    standing = standing_for(alibaba_seller, at=t0 + timedelta(hours=1))

    assert standing.points == 6
    assert kinds(alibaba_seller) == [("warning", "active")]
    assert standing.can_post


def test_alibaba_ladder_rung_by_rung(alibaba_seller, t0):
    # One serious violation a day: 6 points each, no cap. 6 → warning; 12 → 7 days; 24 → 14 days; 36 → 21 days and
    # all listings removed; 48 → termination waiting for a second approval.
    listing = ListingFactory(seller=alibaba_seller)
    day = timedelta(days=1)
    expected = {
        1: [("warning", "active")],
        2: [("warning", "active"), ("posting_restriction", "active")],
    }
    for n in range(1, 9):
        services.violation_record(
            seller=alibaba_seller, severity="general", reference=f"G{n}a", occurred_at=t0 + (n - 1) * day
        )
        services.violation_record(
            seller=alibaba_seller, severity="general", reference=f"G{n}b", occurred_at=t0 + (n - 1) * day
        )
        services.violation_record(
            seller=alibaba_seller, severity="general", reference=f"G{n}c", occurred_at=t0 + (n - 1) * day
        )
        if n in expected:
            assert kinds(alibaba_seller)[: len(expected[n])] == expected[n]
    actions = {a.trigger_threshold: a for a in Action.objects.filter(seller=alibaba_seller)}
    assert sorted(actions) == [6, 12, 24, 36, 48]
    assert actions[12].ends_at - actions[12].starts_at == timedelta(days=7)
    assert actions[24].ends_at - actions[24].starts_at == timedelta(days=14)
    assert actions[36].ends_at - actions[36].starts_at == timedelta(days=21)
    assert actions[36].removes_all_listings
    assert actions[48].kind == "termination"
    assert actions[48].status == "pending_approval"
    listing.refresh_from_db()
    assert listing.status == Listing.Status.REMOVED


def test_four_serious_violations_terminate_on_alibaba_after_approval(alibaba_seller, record):
    record(alibaba_seller, "serious", 3, step=timedelta(days=10))
    assert not Action.objects.filter(seller=alibaba_seller, kind="termination").exists()  # three of different rights

    record(alibaba_seller, "serious", at=timezone.now() - timedelta(days=1))
    termination = Action.objects.get(seller=alibaba_seller, kind="termination")
    first, second = make_staff("Supervisor"), make_staff("Supervisor")

    assert termination.status == "pending_approval"
    assert (termination.trigger_measure, termination.trigger_threshold) == ("serious", 4)
    assert Seller.objects.get(pk=alibaba_seller.pk).standing != "terminated"
    services.action_approve(action_id=termination.pk, approver=first)

    seller = Seller.objects.get(pk=alibaba_seller.pk)
    assert seller.standing == "terminated"
    assert not seller.can_post()
    assert second  # a second reviewer is only needed for discretionary terminations (see the discretion tests)


def test_three_serious_violations_of_one_right_terminate_on_alibaba(alibaba_seller, t0):
    # Four days apart, so the aggregation window (3 days) does not make them one.
    for n in range(3):
        services.violation_record(
            seller=alibaba_seller, severity="serious", reference=f"S{n}", occurred_at=t0 + timedelta(days=4 * n),
            key="right:7",
        )  # fmt: skip

    termination = Action.objects.get(seller=alibaba_seller, kind="termination")
    assert (termination.trigger_measure, termination.trigger_threshold) == ("serious_per_right", 3)
    assert standing_for(alibaba_seller).measures.serious_per_right == 3


def test_complaints_on_one_right_within_three_days_count_as_one(alibaba_seller, t0):
    for n, severity in enumerate(["general", "serious", "general"]):
        services.violation_record(
            seller=alibaba_seller, severity=severity, reference=f"A{n}", occurred_at=t0 + timedelta(days=n),
            key="right:1",
        )  # fmt: skip
    services.violation_record(
        seller=alibaba_seller, severity="general", reference="B0", occurred_at=t0 + timedelta(days=1), key="right:2"
    )

    standing = standing_for(alibaba_seller, at=t0 + timedelta(days=3))
    # right:1's three count as one, the most severe (serious, 6 points); right:2's general one counts on its own.
    assert (standing.points, standing.measures.serious) == (8, 1)


def test_aliexpress_strikes_within_three_days_count_once(aliexpress_seller, record, t0):
    record(aliexpress_seller, "serious", 3, step=timedelta(days=1))  # days 0, 1, 2: one strike

    standing = standing_for(aliexpress_seller, at=t0 + timedelta(days=2, hours=1))

    assert standing.strikes == 1
    assert standing.points == 0  # serious violations are strikes, not points, on aliexpress.com


def test_aliexpress_ladder_with_the_prior_warning(aliexpress_seller, t0):
    # Strike 1 would freeze the store for a day, but a first action is a warning (DSA Art. 23); strike 2 freezes
    # for 7 days; strike 3 closes the account (after a second approval).
    week = timedelta(days=7)
    services.violation_record(seller=aliexpress_seller, severity="serious", reference="S1", occurred_at=t0)
    assert kinds(aliexpress_seller) == [("warning", "active")]
    warning = Action.objects.get(seller=aliexpress_seller)
    assert "DSA Art. 23" in warning.ground

    services.violation_record(seller=aliexpress_seller, severity="serious", reference="S2", occurred_at=t0 + week)
    freeze = Action.objects.get(seller=aliexpress_seller, kind="suspension")
    assert freeze.ends_at - freeze.starts_at == timedelta(days=7)
    assert Seller.objects.get(pk=aliexpress_seller.pk).standing == "suspended"

    services.violation_record(seller=aliexpress_seller, severity="serious", reference="S3", occurred_at=t0 + 2 * week)
    assert Action.objects.get(seller=aliexpress_seller, kind="termination").status == "pending_approval"


def test_violations_expire_after_365_days_and_restrictions_lift(alibaba_seller, record, t0, now):
    record(alibaba_seller, "serious", 2, step=timedelta(days=1))  # 12 points: a 7-day restriction from now
    restriction = Action.objects.get(seller=alibaba_seller, kind="posting_restriction")

    services.standings_sweep(at=now + timedelta(days=3))
    assert Seller.objects.get(pk=alibaba_seller.pk).standing == "restricted"
    services.standings_sweep(at=now + timedelta(days=8))
    restriction.refresh_from_db()
    assert restriction.status == "ended"
    assert Seller.objects.get(pk=alibaba_seller.pk).standing == "warned"

    expired = t0 + timedelta(days=366)
    services.standings_sweep(at=expired)
    assert standing_for(alibaba_seller, at=expired).points == 0
    assert Seller.objects.get(pk=alibaba_seller.pk).standing == "good"
    assert services.standings_sweep(at=expired + timedelta(days=1)) == 0  # idempotent: nothing left to do


def test_violation_in_the_future_is_refused(alibaba_seller, record):
    with pytest.raises(Exception, match="future"):
        record(alibaba_seller, "general", at=timezone.now() + timedelta(hours=1))
    assert not Violation.objects.exists()


def test_withdrawal_de_escalates_at_once(alibaba_seller, record):
    violations = record(alibaba_seller, "serious", 2)
    restriction = Action.objects.get(seller=alibaba_seller, kind="posting_restriction")
    assert restriction.is_in_force_at(timezone.now())

    services.violation_withdraw(violation=violations[1], reason="Counter-notice accepted by the right holder")

    restriction.refresh_from_db()
    assert restriction.status in ("lifted", "ended")
    assert restriction.cleared_at is not None
    assert standing_for(alibaba_seller).points == 6
    assert Violation.objects.get(pk=violations[1].pk).withdrawal_reason.startswith("Counter-notice")


def test_withdraw_needs_a_reason_and_is_idempotent(alibaba_seller, record):
    (violation,) = record(alibaba_seller, "general")

    with pytest.raises(Exception, match="Say why"):
        services.violation_withdraw(violation=violation, reason=" ")
    services.violation_withdraw(violation=violation, reason="Staff error")
    services.violation_withdraw(violation=violation, reason="Again")

    assert Violation.objects.get(pk=violation.pk).withdrawal_reason == "Staff error"


def test_seller_is_told_with_a_statement_of_reasons(alibaba_seller, record):
    record(alibaba_seller, "serious", 2)

    notice = Notification.objects.get(
        recipient=alibaba_seller.user, template="enforcement/violations_established", subject__contains="restriction"
    )

    for fragment in ("Posting restriction", "alibaba.com", "12 point", "appeal", "automated", "IPP-2026-000001"):
        assert fragment.lower() in notice.body_text.lower()


def test_restricted_seller_cannot_post_until_the_end(alibaba_seller, record):
    record(alibaba_seller, "serious", 2)
    seller = Seller.objects.get(pk=alibaba_seller.pk)

    assert not seller.can_post()
    assert "until" in seller.posting_refusal()
    assert seller.can_post(at=seller.standing_until + timedelta(seconds=1))
