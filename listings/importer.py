"""Bulk-loading a marketplace catalogue from CSV or JSON Lines.

Streaming: rows are read, validated and written in batches, so memory stays flat whatever the file size.
Idempotent: listings are upserted on (site, external id), sellers on (site, member id); running the same file twice
changes nothing. Bad rows are reported by number and skipped; the good rows around them are kept.

An import never changes an existing listing's status: takedowns and reinstatements belong to the review process,
and a catalogue feed must not undo them.
"""

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.conf import settings
from django.db import reset_queries, transaction
from django.utils import timezone

from ipp_portal.audit.services import record

from .links import ListingRef, ListingURLError, canonical_listing_url, is_valid_external_id, parse_listing_url
from .models import Listing, Seller, Site

BATCH_SIZE = 2000
MAX_REPORTED_ERRORS = 1000
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
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    sellers_created: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    def add_error(self, row_number: int, message: str) -> None:
        self.failed += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append((row_number, message))


class RowError(ValueError):
    pass


def _clean_row(raw: dict[str, Any], sites: dict[str, Site]) -> dict[str, Any]:
    def text(name: str, limit: int, *, required: bool = False) -> str:
        value = raw.get(name)
        value = "" if value is None else str(value).strip()
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


def _rows_csv(stream: IO[str]) -> Iterator[tuple[int, dict[str, Any] | str]]:
    reader = csv.DictReader(stream)
    missing = {"title", "seller_member_id"} - set(reader.fieldnames or ())
    if missing:
        raise RowError(f"The CSV header lacks column(s): {', '.join(sorted(missing))}.")
    # Row numbers count records with the header as row 1, as a spreadsheet shows them (a quoted cell may span
    # several physical lines, so the reader's line number would be wrong).
    for number, row in enumerate(reader, start=2):
        if None in row:
            yield number, "has more cells than the header."
        else:
            yield number, row


def _rows_jsonl(stream: IO[str]) -> Iterator[tuple[int, dict[str, Any] | str]]:
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, f"is not valid JSON ({exc.msg})."
            continue
        yield number, row if isinstance(row, dict) else "is not a JSON object."


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


def _existing_keys(model, field_name: str, keys: Iterable[tuple[int, str]]) -> dict[tuple[int, str], int]:
    """{(site_id, key): pk} for the keys that exist, one query per site present in the batch."""
    per_site: dict[int, list[str]] = {}
    for site_id, key in keys:
        per_site.setdefault(site_id, []).append(key)
    found: dict[tuple[int, str], int] = {}
    for site_id, values in per_site.items():
        rows = model.objects.filter(site_id=site_id, **{f"{field_name}__in": values}).values_list(field_name, "pk")
        found.update({(site_id, key): pk for key, pk in rows})
    return found


def import_listings(stream: IO[str], *, fmt: str, actor=None, batch_size: int = BATCH_SIZE) -> ImportSummary:
    """Upsert every good row of a CSV or JSON Lines catalogue; report bad rows by number."""
    if fmt not in ("csv", "jsonl"):
        raise ValueError("fmt must be 'csv' or 'jsonl'")
    sites = {site.code: site for site in Site.objects.all()}
    summary = ImportSummary()
    rows = _rows_csv(stream) if fmt == "csv" else _rows_jsonl(stream)
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
    except (csv.Error, UnicodeDecodeError) as exc:
        summary.add_error(summary.rows + 1, f"cannot be read ({exc}); the rest of the file was skipped.")
    if batch:
        _write_batch(batch, summary)
    with transaction.atomic():
        record(
            actor=actor,
            verb="listings.imported",
            data={
                "rows": summary.rows,
                "created": summary.created,
                "updated": summary.updated,
                "unchanged": summary.unchanged,
                "failed": summary.failed,
                "sellers_created": summary.sellers_created,
            },
        )
    return summary


def open_text(path: str) -> IO[str]:
    """Open a catalogue file as text; a UTF-8 BOM (as spreadsheets write) is dropped."""
    return io.open(path, encoding="utf-8-sig", newline="")  # noqa: UP020 - explicit about newline handling


def guess_format(path: str) -> str:
    lower = path.lower()
    if lower.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    return "csv"
