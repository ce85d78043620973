"""The pre-submit check: every pasted line, classified, with a reason a person can act on.

A fixed number of queries whatever the number of links: one for the listings, one for claims already open on them,
and (with the claim's right) one for the sellers the complainant declared authorised for it, whatever the size of
that list.
"""

import csv
import io
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ipp_portal.transactions import serial_plan
from listings.links import ListingRef, ListingURLError, parse_listing_url
from listings.models import Listing, Site

from .references import claim_reference

if TYPE_CHECKING:
    from .models import AuthorisedSeller, Complainant, IPRight

MAX_LINE_CHARS = 2048


class Result:
    OK = "ok"
    CONFLICT = "conflict"
    NOT_A_LINK = "not_a_link"
    WRONG_SITE = "wrong_site"
    DUPLICATE = "duplicate"
    UNKNOWN = "unknown_listing"
    NOT_LIVE = "not_live"
    ALREADY_REMOVED = "already_removed"
    OPEN_CLAIM = "open_claim"

    FILEABLE = frozenset({OK, CONFLICT})
    LABELS = {
        OK: "OK",
        CONFLICT: "OK — also claimed by another rights holder",
        NOT_A_LINK: "Not a listing link",
        WRONG_SITE: "Wrong marketplace",
        DUPLICATE: "Duplicate",
        UNKNOWN: "Listing not found",
        NOT_LIVE: "Not on sale",
        ALREADY_REMOVED: "Already removed",
        OPEN_CLAIM: "Already in your open claim",
    }


@dataclass
class LinkLine:
    number: int
    text: str
    result: str = Result.OK
    message: str = ""
    ref: ListingRef | None = None
    listing: Listing | None = None
    other_claim_id: int | None = None
    other_claim_reference: str = ""
    authorised_seller: "AuthorisedSeller | None" = None
    extra: dict = field(default_factory=dict)

    @property
    def authorisation_message(self) -> str:
        """The flag on a listing of a seller the complainant declared authorised for the claim's right."""
        if self.authorised_seller is None:
            return ""
        day = self.authorised_seller.authorised_from
        return (
            f"Authorised by you since {day.day} {day:%b %Y}. To file against it, confirm below that the "
            "authorisation has ended."
        )

    @property
    def filed_listing(self) -> Listing:
        """The listing of a fileable line: the check found it, so code filing the line relies on it."""
        if self.listing is None:
            raise ValueError(f"Line {self.number} names no listing: it cannot be filed.")
        return self.listing

    @property
    def filed_ref(self) -> ListingRef:
        """The parsed address of a fileable line: the check parsed it, so code filing the line relies on it."""
        if self.ref is None:
            raise ValueError(f"Line {self.number} is not a listing link: it cannot be filed.")
        return self.ref

    @property
    def is_fileable(self) -> bool:
        return self.result in Result.FILEABLE

    @property
    def label(self) -> str:
        return Result.LABELS[self.result]


def split_lines(text: str) -> list[tuple[int, str]]:
    """Non-blank lines with their line numbers (1-based), stripped; CR, CRLF and LF all end a line."""
    return [(n, line.strip()) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]


def links_from_file(data: bytes) -> str:
    """A .txt or .csv of links, as text with one link per line: a BOM, CRLF and quoted cells are handled; in a CSV
    the first cell of each row that looks like a web address is taken (so a header row or extra columns are fine)."""
    text = data.decode("utf-8-sig", errors="replace")
    rows = list(csv.reader(io.StringIO(text)))
    if any(len(row) > 1 for row in rows) or '"' in text:
        lines: list[str] = []
        for row in rows:
            cells = [cell.strip() for cell in row if cell.strip()]
            pick = next((c for c in cells if "." in c and "/" in c), cells[0] if cells else "")
            if pick and not (pick.lower() in ("url", "link", "links", "listing", "listing url") and not lines):
                lines.append(pick)
        return "\n".join(lines)
    return "\n".join(line for line in text.splitlines())


