"""Reads about litigation holds (policy §3): which active holds cover which listings, for the guards, the sweep and
the pages that show them. Each function is one query."""

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from listings.models import Listing

from ..models import ClaimItem, LitigationHold


def active_holds() -> QuerySet[LitigationHold]:
    return LitigationHold.objects.filter(lifted_at__isnull=True)


def holds_covering(listing_ids: Iterable[int]) -> list[LitigationHold]:
    """The active holds that cover any of these listings: on the listing, on its store, or on a claim naming it;
    oldest first."""
    ids = list(listing_ids)
    if not ids:
        return []
    return list(
        active_holds()
        .filter(
            Q(listing_id__in=ids)
            | Q(seller_id__in=Listing.objects.filter(pk__in=ids).values("seller_id"))
            | Q(claim_id__in=ClaimItem.objects.filter(listing_id__in=ids).values("claim_id"))
        )
        .select_related("seller", "listing", "claim")
        .order_by("placed_at", "id")
    )


def held_listing_ids(listing_ids: Iterable[int]) -> set[int]:
    """Which of these listings an active hold covers."""
    ids = list(listing_ids)
    if not ids:
        return set()
    active = active_holds()
    return set(
        Listing.objects.filter(pk__in=ids)
        .filter(
            Q(pk__in=active.filter(listing__isnull=False).values("listing_id"))
            | Q(seller_id__in=active.filter(seller__isnull=False).values("seller_id"))
            | Q(
                pk__in=ClaimItem.objects.filter(
                    claim_id__in=active.filter(claim__isnull=False).values("claim_id")
                ).values("listing_id")
            )
        )
        .values_list("pk", flat=True)
    )


def holds_for_seller(seller_id: int) -> list[LitigationHold]:
    """Active holds on the store itself, on one of its listings, or on a claim naming one of them (staff pages)."""
    return list(
        active_holds()
        .filter(
            Q(seller_id=seller_id)
            | Q(listing__seller_id=seller_id)
            | Q(claim_id__in=ClaimItem.objects.filter(seller_id=seller_id).values("claim_id"))
        )
        .select_related("seller", "listing", "claim")
        .order_by("placed_at", "id")
    )


def holds_for_claim(claim_id: int) -> list[LitigationHold]:
    """Active holds on the claim, or covering a listing it names (through the listing or its store)."""
    items = ClaimItem.objects.filter(claim_id=claim_id)
    return list(
        active_holds()
        .filter(
            Q(claim_id=claim_id)
            | Q(listing_id__in=items.values("listing_id"))
            | Q(seller_id__in=items.values("seller_id"))
        )
        .select_related("seller", "listing", "claim")
        .order_by("placed_at", "id")
    )


def hold_notes(listing_ids: list[int]) -> dict[int, str]:
    """The neutral line a seller reads beside each held listing (the listing page's note provider)."""
    return dict.fromkeys(held_listing_ids(listing_ids), SELLER_LINE)


SELLER_LINE = (
    "A court case concerning these listings is pending; listings under it stay removed until the hold is lifted."
)
