"""Complainant redress and abuse control: appeals against rejections (DSA Art. 20) decided by someone else, and the
warning → suspension path for manifestly unfounded notices (DSA Art. 23(2)), enforced wherever a claim can start."""

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from complaints import services
from complaints.models import AbuseRules, Claim, ClaimItem, ComplainantAppeal, ComplainantSanction
from complaints.sanctions import unfounded_count
from complaints.selectors import filing_gate
from ipp_portal.audit.models import AuditEvent
from ipp_portal.errors import DeadlinePassed, InvalidTransition, NotPermitted, PortalError
from ipp_portal.notifications.models import Notification
from listings.models import Site
from tests.factories import ListingFactory, SellerFactory, make_claim, make_complainant, make_right, make_staff, seen

pytestmark = pytest.mark.django_db


@pytest.fixture
def alibaba():
    return Site.objects.get(code="alibaba")


@pytest.fixture
def reviewer():
    return make_staff("Reviewer", email="first@staff.example")


@pytest.fixture
def other_reviewer():
    return make_staff("Reviewer", email="second@staff.example")


@pytest.fixture
def supervisor():
    return make_staff("Supervisor", email="boss@staff.example")


@pytest.fixture
def small_rules(alibaba):
    rules = AbuseRules.objects.get(site=alibaba)
    rules.warning_after, rules.suspend_after, rules.suspension_days = 2, 2, 30
    rules.save()
    return rules


def _claim(complainant, n=1, **fields):
    seller = SellerFactory()
    return make_claim(complainant, listings=[ListingFactory(seller=seller) for _ in range(n)], **fields)


def _reject_items(claim, reviewer, code="not_infringing", items=None):
    items = items if items is not None else list(claim.items.order_by("position"))
    return services.claim_items_reject(
        claim_id=claim.pk, item_ids=[i.pk for i in items], reviewer=reviewer, code=code, seen=seen(claim), note="n"
    )


def _unfounded(complainant, reviewer, n):
    for _ in range(n):
        _reject_items(_claim(complainant), reviewer)


# Seeded rules -------------------------------------------------------------------------------------------------


def test_every_site_is_seeded_with_documented_rules():
    for site in Site.objects.all():
        rules = AbuseRules.objects.get(site=site)
        assert (rules.window_days, rules.warning_after, rules.suspend_after, rules.suspension_days) == (90, 10, 10, 30)


# Appeals against rejections ------------------------------------------------------------------------------------


def test_an_overturned_appeal_puts_the_rejected_items_back_in_review(reviewer, other_reviewer):
    holder = make_complainant()
    claim = _claim(holder, 2)
    _reject_items(claim, reviewer)
    claim.refresh_from_db()
    assert claim.status == Claim.Status.DECIDED
    decision = Notification.objects.filter(recipient=holder.user, template="complaints/claim_decisions").get()
    assert "appeal" in decision.body_text
    assert "out-of-court" in decision.body_text

    appeal = services.complainant_appeal_file(
        user=holder.user, claim_id=claim.pk, item_ids=[i.pk for i in claim.items.all()], statement="They are fakes."
    )
    with pytest.raises(InvalidTransition):  # one open appeal per decision
        services.complainant_appeal_file(
            user=holder.user, claim_id=claim.pk, item_ids=[claim.items.first().pk], statement="Again."
        )
    with pytest.raises(NotPermitted) as refused:  # the reviewer who rejected may not decide it
        services.complainant_appeal_decide(appeal_id=appeal.pk, reviewer=reviewer, outcome="overturned", reason="x")
    assert refused.value.code == "own_decision"

    services.complainant_appeal_decide(
        appeal_id=appeal.pk, reviewer=other_reviewer, outcome="overturned", reason="The test buy shows fakes."
    )
    claim.refresh_from_db()
    assert claim.status == Claim.Status.IN_REVIEW
    assert claim.assigned_to is None
    assert set(claim.items.values_list("status", flat=True)) == {ClaimItem.Status.PENDING}
    assert AuditEvent.objects.filter(verb="claim_item.reopened").count() == 2  # one row per listing
    assert AuditEvent.objects.filter(verb="claim.reopened", target_id=claim.pk).exists()
    told = Notification.objects.filter(recipient=holder.user, template="complaints/appeal_decided").get()
    assert "The test buy shows fakes." in told.body_text
    seller_told = Notification.objects.filter(template="complaints/claim_reopened").get()
    assert seller_told.recipient == claim.items.first().seller.user


