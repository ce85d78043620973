"""Turn a pasted marketplace address into a stable listing reference.

Pure standard library (no Django) so it can run in workers, scripts and benchmarks alike.

``parse_listing_url(text)`` returns a ``ListingRef(site_code, external_id)`` or raises
``ListingURLError`` whose ``.code`` is a short machine code and whose message tells a person what is
wrong and what to paste instead. ``canonical_listing_url(ref)`` gives the one address we store per listing.

Accepted forms: http or https, any letter case in the host, a trailing dot or the default port on the host,
surrounding whitespace, no scheme at all or ``//host/...``, tracking query strings and fragments; the path shapes
of each marketplace are in its module under ``listings/marketplaces/`` (one module per marketplace, in a registry).

Everything else is rejected with a specific code; see ``ERROR_CODES``. Any subdomain of a marketplace domain is
trusted, because the marketplace operator controls the whole registrable domain and new language and mobile hosts
keep appearing (hz.aliexpress.com, m.es.aliexpress.com, ...); what decides whether an address is a listing is its
path.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from types import MappingProxyType
from urllib.parse import urlsplit

from .marketplaces import REGISTRY, Marketplace, Refuse

__all__ = [
    "ERROR_CODES",
    "LISTING_SUBDOMAINS",
    "MAX_ID_DIGITS",
    "MAX_INPUT_LENGTH",
    "MIN_ID_DIGITS",
    "SITE_CODES",
    "SITE_HOSTS",
    "ListingRef",
    "ListingURLError",
    "canonical_listing_url",
    "is_valid_external_id",
    "parse_listing_url",
]

# Snapshots of the registry as imported (the built-in marketplaces); parsing reads the registry itself, so a
# marketplace registered later (a test's fake third site) is parsed too.
SITE_CODES: tuple[str, ...] = tuple(REGISTRY)
SITE_HOSTS: MappingProxyType[str, tuple[str, ...]] = MappingProxyType({m.code: m.domains for m in REGISTRY.values()})
LISTING_SUBDOMAINS: MappingProxyType[str, tuple[str, ...]] = MappingProxyType(
    {m.code: m.listing_subdomains for m in REGISTRY.values()}
)

MAX_INPUT_LENGTH = 2048
# Real ids run from 8 digits (pre-2014 Alibaba pages, e.g. 11472106) to 16 (AliExpress 1005... and the
# aliexpress.us 3256... ids); 20 digits is the largest unsigned 64-bit number, so longer is not an id.
MIN_ID_DIGITS = 6
MAX_ID_DIGITS = 20

# fmt: off
ERROR_CODES: frozenset[str] = frozenset({
    "empty", "too_long", "malformed", "not_http", "not_marketplace_host", "lookalike_host", "userinfo",
    "storefront", "search_page", "category_page", "short_link", "not_a_listing", "bad_id",
})
# fmt: on


@dataclass(frozen=True, slots=True)
class ListingRef:
    """One listing: ``site_code`` is a key of ``SITE_HOSTS``, ``external_id`` the marketplace's own id."""

    site_code: str
    external_id: str


