"""A verified complainant pastes five links (one bad, one duplicate), checks them, drops the bad ones, swears,
signs, submits, sees the receipt and finds the claim on the dashboard."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from complaints.models import Claim
from tests.factories import ListingFactory, SellerFactory, make_complainant, make_right

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


def test_file_a_claim_with_the_pre_submit_check(live_server, page, shot):
    holder = make_complainant(legal_name="Acme Brands Ltd.")
    make_right(holder, title="ACME")
    seller = SellerFactory(store_name="Shenzhen Knockoffs")
    listings = [ListingFactory(seller=seller, title=f"ACME earbuds copy {n}") for n in range(3)]
    links = [
        listings[0].url,
        listings[1].url + "?spm=a2700.details",
        "https://www.alibaba.com/trade/search?SearchText=acme",
        listings[0].url,
        listings[2].url,
    ]
    mail.outbox.clear()

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email address").fill(holder.user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Rights", exact=True).click()
    page.get_by_role("link", name="File a claim").first.click()

    page.get_by_label("Marketplace").select_option(label="alibaba.com")
    page.get_by_label("The right infringed").select_option(index=0)
    page.get_by_label("Reason").select_option(label="Counterfeit goods")
    page.get_by_label("Listing links, one per line").fill("\n".join(links))
    page.get_by_label("Explanation").fill("Counterfeit ACME earbuds: wrong logo, no serial number.")
    page.get_by_role("button", name="Check the links").click()

    expect(page.get_by_role("heading", name="Link check: 3 can be filed, 2 cannot")).to_be_visible()
    expect(page.get_by_role("heading", name="2 lines to look at, with what to do")).to_be_visible()
    expect(page.get_by_text("Not a listing link", exact=True)).to_be_visible()
    expect(page.get_by_text("The same listing as line 1")).to_be_visible()
    # The lines that can be filed as they are come last, folded away until asked for.
    expect(page.get_by_text("ACME earbuds copy 2 — sold by Shenzhen Knockoffs")).to_be_hidden()
    page.get_by_text("3 links can be filed as they are").click()
    expect(page.get_by_text("ACME earbuds copy 2 — sold by Shenzhen Knockoffs")).to_be_visible()
    expect(page.get_by_label("Explanation")).to_have_value("Counterfeit ACME earbuds: wrong logo, no serial number.")
    shot("20-claim-check")

    page.get_by_role("button", name="Drop the 2 lines that cannot be filed").click()
    expect(page.get_by_role("heading", name="Link check: 3 can be filed")).to_be_visible()
    page.get_by_label(re.compile("good-faith belief")).check()
    page.get_by_label("The information in this claim is accurate.").check()
    page.get_by_label(re.compile("Under penalty of perjury")).check()
    page.get_by_label(re.compile("indemnify")).check()
    page.get_by_label("Signature: type your full name").fill("Ada Lovelace")
    page.get_by_role("button", name="Submit the claim").click()

    claim = Claim.objects.get()
    expect(page.get_by_role("heading", name=f"Claim {claim.reference} received")).to_be_visible()
    shot("21-claim-receipt")
    page.get_by_role("link", name="All your claims").click()
    row = page.get_by_role("row", name=re.compile(claim.reference))
    expect(row).to_contain_text("3 waiting")
    expect(row).to_contain_text("Submitted")
    shot("22-claims-dashboard")

    assert claim.items.count() == 3
    assert [m.subject for m in mail.outbox] == [f"Claim {claim.reference} received"]
