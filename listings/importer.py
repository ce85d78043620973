"""Bulk-loading a marketplace catalogue from CSV or JSON Lines.

Streaming: rows are read, validated and written in batches, so memory stays flat whatever the file size.
Idempotent: listings are upserted on (site, external id), sellers on (site, member id); running the same file twice
changes nothing. Bad rows are reported by number and skipped; the good rows around them are kept.

The file is read as bytes, one physical line at a time, and each line is decoded and parsed on its own, so a bad
byte or a broken quote costs its own line and no more: a line that is not UTF-8, a quote that does not close, a row
with the wrong number of cells are each reported by their line number with the reason, and reading goes on at the
next line.

An import never changes an existing listing's status: takedowns and reinstatements belong to the review process,
and a catalogue feed must not undo them.
"""

import csv
import json
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, TYPE_CHECKING, Any

from django.conf import settings
from django.db import reset_queries, transaction
from django.utils import timezone

from ipp_portal.audit.services import record
from ipp_portal.audit.verbs import Verb

from .links import ListingRef, ListingURLError, canonical_listing_url, is_valid_external_id, parse_listing_url
from .models import Listing, Seller, Site

if TYPE_CHECKING:
    from ipp_portal.accounts.models import User

BATCH_SIZE = 2000
MAX_REPORTED_ERRORS = 1000
# One physical line is read into memory whole; a longer one (a file with no line breaks, or with bare CR line ends)
# is skipped to its end in pieces and reported, so memory stays bounded whatever the file holds.
MAX_LINE_BYTES = 1 << 20
# A quoted cell may hold line breaks (descriptions copied from a product page keep theirs, and spreadsheets write
# them so), so one CSV record may span several physical lines. The bound is what keeps an unclosed quote from
# swallowing the file: past it, the record is given up, and so is one whose lines do not make a well-formed record
# (see _rows_csv). 20 lines is well beyond the paragraphs of a product description, and a give-up costs only the
# re-reading of at most 19 lines.
MAX_RECORD_LINES = 20
UTF8_BOM = b"\xef\xbb\xbf"
FIELDS = (
    "site",
    "external_id",
    "url",
    "title",
    "description",
    "price",
    "currency",
    "seller_member_id",
    "store_name",
    "status",
)
NEW_LISTING_STATUSES = {Listing.Status.LIVE, Listing.Status.DELISTED}


@dataclass
class ImportSummary:
    """Counts that add up: ``lines`` = header + blank lines + the lines of the ``rows`` (a CSV record may span
    several lines); ``rows`` = ``imported`` + ``failed``; ``imported`` = ``created`` + ``updated`` + ``unchanged``."""

    lines: int = 0
    header_lines: int = 0
    blank_lines: int = 0
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    sellers_created: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.created + self.updated + self.unchanged

    @property
    def continuation_lines(self) -> int:
        """Lines after the first of a record whose quoted cell spans several lines."""
        return self.lines - self.header_lines - self.blank_lines - self.rows

    def add_error(self, line_number: int, message: str) -> None:
        self.failed += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append((line_number, message))


class RowError(ValueError):
    pass


def _clean_row(raw: dict[str, Any], sites: dict[str, Site]) -> dict[str, Any]:
    def text(name: str, limit: int, *, required: bool = False) -> str:
        value = raw.get(name)
        value = "" if value is None else str(value).strip()
        if "\x00" in value:  # PostgreSQL refuses it, and would fail the whole batch
            raise RowError(f"“{name}” contains a NUL character.")
        if required and not value:
            raise RowError(f"“{name}” is required.")
        if len(value) > limit:
            raise RowError(f"“{name}” is longer than {limit} characters.")
        return value

    url = text("url", 2048)
    site_code = text("site", 20).lower()
    external_id = text("external_id", 20)
    if url:
        try:
            ref = parse_listing_url(url)
        except ListingURLError as exc:
            raise RowError(f"url: {exc}") from exc
        if site_code and site_code != ref.site_code:
            raise RowError(f"site is “{site_code}” but the url is a {ref.site_code} listing.")
        if external_id and external_id != ref.external_id:
            raise RowError(f"external_id {external_id} does not match the url's listing id {ref.external_id}.")
    else:
        if not site_code or not external_id:
            raise RowError("Give either a listing url, or both site and external_id.")
        if not (external_id.isascii() and external_id.isdigit()):
            raise RowError("external_id must be digits only.")
        if not is_valid_external_id(external_id):
            raise RowError(f"external_id {external_id} does not look like a listing id (6 to 20 digits, no leading 0).")
        ref = ListingRef(site_code, external_id)
    site = sites.get(ref.site_code)
    if site is None:
        raise RowError(f"Unknown site “{ref.site_code}” (known: {', '.join(sorted(sites))}).")

    price_text = text("price", 30)
    price = None
    if price_text:
        try:
            price = Decimal(price_text)
        except InvalidOperation as exc:
            raise RowError(f"price “{price_text}” is not a number.") from exc
        if not price.is_finite() or price < 0 or price >= Decimal("1e10"):
            raise RowError(f"price “{price_text}” is out of range.")
        price = price.quantize(Decimal("0.01"))
    currency = (text("currency", 3) or "USD").upper()
    if not (currency.isascii() and currency.isalpha() and len(currency) == 3):
        raise RowError(f"currency “{currency}” is not a three-letter code.")
    status = text("status", 12).lower() or Listing.Status.LIVE
    if status not in NEW_LISTING_STATUSES:
        raise RowError(f"status “{status}” is not one of: live, delisted.")
    member_id = text("seller_member_id", 64, required=True)
    return {
        "site": site,
        "ref": ref,
        "title": text("title", 300, required=True),
        "description": text("description", 20000),
        "price": price,
        "currency": currency,
        "member_id": member_id,
        "store_name": text("store_name", 200),
        "status": status,
    }


