"""alibaba.com: www, bare, m. and language hosts, and product pages on suppliers' mini-sites.

/product-detail/Some-Slug-Title_1600123456789.html     slug, underscore, id (English pages)
/product-detail/some-slug-title-1600123456789.html     slug, hyphen, id (language pages)
/product-detail/_1600123456789.html, /product-detail/-1600123456789.html   empty slug
/p-detail/Slug-1600123456789.html                      language hosts' short form
/product/1600123456789.html, /product/60498710816/Slug.html                mobile site
/product-gs/264578718/Slug.html, /product-free/113502466/Slug.html     pre-2014 pages
/share/product-detail.html?productId=1601902641033&...  app "share" link (the id is in the query)
{company}.en.alibaba.com/product/1600431150057-820872629/Slug.html  product page on a supplier site
"""

from __future__ import annotations

import re

from . import Marketplace, Refuse, register

# Regexes run on the path after its first segment; ids are matched with [0-9], never \d, so that non-ASCII digits
# fall through to bad_id.
_DETAIL_RE = re.compile(r"(?:[^/]*[_-])?([0-9]+)\.html?", re.IGNORECASE)
_MOBILE_RE = re.compile(r"([0-9]+)(?:\.html?|/[^/]*)?", re.IGNORECASE)
_COMPANY_PRODUCT_RE = re.compile(r"([0-9]+)-[0-9]+(?:/[^/]*)?")
_PRODUCT_ID_QUERY_RE = re.compile(r"(?:^|&)productId=([^&]*)", re.IGNORECASE)
_SECTIONS = {
    "trade": "search_page",
    "showroom": "search_page",
    "products": "search_page",
    "wholesale": "search_page",
    "countrysearch": "search_page",
    "premium": "search_page",
    "catalog": "category_page",
    "category": "category_page",
    "company": "storefront",
    "store": "storefront",
    "x": "short_link",
}


def parse_path(subdomain: str, path: str, query: str, host: str) -> re.Match[str] | None:
    first, _, rest = path[1:].partition("/")
    first = first.lower()
    if subdomain.endswith(".en"):
        # Supplier mini-sites: everything there is the supplier's shop except its product pages, which carry the
        # same product id as the main site.
        if first == "product":
            return _COMPANY_PRODUCT_RE.fullmatch(rest)
        raise Refuse("storefront")
    if first in ("product-detail", "p-detail"):
        return _DETAIL_RE.fullmatch(rest)
    if first == "product":
        return _MOBILE_RE.fullmatch(rest)
    if first in ("product-gs", "product-free"):
        # Pre-2014 pages (gold-supplier and free-member listings): /<id>/Slug.html on www, slug-<id>.html on
        # language hosts; the ids are the same product ids that product-detail uses.
        return _MOBILE_RE.fullmatch(rest) or _DETAIL_RE.fullmatch(rest)
    if first == "share":
        if rest.lower() == "product-detail.html":
            match = _PRODUCT_ID_QUERY_RE.search(query)
            if match is not None:
                return match
        raise Refuse("short_link")
    code = _SECTIONS.get(first)
    if code is not None:
        raise Refuse(code)
    raise Refuse("not_a_listing", host=host)


ALIBABA = register(
    Marketplace(
        code="alibaba",
        label="alibaba.com",
        domains=("alibaba.com",),
        canonical_template="https://www.alibaba.com/product-detail/_{}.html",
        example_url="https://www.alibaba.com/product-detail/Wireless-Earbuds_1600123456789.html",
        parse_path=parse_path,
        # 13-digit 1601… ids, like the site's current listings, so a posted listing's URL parses back.
        external_id_range=(1_601_000_000_000, 1_601_999_999_999),
        listing_subdomains=(
            "",
            "www",
            "m",
            "spanish",
            "french",
            "german",
            "portuguese",
            "italian",
            "russian",
            "japanese",
            "korean",
            "arabic",
            "turkish",
            "vietnamese",
            "thai",
            "indonesian",
            "dutch",
            "hebrew",
            "hindi",
        ),
        short_link_subdomains=frozenset({"s"}),
        lookalike_stems=("alibaba",),
        brand="alibaba",
    )
)
