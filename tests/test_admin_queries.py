"""Every admin list and the claim review page: the same number of queries for 10 rows and for 200."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from complaints.models import ClaimItem
from enforcement import services as enforcement_services
from tests.factories import ListingFactory, SellerFactory, UserFactory, make_claim

pytestmark = pytest.mark.django_db


def grow(kind: str, n: int):
    if kind == "claims":
        for _ in range(n):
            make_claim()
    elif kind == "items":
        return make_claim(listings=ListingFactory.create_batch(n))
    elif kind == "listings":
        ListingFactory.create_batch(n)
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
    assert ClaimItem.objects.count() == 210


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