class ListingURLError(ValueError):
    """Not a usable listing address. ``code`` is a stable machine code; the message is for people."""

    def __init__(self, code: str, message: str, site_code: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.site_code = site_code

    def __str__(self) -> str:
        return self.message

    def __reduce__(self):
        # The default exception pickling replays only self.args (the message) into __init__.
        return (type(self), (self.code, self.message, self.site_code))


def is_valid_external_id(external_id: str) -> bool:
    """Whether ``external_id`` is an id the parser would accept: 6-20 ASCII digits, no leading zero."""
    # isdigit() alone accepts Arabic-Indic, fullwidth and superscript digits; isascii() rules them out.
    # A leading zero never occurs in real ids and would let one listing be stored under two ids.
    return (
        MIN_ID_DIGITS <= len(external_id) <= MAX_ID_DIGITS
        and external_id.isascii()
        and external_id.isdigit()
        and external_id[0] != "0"
    )


def canonical_listing_url(ref: ListingRef) -> str:
    """The one address stored per listing; ``parse_listing_url`` maps it back to ``ref``.

    Raises ValueError only when no safe address can be built (unknown site, id not made of ASCII digits);
    the stricter length and leading-zero policy is the parser's, see ``is_valid_external_id``.
    """
    marketplace = REGISTRY.get(ref.site_code)
    if marketplace is None:
        raise ValueError(f"unknown site code {ref.site_code!r}; expected one of {', '.join(REGISTRY)}")
    template = marketplace.canonical_template
    external_id = ref.external_id
    if not (isinstance(external_id, str) and external_id.isascii() and external_id.isdigit()):
        raise ValueError(f"listing id must be ASCII digits, got {external_id!r}")
    return template.format(external_id)


# ---------------------------------------------------------------------------------------------------
# Messages

# {paste} expands to "paste the address from the browser bar, which looks like <example for the site>".
_MESSAGES = {
    "empty": "Nothing was entered. Open the product listing and {paste}.",
    "too_long": (
        "This text is too long to be a product address ({length} characters; the limit is {limit}). "
        "Paste only the address of one product listing, which looks like {example}."
    ),
    "malformed": (
        "This is not a single, complete web address ({detail}). Open the product listing and copy "
        "only its address from the browser bar, which looks like {example}."
    ),
    "not_http": (
        "Only web addresses starting with https:// can be used (this one starts with '{scheme}:'). "
        "Open the product listing in your browser and {paste}."
    ),
    "not_marketplace_host": (
        "This address is on {host}, not on {marketplaces}; only listings on those marketplaces can be "
        "reported here. Open the product on the marketplace and {paste}."
    ),
    "lookalike_host": (
        "This address is on {host}, which is not {marketplaces} even though the name looks similar. Only "
        "listings on the real marketplaces can be reported here. Open the product on the marketplace and {paste}."
    ),
    "userinfo": (
        "This address contains a name and '@' before the site, so it really leads to {host}, not to "
        "the marketplace. Open the product listing yourself and {paste}."
    ),
    "storefront": ("This is a store front page, not a product listing. Open the product itself and {paste}."),
    "search_page": (
        "This is a search results page, not a product listing. Open the product from the results and {paste}."
    ),
    "category_page": (
        "This is a category page, not a product listing. Open the product from the category and {paste}."
    ),
    "short_link": (
        "This is a shortened, sharing or promotion link, which cannot be checked without opening it. "
        "Open it in your browser, wait for the product page to load, and then {paste}."
    ),
    "not_a_listing": ("This page on {host} is not a product listing. Open the product itself and {paste}."),
    "bad_id": (
        "This looks like a product address, but the product number in it is missing or invalid (it "
        "must be {min_digits} to {max_digits} digits 0-9). Copy the address again from the browser bar "
        "of the product page; it looks like {example}."
    ),
}


def _shorten(value: str, limit: int = 80) -> str:
    return value if len(value) <= limit else value[: limit - 3] + "..."


def _error(code: str, site_code: str | None = None, **details: object) -> ListingURLError:
    index = _index()
    site = REGISTRY.get(site_code) if site_code is not None else None
    example = site.example_url if site is not None else index.any_example
    fields = {key: _shorten(str(value)) for key, value in details.items()}
    message = _MESSAGES[code].format(
        example=example,
        marketplaces=index.labels,
        paste=f"paste the address from the browser bar, which looks like {example}",
        limit=MAX_INPUT_LENGTH,
        min_digits=MIN_ID_DIGITS,
        max_digits=MAX_ID_DIGITS,
        **fields,
    )
    return ListingURLError(code, message, site_code)


# ---------------------------------------------------------------------------------------------------
# Hosts


@dataclass(frozen=True)
class _Index:
    """What parsing needs from the registry, built once per set of registered marketplaces."""

    domain_site: dict[str, str]
    foreign_shorteners: dict[str, str]  # third-party hosts that only ever redirect to one marketplace
    stems: tuple[str, ...]
    brands: tuple[str, ...]
    labels: str  # "alibaba.com or aliexpress.com"
    any_example: str


_index_cache: tuple[tuple[int, ...], _Index] | None = None


def _index() -> _Index:
    global _index_cache
    key = tuple(map(id, REGISTRY.values()))
    if _index_cache is None or _index_cache[0] != key:
        sites: list[Marketplace] = list(REGISTRY.values())
        _index_cache = (
            key,
            _Index(
                domain_site={domain: m.code for m in sites for domain in m.domains},
                foreign_shorteners={host: m.code for m in sites for host in m.foreign_shorteners},
                stems=tuple(stem for m in sites for stem in m.lookalike_stems),
                brands=tuple(m.brand for m in sites if m.brand),
                labels=" or ".join(m.label for m in sites),
                any_example=" or ".join(m.example_url for m in reversed(sites)),
            ),
        )
    return _index_cache[1]


_HOST_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+")
_DEFAULT_PORTS = {"http": 80, "https": 443}

# Characters people (and phishers) substitute for letters of the marketplace names: digits and symbols,
# Cyrillic a ie o er es ha i palochka dze, Latin alpha and dotless i, Greek alpha omicron epsilon iota rho.
_CONFUSABLES = str.maketrans(
    "01345|!\u0430\u0435\u043e\u0440\u0441\u0445\u0456\u04cf\u0455\u0251\u0131\u03b1\u03bf\u03b5\u03b9\u03c1",
    "oleasliaeopcxilsaiaoeip",
)
_NOT_LETTERS = re.compile(r"[^a-z]+")


def _within_one_edit(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1 :] == b[i + 1 :] or a[i:] == b[i:]
    return a[i:] == b[i + 1 :]


def _decode_punycode(host: str) -> str | None:
    labels = host.split(".")
    for index, label in enumerate(labels):
        if label.startswith("xn--"):
            try:
                labels[index] = label.encode("ascii").decode("idna")
            except (UnicodeError, ValueError):
                return None
    return ".".join(labels)


def _resembles_marketplace(host: str) -> bool:
    if "xn--" in host:
        decoded = _decode_punycode(host)
        if decoded is None:
            return True  # a label posing as punycode that does not decode is a trick in itself
        host = decoded
    skeleton = unicodedata.normalize("NFKD", host.lower())
    skeleton = "".join(ch for ch in skeleton if not unicodedata.combining(ch)).translate(_CONFUSABLES)
    # Joining the letters catches ali-baba.com and alibaba.com.evil.example; a stem like "aliexpres" catches the
    # dropped-s typo domains; one edit away catches alibabba.com and alibab.com.
    index = _index()
    letters = _NOT_LETTERS.sub("", skeleton)
    if any(stem in letters for stem in index.stems):
        return True
    return any(_within_one_edit(label, brand) for label in _NOT_LETTERS.split(skeleton) for brand in index.brands)


def _host_error(host: str) -> ListingURLError:
    shown = host or "(no site name)"
    if not host.isascii():
        # Shown as-is, a homoglyph host reads exactly like the real one; the xn-- form makes it visible.
        try:
            shown = host.encode("idna").decode("ascii")
        except UnicodeError:
            shown = host.encode("ascii", "backslashreplace").decode("ascii")
    if host and _resembles_marketplace(host):
        return _error("lookalike_host", host=shown)
    return _error("not_marketplace_host", host=shown)


# ---------------------------------------------------------------------------------------------------
# Paths: each marketplace's module parses its own (listings/marketplaces/).


def _id_ref(site: str, match: re.Match[str] | None) -> ListingRef:
    if match is None or not is_valid_external_id(match.group(1)):
        raise _error("bad_id", site)
    return ListingRef(site, match.group(1))


# ---------------------------------------------------------------------------------------------------
# Entry point

# Whitespace inside the text means several words or a wrapped line; backslashes are read as "/" by
# browsers but not by urlsplit, which is the classic way to make the two disagree about the host.
_BAD_CHARS_RE = re.compile(r"[\s\\\x00-\x1f\x7f]")
_SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")


def parse_listing_url(text: str) -> ListingRef:
    """Parse a pasted listing address into a ``ListingRef``; raise ``ListingURLError`` if it is not one."""
    if not isinstance(text, str):
        raise TypeError(f"expected str, got {type(text).__name__}")
    text = text.strip()
    if not text:
        raise _error("empty")
    if len(text) > MAX_INPUT_LENGTH:
        raise _error("too_long", length=len(text))
    bad = _BAD_CHARS_RE.search(text)
    if bad is not None:
        what = "a backslash" if bad.group() == "\\" else "spaces, line breaks or control characters"
        raise _error("malformed", detail=f"it contains {what}")

    scheme_match = _SCHEME_RE.match(text)
    # "www.alibaba.com:443/..." also matches the scheme pattern; real schemes we care about have no dot.
    if scheme_match is not None and "." not in scheme_match.group(1):
        scheme = scheme_match.group(1).lower()
        if scheme not in _DEFAULT_PORTS:
            raise _error("not_http", scheme=scheme)
    elif text.startswith("//"):
        text = "https:" + text
        scheme = "https"
    else:
        text = "https://" + text
        scheme = "https"

    try:
        parts = urlsplit(text)
        netloc = parts.netloc
        # .port re-parses the netloc; skipping it when there can be no port is a measurable saving.
        port = parts.port if ":" in netloc else None
    except ValueError:
        raise _error("malformed", detail="its site name or port cannot be read") from None
    if not netloc:
        raise _error("malformed", detail="the site name is missing")
    if "@" in netloc:
        raise _error("userinfo", host=parts.hostname or netloc.rpartition("@")[2])

    host = parts.hostname or ""
    if not host.isascii():
        # Browsers map fullwidth letters and ideographic full stops to ASCII before resolving (IDNA);
        # only when that leaves real non-ASCII letters (xn--) is the host a different one.
        try:
            mapped = host.encode("idna").decode("ascii")
        except UnicodeError:
            mapped = ""
        if mapped and "xn--" not in mapped:
            host = mapped
    if host.endswith("."):
        host = host[:-1]
    if not _HOST_RE.fullmatch(host) or "xn--" in host:
        raise _host_error(host)
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        raise _error("malformed", detail=f"it names port {port}, which the marketplaces never use")

    # All marketplace domains have exactly two labels, so the registrable domain is the last two.
    dot = host.rfind(".", 0, host.rfind("."))
    domain = host[dot + 1 :]
    subdomain = host[:dot] if dot >= 0 else ""
    index = _index()
    site = index.domain_site.get(domain)
    if site is None:
        shortener_site = index.foreign_shorteners.get(host)
        if shortener_site is not None:
            raise _error("short_link", shortener_site)
        raise _host_error(host)
    marketplace = REGISTRY[site]
    if subdomain in marketplace.short_link_subdomains:
        raise _error("short_link", site)

    path = parts.path
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    try:
        match = marketplace.parse_path(subdomain, path, parts.query, host)
    except Refuse as refusal:
        raise _error(refusal.code, site, **refusal.details) from None
    return _id_ref(site, match)
