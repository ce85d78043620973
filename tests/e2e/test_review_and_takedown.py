"""A reviewer takes a claim in the admin, takes down two listings and rejects one with a reason; the seller reads the
notice with the complainant's contact details and the deadline; the complainant sees the decisions."""

import re

import pytest
from playwright.sync_api import expect

from listings.models import Listing
from tests.e2e.browser import sign_in
from tests.factories import ListingFactory, SellerFactory, UserFactory, make_claim, make_complainant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_review_take_down_and_both_sides_informed(live_server, page, shot):
    holder = make_complainant(legal_name="Acme Brands Ltd.", contact_email="ip@acme.example", phone="+44 20 7946 0000")
    seller = SellerFactory(store_name="Shenzhen Knockoffs")
    listings = [ListingFactory(seller=seller, title=f"ACME earbuds copy {n}") for n in range(3)]
    claim = make_claim(holder, listings=listings, explanation="Fake logo.")
    staff = UserFactory(email="reviewer@staff.example", is_staff=True, is_superuser=True)

    sign_in(page, live_server.url, staff.email, admin=True)
    page.goto(f"{live_server.url}/admin/complaints/claim/")
    page.get_by_role("link", name=claim.reference).click()
    page.get_by_role("button", name="Take this claim").click()
    expect(page.get_by_text("The claim is yours.")).to_be_visible()
    page.get_by_label("Select listing 1").check()
    page.get_by_label("Select listing 2").check()
    shot("40-review-page")
    page.get_by_role("button", name="Take down", exact=True).click()
    expect(page.get_by_text("2 listings taken down")).to_be_visible()
    page.get_by_label("Select listing 3").check()
    page.get_by_label("Rejection reason").select_option(label="Not infringing on the evidence given")
    page.get_by_label("Note").fill("The logo differs from the registered mark.")
    page.get_by_role("button", name="Reject", exact=True).click()
    expect(page.get_by_text("1 listing rejected")).to_be_visible()

    sign_in(page, live_server.url, seller.user.email)
    page.get_by_role("link", name=re.compile("Inbox")).click()
    page.get_by_role("button", name=re.compile("2 listings removed from Shenzhen Knockoffs")).click()
    for text in ("ip@acme.example", "+44 20 7946 0000", "Acme Brands Ltd.", "counter-notice by", "ACME earbuds copy 1"):
        expect(page.get_by_text(text, exact=False).first).to_be_visible()
    shot("41-seller-notice")
    page.get_by_role("link", name="Seller", exact=True).click()
    expect(page.get_by_role("row", name=re.compile("ACME earbuds copy 0"))).to_contain_text("Removed")

    sign_in(page, live_server.url, holder.user.email)
    page.goto(f"{live_server.url}/rights/claims/{claim.pk}/")
    expect(page.get_by_role("row", name=re.compile("ACME earbuds copy 2"))).to_contain_text("The logo differs")
    expect(page.get_by_role("row", name=re.compile("ACME earbuds copy 0"))).to_contain_text("Listing removed")
    shot("42-complainant-decisions")

    assert sorted(Listing.objects.values_list("status", flat=True)) == ["live", "removed", "removed"]
