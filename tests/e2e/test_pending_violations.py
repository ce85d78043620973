"""A seller whose three counterfeit listings were taken down in one claim: nothing is imposed while they can answer;
the standing page shows the pending violations, the day they become established and what they would then do; the
seller chooses not to dispute one claim, and the warning it leads to appears with its statement of reasons."""

import pytest
from playwright.sync_api import expect

from complaints.models import ClaimItem
from enforcement.models import Action
from listings.models import Site
from tests.e2e.browser import sign_in
from tests.factories import ListingFactory, SellerFactory, make_claim, take_down

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_pending_violations_are_shown_then_not_disputed(live_server, page, shot):
    seller = SellerFactory(site=Site.objects.get(code="alibaba"), store_name="Pearl River Trading")
    listings = [ListingFactory(seller=seller, title=f"Sport shoe model {n}") for n in range(3)]
    claim = make_claim(listings=listings)
    take_down(claim)
    assert not Action.objects.filter(seller=seller).exists()

    sign_in(page, live_server.url, seller.user.email)
    page.goto(f"{live_server.url}/seller/standing/")
    expect(page.get_by_text("In good standing: no restriction.")).to_be_visible()
    pending = page.get_by_role("table", name="Pending violations of Pearl River Trading")
    expect(pending).to_contain_text("unless you counter-notify")
    expect(pending).to_contain_text("Warning (active points reach 6)")
    expect(pending).not_to_contain_text("Membership terminated")
    shot("40-standing-pending")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot("41-standing-pending-390")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.goto(f"{live_server.url}/seller/notices/")
    expect(page.get_by_text("Its violation is pending").first).to_be_visible()
    page.get_by_role("link", name="I will not dispute…").click()
    page.get_by_label("#1 Sport shoe model 0", exact=False).check()
    page.get_by_role("button", name="Confirm: I do not dispute these removals").click()
    # Asked first: the box is not ticked.
    expect(page.locator("#id_confirm_error")).to_have_text("This field is required.")
    expect(page.get_by_label("#1 Sport shoe model 0", exact=False)).to_be_checked()  # what was chosen is kept
    page.get_by_label("I understand", exact=False).check()
    shot("42-not-disputed-form")
    page.get_by_role("button", name="Confirm: I do not dispute these removals").click()

    expect(page.get_by_text("Noted: you do not dispute these removals.")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Warning")).to_be_visible()
    expect(page.get_by_text("the seller chose not to dispute it")).to_be_visible()
    shot("43-standing-after-not-disputing")
    item = ClaimItem.objects.get(claim=claim, position=1)
    assert item.violation.status == "established"
    assert Action.objects.filter(seller=seller).values_list("kind", flat=True).get() == "warning"