def test_a_whole_claim_rejection_is_appealed_as_one_decision(reviewer, other_reviewer):
    holder = make_complainant()
    claim = _claim(holder, 3)
    services.claim_reject(claim_id=claim.pk, reviewer=reviewer, code="ownership_not_proven", seen=seen(claim))
    first = claim.items.order_by("position").first()
    appeal = services.complainant_appeal_file(
        user=holder.user, claim_id=claim.pk, item_ids=[first.pk], statement="Here is the assignment deed."
    )
    assert appeal.subject == ComplainantAppeal.Subject.CLAIM
    assert appeal.items.count() == 3
    services.complainant_appeal_decide(
        appeal_id=appeal.pk, reviewer=other_reviewer, outcome="upheld", reason="No deed."
    )
    claim.refresh_from_db()
    assert claim.status == Claim.Status.DECIDED
    assert claim.rejection_code == "ownership_not_proven"
    # Upheld: a new appeal on the same decision is allowed (the first is closed), overturning reopens the claim.
    again = services.complainant_appeal_file(
        user=holder.user, claim_id=claim.pk, item_ids=[first.pk], statement="Deed."
    )
    services.complainant_appeal_decide(appeal_id=again.pk, reviewer=other_reviewer, outcome="overturned", reason="Ok.")
    claim.refresh_from_db()
    assert claim.status == Claim.Status.IN_REVIEW
    assert claim.rejection_code == ""


def test_appeal_window_is_six_months_and_needs_a_statement(reviewer):
    holder = make_complainant()
    claim = _claim(holder)
    _reject_items(claim, reviewer)
    item = claim.items.get()
    with pytest.raises(PortalError):
        services.complainant_appeal_file(user=holder.user, claim_id=claim.pk, item_ids=[item.pk], statement="  ")
    ClaimItem.objects.filter(pk=item.pk).update(decided_at=timezone.now() - timedelta(days=190))
    with pytest.raises(DeadlinePassed):
        services.complainant_appeal_file(user=holder.user, claim_id=claim.pk, item_ids=[item.pk], statement="Late.")


def test_only_rejections_can_be_appealed_and_only_by_their_complainant(reviewer):
    holder, stranger = make_complainant(), make_complainant()
    claim = _claim(holder)
    item = claim.items.get()
    with pytest.raises(InvalidTransition):
        services.complainant_appeal_file(user=holder.user, claim_id=claim.pk, item_ids=[item.pk], statement="x")
    _reject_items(claim, reviewer)
    with pytest.raises(Claim.DoesNotExist):
        services.complainant_appeal_file(user=stranger.user, claim_id=claim.pk, item_ids=[item.pk], statement="x")


def test_claim_page_offers_the_appeal_with_its_deadline(client, reviewer):
    holder = make_complainant()
    claim = _claim(holder)
    _reject_items(claim, reviewer)
    client.force_login(holder.user)
    page = client.get(reverse("complaints:claim-detail", args=[claim.pk])).content.decode()
    assert "Appeal this decision" in page
    assert "until" in page
    response = client.post(
        reverse("complaints:claim-appeal", args=[claim.pk]),
        {"items": [claim.items.get().pk], "statement": "Wrong call."},
    )
    assert response.status_code == 302
    assert ComplainantAppeal.objects.filter(claim=claim, status="open").exists()
    page = client.get(reverse("complaints:claim-detail", args=[claim.pk])).content.decode()
    assert "Appeal this decision" not in page
    assert "Open" in page


# Abuse control -------------------------------------------------------------------------------------------------


def test_manifestly_unfounded_counts_what_the_policy_says(alibaba, reviewer):
    holder = make_complainant()
    _reject_items(_claim(holder), reviewer, code="not_infringing")
    _reject_items(_claim(holder), reviewer, code="listing_not_found")  # a bad link is not unfounded
    whole = _claim(holder, 2)
    services.claim_reject(claim_id=whole.pk, reviewer=reviewer, code="identity_not_proven", seen=seen(whole))
    other = _claim(holder)
    services.claim_reject(claim_id=other.pk, reviewer=reviewer, code="authorization_missing", seen=seen(other))
    count = unfounded_count(complainant=holder, site=alibaba, since=timezone.now() - timedelta(days=90))
    assert (count.total, count.not_infringing, count.not_proven) == (3, 1, 2)


