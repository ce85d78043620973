"""A rights holder lists an authorised reseller under a right, then files a claim naming one of its listings: the
link check flags it, submitting without the sworn end of the authorisation is refused with the form kept, and with
it the claim is filed and the entry shows as ended. The right's page is checked at phone width too."""

import re

import pytest
from playwright.sync_api import expect

from complaints.models import AuthorisedSeller, Claim
from tests.e2e.browser import sign_in
from tests.factories import ListingFactory, SellerFactory, make_complainant, make_right

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_authorised_reseller_flagged_and_confirmed(live_server, page, shot):
    holder = make_complainant(legal_name="Acme Brands Ltd.")
    right = make_right(holder, title="ACME")
    reseller = SellerFactory(store_name="ACME Official Store", member_id="acme-official")
    listing = ListingFactory(seller=reseller, title="ACME earbuds grey import")

    sign_in(page, live_server.url, holder.user.email)
    page.goto(f"{live_server.url}/rights/rights/{right.pk}/")
    page.get_by_role("link", name="Add an authorised seller").click()
    page.get_by_label("Marketplace").select_option(label="alibaba.com")
    page.get_by_label("The store").fill("acme-official")
    page.get_by_label("Authorised from").fill("2026-03-03")
    page.get_by_label(re.compile("^Note")).fill("Distribution agreement DA-7")
    page.get_by_role("button", name="Add to the list").click()

    table = page.locator("#authorised-sellers")
    expect(table).to_contain_text("ACME Official Store")
    expect(table).to_contain_text("from 3 Mar 2026")
    expect(table).to_contain_text("Authorised")
    page.set_viewport_size({"width": 390, "height": 844})
    shot("60-authorised-sellers-phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.goto(f"{live_server.url}/rights/claims/new/")
    page.get_by_label("Marketplace").select_option(label="alibaba.com")
    page.get_by_label("The right infringed").select_option(index=0)
    page.get_by_label("Reason").select_option(label="Counterfeit goods")
    page.get_by_label("Listing links, one per line").fill(listing.url)
    page.get_by_label("Explanation").fill("Sold after the agreement ended.")
    page.get_by_role("button", name="Check the links").click()
    expect(page.get_by_text("Authorised by you since 3 Mar 2026")).to_be_visible()
    shot("61-claim-check-authorised")

    page.get_by_label(re.compile("good-faith belief")).check()
    page.get_by_label("The information in this claim is accurate.").check()
    page.get_by_label(re.compile("I am the owner of the right named")).check()
    page.get_by_label(re.compile("indemnify")).check()
    page.get_by_label("Signature: type your full name").fill("Ada Lovelace")
    page.get_by_role("button", name="Submit the claim").click()

    expect(page.locator("#id_states_authorisation_ended_error")).to_contain_text("which you declared authorised")
    expect(page.get_by_label("Explanation")).to_have_value("Sold after the agreement ended.")
    assert not Claim.objects.exists()
    shot("62-claim-refused-authorised")

    page.get_by_label(re.compile("the authorisation I gave")).check()
    page.get_by_role("button", name="Submit the claim").click()

    claim = Claim.objects.get()
    expect(page.get_by_role("heading", name=f"Claim {claim.reference} received")).to_be_visible()
    assert claim.states_authorisation_ended
    page.goto(f"{live_server.url}/rights/rights/{right.pk}/")
    expect(page.locator("#authorised-sellers")).to_contain_text(f"confirmed when filing {claim.reference}")
    assert AuthorisedSeller.objects.get().ended_by_claim == claim
