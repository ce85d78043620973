import html
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from complaints import services
from complaints.models import Authorization, Complainant, IPRight
from ipp_portal.audit.models import AuditEvent
from ipp_portal.documents.models import Document
from tests.factories import PDF_BYTES, UserFactory, make_complainant, make_document, make_right, make_staff

pytestmark = pytest.mark.django_db

PROFILE = {
    "kind": "individual",
    "role": "right_holder",
    "legal_name": "Ada Lovelace",
    "country": "GB",
    "postal_address": "12 St James's Square, London",
    "phone": "+44 20 7946 0018",
    "contact_email": "ada@example.com",
}


def pdf(name="passport.pdf"):
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def test_profile_created_with_identity_proof(client):
    user = UserFactory()
    client.force_login(user)

    response = client.post("/rights/profile/", {**PROFILE, "upload": [pdf()]})

    assert response.status_code == 302
    complainant = Complainant.objects.get(user=user)
    assert complainant.status == "pending"
    assert [d.original_name for d in complainant.identity_documents.all()] == ["passport.pdf"]


def test_profile_error_keeps_typed_values_and_the_uploaded_file(client):
    user = UserFactory()
    client.force_login(user)

    response = client.post("/rights/profile/", {**PROFILE, "phone": "12345", "upload": [pdf()]})

    html = response.content.decode()
    document = Document.objects.get(uploaded_by=user)
    assert response.status_code == 200
    assert "country code" in html
    assert 'value="Ada Lovelace"' in html
    assert f'value="{document.pk}"' in html
    assert "checked" in html
    assert not Complainant.objects.exists()

    fixed = client.post("/rights/profile/", {**PROFILE, "documents": [document.pk]})
    assert fixed.status_code == 302
    assert list(Complainant.objects.get().identity_documents.all()) == [document]


def test_profile_without_identity_proof_is_refused_next_to_the_field(client):
    client.force_login(UserFactory())

    response = client.post("/rights/profile/", PROFILE)

    assert "Attach at least one document." in response.content.decode()
    assert not Complainant.objects.exists()


def test_hostile_upload_is_refused_by_name_and_nothing_else_is_lost(client):
    user = UserFactory()
    client.force_login(user)
    html_as_pdf = SimpleUploadedFile(
        "scan.pdf", b"<html><script>alert(1)</script></html>", content_type="application/pdf"
    )

    response = client.post("/rights/profile/", {**PROFILE, "upload": [html_as_pdf]})

    html = response.content.decode()
    assert "scan.pdf" in html
    assert 'value="Ada Lovelace"' in html
    assert not Document.objects.exists()
    assert not Complainant.objects.exists()


def _right_post(**overrides):
    data = {
        "kind": "trademark", "title": "ACME", "mark_type": "word", "registration_number": "UK00003123456",
        "jurisdiction": "GB", "nice_classes": "9, 25", "owner_name": "Ada Lovelace", "registered_on": "2020-01-15",
        "expires_on": "2030-01-15", "document_role": "certificate", "upload": [pdf("certificate.pdf")],
    }  # fmt: skip
    data.update(overrides)
    return data


def test_add_a_trademark_with_its_certificate(client):
    complainant = make_complainant(status="pending")
    client.force_login(complainant.user)

    response = client.post("/rights/rights/new/", _right_post())

    right = IPRight.objects.get()
    assert response.status_code == 302
    assert (right.kind, right.nice_classes, right.status) == ("trademark", [9, 25], "pending")
    assert right.documents.get().role == "certificate"


@pytest.mark.parametrize(
    ("overrides", "field_error"),
    [
        ({"expires_on": "2020-01-01"}, "already expired"),
        ({"registered_on": "2031-01-01", "expires_on": "2032-01-01"}, "cannot be in the future"),
        ({"registered_on": "2025-01-01", "expires_on": "2024-06-01"}, "already expired"),
        ({"registered_on": "2020-01-01", "expires_on": "2019-06-01"}, "must come after the registration date"),
        ({"jurisdiction": "XX"}, "not a jurisdiction we know"),
        ({"nice_classes": "9, 46"}, "not a Nice class"),
        ({"nice_classes": ""}, "Required for a trademark"),
        ({"kind": "copyright", "registration_number": "", "work_type": "image"}, "signed copyright claim statement"),
    ],
)
def test_bad_right_input_gets_a_field_error_and_keeps_the_rest(client, overrides, field_error):
    complainant = make_complainant()
    client.force_login(complainant.user)

    response = client.post("/rights/rights/new/", _right_post(**overrides))

    html = response.content.decode()
    assert response.status_code == 200
    assert field_error in html
    assert 'value="ACME"' in html
    assert not IPRight.objects.exists()