def test_warning_then_suspension_closes_the_gate_everywhere(client, alibaba, reviewer, small_rules):
    holder = make_complainant()
    right = make_right(holder)
    _unfounded(holder, reviewer, 2)
    assert services.complainant_sanctions_sweep() == 1
    warning = ComplainantSanction.objects.get(complainant=holder)
    assert warning.kind == "warning"
    assert warning.unfounded_count == 2
    assert "DSA Art. 23(2)" in warning.ground
    assert "IPP-" in warning.facts
    assert warning.redress
    assert warning.next_steps
    assert services.complainant_sanctions_sweep() == 0  # idempotent
    assert filing_gate(complainant=holder, site=alibaba, right=right).allowed  # a warning does not close the gate

    draft = services.claim_save_draft(complainant=holder, site=alibaba, right=right, explanation="Later")
    _unfounded(holder, reviewer, 2)
    assert services.complainant_sanctions_sweep() == 1
    assert services.complainant_sanctions_sweep() == 0
    suspension = ComplainantSanction.objects.get(complainant=holder, kind="suspension")
    assert suspension.ends_at - suspension.starts_at == timedelta(days=30)
    assert Notification.objects.filter(recipient=holder.user, template="complaints/sanction_imposed").count() == 2

    gate = filing_gate(complainant=holder, site=alibaba, right=right)
    assert not gate.allowed
    assert gate.code == "filing_suspended"
    # The claim_submit service refuses.
    with pytest.raises(NotPermitted) as refused:
        _claim(holder, right=right)
    assert refused.value.code == "filing_suspended"
    # The new-claim form refuses, and says why.
    client.force_login(holder.user)
    listing = ListingFactory()
    data = {
        "token": uuid.uuid4(), "site": alibaba.pk, "right": right.pk, "reason_code": "tm_counterfeit",
        "explanation": "Fakes", "links": listing.url, "signature_name": "A Signer", "action": "submit",
        **dict.fromkeys(services.claims.STATEMENTS, "on"),
    }  # fmt: skip
    response = client.post(reverse("complaints:claim-new"), data)
    assert response.status_code == 200
    assert "is suspended until" in response.content.decode()
    # A draft submitted is refused the same way.
    response = client.post(reverse("complaints:claim-edit", args=[draft.pk]), data)
    assert response.status_code == 200
    assert "is suspended until" in response.content.decode()
    assert Claim.objects.get(pk=draft.pk).status == Claim.Status.DRAFT
    # The dashboard shows it, with the way to appeal.
    home = client.get(reverse("complaints:home")).content.decode()
    assert "Suspension of filing" in home
    assert "appeal until" in home
    # Another site stays open.
    other_site = Site.objects.exclude(pk=alibaba.pk).first()
    assert filing_gate(complainant=holder, site=other_site, right=right).code != "filing_suspended"
    # Once it has ended, nothing from before counts again, and the gate opens.
    assert services.complainant_sanctions_sweep(now=timezone.now() + timedelta(days=31)) == 0
    ComplainantSanction.objects.filter(pk=suspension.pk).update(ends_at=timezone.now() - timedelta(seconds=1))
    assert filing_gate(complainant=holder, site=alibaba, right=right).allowed


def test_suspension_does_not_stop_claims_filed_before_it(alibaba, reviewer, supervisor):
    holder = make_complainant()
    claim = _claim(holder)
    services.complainant_sanction_impose(
        complainant_id=holder.pk, site=alibaba, kind="suspension", actor=supervisor, reason="Fake certificates"
    )
    from tests.factories import take_down

    take_down(Claim.objects.get(pk=claim.pk), reviewer=reviewer)
    assert claim.items.get().status == ClaimItem.Status.REMOVED