def _physical_lines(stream: IO[bytes] | IO[str], summary: ImportSummary) -> Iterator[tuple[int, str | None, str]]:
    """(line number, text, "") for each physical line, or (line number, None, why) for one that cannot be read.

    Lines end at LF (a CR before it stays, and the csv module takes CRLF as the line end), as an editor numbers
    them. A binary stream is decoded line by line, strictly: an invalid byte costs its own line. A text stream (a
    StringIO, say) has been decoded already.
    """
    readline = stream.readline
    number = 0
    while True:
        raw = readline(MAX_LINE_BYTES)
        if not raw:
            return
        number += 1
        summary.lines = number
        if len(raw) >= MAX_LINE_BYTES and raw[-1:] not in (b"\n", "\n"):
            while True:  # skip the rest of the line in bounded pieces
                rest = readline(MAX_LINE_BYTES)
                if not rest or rest[-1:] in (b"\n", "\n"):
                    break
            yield number, None, f"is longer than {MAX_LINE_BYTES:,} bytes (are the line ends bare CRs?)."
            continue
        if isinstance(raw, str):
            yield number, (raw[1:] if number == 1 and raw.startswith("\ufeff") else raw), ""
            continue
        if number == 1 and raw.startswith(UTF8_BOM):
            raw = raw[len(UTF8_BOM) :]
        try:
            yield number, raw.decode(), ""
        except UnicodeDecodeError as exc:
            yield number, None, f"is not valid UTF-8 (byte 0x{raw[exc.start]:02X} at byte {exc.start + 1} of the line)."


def _strict_cells(lines: list[str]) -> list[str] | None:
    """The cells of the one record ``lines`` hold; None if a quoted cell is still open at their end.

    Strict, so a quote that closes a cell must be followed by a delimiter or the line end: the quote that closes a
    stray open one is usually followed by more text, and is caught here.
    """
    try:
        return next(csv.reader(lines, strict=True), [])
    except csv.Error as exc:
        if str(exc).startswith("unexpected end of data"):
            return None
        raise


def _cells_of_line(text: str) -> list[str] | None:
    """The cells of one physical line on its own (None: it opens a quoted cell that it does not close)."""
    try:
        return _strict_cells([text])
    except csv.Error:
        # Not strictly well formed (``"a"b``, say), but the lenient reading this importer has always accepted.
        # A bare CR inside an unquoted cell still raises here, and the caller reports it.
        return next(csv.reader([text]), [])


