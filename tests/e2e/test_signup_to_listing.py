"""A newcomer signs up, confirms their email from the message they got, signs in, opens a store and posts."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from listings.links import parse_listing_url
from listings.models import Listing

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a long enough passphrase"


def test_sign_up_verify_sign_in_and_post_a_listing(live_server, page, shot):
    mail.outbox.clear()
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Create an account").first.click()

    page.get_by_label("Full name").fill("Lin Wei")
    page.get_by_label("Email address").fill("lin.wei@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    shot("01-signup")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    assert [m.to for m in mail.outbox] == [["lin.wei@example.com"]]
    path = re.search(r"https?://[^/\s]+(/accounts/verify/\S+/)", mail.outbox[0].body).group(1)
    page.goto(f"{live_server.url}{path}")
    page.get_by_role("button", name="Confirm my email address").click()
    expect(page.get_by_text("Your email address is confirmed")).to_be_visible()

    page.get_by_label("Email address").fill("lin.wei@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Signed in as lin.wei@example.com")).to_be_visible()

    page.get_by_role("link", name="Open a store").click()
    page.get_by_label("Marketplace").select_option(label="aliexpress.com")
    page.get_by_label("Store name").fill("Bright Audio")
    page.get_by_role("button", name="Open store").click()
    expect(page.get_by_text("Your store “Bright Audio” on aliexpress.com is open.")).to_be_visible()

    page.get_by_role("link", name="Post a listing").click()
    page.get_by_label("Title").fill("Wireless earbuds, Bluetooth 5.3")
    page.get_by_label("Price").fill("")  # an empty price is allowed; a bad one is refused next to the field
    page.get_by_label("Price").fill("-1")
    page.get_by_role("button", name="Post listing").click()
    # Next to the field, and in the summary at the top as a link to it.
    expect(page.locator("#id_price_error")).to_have_text("Ensure this value is greater than or equal to 0.01.")
    expect(page.get_by_role("link", name="Price: Ensure this value is greater than or equal to 0.01.")).to_be_visible()
    expect(page.get_by_label("Title")).to_have_value("Wireless earbuds, Bluetooth 5.3")
    page.get_by_label("Price").fill("19.99")
    page.get_by_role("button", name="Post listing").click()

    row = page.get_by_role("row", name=re.compile("Wireless earbuds"))
    expect(row).to_contain_text("Bright Audio")
    expect(row).to_contain_text("19.99 USD")
    expect(row).to_contain_text("Live")
    shot("02-listing-posted")

    listing = Listing.objects.get()
    assert parse_listing_url(listing.url).external_id == listing.external_id
    assert listing.seller.user.email == "lin.wei@example.com"
