"""A restricted seller tries to post, is told why and until when; once the restriction ends, posting works."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from enforcement import services
from enforcement.models import Action
from listings.models import Listing
from tests.factories import SellerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


def test_restricted_seller_is_told_why_and_until_when_then_posts_again(live_server, page, shot):
    seller = SellerFactory(store_name="Bright Audio")
    for n in range(2):  # two serious violations: 12 points on alibaba.com, posting restricted for 7 days
        services.violation_record(seller=seller, severity="serious", reference=f"IPP-2026-00010{n}#1")
    restriction = Action.objects.get(seller=seller, kind="posting_restriction")

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email address").fill(seller.user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/seller/listings/new/")

    refusal = page.get_by_role("alert").filter(has_text="is restricted from posting until")
    expect(refusal).to_be_visible()
    expect(refusal).to_contain_text(f"{timezone.localtime(restriction.ends_at, seller.site.tzinfo):%-d %B %Y}")
    expect(refusal).to_contain_text("12 points")
    expect(page.get_by_role("button", name="Post listing")).to_have_count(0)
    shot("30-restricted-seller")

    page.get_by_role("link", name="Standing").click()
    expect(page.get_by_text("IPP-2026-000100#1")).to_be_visible()
    expect(page.get_by_text("You cannot post or edit listings until then.")).to_be_visible()
    shot("31-standing")

    # Seven days later the beat sweep ends the restriction.
    services.standings_sweep(at=restriction.ends_at + timedelta(minutes=1))
    page.goto(f"{live_server.url}/seller/listings/new/")
    page.get_by_label("Title").fill("Wireless earbuds")
    page.get_by_role("button", name="Post listing").click()
    expect(page.get_by_role("row", name="Wireless earbuds")).to_contain_text("Live")

    assert Listing.objects.filter(seller=seller, status="live").count() == 1
