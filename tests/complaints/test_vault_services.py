from datetime import date, timedelta

import pytest
from django.utils import timezone

from complaints import services
from complaints.models import Authorization, Complainant, IPRight
from complaints.selectors import filing_gate, right_conflicts
from ipp_portal.audit.models import AuditEvent
from ipp_portal.errors import InvalidTransition, NotPermitted, PortalError
from ipp_portal.notifications.models import Notification
from listings.models import Site
from tests.factories import UserFactory, make_complainant, make_document, make_right, make_staff, seen

pytestmark = pytest.mark.django_db

PROFILE = {
    "kind": "enterprise",
    "role": "right_holder",
    "legal_name": "Acme Brands Ltd.",
    "country": "GB",
    "postal_address": "1 High Street, London",
    "phone": "+44 20 7946 0000",
    "contact_email": "legal@acme.example",
}


@pytest.fixture
def reviewer():
    return make_staff(email="reviewer@example.com")


@pytest.fixture
def alibaba():
    return Site.objects.get(code="alibaba")


def test_register_profile_waits_for_verification_and_confirms_receipt():
    user = UserFactory()
    document = make_document(user, "passport.pdf")

    complainant = services.complainant_register(user=user, documents=[document], **PROFILE)

    assert complainant.status == "pending"
    assert list(complainant.identity_documents.all()) == [document]
    assert AuditEvent.objects.filter(verb="complainant.submitted", actor=user).count() == 1
    assert Notification.objects.get(recipient=user).template == "complaints/profile_received"


def test_register_profile_without_identity_proof_is_refused():
    user = UserFactory()

    with pytest.raises(PortalError, match="proof of identity"):
        services.complainant_register(user=user, documents=[], **PROFILE)

    assert not Complainant.objects.exists()
    assert not AuditEvent.objects.filter(verb="complainant.submitted").exists()


def test_verify_identity_records_who_and_notifies(reviewer):
    complainant = make_complainant(status="pending")

    services.complainant_verify(complainant_id=complainant.pk, seen=seen(complainant), reviewer=reviewer)

    complainant.refresh_from_db()
    assert (complainant.status, complainant.decided_by) == ("verified", reviewer)
    event = AuditEvent.objects.get(verb="complainant.verified")
    assert (event.actor, event.from_state, event.to_state) == (reviewer, "pending", "verified")
    notice = Notification.objects.get(recipient=complainant.user, template="complaints/verification_decided")
    assert "identity is verified" in notice.subject


def test_reject_needs_a_reason_and_the_complainant_reads_it(reviewer):
    complainant = make_complainant(status="pending")

    with pytest.raises(PortalError, match="reason"):
        services.complainant_reject(
            complainant_id=complainant.pk, seen=seen(complainant), reviewer=reviewer, reason="  "
        )
    assert Complainant.objects.get(pk=complainant.pk).status == "pending"

    services.complainant_reject(
        complainant_id=complainant.pk, seen=seen(complainant), reviewer=reviewer, reason="The passport is blurred."
    )

    complainant.refresh_from_db()
    assert (complainant.status, complainant.rejection_reason) == ("rejected", "The passport is blurred.")
    notice = Notification.objects.get(recipient=complainant.user, template="complaints/verification_decided")
    assert "The passport is blurred." in notice.body_text


def test_second_reviewer_is_told_who_decided_first(reviewer):
    complainant = make_complainant(status="pending")
    other = make_staff(email="second@example.com")
    services.complainant_verify(complainant_id=complainant.pk, seen=seen(complainant), reviewer=reviewer)

    with pytest.raises(InvalidTransition, match=r"already verified by reviewer@example\.com"):
        services.complainant_reject(
            complainant_id=complainant.pk, seen=seen(complainant), reviewer=other, reason="Too late"
        )

    assert Complainant.objects.get(pk=complainant.pk).status == "verified"
    assert AuditEvent.objects.filter(target_id=str(complainant.pk), verb__startswith="complainant.").count() == 1


def test_rejected_profile_corrected_goes_back_to_the_queue(reviewer):
    complainant = make_complainant(status="rejected")
    new_proof = make_document(complainant.user, "clearer-scan.pdf")
    before = complainant.submitted_at

    services.complainant_update(
        complainant_id=complainant.pk,
        user=complainant.user,
        documents=[new_proof],
        **{**PROFILE, "legal_name": "Acme Ltd"},
    )

    complainant.refresh_from_db()
    assert (complainant.status, complainant.legal_name) == ("pending", "Acme Ltd")
    assert list(complainant.identity_documents.all()) == [new_proof]
    assert complainant.submitted_at > before
    assert AuditEvent.objects.get(verb="complainant.resubmitted").to_state == "pending"


