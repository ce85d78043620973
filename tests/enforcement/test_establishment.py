"""The life of a violation: a takedown records it pending; it counts only once established — the counter-notice
window closed unused, a counter-notice failed and staff upheld the removal, or the seller chose not to dispute —
and it is withdrawn when the listing comes back. One claim can no longer end a store before it has spoken."""

from datetime import timedelta

import pytest
from django.utils import timezone

from complaints import services as complaints
from complaints.models import ClaimItem, CounterNotice
from complaints.selectors import counter_notice_window_for
from enforcement import services
from enforcement.models import Action, Policy, Violation
from enforcement.selectors import standing_for
from ipp_portal.notifications.models import Notification
from listings.models import Seller, Site
from tests.factories import (
    ListingFactory,
    SellerFactory,
    file_counter_notice,
    make_claim,
    make_staff,
    take_down,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def seller():
    return SellerFactory(site=Site.objects.get(code="alibaba"), store_name="Pearl River Trading")


def claim_of(seller, n=1):
    claim = make_claim(listings=[ListingFactory(seller=seller) for _ in range(n)])  # counterfeits (serious)
    take_down(claim)
    return claim, list(ClaimItem.objects.filter(claim=claim).order_by("position"))


def actions(seller):
    return sorted(Action.objects.filter(seller=seller).values_list("kind", "status"))


def test_three_counterfeits_in_one_claim_impose_nothing_until_established_then_count_once(seller):
    _claim, items = claim_of(seller, 3)
    due = items[0].counter_notice_due_at

    # While the seller can answer: three pending violations, no warning, no restriction, no termination waiting.
    assert Violation.objects.filter(seller=seller, status="pending").count() == 3
    assert actions(seller) == []
    assert Seller.objects.get(pk=seller.pk).standing == "good"
    forecast = standing_for(seller).pending
    assert [(f.at, len(f.references)) for f in forecast] == [(due, 3)]
    assert forecast[0].applies == [("points", 6, "warning")]  # one right, within 3 days: one serious violation

    assert services.violations_establish_due(now=due - timedelta(minutes=1)) == 0
    assert services.violations_establish_due(now=due + timedelta(minutes=1)) == 3
    assert services.violations_establish_due(now=due + timedelta(minutes=2)) == 0  # idempotent

    established = Violation.objects.filter(seller=seller)
    assert {(v.status, v.established_at, v.establishment) for v in established} == {
        ("established", due, "window_closed")  # at the deadline, not whenever the sweep ran
    }
    assert len({v.decision for v in established}) == 1
    assert {v.expires_at for v in established} == {due + timedelta(days=365)}
    assert actions(seller) == [("warning", "active")]  # one violation after aggregation: no termination, ever
    assert standing_for(seller, at=due + timedelta(minutes=3)).points == 6
    notice = Notification.objects.get(recipient=seller.user, template="enforcement/violations_established")
    for item in items:
        assert str(item) in notice.body_text
    assert "no counter-notice before the deadline" in notice.body_text
    assert "Warning" in notice.body_text
    assert "not successfully countered" not in notice.body_text


def test_a_counter_notice_holds_the_violation_until_staff_uphold_the_removal(seller):
    claim, (item,) = claim_of(seller)
    notice = file_counter_notice(seller, [item])
    assert Violation.objects.get(seller=seller).establishes_at is None

    # The window's date passes while the counter-notice is decided: nothing is established.
    assert services.violations_establish_due(now=item.counter_notice_due_at + timedelta(minutes=1)) == 0
    complaints.counter_notice_reject(notice_id=notice.pk, user=claim.complainant.user, answer="Fake serial numbers.")
    assert actions(seller) == []

    complaints.counter_notice_decide(notice_id=notice.pk, reviewer=make_staff(), outcome="uphold", reason="Fakes.")

    violation = Violation.objects.get(seller=seller)
    assert (violation.status, violation.establishment) == ("established", "upheld")
    assert actions(seller) == [("warning", "active")]
    notice_text = Notification.objects.get(template="enforcement/violations_established").body_text
    assert "the removal was upheld after a counter-notice" in notice_text


def test_a_reinstatement_withdraws_a_pending_violation_and_nothing_is_ever_applied(seller):
    claim, (item,) = claim_of(seller)
    complaints.claim_item_retract(item_id=item.pk, user=claim.complainant.user, reason="Our mistake.")

    violation = Violation.objects.get(seller=seller)
    assert violation.status == "withdrawn"
    assert services.violations_establish_due(now=item.counter_notice_due_at + timedelta(days=1)) == 0
    assert actions(seller) == []


def test_the_seller_may_choose_not_to_dispute(client, seller):
    claim, items = claim_of(seller, 2)
    client.force_login(seller.user)
    url = f"/seller/notices/claims/{claim.pk}/not-disputed/"

    page = client.get(url).content.decode()
    assert "I do not dispute" in page
    assert str(items[0].listing.title) in page
    unconfirmed = client.post(url, {"items": [items[0].pk]})
    assert unconfirmed.status_code == 200
    assert "This field is required" in unconfirmed.content.decode()
    assert set(Violation.objects.values_list("status", flat=True)) == {"pending"}  # asked first

    done = client.post(url, {"items": [items[0].pk], "confirm": "on"})

    assert done.status_code == 302
    assert done["Location"] == "/seller/standing/"
    first, second = (Violation.objects.get(pk=i.violation_id) for i in items)
    assert (first.status, first.establishment) == ("established", "not_disputed")
    assert second.status == "pending"  # only what the seller chose
    assert actions(seller) == [("warning", "active")]
    # The first chance is spent; the further ones stay open until their own deadline.
    item = ClaimItem.objects.get(pk=items[0].pk)
    window = counter_notice_window_for(item, timezone.now())
    assert window.allowed
    assert client.post(url, {"items": [items[0].pk], "confirm": "on"}).status_code == 200  # no longer offered
    assert Violation.objects.filter(status="established").count() == 1


def test_a_missed_first_window_leaves_the_further_chances_open(seller):
    claim, (item,) = claim_of(seller)
    policy = Policy.objects.get(site=seller.site, is_current=True)
    ClaimItem.objects.filter(pk=item.pk).update(counter_notice_due_at=timezone.now() - timedelta(minutes=1))
    Violation.objects.filter(pk=item.violation_id).update(establishes_at=timezone.now() - timedelta(minutes=1))
    services.violations_establish_due()
    item.refresh_from_db()

    second = file_counter_notice(seller, [item])  # the first chance was the window that closed

    assert second.round == 2
    assert Violation.objects.get(pk=item.violation_id).status == "established"  # the complaint stays established
    reviewer = make_staff()
    complaints.counter_notice_reject(notice_id=second.pk, user=claim.complainant.user, answer="Still fake.")
    complaints.counter_notice_decide(notice_id=second.pk, reviewer=reviewer, outcome="uphold", reason="Fakes.")
    third = file_counter_notice(seller, [ClaimItem.objects.get(pk=item.pk)])
    assert third.round == 3 == policy.max_counter_notices
    complaints.counter_notice_reject(notice_id=third.pk, user=claim.complainant.user, answer="Still fake.")
    complaints.counter_notice_decide(notice_id=third.pk, reviewer=reviewer, outcome="uphold", reason="Fakes.")
    window = counter_notice_window_for(ClaimItem.objects.get(pk=item.pk), timezone.now())
    assert (window.allowed, window.code) == (False, "counter_notice_limit")
    assert CounterNotice.objects.filter(claim=claim).count() == 2


def test_a_warning_sent_in_the_same_decision_is_not_prior(seller):
    # Four counterfeits of different rights established together: 24 points and four serious violations at once.
    # The termination rung is reached in the same decision as the first warning, so it is a formal warning instead.
    services.violations_record_many(seller=seller, entries=[("serious", f"S{n}") for n in range(4)])

    kinds = [kind for kind, _ in actions(seller)]
    assert "termination" not in kinds
    replaced = Action.objects.get(seller=seller, trigger_measure="serious", trigger_threshold=4)
    assert replaced.kind == "warning"
    assert "DSA Art. 23" in replaced.ground
    assert "earlier decision" in replaced.facts


def test_one_store_never_has_two_terminations_waiting_for_one_cause(seller):
    services.violation_record(seller=seller, severity="general", reference="G1")  # a first decision: nothing
    services.violations_record_many(seller=seller, entries=[("general", "G2")] * 3)  # 6 points → a warning
    # One decision reaching four serious violations and 48 points at once: one termination, not two.
    services.violations_record_many(seller=seller, entries=[("serious", f"S{n}") for n in range(7)])

    assert Action.objects.filter(seller=seller, kind="termination").count() == 1
    assert standing_for(seller).is_pending_termination


def test_the_standing_page_lists_pending_violations_with_dates_and_what_they_would_do(client, seller):
    claim_of(seller, 2)
    client.force_login(seller.user)

    page = " ".join(client.get("/seller/standing/").content.decode().split())

    assert "Pending violations" in page
    assert "unless you counter-notify" in page
    assert "Warning (active points reach 6)" in page


def test_a_new_policy_version_copies_every_field():
    source = Policy.objects.get(site__code="aliexpress", is_current=True)
    own = services.POLICY_OWN
    changed = {}
    for field in Policy._meta.concrete_fields:
        if field.name in own or field.name == "site":
            continue
        value = getattr(source, field.attname)
        if isinstance(value, bool):
            changed[field.attname] = not value
        elif isinstance(value, int):
            changed[field.attname] = value + 181
        else:
            changed[field.attname] = f"{value} (edited)"
    Policy.objects.filter(pk=source.pk).update(**changed)
    source.refresh_from_db()

    copy = services.policy_new_version(policy_id=source.pk, actor=make_staff("Supervisor"))

    # Every concrete field but the version's own: a field added later is copied without anyone remembering to.
    assert {f.name for f in Policy._meta.concrete_fields} - set(changed) - own == {"site"}
    for field in Policy._meta.concrete_fields:
        if field.name not in own:
            assert getattr(copy, field.attname) == getattr(source, field.attname), field.name
    assert copy.steps.count() == source.steps.count()
