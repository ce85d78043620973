"""Forms in a real browser: the error summary takes the focus (with and without JavaScript), and Enter in a text field
of the claim form submits the claim instead of running the link check."""

import pytest
from playwright.sync_api import expect

from complaints.models import Claim
from tests.e2e.browser import sign_in
from tests.factories import ListingFactory, make_complainant, make_right

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("javascript", [True, False])
def test_the_error_summary_has_the_focus_when_the_page_loads(live_server, browser, javascript):
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/signup/")
    page.get_by_label("Full name").fill("Ada Brand")
    page.get_by_role("button", name="Create account").click()

    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    summary.get_by_role("link", name="Email address: This field is required.").click()
    expect(page.get_by_label("Email address")).to_be_focused()
    context.close()


def test_enter_in_the_signature_submits_the_claim_not_the_link_check(live_server, page):
    holder = make_complainant()
    make_right(holder, title="ACME")
    listing = ListingFactory(title="ACME earbuds copy")
    sign_in(page, live_server.url, holder.user.email)
    page.goto(f"{live_server.url}/rights/claims/new/")
    page.get_by_label("Marketplace").select_option(label="alibaba.com")
    page.get_by_label("Reason").select_option(label="Counterfeit goods")
    page.get_by_label("Listing links, one per line").fill(listing.url)
    page.get_by_label("Explanation").fill("Counterfeit ACME earbuds.")

    page.get_by_label("Signature: type your full name").fill("Ada Lovelace")
    page.get_by_label("Signature: type your full name").press("Enter")

    # Submitted: the statements left unticked are what it says, and no link check ran.
    expect(page.locator("[data-error-summary]")).to_contain_text("Tick this statement to file the claim.")
    expect(page.get_by_role("heading", name="Link check")).to_have_count(0)
    assert not Claim.objects.exists()