def test_verified_profile_locks_identity_but_not_contact_details():
    complainant = make_complainant(status="verified")

    with pytest.raises(NotPermitted, match="locked"):
        services.complainant_update(
            complainant_id=complainant.pk, user=complainant.user, **{**PROFILE, "legal_name": "Someone Else"}
        )
    services.complainant_update(
        complainant_id=complainant.pk, user=complainant.user, **{**PROFILE, "phone": "+44 20 7946 0999"}
    )

    complainant.refresh_from_db()
    assert (complainant.legal_name, complainant.phone, complainant.status) == (
        "Acme Brands Ltd.", "+44 20 7946 0999", "verified",
    )  # fmt: skip


def test_register_right_normalises_the_registration_number():
    complainant = make_complainant()
    document = make_document(complainant.user)

    right = services.ip_right_register(
        complainant=complainant,
        documents=[(document, "certificate")],
        kind="trademark", title="ACME", mark_type="word", registration_number="UK 0000-3.123456",
        jurisdiction="GB", nice_classes=[25], owner_name="Acme Brands Ltd.", registered_on=date(2020, 1, 1),
        expires_on=date(2030, 1, 1),
    )  # fmt: skip

    assert (right.status, right.registration_key) == ("pending", "UK00003123456")
    assert right.documents.get().document == document


def test_right_conflicts_are_visible_from_both_sides():
    first = make_right(make_complainant(), registration_number="UK00003123456")
    second = make_right(make_complainant(legal_name="Other Co"), registration_number="uk 0000 3123456")
    unrelated = make_right(make_complainant(legal_name="Third"), registration_number="UK00003123456", jurisdiction="US")

    assert list(right_conflicts(first)) == [second]
    assert list(right_conflicts(second)) == [first]
    assert list(right_conflicts(unrelated)) == []


def test_verify_right_whose_expiry_passed_is_refused(reviewer):
    right = make_right(make_complainant(), status="pending", expires_on=timezone.localdate() - timedelta(days=1))

    with pytest.raises(InvalidTransition, match="expiry date has passed"):
        services.ip_right_verify(right_id=right.pk, seen=seen(right), reviewer=reviewer)

    assert IPRight.objects.get(pk=right.pk).status == "pending"


def test_rejected_right_resubmitted_with_corrections(reviewer):
    complainant = make_complainant()
    right = make_right(complainant, status="rejected")

    services.ip_right_resubmit(right_id=right.pk, user=complainant.user, registration_number="UK00003999999")

    right.refresh_from_db()
    assert (right.status, right.registration_key) == ("pending", "UK00003999999")


def test_another_users_right_cannot_be_touched():
    right = make_right(make_complainant(status="rejected"), status="rejected")
    intruder = UserFactory()

    with pytest.raises(IPRight.DoesNotExist):
        services.ip_right_resubmit(right_id=right.pk, user=intruder, title="Mine now")
    with pytest.raises(IPRight.DoesNotExist):
        services.ip_right_add_documents(
            right_id=right.pk, user=intruder, documents=[(make_document(intruder), "other")]
        )

    assert IPRight.objects.get(pk=right.pk).title == "ACME"


def test_expiry_sweep_warns_30_days_ahead_once_and_expires_on_the_day():
    complainant = make_complainant()
    today = date(2027, 3, 1)
    soon = make_right(complainant, expires_on=today + timedelta(days=30))
    later = make_right(complainant, expires_on=today + timedelta(days=31), registration_number="X1")
    gone = make_right(complainant, expires_on=today - timedelta(days=1), registration_number="X2")

    assert services.rights_warn_expiring(today=today) == 1
    assert services.rights_warn_expiring(today=today) == 0  # idempotent
    assert services.rights_expire_due(today=today) == 1
    assert services.rights_expire_due(today=today) == 0

    assert IPRight.objects.get(pk=gone.pk).status == "expired"
    assert IPRight.objects.get(pk=soon.pk).status == "verified"
    assert IPRight.objects.get(pk=later.pk).expiry_warned_on is None
    templates = list(Notification.objects.filter(recipient=complainant.user).values_list("template", flat=True))
    assert sorted(templates) == ["complaints/right_expired", "complaints/right_expiring"]


