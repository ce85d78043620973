"""An agent proves identity, registers a trademark and an authorization; staff verify all three in the admin."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from complaints import services
from complaints.models import Authorization, Complainant, IPRight
from tests.factories import PDF_BYTES, UserFactory, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


def _pdf(name):
    return {"name": name, "mimeType": "application/pdf", "buffer": PDF_BYTES}


def _sign_in(page, url, email):
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_agent_gets_identity_right_and_authorization_verified(live_server, page, shot):
    agent_user = UserFactory(email="agent@lexco.example", full_name="Lex Co")
    staff = make_staff("Reviewer", email="staff@ipp.example")  # a role member, not a superuser
    mail.outbox.clear()

    _sign_in(page, live_server.url, agent_user.email)
    page.get_by_role("link", name="Rights", exact=True).click()
    page.get_by_role("link", name="Create your complainant profile").click()
    page.get_by_label("A company or organisation").check()
    page.get_by_label("An agent: a law firm acting for right holders").check()
    page.get_by_label("Legal name").fill("Lex & Co LLP")
    page.get_by_label("Country").select_option(label="United Kingdom")
    page.get_by_label("Postal address").fill("5 Chancery Lane\nLondon WC2A 1LG")
    page.get_by_label("Phone").fill("+44 20 7946 0321")
    page.get_by_label("Contact email for sellers").fill("ip@lexco.example")
    page.get_by_label("Proof of identity").set_input_files([_pdf("company-registration.pdf")])
    shot("10-complainant-profile")
    page.get_by_role("button", name="Send for verification").click()
    expect(page.get_by_text("Staff verify your identity within 3–5 business days.")).to_be_visible()

    page.get_by_role("link", name="Add a right").click()
    page.get_by_label("Trademark", exact=True).check()
    page.get_by_label("Mark, work or title").fill("ACME")
    page.get_by_label("Trademark type").select_option(label="Word mark")
    page.get_by_label("Registration number").fill("UK00003123456")
    page.get_by_label("Jurisdiction").fill("GB")
    page.get_by_label("Nice classes").fill("9, 25")
    page.get_by_label("Owner as registered").fill("Acme Brands Ltd.")
    page.get_by_label("Registration date").fill("2020-01-15")
    page.get_by_label("Expiry date").fill("2030-01-15")
    page.get_by_label("Certificates and supporting documents").set_input_files([_pdf("uk-certificate.pdf")])
    page.get_by_role("button", name="Send for verification").click()
    expect(page.get_by_text("is in your vault")).to_be_visible()

    page.get_by_role("link", name="← Your rights").click()
    page.get_by_role("link", name="Add an authorization").click()
    page.get_by_label("Right holder's name").fill("Acme Brands Ltd.")
    page.get_by_label("Right holder's email").fill("legal@acme.example")
    page.get_by_label(re.compile("ACME")).check()
    page.get_by_label("alibaba.com").check()
    page.get_by_label("aliexpress.com").check()
    page.get_by_label("Valid from").fill("2026-01-01")
    page.get_by_label("Valid until").fill("2027-12-31")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the letter template filled with these details").click()
    letter = download.value.path().read_text(encoding="utf-8")
    assert "We, Acme Brands Ltd., are the owner" in letter
    page.get_by_label("Signed authorization letter").set_input_files([_pdf("signed-letter.pdf")])
    page.get_by_role("button", name="Send for verification").click()
    expect(page.get_by_text("The authorization is recorded.")).to_be_visible()

    page.context.clear_cookies()
    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Email address").fill(staff.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    for model, name in (("complainant", "Lex & Co LLP"), ("ipright", "ACME"), ("authorization", "Acme Brands Ltd.")):
        page.goto(f"{live_server.url}/admin/complaints/{model}/")
        page.get_by_role("link", name=name).first.click()
        expect(page.get_by_text(".pdf").first).to_be_visible()
        if model == "complainant":
            shot("11-admin-review")
            # The agent corrects the name in another tab while the page is open: verifying now is refused.
            agent = Complainant.objects.get()
            fields = ("kind", "role", "legal_name", "country", "postal_address", "phone", "contact_email")
            services.complainant_update(
                complainant_id=agent.pk, user=agent_user, **{**{f: getattr(agent, f) for f in fields},
                                                             "legal_name": "Lex and Co LLP"}
            )  # fmt: skip
            page.get_by_role("button", name="Verify").click()
            expect(page.get_by_text("changed while you were reviewing it")).to_be_visible()
            expect(page.get_by_text("legal name (“Lex & Co LLP” → “Lex and Co LLP”)")).to_be_visible()
            shot("11b-admin-review-changed-meanwhile")
            assert Complainant.objects.get().status == "pending"
        page.get_by_role("button", name="Verify").click()
        expect(page.get_by_text("done. The complainant has been told.")).to_be_visible()

    page.context.clear_cookies()
    _sign_in(page, live_server.url, agent_user.email)
    page.get_by_role("link", name="Rights", exact=True).click()
    expect(page.locator(".status-verified")).to_have_count(3)
    shot("12-rights-verified")
    page.get_by_role("link", name=re.compile("Inbox")).click()
    expect(page.get_by_text("Your identity is verified")).to_be_visible()
    expect(page.get_by_text("Your IP right is verified")).to_be_visible()
    expect(page.get_by_text("Your authorization is verified")).to_be_visible()

    assert Complainant.objects.get().status == "verified"
    assert IPRight.objects.get().status == "verified"
    assert Authorization.objects.get().status == "verified"
    subjects = [m.subject for m in mail.outbox]
    assert sum("is verified" in s for s in subjects) == 3
