"""A reviewer decides a 300-listing claim seller by seller: filters to one seller, chooses every waiting listing of
that seller (three pages of them), confirms what will happen, and follows the decision — more listings than a
request waits for — on its progress page until it says done."""

import re

import pytest
from playwright.sync_api import expect

from complaints.models import ClaimItem, DecisionBatch
from tests.e2e.browser import sign_in
from tests.factories import ListingFactory, SellerFactory, make_claim, make_complainant, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_300_listing_claim_decided_by_seller_with_the_progress_page(live_server, page, shot):
    holder = make_complainant(legal_name="Acme Brands Ltd.")
    sellers = [SellerFactory(store_name=name) for name in ("Shenzhen Knockoffs", "Yiwu Copies", "Guangzhou Fakes")]
    listings = [
        listing for seller, n in zip(sellers, (120, 100, 80), strict=True)
        for listing in ListingFactory.create_batch(n, seller=seller)
    ]  # fmt: skip
    claim = make_claim(holder, listings=listings, explanation="Fake logo on every one.")
    reviewer = make_staff("Reviewer", email="reviewer@staff.example")

    sign_in(page, live_server.url, reviewer.email, admin=True)
    page.goto(f"{live_server.url}/admin/complaints/claim/{claim.pk}/change/")
    expect(page.get_by_text("Page 1 of 6 (listings 1–50 of 300)")).to_be_visible()
    page.get_by_label("Seller", exact=True).select_option(label="Shenzhen Knockoffs (120)")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text("Page 1 of 3 (listings 1–50 of 120)")).to_be_visible()
    page.get_by_label(re.compile("all 120 waiting listings of Shenzhen Knockoffs")).check()
    shot("60-big-claim-by-seller")
    page.get_by_role("button", name="Take down", exact=True).click()

    expect(page.get_by_role("heading", name="What will happen")).to_be_visible()
    expect(page.get_by_text("Taken down now: all 120 waiting listing(s) of Shenzhen Knockoffs")).to_be_visible()
    assert not ClaimItem.objects.exclude(status=ClaimItem.Status.PENDING).exists()  # nothing before the yes
    page.get_by_role("button", name="Yes, take down 120 listing(s)").click()

    expect(page).to_have_url(re.compile(rf"/admin/complaints/claim/{claim.pk}/batches/\d+/$"))
    expect(page.get_by_role("status")).to_contain_text("120 listings taken down", timeout=30_000)
    shot("61-big-claim-progress-done")
    batch = DecisionBatch.objects.get(claim=claim)
    assert batch.status == DecisionBatch.Status.DONE
    page.get_by_role("link", name="Back to the claim").click()
    summary = page.get_by_role("navigation", name="Listings by status")
    expect(summary).to_contain_text("Listing removed 120")
    expect(summary).to_contain_text("Waiting for review 180")
    assert set(claim.items.filter(seller=sellers[0]).values_list("status", flat=True)) == {ClaimItem.Status.REMOVED}
    assert not claim.items.exclude(seller=sellers[0]).exclude(status=ClaimItem.Status.PENDING).exists()
