from datetime import timedelta

import pytest
from django.utils import timezone

from ipp_portal.audit.models import AuditEvent
from listings.links import parse_listing_url
from listings.models import Listing, Seller
from tests.factories import ListingFactory, SellerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def seller():
    return SellerFactory()


def _post(client, seller, **overrides):
    data = {
        "seller": seller.pk,
        "title": "Wireless earbuds",
        "description": "Bluetooth 5.3",
        "price": "12.50",
        "currency": "USD",
    }
    data.update(overrides)
    return client.post("/seller/listings/new/", data)


def test_seller_posts_a_listing_with_a_real_shaped_url(client, seller):
    client.force_login(seller.user)

    response = _post(client, seller)

    listing = Listing.objects.get()
    assert response.status_code == 302
    assert (listing.seller, listing.status, listing.title) == (
        seller,
        Listing.Status.LIVE,
        "Wireless earbuds",
    )
    ref = parse_listing_url(listing.url)
    assert (ref.site_code, ref.external_id) == ("alibaba", listing.external_id)
    assert AuditEvent.objects.filter(verb="listing.posted", actor=seller.user).count() == 1
    page = client.get("/seller/listings/")
    assert b"Wireless earbuds" in page.content


@pytest.mark.unaudited_status_setup
def test_restricted_seller_is_told_why_and_until_when(client, seller):
    until = timezone.now() + timedelta(days=7)
    Seller.objects.filter(pk=seller.pk).update(
        standing=Seller.Standing.RESTRICTED, standing_until=until, standing_reason="12 points reached"
    )
    client.force_login(seller.user)

    form_page = client.get("/seller/listings/new/")
    attempt = _post(client, seller)

    assert form_page.status_code == 403
    assert "is restricted from posting until" in form_page.content.decode()
    assert "12 points reached" in attempt.content.decode()
    assert 'value="Wireless earbuds"' in attempt.content.decode()  # nothing typed is lost
    assert not Listing.objects.exists()
    assert not AuditEvent.objects.filter(verb="listing.posted").exists()


@pytest.mark.unaudited_status_setup
def test_restriction_that_ended_no_longer_blocks(client, seller):
    Seller.objects.filter(pk=seller.pk).update(
        standing=Seller.Standing.RESTRICTED, standing_until=timezone.now() - timedelta(minutes=1)
    )
    client.force_login(seller.user)

    response = _post(client, seller)

    assert response.status_code == 302
    assert Listing.objects.count() == 1


@pytest.mark.unaudited_status_setup
def test_terminated_store_cannot_post(client, seller):
    Seller.objects.filter(pk=seller.pk).update(standing=Seller.Standing.TERMINATED)
    client.force_login(seller.user)

    response = _post(client, seller)

    assert "has been closed" in response.content.decode()
    assert not Listing.objects.exists()


def test_cannot_post_into_someone_elses_store(client, seller):
    intruder = SellerFactory()
    client.force_login(intruder.user)

    response = _post(client, seller)

    assert response.status_code == 200
    assert b"Select a valid choice" in response.content
    assert not Listing.objects.exists()


def test_invalid_input_is_shown_next_to_the_field_and_kept(client, seller):
    client.force_login(seller.user)

    response = _post(client, seller, title="", price="-3", description="Keep me")

    html = response.content.decode()
    assert "This field is required." in html
    assert "greater than or equal to 0.01" in html
    assert "Keep me" in html
    assert not Listing.objects.exists()


def test_edit_own_listing(client, seller):
    listing = ListingFactory(seller=seller, title="Old title")
    client.force_login(seller.user)

    response = client.post(
        f"/seller/listings/{listing.pk}/edit/",
        {"title": "New title", "description": "", "price": "3.00", "currency": "EUR"},
    )

    listing.refresh_from_db()
    assert response.status_code == 302
    assert (listing.title, str(listing.price), listing.currency) == ("New title", "3.00", "EUR")
    assert AuditEvent.objects.filter(verb="listing.edited").count() == 1


def test_another_sellers_listing_is_not_found(client, seller):
    listing = ListingFactory(seller=seller, title="Mine")
    intruder = SellerFactory()
    client.force_login(intruder.user)

    edit_page = client.get(f"/seller/listings/{listing.pk}/edit/")
    edit = client.post(f"/seller/listings/{listing.pk}/edit/", {"title": "Hijacked", "currency": "USD"})
    delist = client.post(f"/seller/listings/{listing.pk}/delist/")

    listing.refresh_from_db()
    assert (edit_page.status_code, edit.status_code, delist.status_code) == (404, 404, 404)
    assert (listing.title, listing.status) == ("Mine", Listing.Status.LIVE)
    assert not client.get("/seller/listings/").content.count(b"Mine")


def test_delist_needs_post_and_changes_status(client, seller):
    listing = ListingFactory(seller=seller)
    client.force_login(seller.user)

    assert client.get(f"/seller/listings/{listing.pk}/delist/").status_code == 405
    client.post(f"/seller/listings/{listing.pk}/delist/")

    listing.refresh_from_db()
    assert listing.status == Listing.Status.DELISTED
    assert AuditEvent.objects.get(verb="listing.delisted").to_state == "delisted"


def test_removed_listing_cannot_be_edited(client, seller):
    listing = ListingFactory(seller=seller, status=Listing.Status.REMOVED, title="Taken down")
    client.force_login(seller.user)

    response = client.post(
        f"/seller/listings/{listing.pk}/edit/", {"title": "Sneaky", "description": "", "currency": "USD"}
    )

    listing.refresh_from_db()
    assert "cannot be edited" in response.content.decode()
    assert listing.title == "Taken down"


def test_open_store_once_per_site(client):
    user = UserFactory()
    client.force_login(user)
    from listings.models import Site

    site = Site.objects.get(code="aliexpress")
    first = client.post("/seller/stores/new/", {"site": site.pk, "store_name": "Audio Hub"})
    second = client.post("/seller/stores/new/", {"site": site.pk, "store_name": "Audio Hub 2"})

    assert first.status_code == 302
    assert "already have a store on aliexpress.com" in second.content.decode()
    assert Seller.objects.filter(user=user).count() == 1


def test_listing_page_query_count_is_flat(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(n):
        seller = SellerFactory()
        ListingFactory.create_batch(n, seller=seller)
        client.force_login(seller.user)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/seller/listings/").status_code == 200
        return len(ctx.captured_queries)

    assert queries(2) == queries(40)


def test_seller_pages_require_sign_in(client):
    response = client.get("/seller/listings/new/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
