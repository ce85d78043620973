"""The whole loop in the browser: staff take down, the seller counter-notifies, the rights holder accepts and the
listing is live again with the violation withdrawn; and the path where the rights holder stays silent and staff
uphold the removal."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from complaints import services
from complaints.models import ClaimItem, CounterNotice
from listings.models import Listing
from tests.e2e.browser import sign_in
from tests.factories import ListingFactory, SellerFactory, UserFactory, make_claim, make_complainant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def take_down_in_admin(page, url, staff, claim):
    sign_in(page, url, staff.email, admin=True)
    page.goto(f"{url}/admin/complaints/claim/{claim.pk}/change/")
    page.get_by_label("Select listing 1").check()
    page.get_by_role("button", name="Take down", exact=True).click()
    expect(page.get_by_text("1 listing taken down")).to_be_visible()


def counter_notify(page, url, seller):
    sign_in(page, url, seller.user.email)
    page.get_by_role("link", name="Notices").click()
    expect(page.get_by_text("Counter-notice by")).to_be_visible()
    page.get_by_role("link", name="Send a counter-notice").click()
    boxes = page.get_by_role("group", name="Listings you dispute").get_by_role("checkbox")
    expect(boxes.first).not_to_be_checked()  # nothing starts ticked: the seller chooses
    boxes.first.check()
    page.get_by_label("I am an authorised reseller or distributor").check()
    page.get_by_label("Why the removal was a mistake").fill("We are ACME's authorised distributor; contract attached.")
    page.get_by_label(re.compile("good-faith belief that the listings were removed")).check()
    page.get_by_label(re.compile("consent to the jurisdiction")).check()
    page.get_by_label("Signature: type your full name").fill("Lin Wei")
    page.get_by_role("button", name="Send the counter-notice").click()
    expect(page.get_by_text("Your counter-notice is sent.")).to_be_visible()


def test_counter_notice_accepted_puts_the_listing_back(live_server, page, shot):
    holder = make_complainant(legal_name="Acme Brands Ltd.")
    seller = SellerFactory(store_name="Bright Audio")
    listing = ListingFactory(seller=seller, title="Earbuds compatible with ACME")
    claim = make_claim(holder, listings=[listing], reason_code="tm_unauthorized_use", explanation="Uses our mark.")
    staff = UserFactory(email="reviewer@staff.example", is_staff=True, is_superuser=True)

    take_down_in_admin(page, live_server.url, staff, claim)
    counter_notify(page, live_server.url, seller)
    shot("50-counter-notice-sent")

    sign_in(page, live_server.url, holder.user.email)
    page.get_by_role("link", name=re.compile("Inbox")).click()
    expect(page.get_by_role("button", name=re.compile("counter-notice from Bright Audio"))).to_be_visible()
    page.goto(f"{live_server.url}/rights/counter-notices/")
    page.get_by_role("link", name=claim.reference).click()
    expect(page.get_by_text("authorised distributor")).to_be_visible()
    shot("51-answer-page")
    page.get_by_role("button", name="Accept: reinstate the listings").click()
    expect(page.get_by_role("heading", name="What will happen")).to_be_visible()  # asked first, nothing done yet
    expect(page.get_by_text("The listings go back on sale now")).to_contain_text("Earbuds compatible with ACME")
    shot("51b-accept-confirmation")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="Accept and reinstate the listings").click()
    expect(page.get_by_text("Accepted: the listings are reinstated")).to_be_visible()

    sign_in(page, live_server.url, seller.user.email)
    page.get_by_role("link", name="Seller", exact=True).click()
    expect(page.get_by_role("row", name=re.compile("Earbuds compatible with ACME"))).to_contain_text("Reinstated")
    page.get_by_role("link", name="Standing").click()
    expect(page.get_by_text("Withdrawn").first).to_be_visible()
    expect(page.get_by_text("In good standing")).to_be_visible()
    shot("52-standing-after-reinstatement")

    assert Listing.objects.get(pk=listing.pk).status == "reinstated"


def test_silent_rights_holder_and_staff_uphold(live_server, page, shot):
    holder = make_complainant(legal_name="Acme Brands Ltd.")
    seller = SellerFactory(store_name="Bright Audio")
    listing = ListingFactory(seller=seller)
    claim = make_claim(holder, listings=[listing], reason_code="tm_unauthorized_use", explanation="Uses our mark.")
    staff = UserFactory(email="reviewer@staff.example", is_staff=True, is_superuser=True)

    take_down_in_admin(page, live_server.url, staff, claim)
    counter_notify(page, live_server.url, seller)
    notice = CounterNotice.objects.get()
    services.counter_notices_sweep_due(now=notice.answer_due_at + timedelta(minutes=1))  # the beat sweep, later

    sign_in(page, live_server.url, staff.email, admin=True)
    page.goto(f"{live_server.url}/admin/complaints/counternotice/")
    page.get_by_role("link", name=re.compile(f"Counter-notice {notice.pk}")).click()
    expect(page.get_by_role("link", name=listing.title)).to_be_visible()  # the listings by name, not tokens
    expect(page.get_by_text("Signer ip hash")).to_have_count(0)
    page.get_by_role("radio", name=re.compile("Uphold the removal")).check()
    page.get_by_label("Reason").fill("No authorisation from ACME was shown.")
    page.get_by_role("button", name="Decide…").click()
    expect(page.get_by_text("The removal stands for:")).to_be_visible()  # asked first, nothing decided yet
    assert ClaimItem.objects.get().status == "staff_review"
    page.get_by_role("button", name="Yes, uphold the removal").click()
    expect(page.get_by_text("Decided; both sides have been told.")).to_be_visible()

    sign_in(page, live_server.url, seller.user.email)
    page.get_by_role("link", name="Notices").click()
    expect(page.get_by_text("Removal upheld: No authorisation from ACME was shown.")).to_be_visible()
    shot("53-upheld")

    assert ClaimItem.objects.get().status == "upheld"
    assert Listing.objects.get(pk=listing.pk).status == "removed"
