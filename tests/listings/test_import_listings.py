import io
import json

import pytest
from django.core.management import call_command

from ipp_portal.audit.models import AuditEvent
from listings.importer import import_listings
from listings.models import Listing, Seller
from tests.factories import ListingFactory, SellerFactory

pytestmark = pytest.mark.django_db

HEADER = "site,external_id,url,title,description,price,currency,seller_member_id,store_name,status\n"


def _csv(*rows: str) -> io.StringIO:
    return io.StringIO(HEADER + "".join(r + "\n" for r in rows))


def test_good_rows_are_kept_and_bad_rows_reported_by_number():
    stream = _csv(
        "alibaba,1601000000001,,Earbuds,,12.50,usd,m1,Audio Co,",
        "alibaba,16010000000x2,,Bad id,,1,USD,m1,Audio Co,",
        ",,https://www.aliexpress.com/item/1005001234567890.html?spm=a2g0o,Handbag,Leather,39,EUR,m2,Bags,live",
        "aliexpress,1005001234567891,,No seller,,1,USD,,,",
        "alibaba,1601000000003,,Bad price,,twelve,USD,m1,Audio Co,",
        "ebay,123456789,,Wrong site,,1,USD,m1,Audio Co,",
        "alibaba,1601000000004,https://www.aliexpress.com/item/1005001234567892.html,Mismatch,,1,USD,m1,A,",
        "alibaba,0123,,Too short,,1,USD,m1,A,",
    )

    summary = import_listings(stream, fmt="csv")

    assert (summary.rows, summary.created, summary.updated, summary.failed) == (8, 2, 0, 6)
    assert [n for n, _ in summary.errors] == [3, 5, 6, 7, 8, 9]
    messages = dict(summary.errors)
    assert "digits" in messages[3]
    assert "seller_member_id" in messages[5]
    assert "not a number" in messages[6]
    assert "Unknown site" in messages[7]
    assert "aliexpress listing" in messages[8]
    assert "does not look like a listing id" in messages[9]
    handbag = Listing.objects.get(external_id="1005001234567890")
    assert (handbag.site.code, handbag.currency, str(handbag.price)) == ("aliexpress", "EUR", "39.00")
    assert handbag.url == "https://www.aliexpress.com/item/1005001234567890.html"
    assert Listing.objects.get(external_id="1601000000001").currency == "USD"
    assert Seller.objects.count() == 2
    assert AuditEvent.objects.get(verb="listings.imported").data["created"] == 2


def test_import_is_idempotent_and_updates_in_place():
    rows = (
        "alibaba,1601000000001,,Earbuds,,12.50,USD,m1,Audio Co,",
        "alibaba,1601000000002,,Cable,,1,USD,m1,,",
    )
    import_listings(_csv(*rows), fmt="csv")

    again = import_listings(_csv(*rows), fmt="csv")
    changed = import_listings(_csv("alibaba,1601000000001,,Earbuds v2,,13.00,USD,m1,Audio Co,"), fmt="csv")

    assert (again.created, again.updated, again.unchanged, again.sellers_created) == (0, 0, 2, 0)
    assert (changed.created, changed.updated) == (0, 1)
    assert Listing.objects.count() == 2
    assert Listing.objects.get(external_id="1601000000001").title == "Earbuds v2"
    assert Seller.objects.get(member_id="m1").store_name == "Audio Co"


def test_import_never_changes_an_existing_listings_status():
    seller = SellerFactory(member_id="m1")
    listing = ListingFactory(seller=seller, external_id="1601000000009", status=Listing.Status.REMOVED)

    import_listings(_csv("alibaba,1601000000009,,Relisted?,,1,USD,m1,S,live"), fmt="csv")

    listing.refresh_from_db()
    assert (listing.status, listing.title) == (Listing.Status.REMOVED, "Relisted?")


def test_same_listing_twice_in_one_batch_last_row_wins():
    summary = import_listings(
        _csv("alibaba,1601000000001,,First,,1,USD,m1,S,", "alibaba,1601000000001,,Second,,2,USD,m1,S,"),
        fmt="csv",
    )

    assert (summary.created, summary.updated, summary.failed) == (1, 1, 0)
    assert Listing.objects.get().title == "Second"