def test_discretionary_sanctions_need_a_reason_and_the_permission(alibaba, reviewer, supervisor):
    holder = make_complainant()
    with pytest.raises(PortalError) as missing:
        services.complainant_sanction_impose(
            complainant_id=holder.pk, site=alibaba, kind="suspension", actor=supervisor, reason=" "
        )
    assert missing.value.code == "reason_required"
    with pytest.raises(NotPermitted):
        services.complainant_sanction_impose(
            complainant_id=holder.pk, site=alibaba, kind="warning", actor=reviewer, reason="x"
        )
    sanction = services.complainant_sanction_impose(
        complainant_id=holder.pk, site=alibaba, kind="suspension", actor=supervisor, reason="Forged documents", days=7
    )
    assert sanction.reason == "Forged documents"
    assert not sanction.is_automated
    assert sanction.ends_at - sanction.starts_at == timedelta(days=7)
    with pytest.raises(PortalError):
        services.complainant_sanction_lift(sanction_id=sanction.pk, actor=supervisor, reason="")
    services.complainant_sanction_lift(sanction_id=sanction.pk, actor=supervisor, reason="Documents were genuine")
    sanction.refresh_from_db()
    assert sanction.status == "lifted"
    assert not sanction.in_force
    assert Notification.objects.filter(recipient=holder.user, template="complaints/sanction_lifted").exists()


def test_a_sanction_appeal_is_decided_by_another_supervisor(alibaba, supervisor, other_reviewer):
    holder = make_complainant()
    right = make_right(holder)
    sanction = services.complainant_sanction_impose(
        complainant_id=holder.pk, site=alibaba, kind="suspension", actor=supervisor, reason="Forged documents"
    )
    appeal = services.complainant_sanction_appeal_file(user=holder.user, sanction_id=sanction.pk, statement="Genuine.")
    with pytest.raises(NotPermitted):  # a reviewer does not decide appeals against sanctions
        services.complainant_appeal_decide(
            appeal_id=appeal.pk, reviewer=other_reviewer, outcome="overturned", reason="x"
        )
    with pytest.raises(NotPermitted):  # nor the supervisor who imposed it
        services.complainant_appeal_decide(appeal_id=appeal.pk, reviewer=supervisor, outcome="overturned", reason="x")
    second = make_staff("Supervisor")
    services.complainant_appeal_decide(appeal_id=appeal.pk, reviewer=second, outcome="overturned", reason="Genuine.")
    sanction.refresh_from_db()
    assert sanction.status == "overturned"
    assert filing_gate(complainant=holder, site=alibaba, right=right).allowed


def test_admin_queue_decides_and_hides_the_form_from_the_decider(client, reviewer, other_reviewer):
    holder = make_complainant()
    claim = _claim(holder)
    _reject_items(claim, reviewer)
    appeal = services.complainant_appeal_file(
        user=holder.user, claim_id=claim.pk, item_ids=[claim.items.get().pk], statement="Look again."
    )
    url = reverse("admin:complaints_complainantappeal_change", args=[appeal.pk])
    client.force_login(reviewer)
    assert "another member of staff must decide it" in client.get(url).content.decode()
    client.force_login(other_reviewer)
    response = client.post(url, {"outcome": "overturned", "reason": "Looks infringing."})
    assert response.status_code == 302
    assert ComplainantAppeal.objects.get(pk=appeal.pk).status == "overturned"


def test_a_lifted_warning_does_not_lead_to_a_suspension(alibaba, reviewer, supervisor, small_rules):
    holder = make_complainant()
    _unfounded(holder, reviewer, 2)
    services.complainant_sanctions_sweep()
    warning = ComplainantSanction.objects.get(complainant=holder)
    services.complainant_sanction_lift(sanction_id=warning.pk, actor=supervisor, reason="Issued in error")
    _unfounded(holder, reviewer, 1)
    assert services.complainant_sanctions_sweep() == 0  # one since the lift: below a new warning, and no suspension
    _unfounded(holder, reviewer, 1)
    assert services.complainant_sanctions_sweep() == 1
    assert list(ComplainantSanction.objects.filter(complainant=holder).values_list("kind", "status")) == [
        ("warning", "active"),
        ("warning", "lifted"),
    ]


def test_supervisors_change_the_rules_in_the_admin_and_it_is_audited(client, alibaba, supervisor, reviewer):
    rules = AbuseRules.objects.get(site=alibaba)
    url = reverse("admin:complaints_abuserules_change", args=[rules.pk])
    data = {"window_days": 60, "warning_after": 5, "suspend_after": 5, "suspension_days": 14}
    client.force_login(reviewer)
    assert client.post(url, data).status_code == 403
    client.force_login(supervisor)
    assert client.post(url, data).status_code == 302
    rules.refresh_from_db()
    assert (rules.window_days, rules.warning_after, rules.suspend_after, rules.suspension_days) == (60, 5, 5, 14)
    event = AuditEvent.objects.get(verb="abuse_rules.changed")
    assert event.data["before"]["window_days"] == 90
