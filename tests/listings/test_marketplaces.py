"""Adding a marketplace is one module: here a fake third one, registered for the test, is parsed, given canonical
addresses and listing ids, and checked against the Site rows."""

import re

import pytest
from django.core import checks

from listings import marketplaces
from listings.links import ListingRef, ListingURLError, canonical_listing_url, parse_listing_url
from listings.marketplaces import Marketplace, Refuse
from listings.models import Site
from listings.services import listing_create, seller_open_store
from tests.factories import UserFactory

_GOODS_RE = re.compile(r"([0-9]+)\.html")


def _parse_path(subdomain: str, path: str, query: str, host: str) -> re.Match[str] | None:
    first, _, rest = path[1:].partition("/")
    if first == "goods":
        return _GOODS_RE.fullmatch(rest)
    if first == "shop":
        raise Refuse("storefront")
    raise Refuse("not_a_listing", host=host)


TOYMART = Marketplace(
    code="toymart",
    label="toymart.example",
    domains=("toymart.example",),
    canonical_template="https://www.toymart.example/goods/{}.html",
    example_url="https://www.toymart.example/goods/7700123456.html",
    parse_path=_parse_path,
    external_id_range=(7_700_000_000, 7_799_999_999),
    lookalike_stems=("toymart",),
    brand="toymart",
)


@pytest.fixture
def toymart():
    marketplaces.register(TOYMART)
    yield TOYMART
    marketplaces.unregister(TOYMART.code)


def test_a_registered_marketplace_is_parsed_like_the_built_in_ones(toymart):
    ref = parse_listing_url("toymart.example/goods/7700123456.html?utm_source=x")

    assert ref == ListingRef("toymart", "7700123456")
    assert canonical_listing_url(ref) == "https://www.toymart.example/goods/7700123456.html"
    assert parse_listing_url(canonical_listing_url(ref)) == ref
    with pytest.raises(ListingURLError) as storefront:
        parse_listing_url("https://m.toymart.example/shop/42")
    with pytest.raises(ListingURLError) as lookalike:
        parse_listing_url("https://toymarts.example/goods/7700123456.html")
    assert storefront.value.code == "storefront"
    assert "https://www.toymart.example/goods/" in storefront.value.message
    assert lookalike.value.code == "lookalike_host"
    assert parse_listing_url("https://www.alibaba.com/product-detail/_1600123456789.html").site_code == "alibaba"


def test_without_its_module_a_marketplace_is_not_a_marketplace():
    with pytest.raises(ListingURLError) as refused:
        parse_listing_url("https://www.toymart.example/goods/7700123456.html")

    assert refused.value.code == "not_marketplace_host"
    assert "alibaba.com or aliexpress.com" in refused.value.message


@pytest.mark.django_db
def test_its_site_row_posts_listings_with_ids_the_parser_reads_back(toymart):
    site = Site.objects.create(code="toymart", name="ToyMart", domain="toymart.example", timezone="Europe/Paris")
    user = UserFactory()
    store = seller_open_store(user=user, site=site, store_name="Blocks & Co")

    listing = listing_create(seller=store, actor=user, title="Wooden blocks")

    assert 7_700_000_000 <= int(listing.external_id) <= 7_799_999_999
    assert parse_listing_url(listing.url) == ListingRef("toymart", listing.external_id)


@pytest.mark.django_db
def test_the_system_check_fails_for_a_site_row_without_a_module():
    Site.objects.create(code="toymart", name="ToyMart", domain="toymart.example")

    errors = checks.run_checks(tags=[checks.Tags.database], databases=["default"])

    assert [error.id for error in errors] == ["listings.E001"]
    assert "toymart" in errors[0].msg
