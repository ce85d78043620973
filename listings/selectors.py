"""Reads of the catalogue with visibility rules: a seller sees their own stores and listings only."""

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from django.db.models import QuerySet

from .models import Listing, Seller, Site

if TYPE_CHECKING:
    from ipp_portal.accounts.models import User


# Lines a higher layer adds to the seller's listing page without this one importing it (docs/architecture.md): each
# provider takes listing ids and returns {listing id: a line the seller reads}. Complaints adds its litigation holds.
LISTING_NOTE_PROVIDERS: list[Callable[[list[int]], dict[int, str]]] = []


def listing_notes(listing_ids: Iterable[int]) -> dict[int, str]:
    """What the providers have to say about these listings (one query per provider)."""
    ids, notes = list(listing_ids), dict[int, str]()
    for provider in LISTING_NOTE_PROVIDERS if ids else ():
        for listing_id, note in provider(ids).items():
            notes[listing_id] = f"{notes[listing_id]} {note}" if listing_id in notes else note
    return notes


def site_list() -> QuerySet[Site]:
    return Site.objects.order_by("name")


def seller_list_for_user(user: "User") -> QuerySet[Seller]:
    return Seller.objects.filter(user=user).select_related("site").order_by("site__name", "store_name")


def listing_list_for_seller_user(
    user: "User", *, status: str | None = None, seller_id: int | None = None
) -> QuerySet[Listing]:
    qs = Listing.objects.filter(seller__user=user).select_related("site", "seller")
    if status:
        qs = qs.filter(status=status)
    if seller_id:
        qs = qs.filter(seller_id=seller_id)
    return qs.order_by("-created_at", "-id")


def listing_get_for_seller_user(user: "User", listing_id: int) -> Listing:
    """The seller's own listing; anyone else's raises DoesNotExist (a 404, not a 403: no existence leak)."""
    return Listing.objects.select_related("site", "seller", "seller__site").get(pk=listing_id, seller__user=user)