def _authorization(agent, right, site, **fields):
    return services.authorization_register(
        agent=agent,
        rights=[right],
        sites=[site],
        letter=make_document(agent.user, "letter.pdf"),
        owner_name="Acme Brands Ltd.",
        valid_from=fields.pop("valid_from", date(2026, 1, 1)),
        valid_until=fields.pop("valid_until", date(2027, 12, 31)),
        **fields,
    )


def test_filing_gate_for_a_right_holder(alibaba):
    holder = make_complainant()
    right = make_right(holder)

    assert filing_gate(complainant=holder, site=alibaba, right=right, today=date(2026, 12, 1)).allowed


@pytest.mark.parametrize(
    ("complainant_status", "right_status", "expires_on", "code"),
    [
        ("pending", "verified", date(2030, 1, 1), "identity_pending"),
        ("rejected", "verified", date(2030, 1, 1), "identity_rejected"),
        ("verified", "pending", date(2030, 1, 1), "right_pending"),
        ("verified", "rejected", date(2030, 1, 1), "right_rejected"),
        ("verified", "verified", date(2026, 11, 30), "right_expired"),
        ("verified", "expired", date(2026, 11, 30), "right_expired"),
    ],
)
def test_filing_gate_refusals_say_why(alibaba, complainant_status, right_status, expires_on, code):
    complainant = make_complainant(status=complainant_status)
    right = make_right(complainant, status=right_status, expires_on=expires_on, rejection_reason="Bad scan.")

    gate = filing_gate(complainant=complainant, site=alibaba, right=right, today=date(2026, 12, 1))

    assert (gate.allowed, gate.code) == (False, code)
    assert gate.reason


def test_filing_gate_for_an_agent_needs_an_authorization_covering_right_and_site(alibaba, reviewer):
    aliexpress = Site.objects.get(code="aliexpress")
    agent = make_complainant(role="law_firm", legal_name="Lex & Co")
    right = make_right(agent)
    today = date(2026, 12, 1)

    assert filing_gate(complainant=agent, site=alibaba, right=right, today=today).code == "no_authorization"
    authorization = _authorization(agent, right, alibaba)
    assert filing_gate(complainant=agent, site=alibaba, right=right, today=today).code == "no_authorization"

    services.authorization_verify(authorization_id=authorization.pk, seen=seen(authorization), reviewer=reviewer)
    assert filing_gate(complainant=agent, site=alibaba, right=right, today=today).allowed
    assert filing_gate(complainant=agent, site=aliexpress, right=right, today=today).code == "no_authorization"
    assert filing_gate(complainant=agent, site=alibaba, right=right, today=date(2028, 1, 1)).code == "no_authorization"

    services.authorization_revoke(authorization_id=authorization.pk, reviewer=reviewer, reason="Owner's request")
    assert filing_gate(complainant=agent, site=alibaba, right=right, today=today).code == "no_authorization"
    assert Authorization.objects.get(pk=authorization.pk).revocation_reason == "Owner's request"


def test_right_holder_needs_no_authorization_and_cannot_register_one(alibaba):
    holder = make_complainant()
    right = make_right(holder)

    with pytest.raises(NotPermitted, match="Only agents"):
        _authorization(holder, right, alibaba)
    assert not Authorization.objects.exists()


def test_authorization_cannot_cover_someone_elses_right(alibaba):
    agent = make_complainant(role="vendor")
    foreign = make_right(make_complainant(legal_name="Other"))

    with pytest.raises(NotPermitted, match="own vault"):
        _authorization(agent, foreign, alibaba)
    assert not Authorization.objects.exists()


def test_authorizations_expire_by_themselves(alibaba, reviewer):
    agent = make_complainant(role="law_firm")
    authorization = _authorization(agent, make_right(agent), alibaba, valid_until=date(2026, 12, 31))
    services.authorization_verify(authorization_id=authorization.pk, seen=seen(authorization), reviewer=reviewer)

    assert services.authorizations_expire_due(today=date(2026, 12, 31)) == 0
    assert services.authorizations_expire_due(today=date(2027, 1, 1)) == 1
    assert services.authorizations_expire_due(today=date(2027, 1, 2)) == 0

    assert Authorization.objects.get(pk=authorization.pk).status == "expired"