def test_rows_spanning_several_batches():
    rows = [f"alibaba,{1601000000000 + n},,Item {n},,1,USD,m{n % 7},Store," for n in range(25)]
    rows.insert(10, "alibaba,,,No id,,1,USD,m1,S,")

    summary = import_listings(_csv(*rows), fmt="csv", batch_size=4)

    assert (summary.created, summary.failed, summary.errors[0][0]) == (25, 1, 12)
    assert Listing.objects.count() == 25
    assert Seller.objects.count() == 7


def test_jsonl_with_bad_lines():
    lines = [
        json.dumps(
            {
                "site": "aliexpress",
                "external_id": "1005001234567890",
                "title": "Bag",
                "seller_member_id": "m9",
            }
        ),
        "{not json",
        json.dumps(["a", "list"]),
        "",
        json.dumps(
            {
                "url": "https://m.alibaba.com/product/1600123456789/x.html",
                "title": "T",
                "seller_member_id": "m9",
                "price": 5,
            }
        ),
    ]

    summary = import_listings(io.StringIO("\n".join(lines) + "\n"), fmt="jsonl")

    assert (summary.created, summary.failed) == (2, 2)
    assert [n for n, _ in summary.errors] == [2, 3]
    assert "not valid JSON" in summary.errors[0][1]


def test_csv_with_bom_crlf_and_quoted_cells(tmp_path):
    path = tmp_path / "catalogue.csv"
    path.write_bytes(
        (
            "\ufeff"
            + HEADER.replace("\n", "\r\n")
            + 'alibaba,1601000000001,,"Earbuds, ""pro"" edition","Line one\r\nLine two",9.5,USD,m1,"Audio, Inc",\r\n'
        ).encode("utf-8")
    )
    out, err = io.StringIO(), io.StringIO()

    call_command("import_listings", str(path), stdout=out, stderr=err)

    listing = Listing.objects.get()
    assert listing.title == 'Earbuds, "pro" edition'
    assert listing.description == "Line one\r\nLine two"
    assert "1 listings created" in out.getvalue()
    assert err.getvalue() == ""


def test_missing_header_columns_are_reported():
    summary = import_listings(io.StringIO("site,external_id\nalibaba,1601000000001\n"), fmt="csv")

    assert summary.created == 0
    assert summary.errors == [(1, "The CSV header lacks column(s): seller_member_id, title.")]


def test_command_reports_bad_rows_on_stderr(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text(HEADER + "alibaba,1601000000001,,Ok,,1,USD,m1,S,\nalibaba,x,,Bad,,1,USD,m1,S,\n")
    out, err = io.StringIO(), io.StringIO()

    call_command("import_listings", str(path), stdout=out, stderr=err)

    assert "row 3: external_id must be digits only." in err.getvalue()
    assert "2 rows read: 1 listings created, 0 updated, 0 unchanged, 1 rejected" in out.getvalue()


@pytest.mark.postgres
def test_import_query_count_grows_with_batches_not_rows():
    # PostgreSQL takes a whole batch in one INSERT (SQLite splits inserts by its bound-parameter limit).
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(n: int, first_id: int) -> int:
        rows = [f"alibaba,{first_id + i},,Item {i},,1,USD,m{i % 50},Store," for i in range(n)]
        with CaptureQueriesContext(connection) as ctx:
            summary = import_listings(_csv(*rows), fmt="csv", batch_size=1000)
        assert summary.created == n
        return len(ctx.captured_queries)

    assert queries(10, 1601000000000) == queries(900, 1601000100000)


def test_rerun_leaves_unchanged_rows_untouched():
    rows = ("alibaba,1601000000001,,Earbuds,,12.50,USD,m1,Audio Co,",)
    import_listings(_csv(*rows), fmt="csv")
    stamp = Listing.objects.get().updated_at

    summary = import_listings(_csv(*rows), fmt="csv")

    assert (summary.created, summary.updated, summary.unchanged) == (0, 0, 1)
    assert Listing.objects.get().updated_at == stamp


def test_row_numbers_count_records_when_a_quoted_cell_spans_lines():
    stream = _csv(
        'alibaba,1601000000001,,Earbuds,"Line one\nLine two\nLine three",1,USD,m1,S,',
        "alibaba,x,,Bad,,1,USD,m1,S,",
    )

    summary = import_listings(stream, fmt="csv")

    assert summary.errors == [(3, "external_id must be digits only.")]
