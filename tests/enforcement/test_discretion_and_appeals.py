from datetime import timedelta

import pytest
from django.utils import timezone

from enforcement import services
from enforcement.models import Action, Appeal, Violation
from ipp_portal.audit.models import AuditEvent
from ipp_portal.errors import DeadlinePassed, InvalidTransition, NotPermitted, PortalError
from ipp_portal.notifications.models import Notification
from listings.models import Listing, Seller
from tests.factories import ListingFactory, SellerFactory, UserFactory, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def seller():
    return SellerFactory()


@pytest.fixture
def staff():
    return make_staff("Supervisor", email="first@staff.example"), make_staff("Supervisor")


def test_discretionary_action_needs_reason_and_ground(seller, staff):
    with pytest.raises(PortalError, match="written reason"):
        services.action_impose(seller=seller, kind="suspension", reason="", ground="x", actor=staff[0])
    assert not Action.objects.exists()

    action = services.action_impose(
        seller=seller, kind="suspension", reason="The right holder started litigation (case 2026-123).",
        ground="Policy §3: discretion", actor=staff[0], ends_at=timezone.now() + timedelta(days=5),
    )  # fmt: skip

    assert (action.status, action.is_automated, action.imposed_by) == ("active", False, staff[0])
    assert Seller.objects.get(pk=seller.pk).standing == "suspended"
    assert "litigation" in Notification.objects.get(recipient=seller.user).body_text


def test_discretionary_termination_needs_another_staff_member(seller, staff):
    listing = ListingFactory(seller=seller)
    action = services.action_impose(
        seller=seller, kind="termination", reason="Court order", ground="Policy §3", actor=staff[0]
    )
    assert action.status == "pending_approval"
    assert Seller.objects.get(pk=seller.pk).standing == "good"

    with pytest.raises(NotPermitted, match="second staff member"):
        services.action_approve(action_id=action.pk, approver=staff[0])
    services.action_approve(action_id=action.pk, approver=staff[1])

    assert Seller.objects.get(pk=seller.pk).standing == "terminated"
    assert Listing.objects.get(pk=listing.pk).status == Listing.Status.REMOVED
    with pytest.raises(InvalidTransition):
        services.action_approve(action_id=action.pk, approver=staff[1])


def test_refused_termination_leaves_the_seller_alone(seller, staff):
    action = services.action_impose(seller=seller, kind="termination", reason="x", ground="y", actor=staff[0])

    services.action_refuse(action_id=action.pk, approver=staff[1], reason="Not proportionate")

    assert Action.objects.get(pk=action.pk).status == "refused"
    assert Seller.objects.get(pk=seller.pk).standing == "good"


def test_appeal_overturned_lifts_the_action_and_withdraws_violations(seller, staff):
    violations = [services.violation_record(seller=seller, severity="serious", reference=f"R{n}") for n in range(2)]
    restriction = Action.objects.get(seller=seller, kind="posting_restriction")

    appeal = services.appeal_file(action_id=restriction.pk, user=seller.user, statement="I am an authorised reseller.")
    with pytest.raises(InvalidTransition, match="already have an open appeal"):
        services.appeal_file(action_id=restriction.pk, user=seller.user, statement="Again")
    services.appeal_decide(
        appeal_id=appeal.pk, reviewer=staff[0], outcome="overturned", reason="Invoices show genuine goods.",
        withdraw_violation_ids=[v.pk for v in violations],
    )  # fmt: skip

    restriction.refresh_from_db()
    assert restriction.status == "overturned"
    assert Violation.objects.filter(seller=seller, withdrawn_at__isnull=True).count() == 0
    assert Seller.objects.get(pk=seller.pk).standing == "good"
    notice = Notification.objects.filter(recipient=seller.user, template="enforcement/appeal_decided").get()
    assert "overturned" in notice.subject.lower()


def test_appeal_upheld_keeps_the_action_and_says_why(seller, staff):
    services.violation_record(seller=seller, severity="serious", reference="R1")
    warning = Action.objects.get(seller=seller)
    appeal = services.appeal_file(action_id=warning.pk, user=seller.user, statement="Mistake")

    services.appeal_decide(appeal_id=appeal.pk, reviewer=staff[0], outcome="upheld", reason="The goods are fake.")

    assert Action.objects.get(pk=warning.pk).status == "active"
    assert Appeal.objects.get(pk=appeal.pk).decision_reason == "The goods are fake."
    assert AuditEvent.objects.filter(verb="appeal.upheld").count() == 1


def test_appeal_after_the_window_or_by_someone_else_is_refused(seller, staff):
    services.violation_record(seller=seller, severity="serious", reference="R1")
    warning = Action.objects.get(seller=seller)

    with pytest.raises(Action.DoesNotExist):
        services.appeal_file(action_id=warning.pk, user=UserFactory(), statement="Not mine")
    Action.objects.filter(pk=warning.pk).update(appeal_deadline=timezone.now() - timedelta(seconds=1))
    with pytest.raises(DeadlinePassed, match="closed"):
        services.appeal_file(action_id=warning.pk, user=seller.user, statement="Too late")
    assert not Appeal.objects.exists()


def test_appeal_window_is_at_least_six_months(seller):
    services.violation_record(seller=seller, severity="serious", reference="R1")

    action = Action.objects.get(seller=seller)

    assert action.appeal_deadline - action.starts_at >= timedelta(days=180)


def test_overturned_rung_does_not_fire_again_until_the_measure_falls(seller, staff):
    services.violation_record(seller=seller, severity="serious", reference="R1")
    warning = Action.objects.get(seller=seller)
    appeal = services.appeal_file(action_id=warning.pk, user=seller.user, statement="x")
    services.appeal_decide(appeal_id=appeal.pk, reviewer=staff[0], outcome="overturned", reason="y")

    services.standings_sweep()

    assert Action.objects.filter(seller=seller).count() == 1