def _rows_csv(stream: IO[bytes] | IO[str], summary: ImportSummary) -> Iterator[tuple[int, dict[str, Any] | str]]:
    lines = _physical_lines(stream, summary)
    first = next(lines, None)
    if first is None:
        raise RowError("The file is empty: the first line must be the CSV header.")
    summary.header_lines = 1
    _, text, problem = first
    if text is None:
        raise RowError(f"The CSV header {problem}")
    try:
        fieldnames = _strict_cells([text])
    except csv.Error as exc:
        raise RowError(f"The CSV header cannot be read ({exc}).") from exc
    if fieldnames is None:
        raise RowError("The CSV header has an unbalanced quote.")
    missing = {"title", "seller_member_id"} - set(fieldnames)
    if missing:
        raise RowError(f"The CSV header lacks column(s): {', '.join(sorted(missing))}.")
    width = len(fieldnames)

    # Lines read ahead for a record that spans lines, then given back when that record is given up.
    pending: deque[tuple[int, str | None, str]] = deque()
    while True:
        if pending:
            number, text, problem = pending.popleft()
        else:
            item = next(lines, None)
            if item is None:
                return
            number, text, problem = item
        if text is None:
            yield number, problem
            continue
        try:
            cells = _cells_of_line(text)
        except csv.Error:
            yield number, "holds a carriage return inside an unquoted cell."
            continue
        if cells is None:
            # A quoted cell opens on this line and goes on: take the next lines until it closes. The record is kept
            # only if it is well formed (strict quoting), has the header's width, and none of the lines it took is
            # a complete row on its own (a line that is, is read as a row rather than as text inside a cell: that
            # is what stops two stray quotes from pairing up across the good rows between them). Otherwise this
            # line alone is rejected and reading resumes on the next one.
            taken: list[tuple[int, str | None, str]] = []
            record = [text]
            cells = None
            while len(record) < MAX_RECORD_LINES:
                if pending:
                    item = pending.popleft()
                else:
                    item = next(lines, None)
                    if item is None:
                        break
                taken.append(item)
                if item[1] is None:
                    break
                record.append(item[1])
                try:
                    cells = _strict_cells(record)
                except csv.Error:
                    break
                if cells is not None:
                    break
            if (
                cells is None
                or len(cells) != width
                or any(line is not None and _is_complete_row(line, width) for _, line, _ in taken)
            ):
                pending.extendleft(reversed(taken))
                yield (
                    number,
                    f"has an unbalanced quote: the quoted cell opened on this line does not close into a "
                    f"{width}-cell record within {MAX_RECORD_LINES} lines; reading goes on at line {number + 1}.",
                )
                continue
        elif not cells or (len(cells) == 1 and not cells[0].strip()):
            summary.blank_lines += 1
            continue
        if len(cells) != width:
            yield number, f"has {len(cells)} cells; the header has {width}."
        else:
            yield number, dict(zip(fieldnames, cells, strict=True))


def _is_complete_row(text: str, width: int) -> bool:
    try:
        cells = _strict_cells([text])
    except csv.Error:
        return False
    return cells is not None and len(cells) == width


def _rows_jsonl(stream: IO[bytes] | IO[str], summary: ImportSummary) -> Iterator[tuple[int, dict[str, Any] | str]]:
    for number, line, problem in _physical_lines(stream, summary):
        if line is None:
            yield number, problem
            continue
        if not line.strip():
            summary.blank_lines += 1
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, f"is not valid JSON ({exc.msg})."
            continue
        if not isinstance(row, dict):
            yield number, "is not a JSON object."
        elif "\\u" in line and not _encodable(row):
            yield number, "holds an unpaired surrogate escape (\\ud800 to \\udfff), which is not a character."
        else:
            yield number, row


