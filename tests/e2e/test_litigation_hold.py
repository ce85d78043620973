"""A supervisor holds a store under a court case from the admin; the seller reads one neutral line; a retraction is
refused while the hold applies; the supervisor lifts it (asked first) and the retraction then goes through."""

import pytest
from playwright.sync_api import expect

from complaints import services
from complaints.models import ClaimItem, LitigationHold
from listings.models import Listing
from tests.e2e.browser import sign_in
from tests.factories import ListingFactory, SellerFactory, make_claim, make_complainant, make_staff, take_down

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_hold_keeps_a_listing_removed_until_lifted(live_server, page, shot):
    seller = SellerFactory(store_name="Bright Audio")
    holder = make_complainant()
    claim = make_claim(holder, listings=[ListingFactory(seller=seller, title="Studio headphones")])
    take_down(claim)
    item = ClaimItem.objects.get(claim=claim)
    supervisor = make_staff("Supervisor")

    sign_in(page, live_server.url, supervisor.email, admin=True)
    page.goto(f"{live_server.url}/admin/listings/seller/{seller.pk}/change/")
    page.get_by_role("link", name="Place hold…").click()
    expect(page.get_by_role("heading", name="Place a litigation hold")).to_be_visible()
    page.get_by_label("Court").fill("High Court of Justice")
    page.get_by_label("Case reference").fill("IL-2026-000123")
    page.get_by_label("Reason").fill("The rights holder sued the store over these listings.")
    shot("60-place-hold")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("IL-2026-000123").first).to_be_visible()
    hold = LitigationHold.objects.get()
    assert hold.seller_id == seller.pk

    sign_in(page, live_server.url, seller.user.email)
    page.goto(f"{live_server.url}/seller/listings/")
    expect(page.get_by_role("row", name="Studio headphones")).to_contain_text("A court case concerning these listings")
    shot("61-seller-listings-held")

    with pytest.raises(services.Held):
        services.claim_item_retract(item_id=item.pk, user=holder.user)

    sign_in(page, live_server.url, supervisor.email, admin=True)
    page.goto(f"{live_server.url}/admin/complaints/litigationhold/{hold.pk}/change/")
    page.get_by_role("link", name="Lift hold…").click()
    expect(page.get_by_role("button", name="Yes, lift the hold")).to_be_visible()
    page.get_by_label("Reason for lifting").fill("The case settled.")
    shot("62-lift-hold")
    page.get_by_role("button", name="Yes, lift the hold").click()
    expect(page.get_by_text("lifted; the people it concerned are told")).to_be_visible()

    services.claim_item_retract(item_id=item.pk, user=holder.user)
    assert Listing.objects.get(pk=item.listing_id).status == "reinstated"
