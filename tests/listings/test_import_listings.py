import io
import json
import random

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

    assert "line 3: external_id must be digits only." in err.getvalue()
    assert "3 lines read (the header), 2 rows: 1 imported (1 listings created, 0 updated, 0 unchanged), 1 rejected" in (
        out.getvalue()
    )


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


def test_errors_name_the_physical_line_a_record_starts_on_when_a_quoted_cell_spans_lines():
    # Physical line numbers, as an editor or `sed -n 5p` shows them: a line that cannot be read has no record number.
    stream = _csv(
        'alibaba,1601000000001,,Earbuds,"Line one\nLine two\nLine three",1,USD,m1,S,',
        "alibaba,x,,Bad,,1,USD,m1,S,",
    )

    summary = import_listings(stream, fmt="csv")

    assert summary.errors == [(5, "external_id must be digits only.")]


# --- Bad lines: each is reported by its physical line number, and reading goes on at the next line ---------------


def _good(n: int) -> str:
    return f"alibaba,{1601000000000 + n},,Item {n},,1.50,USD,m{n % 11},Store,"


def _bytes(*lines: bytes | str) -> io.BytesIO:
    data = HEADER.encode()
    for line in lines:
        data += (line.encode() if isinstance(line, str) else line) + b"\n"
    return io.BytesIO(data)


def _imported_ids() -> set[str]:
    return set(Listing.objects.values_list("external_id", flat=True))


def test_an_unclosed_quote_loses_only_its_own_line():
    rows = [_good(n) for n in range(3000)]
    rows.insert(1500, 'alibaba,1601999999999,,"Wireless earbuds, 5 colours,9.99,USD,m1,Audio Co,')

    summary = import_listings(_csv(*rows), fmt="csv")

    assert (summary.created, summary.failed) == (3000, 1)
    [(number, message)] = summary.errors
    assert number == 1502  # header on line 1, the bad row on the 1,502nd line
    assert "unbalanced quote" in message
    assert _imported_ids() == {str(1601000000000 + n) for n in range(3000)}


def test_an_unclosed_quote_next_to_a_legitimate_multi_line_cell_and_another_bad_quote():
    stream = _csv(
        _good(1),
        'alibaba,1601999999991,,"Wireless earbuds, 5 colours,9.99,USD,m1,Audio Co,',  # line 3: never closed
        'alibaba,1601000000002,,Lamp,"Warm light\nSteel base",2,USD,m1,S,',  # lines 4-5: a quoted cell over 2 lines
        _good(3),
        'alibaba,1601999999992,,Earbuds",9.99,USD,m1,Audio Co,',  # line 7: a stray quote, as text, 9 cells
        _good(4),
        'alibaba,1601999999993,,"Cable, 1 m,1,USD,m1,S,',  # line 9: never closed, the last line of the file
    )

    summary = import_listings(stream, fmt="csv")

    assert _imported_ids() == {"1601000000001", "1601000000002", "1601000000003", "1601000000004"}
    assert Listing.objects.get(external_id="1601000000002").description == "Warm light\nSteel base"
    assert [n for n, _ in summary.errors] == [3, 7, 9]
    assert "unbalanced quote" in summary.errors[0][1]
    assert "9 cells" in summary.errors[1][1]
    assert "unbalanced quote" in summary.errors[2][1]


def test_two_unclosed_quotes_do_not_pair_up_across_the_good_rows_between_them():
    stream = _csv(
        'alibaba,1601999999991,,"Wireless earbuds, 5 colours,9.99,USD,m1,Audio Co,',
        _good(1),
        _good(2),
        # A stray quote inside an unquoted cell is text, so this line is a good row on its own; read as the end of
        # the quoted cell opened on line 2 it would also make a 10-cell record, swallowing the two rows between.
        'alibaba,1601999999992,,Earbuds",,9.99,USD,m1,Audio Co,',
    )

    summary = import_listings(stream, fmt="csv")

    assert _imported_ids() == {"1601000000001", "1601000000002", "1601999999992"}
    assert Listing.objects.get(external_id="1601999999992").title == 'Earbuds"'
    assert [n for n, _ in summary.errors] == [2]
    assert "unbalanced quote" in summary.errors[0][1]


def test_a_line_of_invalid_utf8_is_rejected_and_the_rest_imported():
    stream = _bytes(_good(1), b"alibaba,1601999999999,,Ear\xff\xfebuds,,1,USD,m1,S,", _good(2))

    summary = import_listings(stream, fmt="csv")

    assert _imported_ids() == {"1601000000001", "1601000000002"}
    [(number, message)] = summary.errors
    assert number == 3
    assert "not valid UTF-8" in message


def test_invalid_utf8_through_the_command_with_a_bom_and_crlf(tmp_path):
    path = tmp_path / "catalogue.csv"
    lines = [HEADER.rstrip("\n").encode(), _good(1).encode(), b"alibaba,1601999999999,,\xe9t\xe9,,1,USD,m1,S,"]
    lines += [_good(n).encode() for n in range(2, 200)]
    path.write_bytes(b"\xef\xbb\xbf" + b"".join(line + b"\r\n" for line in lines))
    out, err = io.StringIO(), io.StringIO()

    call_command("import_listings", str(path), stdout=out, stderr=err)

    assert Listing.objects.count() == 199
    assert err.getvalue().startswith("line 3: is not valid UTF-8")
    assert "201 lines read" in out.getvalue()
    assert "199 imported (199 listings created, 0 updated, 0 unchanged), 1 rejected" in out.getvalue()


