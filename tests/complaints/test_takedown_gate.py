"""A takedown asks the filing gate again on the day staff decide: a right that expired or was rejected since the
claim was filed, or an agent's authorization revoked or lapsed since, takes nothing down; staff see why, and the
complainant is told what to do, once per claim per cause."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from complaints import services
from complaints.gates import takedown_gate
from complaints.models import Authorization, ClaimItem, IPRight
from enforcement.models import Violation
from ipp_portal.audit.models import AuditEvent
from ipp_portal.errors import PortalError
from ipp_portal.notifications.models import Notification
from listings.models import Listing, ListingSnapshot, Site
from tests.factories import ListingFactory, make_claim, make_complainant, make_document, make_right, make_staff, seen
from tests.factories import take_down as _take_down

pytestmark = pytest.mark.django_db

BLOCKED = "complaints/takedown_blocked"


@pytest.fixture
def reviewer():
    return make_staff(email="reviewer@staff.example")


def take_down(claim, reviewer):
    return _take_down(claim, reviewer=reviewer)


def _authorize(agent, right, reviewer, *, days: int = 365):
    today = timezone.localdate()
    authorization = services.authorization_register(
        agent=agent, rights=[right], sites=[Site.objects.get(code="alibaba")],
        letter=make_document(agent.user, "letter.pdf"), owner_name="Acme Brands Ltd.",
        valid_from=today - timedelta(days=30), valid_until=today + timedelta(days=days),
    )  # fmt: skip
    services.authorization_verify(authorization_id=authorization.pk, seen=seen(authorization), reviewer=reviewer)
    return Authorization.objects.get(pk=authorization.pk)


def _agent_claim(reviewer):
    agent = make_complainant(role="law_firm", legal_name="Lex and Co LLP")
    right = make_right(agent)
    authorization = _authorize(agent, right, reviewer)
    claim = make_claim(agent, right=right, listings=[ListingFactory(), ListingFactory()])
    assert claim.authorization == authorization
    return claim, authorization


def _refused(claim, reviewer, code: str) -> PortalError:
    with pytest.raises(PortalError) as excinfo:
        take_down(claim, reviewer)
    assert excinfo.value.code == code
    return excinfo.value


def _nothing_taken_down(claim):
    assert set(Listing.objects.filter(claim_items__claim=claim).values_list("status", flat=True)) == {"live"}
    assert set(claim.items.values_list("status", flat=True)) == {ClaimItem.Status.PENDING}
    assert not Violation.objects.exists()
    assert not ListingSnapshot.objects.exists()
    assert not Notification.objects.filter(template="complaints/takedown_notice").exists()
    assert not AuditEvent.objects.filter(verb="claim_item.removed").exists()


def _notices(claim):
    return list(Notification.objects.filter(recipient=claim.complainant.user, template=BLOCKED).order_by("id"))


def _blocked_events(claim):
    return AuditEvent.objects.filter(verb="claim.takedown_blocked", target_id=str(claim.pk)).order_by("id")


def test_right_expired_after_filing_takes_nothing_down_and_tells_the_complainant_once(reviewer):
    claim = make_claim(listings=[ListingFactory(), ListingFactory()])
    right = claim.right
    services.ip_right_expire(right_id=right.pk, today=right.expires_on + timedelta(days=1))

    error = _refused(claim, reviewer, "right_expired")
    assert "Nothing was taken down" in error.message
    assert "expired on 15 Jan 2030" in error.message
    assert claim.reference in error.message
    _refused(claim, reviewer, "right_expired")  # staff try again: refused again, the complainant is not told twice

    _nothing_taken_down(claim)
    [notice] = _notices(claim)
    assert claim.reference in notice.subject
    assert "expired on 15 Jan 2030" in notice.body_text
    assert "Register the renewed right" in notice.body_text
    assert f"/rights/claims/{claim.pk}/" in notice.body_text
    events = list(_blocked_events(claim))
    assert [(e.actor, e.data["code"], e.data["notified"]) for e in events] == [
        (reviewer, "right_expired", True),
        (reviewer, "right_expired", False),
    ]


def test_right_past_its_expiry_date_before_the_nightly_sweep_is_refused_too(reviewer):
    claim = make_claim()
    IPRight.objects.filter(pk=claim.right_id).update(expires_on=timezone.localdate() - timedelta(days=1))

    _refused(claim, reviewer, "right_expired")

    _nothing_taken_down(claim)
    assert len(_notices(claim)) == 1


@pytest.mark.unaudited_status_setup  # a verified right is rejected by a correction in the database, not a service
def test_right_rejected_after_filing_is_refused_with_the_reason(reviewer):
    claim = make_claim()
    IPRight.objects.filter(pk=claim.right_id).update(status="rejected", rejection_reason="The mark was assigned.")

    _refused(claim, reviewer, "right_rejected")

    _nothing_taken_down(claim)
    [notice] = _notices(claim)
    assert "The mark was assigned." in notice.body_text
    assert "send it again" in notice.body_text


def test_agent_authorization_revoked_after_filing_is_refused(reviewer):
    claim, authorization = _agent_claim(reviewer)
    services.authorization_revoke(authorization_id=authorization.pk, reviewer=reviewer, reason="Owner's request")

    error = _refused(claim, reviewer, "authorization_revoked")
    _refused(claim, reviewer, "authorization_revoked")

    assert "revoked" in error.message
    _nothing_taken_down(claim)
    [notice] = _notices(claim)
    assert "Add a new authorization from the owner" in notice.body_text
    assert _blocked_events(claim).count() == 2


def test_agent_authorization_expired_after_filing_is_refused(reviewer):
    claim, authorization = _agent_claim(reviewer)
    services.authorization_expire(authorization_id=authorization.pk, today=authorization.valid_until + timedelta(1))

    _refused(claim, reviewer, "authorization_lapsed")

    _nothing_taken_down(claim)
    [notice] = _notices(claim)
    assert "renewed authorization" in notice.body_text


def test_agent_authorization_past_its_last_day_before_the_sweep_is_refused(reviewer):
    claim, authorization = _agent_claim(reviewer)
    yesterday = timezone.localdate() - timedelta(days=1)
    Authorization.objects.filter(pk=authorization.pk).update(valid_until=yesterday)

    _refused(claim, reviewer, "authorization_lapsed")

    _nothing_taken_down(claim)
    assert takedown_gate(claim, today=yesterday).allowed  # in force on its last day


@pytest.mark.unaudited_status_setup  # a verified letter is rejected by a correction in the database, not a service
def test_agent_authorization_rejected_after_filing_is_refused(reviewer):
    claim, authorization = _agent_claim(reviewer)
    Authorization.objects.filter(pk=authorization.pk).update(status="rejected", rejection_reason="Forged letter.")

    _refused(claim, reviewer, "authorization_rejected")

    _nothing_taken_down(claim)
    assert "Forged letter." in _notices(claim)[0].body_text


def test_authorization_that_no_longer_covers_the_site_is_refused(reviewer):
    claim, authorization = _agent_claim(reviewer)
    authorization.sites.set([Site.objects.get(code="aliexpress")])

    _refused(claim, reviewer, "authorization_not_covering")
    _nothing_taken_down(claim)


def test_a_successor_authorization_covering_the_right_and_site_lets_the_takedown_proceed(reviewer):
    claim, authorization = _agent_claim(reviewer)
    services.authorization_revoke(authorization_id=authorization.pk, reviewer=reviewer, reason="Replaced")
    _refused(claim, reviewer, "authorization_revoked")
    successor = _authorize(claim.complainant, claim.right, reviewer, days=700)

    claim.refresh_from_db()
    gate = takedown_gate(claim)
    assert (gate.allowed, gate.authorization) == (True, successor)
    take_down(claim, reviewer)

    assert set(claim.items.values_list("status", flat=True)) == {ClaimItem.Status.REMOVED}
    assert len(_notices(claim)) == 1  # the refusal before the successor was added


def test_each_cause_is_told_once(reviewer):
    claim, authorization = _agent_claim(reviewer)
    services.authorization_revoke(authorization_id=authorization.pk, reviewer=reviewer, reason="Owner's request")
    _refused(claim, reviewer, "authorization_revoked")
    services.ip_right_expire(right_id=claim.right_id, today=claim.right.expires_on + timedelta(days=1))
    _refused(claim, reviewer, "right_expired")
    _refused(claim, reviewer, "right_expired")

    notices = _notices(claim)
    assert len(notices) == 2
    assert "was revoked" in notices[0].body_text
    assert "expired on 15 Jan 2030" in notices[1].body_text
    assert _blocked_events(claim).count() == 3


@pytest.mark.parametrize("agent", [False, True])
def test_open_gate_takes_down_as_before(reviewer, agent):
    claim = _agent_claim(reviewer)[0] if agent else make_claim(listings=[ListingFactory(), ListingFactory()])
    assert takedown_gate(claim).allowed

    done = take_down(claim, reviewer)

    assert len(done) == 2
    assert set(Listing.objects.values_list("status", flat=True)) == {"removed"}
    assert Violation.objects.count() == 2
    assert not _notices(claim)
    assert not _blocked_events(claim).exists()


def test_review_page_warns_before_and_shows_the_refusal_after(client, reviewer):
    claim = make_claim(listings=[ListingFactory()])
    page_url = f"/admin/complaints/claim/{claim.pk}/change/"
    client.force_login(reviewer)
    assert 'id="takedown-gate"' not in client.get(page_url).content.decode()

    services.ip_right_expire(right_id=claim.right_id, today=claim.right.expires_on + timedelta(days=1))
    page = client.get(page_url).content.decode()
    assert 'id="takedown-gate"' in page
    assert "expired on 15 Jan 2030, so this claim's listings cannot be taken down" in page
    shown = re.search(r'name="seen" value="([^"]+)"', page).group(1)

    response = client.post(
        f"/admin/complaints/claim/{claim.pk}/decide/",
        {"decision": "take_down", "items": list(claim.items.values_list("pk", flat=True)), "seen": shown},
        follow=True,
    )

    body = response.content.decode()
    assert 'class="error"' in body
    assert "Nothing was taken down: the right" in body
    assert "taken down; sellers and complainant notified" not in body
    _nothing_taken_down(claim)
    assert len(_notices(claim)) == 1


def test_review_page_names_the_successor_authorization_a_takedown_rests_on(client, reviewer):
    claim, authorization = _agent_claim(reviewer)
    services.authorization_revoke(authorization_id=authorization.pk, reviewer=reviewer, reason="Replaced")
    successor = _authorize(claim.complainant, claim.right, reviewer, days=700)
    client.force_login(reviewer)

    page = client.get(f"/admin/complaints/claim/{claim.pk}/change/").content.decode()

    assert "a takedown rests on" in page
    assert f"/admin/complaints/authorization/{successor.pk}/change/" in page
    assert "Taking down is closed today" not in page
