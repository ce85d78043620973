"""The marketplaces the portal covers, one module each, in a registry.

A site is a ``Site`` row (its name and time zone, editable data) and a ``Marketplace`` here (its code: the hosts it
answers on, the shapes of its listing addresses, the canonical address, its listing-id range). Adding a marketplace
is one module in this package that calls ``register`` and one data migration adding its ``Site`` row and penalty
policy; ``manage.py check --database default`` fails while a ``Site`` row has no module.

Pure standard library, like ``listings.links``: no Django here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field


class Refuse(Exception):
    """Raised by a marketplace's path parser: not a listing, with one of ``listings.links.ERROR_CODES``."""

    def __init__(self, code: str, **details: object) -> None:
        super().__init__(code)
        self.code = code
        self.details = details


# parse_path(subdomain, path, query, host) -> the listing id's regex match (its group 1 is the id), or raises Refuse.
PathParser = Callable[[str, str, str, str], "re.Match[str] | None"]


@dataclass(frozen=True)
class Marketplace:
    code: str  # the Site row's code
    label: str  # how messages name it: "alibaba.com"
    domains: tuple[str, ...]  # registrable domains; any subdomain of them is the marketplace's own
    canonical_template: str  # "https://www.alibaba.com/product-detail/_{}.html"
    example_url: str  # what a listing address looks like, shown in error messages
    parse_path: PathParser
    external_id_range: tuple[int, int]  # where ids of listings posted through the portal are drawn from
    listing_subdomains: tuple[str, ...] = ("", "www", "m")  # documentation and test data: parsing accepts any
    short_link_subdomains: frozenset[str] = field(default_factory=frozenset)
    foreign_shorteners: tuple[str, ...] = ()  # other people's hosts that only ever redirect here
    lookalike_stems: tuple[str, ...] = ()  # letter runs that betray an imitation host (typo domains included)
    brand: str = ""  # the name imitation hosts stay one edit away from


REGISTRY: dict[str, Marketplace] = {}


def register(marketplace: Marketplace) -> Marketplace:
    REGISTRY[marketplace.code] = marketplace
    return marketplace


def unregister(code: str) -> None:
    REGISTRY.pop(code, None)


def marketplace(code: str) -> Marketplace:
    return REGISTRY[code]


# The marketplaces the policy covers (docs/ipr-policy.md §1), registered on import.
from . import alibaba, aliexpress  # noqa: E402, F401