def test_unregistered_copyright_with_a_signed_statement_is_accepted(client):
    complainant = make_complainant()
    client.force_login(complainant.user)

    response = client.post(
        "/rights/rights/new/",
        _right_post(kind="copyright", registration_number="", work_type="image", mark_type="word", nice_classes="9",
                    expires_on="", document_role="copyright_statement"),
    )  # fmt: skip

    right = IPRight.objects.get()
    assert response.status_code == 302
    assert (right.kind, right.mark_type, right.nice_classes) == ("copyright", "", [])


def test_another_users_right_and_document_are_not_found(client):
    owner = make_complainant()
    right = make_right(owner)
    document = right.documents.get().document
    client.force_login(UserFactory())

    assert client.get(f"/rights/rights/{right.pk}/").status_code == 404
    assert client.get(f"/rights/documents/{document.pk}/").status_code == 404
    assert client.post(f"/rights/rights/{right.pk}/documents/", {"document_role": "renewal"}).status_code == 404


def test_owner_downloads_own_document_as_an_attachment(client):
    owner = make_complainant()
    document = make_right(owner).documents.get().document
    client.force_login(owner.user)

    response = client.get(f"/rights/documents/{document.pk}/")

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF_BYTES


def test_agent_registers_an_authorization(client):
    agent = make_complainant(role="law_firm", legal_name="Lex & Co LLP")
    right = make_right(agent)
    client.force_login(agent.user)

    response = client.post(
        "/rights/authorizations/new/",
        {"owner_name": "Acme Brands Ltd.", "owner_address": "1 High St", "owner_contact_email": "ip@acme.example",
         "rights": [right.pk], "sites": [1, 2], "valid_from": "2026-01-01", "valid_until": "2027-12-31",
         "upload": [pdf("letter.pdf")]},
    )  # fmt: skip

    authorization = Authorization.objects.get()
    assert response.status_code == 302
    assert authorization.letter.original_name == "letter.pdf"
    assert list(authorization.rights.all()) == [right]


def test_letter_template_is_filled_with_what_was_typed(client):
    agent = make_complainant(role="law_firm", legal_name="Lex & Co LLP")
    right = make_right(agent, title="ACME")
    client.force_login(agent.user)

    response = client.get(
        "/rights/authorizations/letter-template.txt",
        {
            "owner_name": "Acme Brands Ltd.",
            "rights": [right.pk],
            "valid_from": "2026-01-01",
            "valid_until": "2027-12-31",
        },
    )

    text = response.content.decode()
    assert response["Content-Disposition"] == 'attachment; filename="authorization-letter.txt"'
    assert "We, Acme Brands Ltd., are the owner" in text
    assert "Lex & Co LLP" in text
    assert "“ACME”, registration no. UK00003123456, GB" in text
    assert "valid from 01 January 2026 until 31 December 2027" in text


def test_staff_verify_in_admin_and_the_second_reviewer_is_told(client, django_capture_on_commit_callbacks, mailoutbox):
    complainant = make_complainant(status="pending")
    first = UserFactory(is_staff=True, is_superuser=True, email="first@example.com")
    second = UserFactory(is_staff=True, is_superuser=True, email="second@example.com")
    client.force_login(first)

    page = client.get(f"/admin/complaints/complainant/{complainant.pk}/change/")
    seen = seen_on(page)
    with django_capture_on_commit_callbacks(execute=True):
        decided = client.post(
            f"/admin/complaints/complainant/{complainant.pk}/decide/", {"decision": "verify", "seen": seen}
        )
    client.force_login(second)
    late = client.post(
        f"/admin/complaints/complainant/{complainant.pk}/decide/",
        {"decision": "reject", "reason": "x", "seen": seen},
        follow=True,
    )

    assert page.status_code == 200
    assert b"registration.pdf" in page.content
    assert decided.status_code == 302
    assert Complainant.objects.get().status == "verified"
    assert "already verified by first@example.com" in late.content.decode()
    assert [m.to for m in mailoutbox] == [[complainant.user.email]]


def seen_on(page) -> str:
    """The signed copy of the record that a review page carries into its decision form."""
    return re.search(r'name="seen" value="([^"]+)"', page.content.decode()).group(1)


def test_verify_refuses_a_record_changed_while_the_reviewer_had_it_open(client, password):
    complainant = make_complainant(status="pending", legal_name="Acme Brands Ltd.")
    reviewer = make_staff()
    client.force_login(reviewer)
    page = client.get(f"/admin/complaints/complainant/{complainant.pk}/change/")
    services.complainant_update(
        complainant_id=complainant.pk, user=complainant.user, **{**contact(complainant), "legal_name": "Other Name Ltd"}
    )

    refused = client.post(
        f"/admin/complaints/complainant/{complainant.pk}/decide/",
        {"decision": "verify", "seen": seen_on(page)},
        follow=True,
    )
    forged = client.post(
        f"/admin/complaints/complainant/{complainant.pk}/decide/", {"decision": "verify", "seen": "forged"}, follow=True
    )
    fresh = client.post(
        f"/admin/complaints/complainant/{complainant.pk}/decide/",
        {"decision": "verify", "seen": seen_on(refused)},
        follow=True,
    )

    text = refused.content.decode()
    assert "changed while you were reviewing it" in text
    assert "legal name (“Acme Brands Ltd.” → “Other Name Ltd”)" in html.unescape(text)
    assert "does not say which version" in forged.content.decode()
    assert fresh.status_code == 200
    assert Complainant.objects.get().status == "verified"
    assert AuditEvent.objects.filter(verb="complainant.verified").count() == 1


