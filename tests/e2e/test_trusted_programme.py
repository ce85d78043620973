"""A supervisor admits a proposed complainant; the trusted claim leads the queue and its waiting listings come down in
one confirmed decision; the complainant reads their accuracy on a phone-sized screen."""

import re

import pytest
from playwright.sync_api import expect

from complaints import services
from complaints.models import ClaimItem, Trust, TrustCriteria
from tests.e2e.browser import sign_in
from tests.factories import ListingFactory, SellerFactory, make_claim, make_complainant, make_staff, take_down

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admit_queue_first_take_down_all_and_accuracy_on_a_phone(live_server, page, shot):
    reviewer = make_staff(email="reviewer@staff.example")
    supervisor = make_staff("Supervisor", email="supervisor@staff.example")
    TrustCriteria.objects.filter(site__code="alibaba").update(min_items=3)
    holder = make_complainant(legal_name="Acme Brands Ltd.")
    first = make_claim(holder, listings=[ListingFactory(seller=SellerFactory()) for _ in range(3)])
    take_down(first, reviewer=reviewer)
    services.trust_sweep()
    trust = Trust.objects.get(complainant=holder)
    make_claim(make_complainant(legal_name="Other Holder"))  # an older ordinary claim

    sign_in(page, live_server.url, supervisor.email, admin=True)
    page.goto(f"{live_server.url}/admin/complaints/trust/")
    page.get_by_role("link", name="Acme Brands Ltd.").first.click()
    page.get_by_label("Decision").select_option("admit")
    page.get_by_label("Statement of reasons (the complainant reads it)").fill("Three of three taken down.")
    shot("70-trust-admit")
    page.get_by_role("button", name="Decide").click()
    expect(page.get_by_text("Acme Brands Ltd.: trusted.")).to_be_visible()
    assert Trust.objects.get(pk=trust.pk).status == "admitted"

    claim = make_claim(holder, listings=[ListingFactory(seller=SellerFactory()) for _ in range(2)])
    sign_in(page, live_server.url, reviewer.email, admin=True)
    page.goto(f"{live_server.url}/admin/complaints/claim/")
    first_row = page.locator("#result_list tbody tr").first
    expect(first_row).to_contain_text(claim.reference)
    expect(first_row).to_contain_text("Trusted")
    shot("71-queue-trusted-first")
    page.get_by_role("link", name=claim.reference).click()
    page.get_by_label(re.compile("I checked the evidence covers all 2")).check()
    page.get_by_role("button", name=re.compile("Take down all 2 waiting listings")).click()
    expect(page.get_by_text("2 listings taken down")).to_be_visible()
    assert set(ClaimItem.objects.filter(claim=claim).values_list("status", flat=True)) == {"removed"}

    sign_in(page, live_server.url, holder.user.email)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/rights/claims/")
    expect(page.get_by_role("heading", name="Your accuracy")).to_be_visible()
    expect(page.get_by_text("You are a trusted complainant on", exact=False)).to_be_visible()
    shot("72-accuracy-390")
    # The accuracy section fits the phone's width (the claims table above it has its own layout).
    box = page.locator("#accuracy").bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= 390
    assert page.evaluate("document.getElementById('accuracy').scrollWidth") <= box["width"]