def _encodable(row: dict[str, Any]) -> bool:
    try:
        json.dumps(row, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        return False
    return True


UPDATED_FIELDS = ("url", "title", "description", "price", "currency", "seller_id")


def _write_batch(batch: list[tuple[int, dict[str, Any]]], summary: ImportSummary) -> None:
    # Last row wins within a batch: one upsert statement may not touch the same key twice.
    by_key: dict[tuple[int, str], dict[str, Any]] = {}
    for _, row in batch:
        by_key[(row["site"].pk, row["ref"].external_id)] = row
    sellers: dict[tuple[int, str], str] = {}
    for row in by_key.values():
        key = (row["site"].pk, row["member_id"])
        sellers[key] = row["store_name"] or sellers.get(key) or ""
    now = timezone.now()
    with transaction.atomic():
        seller_ids = _existing_keys(Seller, "member_id", sellers)
        new_sellers = [
            Seller(site_id=s, member_id=m, store_name=n or m)
            for (s, m), n in sellers.items()
            if (s, m) not in seller_ids
        ]
        if new_sellers:
            Seller.objects.bulk_create(new_sellers, ignore_conflicts=True)
            summary.sellers_created += len(new_sellers)
            seller_ids = _existing_keys(Seller, "member_id", sellers)
        existing = _existing_listings(by_key)
        objs = []
        for (site_id, external_id), row in by_key.items():
            listing = Listing(
                site_id=site_id, external_id=external_id, url=canonical_listing_url(row["ref"]), title=row["title"],
                description=row["description"], price=row["price"], currency=row["currency"],
                seller_id=seller_ids[(site_id, row["member_id"])], status=row["status"], created_at=now, updated_at=now,
            )  # fmt: skip
            current = existing.get((site_id, external_id))
            if current is not None and current == tuple(getattr(listing, f) for f in UPDATED_FIELDS):
                summary.unchanged += 1  # an identical row is not rewritten: a re-run changes nothing
                continue
            if current is None:
                summary.created += 1
            else:
                summary.updated += 1
            objs.append(listing)
        if objs:
            Listing.objects.bulk_create(
                objs,
                update_conflicts=True,
                unique_fields=["site", "external_id"],
                update_fields=[*(f.removesuffix("_id") for f in UPDATED_FIELDS), "updated_at"],
            )
    # Rows superseded by a later row for the same listing in this batch count as updates of it.
    summary.updated += len(batch) - len(by_key)
    # With DEBUG on (the embedded default) Django keeps the SQL of the last 9,000 queries, each bulk INSERT a
    # megabyte of text: a long import must not accumulate it.
    if settings.DEBUG:
        reset_queries()


def _existing_listings(keys: Iterable[tuple[int, str]]) -> dict[tuple[int, str], tuple]:
    """{(site_id, external_id): (url, title, …)} for the listings that exist, one query per site."""
    per_site: dict[int, list[str]] = {}
    for site_id, external_id in keys:
        per_site.setdefault(site_id, []).append(external_id)
    found: dict[tuple[int, str], tuple] = {}
    for site_id, values in per_site.items():
        rows = Listing.objects.filter(site_id=site_id, external_id__in=values).values_list(
            "external_id", *UPDATED_FIELDS
        )
        found.update({(site_id, external_id): tuple(rest) for external_id, *rest in rows})
    return found


def _existing_keys(model: type[Seller], field_name: str, keys: Iterable[tuple[int, str]]) -> dict[tuple[int, str], int]:
    """{(site_id, key): pk} for the keys that exist, one query per site present in the batch."""
    per_site: dict[int, list[str]] = {}
    for site_id, key in keys:
        per_site.setdefault(site_id, []).append(key)
    found: dict[tuple[int, str], int] = {}
    for site_id, values in per_site.items():
        rows = model.objects.filter(site_id=site_id, **{f"{field_name}__in": values}).values_list(field_name, "pk")
        found.update({(site_id, key): pk for key, pk in rows})
    return found


def import_listings(
    stream: IO[bytes] | IO[str], *, fmt: str, actor: "User | None" = None, batch_size: int = BATCH_SIZE
) -> ImportSummary:
    """Upsert every good row of a CSV or JSON Lines catalogue; report bad lines by number.

    ``stream`` is best binary (``open_catalogue``): each line is then decoded on its own, and an invalid byte costs
    only its line. A text stream works too, but its decoder fails on the first bad byte.
    """
    if fmt not in ("csv", "jsonl"):
        raise ValueError("fmt must be 'csv' or 'jsonl'")
    sites = {site.code: site for site in Site.objects.all()}
    summary = ImportSummary()
    rows = _rows_csv(stream, summary) if fmt == "csv" else _rows_jsonl(stream, summary)
    batch: list[tuple[int, dict[str, Any]]] = []
    try:
        for number, raw in rows:
            summary.rows += 1
            if isinstance(raw, str):
                summary.add_error(number, raw)
                continue
            try:
                batch.append((number, _clean_row(raw, sites)))
            except RowError as exc:
                summary.add_error(number, str(exc))
                continue
            if len(batch) >= batch_size:
                _write_batch(batch, summary)
                batch = []
    except RowError as exc:  # a bad header: nothing can be read
        summary.add_error(1, str(exc))
    except UnicodeDecodeError as exc:  # from a text stream's decoder: the line it was reading is unknown
        summary.add_error(summary.lines + 1, f"cannot be decoded ({exc}); the rest of the file was skipped.")
    if batch:
        _write_batch(batch, summary)
    with transaction.atomic():
        record(
            actor=actor,
            verb=Verb.LISTINGS_IMPORTED,
            data={
                "lines": summary.lines,
                "rows": summary.rows,
                "created": summary.created,
                "updated": summary.updated,
                "unchanged": summary.unchanged,
                "failed": summary.failed,
                "sellers_created": summary.sellers_created,
            },
        )
    return summary


def open_catalogue(path: str) -> IO[bytes]:
    """Open a catalogue file for ``import_listings``: binary, so that each line is decoded on its own (a UTF-8 BOM,
    as spreadsheets write, is dropped there)."""
    return open(path, "rb")


def guess_format(path: str) -> str:
    lower = path.lower()
    if lower.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    return "csv"
