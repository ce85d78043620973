"""Every admin list and the claim review page: the same number of queries for 10 rows and for 200."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from complaints import services
from complaints.models import Claim, ClaimItem
from enforcement import services as enforcement_services
from listings.models import Site
from tests.factories import ListingFactory, SellerFactory, UserFactory, make_complainant, make_right

pytestmark = pytest.mark.django_db


def file_claim(n: int) -> Claim:
    holder = make_complainant()
    return services.claim_submit(
        complainant=holder, user=holder.user, token=uuid.uuid4(), right=make_right(holder),
        site=Site.objects.get(code="alibaba"), reason_code="tm_unauthorized_use", explanation="x",
        links_text="\n".join(listing.url for listing in ListingFactory.create_batch(n)), signature_name="A",
        ip="1.1.1.1", statements=dict.fromkeys(services.claims.STATEMENTS, True),
    )  # fmt: skip


def grow(kind: str, n: int):
    if kind == "claims":
        for _ in range(n):
            file_claim(1)
    elif kind == "items":
        return file_claim(n)
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
    small, large = file_claim(10), file_claim(200)
    count(client, f"/admin/complaints/claim/{small.pk}/change/")

    assert count(client, f"/admin/complaints/claim/{small.pk}/change/") == count(
        client, f"/admin/complaints/claim/{large.pk}/change/"
    )
    assert ClaimItem.objects.count() == 210
