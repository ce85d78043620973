"""The small script every portal page loads: a form being sent disables its buttons (the clicked button's value
still reaches the server), and deadline countdowns tick. Without the script the pages work the same."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from complaints.models import ClaimItem
from tests.e2e.browser import sign_in
from tests.factories import ListingFactory, SellerFactory, make_claim, take_down

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_countdown_ticks_and_a_sent_form_disables_its_buttons(live_server, page, shot):
    seller = SellerFactory(store_name="Harbour Goods")
    claim = make_claim(listings=[ListingFactory(seller=seller, title="Canvas bag")])
    take_down(claim)
    ClaimItem.objects.filter(claim=claim).update(counter_notice_due_at=timezone.now() + timedelta(minutes=2, seconds=5))
    sign_in(page, live_server.url, seller.user.email)

    page.goto(f"{live_server.url}/seller/notices/")
    clock = page.locator("span[data-countdown]").first
    expect(clock).to_have_text("2 minutes")  # the server said "2 minutes" too; the script's own text follows
    page.wait_for_function(
        "() => document.querySelector('span[data-countdown]').textContent === '1 minute'", timeout=15_000
    )
    shot("50-countdown")

    # What the button looks like while the form is being sent, recorded by the page itself just after the script
    # acted and read back on the next page (same tab: sessionStorage survives the navigation).
    page.get_by_role("link", name="I will not dispute…").click()
    page.evaluate(
        """() => document.addEventListener("submit", () => window.setTimeout(() => {
            const button = document.querySelector("main form button[type=submit]");
            sessionStorage.setItem("busy", JSON.stringify([button.disabled, button.textContent.trim()]));
        }, 20))"""
    )
    page.get_by_label("Canvas bag", exact=False).check()
    page.get_by_label("I understand", exact=False).check()
    page.get_by_role("button", name="Confirm: I do not dispute these removals").click()

    expect(page.get_by_text("Noted: you do not dispute these removals.")).to_be_visible()
    assert page.evaluate("JSON.parse(sessionStorage.getItem('busy'))") == [True, "Working…"]
