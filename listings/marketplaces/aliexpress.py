"""aliexpress.com (www, bare, m., m.es. and language hosts), and its country sites aliexpress.us and aliexpress.ru,
which use the same paths.

    /item/1005001234567890.html                     current form (the ``.html`` may be missing)
    /item/Some-Title-Slug/32812345678.html          legacy slug form
    /i/1005001234567890.html, /s/item/32812345678.html   short and old mobile forms
    /store/product/Some-Slug/1234_32812345678.html  legacy store product page (id after the underscore)
"""

from __future__ import annotations

import re

from . import Marketplace, Refuse, register

_ITEM_RE = re.compile(r"(?:[^/]*/)?([0-9]+)(?:\.html?)?", re.IGNORECASE)
_I_RE = re.compile(r"([0-9]+)(?:\.html?)?", re.IGNORECASE)
_STORE_PRODUCT_RE = re.compile(r"(?:[^/]*/)?[0-9]+_([0-9]+)\.html?", re.IGNORECASE)
_SECTIONS = {
    "store": "storefront",
    "wholesale": "search_page",
    "w": "search_page",
    "af": "search_page",
    "premium": "search_page",
    "popular": "search_page",
    "category": "category_page",
    "e": "short_link",
}


def parse_path(subdomain: str, path: str, query: str, host: str) -> re.Match[str] | None:
    first, _, rest = path[1:].partition("/")
    first = first.lower()
    if first == "item":
        return _ITEM_RE.fullmatch(rest)
    if first == "i":
        return _I_RE.fullmatch(rest)
    if first == "s" and rest[:5].lower() == "item/":
        return _I_RE.fullmatch(rest[5:])
    if first == "store" and rest[:8].lower() == "product/":
        return _STORE_PRODUCT_RE.fullmatch(rest[8:])
    code = _SECTIONS.get(first)
    if code is None and first.startswith("wholesale"):
        code = "search_page"  # /wholesale-phone-case.html, the pre-2020 search form
    if code is not None:
        raise Refuse(code)
    raise Refuse("not_a_listing", host=host)


ALIEXPRESS = register(
    Marketplace(
        code="aliexpress",
        label="aliexpress.com",
        domains=("aliexpress.com", "aliexpress.us", "aliexpress.ru"),
        canonical_template="https://www.aliexpress.com/item/{}.html",
        example_url="https://www.aliexpress.com/item/1005001234567890.html",
        parse_path=parse_path,
        # 16-digit 1005… ids, like the site's current listings.
        external_id_range=(1_005_009_000_000_000, 1_005_009_999_999_999),
        listing_subdomains=(
            "",
            "www",
            "m",
            "ar",
            "de",
            "es",
            "fr",
            "he",
            "id",
            "it",
            "ja",
            "ko",
            "nl",
            "pl",
            "pt",
            "th",
            "tr",
            "vi",
            "m.es",
            "hz",
        ),
        # a. = app share links, (s.)click. = affiliate links, star. = share.htm?redirectUrl=... wrappers,
        # sale. = campaign pages that redirect per visitor.
        short_link_subdomains=frozenset({"a", "click", "s.click", "star", "sale"}),
        foreign_shorteners=("ali.ski",),
        # "aliexpres" also catches the dropped-s typo domains.
        lookalike_stems=("aliexpres",),
        brand="aliexpress",
    )
)