def test_rows_with_too_few_or_too_many_cells_are_rejected_with_the_counts():
    stream = _csv(
        _good(1),
        "alibaba,1601999999991,,Short,,1,USD,m1",
        "alibaba,1601999999992,,Long,,1,USD,m1,S,,extra",
        _good(2),
    )

    summary = import_listings(stream, fmt="csv")

    assert _imported_ids() == {"1601000000001", "1601000000002"}
    assert summary.errors == [
        (3, "has 8 cells; the header has 10."),
        (4, "has 11 cells; the header has 10."),
    ]


def test_jsonl_malformed_and_invalid_utf8_lines_are_rejected_and_the_rest_imported():
    def line(n: int) -> bytes:
        row = {"site": "alibaba", "external_id": str(1601000000000 + n), "title": f"T{n}", "seller_member_id": "m1"}
        return json.dumps(row).encode()

    stream = io.BytesIO(
        b"\xef\xbb\xbf"
        + b"\n".join(
            [
                line(1),
                b'{"site": "alibaba", "external_id": "1601999999991", "title": "Earbuds, 5 colours',
                line(2),
                b'{"site": "alibaba", "external_id": "1601999999992", "title": "\xff\xfe", "seller_member_id": "m1"}',
                line(3),
                b'{"site": "alibaba", "external_id": "1601999999993", "title": "\\ud800", "seller_member_id": "m1"}',
                line(4),
            ]
        )
    )

    summary = import_listings(stream, fmt="jsonl")

    assert _imported_ids() == {str(1601000000000 + n) for n in (1, 2, 3, 4)}
    assert [n for n, _ in summary.errors] == [2, 4, 6]
    assert "not valid JSON" in summary.errors[0][1]
    assert "not valid UTF-8" in summary.errors[1][1]
    assert "surrogate" in summary.errors[2][1]
    assert (summary.lines, summary.rows, summary.imported, summary.failed) == (7, 7, 4, 3)


def test_a_nul_character_is_rejected_rather_than_failing_the_batch():
    summary = import_listings(_bytes(_good(1), b"alibaba,1601999999999,,Ear\x00buds,,1,USD,m1,S,", _good(2)), fmt="csv")

    assert _imported_ids() == {"1601000000001", "1601000000002"}
    assert summary.errors[0][0] == 3
    assert "NUL" in summary.errors[0][1]


def test_the_summary_counts_lines_read_imported_and_rejected_and_they_add_up(tmp_path):
    import_listings(_csv(_good(1), _good(2)), fmt="csv")
    path = tmp_path / "c.csv"
    path.write_text(
        HEADER
        + "\n".join(
            [
                _good(1),  # unchanged
                "alibaba,1601000000002,,Renamed,,1.50,USD,m2,Store,",  # updated
                'alibaba,1601000000003,,New,"Two\nlines",1,USD,m1,S,',  # created, over two lines
                "",  # blank: skipped
                "alibaba,x,,Bad id,,1,USD,m1,S,",  # rejected by its content
                "alibaba,1601999999999,,Short",  # rejected: too few cells
            ]
        )
        + "\n"
    )
    out, err = io.StringIO(), io.StringIO()

    call_command("import_listings", str(path), stdout=out, stderr=err)

    assert err.getvalue() == "line 7: external_id must be digits only.\nline 8: has 4 cells; the header has 10.\n"
    assert out.getvalue() == (
        "8 lines read (the header, 1 blank, 1 continuing a quoted cell), 5 rows: 3 imported (1 listings created, "
        "1 updated, 1 unchanged), 2 rejected; 0 new sellers.\n"
    )
    event = AuditEvent.objects.filter(verb="listings.imported").latest("pk")
    assert (event.data["lines"], event.data["rows"], event.data["failed"]) == (8, 5, 2)


def test_ten_thousand_rows_with_one_percent_malformed_of_mixed_kinds():
    rng = random.Random(4)
    good = {}
    for n in range(9900):
        if n % 37 == 0:  # now and then a description that keeps its line breaks, quoted over three lines
            good[n] = f'alibaba,{1601000000000 + n},,Item {n},"Line one\nLine ""two""\nLine three",2,USD,m{n % 13},S,'
        else:
            good[n] = _good(n).replace("m", f"m{n % 13}-", 1)
    bad_kinds = [
        lambda i: f'alibaba,{1601900000000 + i},,"Wireless earbuds, 5 colours,9.99,USD,m1,Audio Co,'.encode(),
        lambda i: f"alibaba,{1601900000000 + i},,Ear\xff\xfebuds,,1,USD,m1,S,".encode("latin-1"),
        lambda i: f"alibaba,{1601900000000 + i},,Short,,1,USD,m1".encode(),
        lambda i: f"alibaba,{1601900000000 + i},,Long,,1,USD,m1,S,,,".encode(),
        lambda i: f'alibaba,{1601900000000 + i},,Earbuds",9.99,USD,m1,Audio Co,'.encode(),
    ]
    lines: list[bytes] = [good[n].encode() for n in range(9900)]
    for i, position in enumerate(sorted(rng.sample(range(9900), 100), reverse=True)):
        lines.insert(position, bad_kinds[i % len(bad_kinds)](i))

    summary = import_listings(_bytes(*lines), fmt="csv", batch_size=1000)

    assert _imported_ids() == {str(1601000000000 + n) for n in range(9900)}
    assert (summary.created, summary.failed, summary.rows) == (9900, 100, 10000)
    assert summary.lines == 1 + 9900 + 100 + 2 * len([n for n in good if n % 37 == 0])
    assert Listing.objects.get(external_id="1601000000037").description == 'Line one\nLine "two"\nLine three'