def check_links(
    lines: list[tuple[int, str]],
    *,
    site: Site,
    complainant: "Complainant",
    right: "IPRight | None" = None,
    exclude_claim_id: int | None = None,
) -> list[LinkLine]:
    """Classify each line for a claim on ``site`` by ``complainant`` (see ``Result``). With the claim's ``right``,
    a fileable line whose seller the complainant declared authorised for it today carries that entry
    (``authorised_seller``): it may be filed only with the sworn confirmation that the authorisation ended."""
    from django.utils import timezone

    from .models import Claim, ClaimItem
    from .selectors.allowlist import authorised_sellers_in_force

    checked: list[LinkLine] = []
    first_line_of: dict[str, int] = {}
    for number, text in lines:
        line = LinkLine(number=number, text=text[:MAX_LINE_CHARS])
        checked.append(line)
        try:
            ref = parse_listing_url(text)
        except ListingURLError as exc:
            line.result, line.message = Result.NOT_A_LINK, str(exc)
            continue
        line.ref = ref
        if ref.site_code != site.code:
            line.result = Result.WRONG_SITE
            line.message = (
                f"This is a listing on {ref.site_code}.com, and this claim is for {site.name}. "
                f"File a separate claim for {ref.site_code}.com."
            )
            continue
        if ref.external_id in first_line_of:
            line.result = Result.DUPLICATE
            line.message = f"The same listing as line {first_line_of[ref.external_id]}: it is counted once."
            continue
        first_line_of[ref.external_id] = number

    # A line still OK here was parsed, so it has its ref.
    wanted = {line.ref.external_id: line for line in checked if line.result == Result.OK and line.ref is not None}
    listings = {
        listing.external_id: listing
        for listing in Listing.objects.filter(site=site, external_id__in=list(wanted))
        .select_related("seller")
        .only("id", "external_id", "url", "title", "status", "seller_id", "seller__store_name")
    }
    for external_id, line in wanted.items():
        listing = listings.get(external_id)
        if listing is None:
            line.result = Result.UNKNOWN
            line.message = (
                f"There is no listing {external_id} on {site.name}. Check that the link opens a product page, "
                "and copy it again from the browser's address bar."
            )
        elif listing.status == Listing.Status.REMOVED:
            line.listing, line.result = listing, Result.ALREADY_REMOVED
            line.message = "This listing has already been removed; there is nothing more to take down."
        elif listing.status == Listing.Status.DELISTED:
            line.listing, line.result = listing, Result.NOT_LIVE
            line.message = "The seller has taken this listing off sale; there is nothing to take down."
        else:
            line.listing = listing

    live = {line.listing.pk: line for line in checked if line.result == Result.OK and line.listing is not None}
    if live:
        open_items = (
            ClaimItem.objects.filter(
                listing_id__in=list(live), status__in=ClaimItem.OPEN_STATUSES, claim__status__in=Claim.OPEN_STATUSES
            )
            # None (nothing to exclude) is an IS NULL test, which no item matches; django-stubs types exact lookups
            # on a foreign key without None, though Django documents None there as SQL NULL.
            .exclude(claim_id=exclude_claim_id)  # type: ignore[misc]
            .values_list("listing_id", "claim_id", "claim__complainant_id", "claim__submitted_at", "claim__created_at")
            .order_by("claim_id")
        )
        with serial_plan():  # a few index probes; a parallel plan's start-up would cost 50 times more
            open_rows = list(open_items)
        for listing_id, claim_id, complainant_id, submitted_at, created_at in open_rows:
            line = live[listing_id]
            if complainant_id == complainant.pk:
                year = (submitted_at or created_at).year
                line.result = Result.OPEN_CLAIM
                line.other_claim_id, line.other_claim_reference = claim_id, claim_reference(claim_id, year)
                line.message = f"Already in your open claim {line.other_claim_reference}."
            elif line.result == Result.OK:
                line.result = Result.CONFLICT
                line.message = (
                    "Another rights holder has an open claim on this listing. You may still file: staff see both "
                    "claims side by side (the platform does not decide between rights holders)."
                )
    for line in checked:
        if line.result == Result.OK and line.listing is not None:
            line.message = f"{line.listing.title} — sold by {line.listing.seller.store_name}"
    fileable = [line for line in checked if line.is_fileable and line.listing is not None]
    if right is not None and right.pk is not None and fileable:
        sellers = {line.filed_listing.seller_id for line in fileable}
        authorised = authorised_sellers_in_force(right, sellers, timezone.localdate())
        for line in fileable:
            line.authorised_seller = authorised.get(line.filed_listing.seller_id)
    return checked