def contact(complainant) -> dict:
    return {
        name: getattr(complainant, name)
        for name in ("kind", "role", "legal_name", "country", "postal_address", "phone", "contact_email")
    }


def test_verified_complainant_changes_contact_details(client):
    complainant = make_complainant(status="verified")
    client.force_login(complainant.user)

    changed = {**contact(complainant), "phone": "+44 20 7946 1111", "contact_email": "new@acme.example"}

    page = client.get("/rights/profile/")
    response = client.post("/rights/profile/", changed)
    refused = client.post("/rights/profile/", {**changed, "legal_name": "Someone Else"})

    complainant.refresh_from_db()
    assert page.status_code == 200
    assert response.status_code == 302, response.content.decode()
    assert (complainant.phone, complainant.contact_email) == ("+44 20 7946 1111", "new@acme.example")
    assert complainant.legal_name == "Acme Brands Ltd."  # the locked field keeps its verified value
    assert refused.status_code == 302
    assert complainant.status == "verified"


def test_admin_queue_opens_on_pending_oldest_first(admin_client):
    make_complainant(status="pending", legal_name="Oldest Co")
    make_complainant(status="verified", legal_name="Done Co")
    make_complainant(status="pending", legal_name="Newest Co")

    response = admin_client.get("/admin/complaints/complainant/", follow=True)

    html = response.content.decode()
    assert "Done Co" not in html
    assert html.index("Oldest Co") < html.index("Newest Co")


def test_admin_shows_conflicting_registrations_on_both_records(admin_client):
    a = make_right(make_complainant(legal_name="Holder A"), status="pending")
    b = make_right(make_complainant(legal_name="Holder B"), status="pending", registration_number="uk00003123456")

    page_a = admin_client.get(f"/admin/complaints/ipright/{a.pk}/change/").content.decode()
    page_b = admin_client.get(f"/admin/complaints/ipright/{b.pk}/change/").content.decode()

    assert "Conflict" in page_a
    assert "Holder B" in page_a
    assert "Conflict" in page_b
    assert "Holder A" in page_b


def test_document_not_under_review_is_not_previewed(admin_client):
    complainant = make_complainant(status="pending")
    stray = make_document(complainant.user, "other.pdf")

    response = admin_client.get(f"/admin/complaints/complainant/{complainant.pk}/documents/{stray.pk}/preview/")

    assert response.status_code == 404


def test_admin_review_page_cannot_change_what_the_complainant_submitted(admin_client):
    complainant = make_complainant(status="pending", legal_name="Original Name")

    html = admin_client.get(f"/admin/complaints/complainant/{complainant.pk}/change/").content.decode()

    assert "Original Name" in html
    for field in ("legal_name", "identity_documents", "status", "contact_email"):
        assert f'name="{field}"' not in html
    assert 'name="_save"' not in html


def test_radio_groups_are_fieldsets_with_a_legend_and_no_blank_choice(client):
    client.force_login(UserFactory())

    page = client.get("/rights/profile/").content.decode()
    refused = client.post("/rights/profile/", {**PROFILE, "kind": "", "upload": [pdf()]}).content.decode()

    assert "<legend>You are</legend>" in page
    assert "<legend>You file as</legend>" in page
    groups = page.split("<legend>You are")[1].split('for="id_legal_name"')[0]
    assert "---------" not in groups
    assert 'value=""' not in re.sub(
        r'<input type="hidden"[^>]*>', "", page.split("<legend>You are")[1].split("</fieldset>")[0]
    )
    assert "This field is required." in refused.split("<legend>You are")[1].split("</fieldset>")[0]
    assert not Complainant.objects.exists()


def _label(page: str, field: str) -> str:
    return page.split(f'<label for="id_{field}">')[1].split("</label>")[0]


def test_the_right_form_says_which_kinds_require_a_field_and_calls_nothing_optional_that_is_required(client):
    complainant = make_complainant(status="pending")
    client.force_login(complainant.user)

    page = client.get("/rights/rights/new/").content.decode()

    assert "(required for a trademark, patent or design)" in _label(page, "registration_number")
    assert "(required for a trademark, patent or design)" in _label(page, "expires_on")
    assert "(required for a trademark)" in _label(page, "nice_classes")
    for field in ("registration_number", "expires_on", "nice_classes"):
        assert "(optional)" not in _label(page, field)
    assert "(optional)" in _label(page, "registered_on")  # no kind requires it
    assert "(optional)" not in _label(page, "title")  # every right has one
