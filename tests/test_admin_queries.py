"""Every admin list and the claim review page: the same number of queries for 10 rows and for 200."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from complaints.models import ClaimItem
from enforcement import services as enforcement_services
from tests.factories import (
    ListingFactory,
    SellerFactory,
    UserFactory,
    make_claim,
    make_complainant,
    make_document,
    make_right,
    make_staff,
)

pytestmark = pytest.mark.django_db


def grow(kind: str, n: int):
    if kind == "claims":
        for _ in range(n):
            make_claim()
    elif kind == "items":
        return make_claim(listings=ListingFactory.create_batch(n))
    elif kind == "listings":
        ListingFactory.create_batch(n)
    elif kind == "complainants":
        for _ in range(n):
            make_complainant()
    elif kind == "rights":
        for _ in range(n):
            make_right(make_complainant())
    elif kind == "sellers":
        SellerFactory.create_batch(n)
    elif kind == "documents":
        owner = UserFactory()
        for _ in range(n):
            make_document(owner)
    elif kind == "users":
        UserFactory.create_batch(n)
    elif kind == "holds":
        from complaints import services

        supervisor = make_staff("Supervisor")
        for listing in ListingFactory.create_batch(n):
            services.litigation_hold_place(
                actor=supervisor, listing_id=listing.pk, court="High Court", case_reference="IL-1", reason="Sued."
            )
    elif kind in ("violations", "actions"):
        for _ in range(n):
            enforcement_services.violation_record(seller=SellerFactory(), severity="serious", reference="R")
    return None


def count(client, path: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    ("kind", "path"),
    [
        ("claims", "/admin/complaints/claim/?status__in=submitted,in_review"),
        ("claims", "/admin/complaints/claim/?status__in=submitted,in_review&reason_code=tm_counterfeit&conflict=yes"),
        ("claims", "/admin/complaints/claim/?status__in=submitted,in_review&age=lt12&assigned=nobody"),
        ("items", "/admin/complaints/claimitem/"),
        ("listings", "/admin/listings/listing/"),
        ("violations", "/admin/enforcement/violation/"),
        ("actions", "/admin/enforcement/action/"),
        ("complainants", "/admin/complaints/complainant/?status__exact=verified"),
        ("rights", "/admin/complaints/ipright/?status__exact=verified"),
        ("sellers", "/admin/listings/seller/"),
        ("documents", "/admin/documents/document/"),
        ("users", "/admin/accounts/user/"),
        ("holds", "/admin/complaints/litigationhold/"),
        ("claims", "/admin/notifications/notification/"),
        ("claims", "/admin/audit/auditevent/"),
    ],
)
def test_admin_lists_do_not_grow_with_rows(client, kind, path):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    grow(kind, 10)
    count(client, path)  # warm caches (content types, sessions)
    few = count(client, path)
    grow(kind, 190)

    assert count(client, path) == few


def test_review_page_does_not_grow_with_items(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    small, large = (
        make_claim(listings=ListingFactory.create_batch(10)),
        make_claim(listings=ListingFactory.create_batch(200)),
    )
    count(client, f"/admin/complaints/claim/{small.pk}/change/")

    assert count(client, f"/admin/complaints/claim/{small.pk}/change/") == count(
        client, f"/admin/complaints/claim/{large.pk}/change/"
    )
    # A page of one status, and of one seller (the page also counts that seller's waiting listings).
    for claim in (small, large):
        claim.seller_id = claim.items.values_list("seller_id", flat=True).first()
    assert count(client, f"/admin/complaints/claim/{small.pk}/change/?status=pending&page=2") == count(
        client, f"/admin/complaints/claim/{large.pk}/change/?status=pending&page=2"
    )
    assert count(client, f"/admin/complaints/claim/{small.pk}/change/?seller={small.seller_id}") == count(
        client, f"/admin/complaints/claim/{large.pk}/change/?seller={large.seller_id}"
    )
    assert ClaimItem.objects.count() == 210


# Free text typed by staff (a court's name) is its own label; anything else offered by a filter is a code.
FREE_TEXT_FILTERS = {("complaints", "litigationhold", "court")}


def test_no_admin_filter_of_ours_offers_raw_codes():
    from django.contrib import admin
    from django.contrib.admin.filters import AllValuesFieldListFilter, FieldListFilter
    from django.contrib.admin.utils import get_fields_from_path

    ours = {"complaints", "enforcement", "listings", "accounts", "audit", "notifications", "documents", "api"}
    offending = []
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in ours:
            continue
        for spec in model_admin.list_filter:
            if not isinstance(spec, str):
                continue
            field = get_fields_from_path(model, spec)[-1]
            chosen = next(cls for test, cls in FieldListFilter._field_list_filters if test(field))
            key = (model._meta.app_label, model._meta.model_name, spec)
            if issubclass(chosen, AllValuesFieldListFilter) and key not in FREE_TEXT_FILTERS:
                offending.append(key)

    assert offending == []


def test_the_counter_notice_list_filters_decisions_by_their_names(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    html = client.get("/admin/complaints/counternotice/", follow=True).content.decode()
    upheld = client.get("/admin/complaints/counternotice/?decision=uphold")

    assert "Removal upheld" in html
    assert "Listings reinstated" in html
    assert ">uphold<" not in html
    assert upheld.status_code == 200


def test_the_review_queue_reads_its_size_from_the_planner_above_the_threshold(client, monkeypatch):
    """The queue is always filtered (its open claims), so the table's estimate does not apply: above the
    paginator's threshold it reads the planner's estimate of the open claims instead of counting them all, with
    the same queries at both sizes. The threshold (50,000 rows) is set to 0 so that a test table is above it."""
    from ipp_portal.paginators import PlannedCountPaginator

    monkeypatch.setattr(PlannedCountPaginator, "exact_below", 0)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    path = "/admin/complaints/claim/?status__in=submitted,in_review"

    def queries(n: int) -> list[str]:
        grow("claims", n)
        client.get(path)  # warm caches (content types, sessions)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(path).status_code == 200
        return [q["sql"] for q in ctx.captured_queries]

    few, many = queries(10), queries(190)

    assert len(few) == len(many)
    counts = [sql for sql in few + many if sql.startswith('SELECT COUNT(*) AS "__count" FROM "complaints_claim"')]
    assert counts == []
