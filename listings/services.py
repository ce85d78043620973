"""Every write to the catalogue made by people: opening a store, posting, editing and delisting listings."""

import secrets
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone

from ipp_portal.audit.services import record
from ipp_portal.audit.verbs import Verb
from ipp_portal.errors import NotPermitted, PortalError
from ipp_portal.transitions import transition_many

from .links import ListingRef, canonical_listing_url
from .marketplaces import REGISTRY
from .models import Listing, ListingSnapshot, Seller, Site

if TYPE_CHECKING:
    from ipp_portal.accounts.models import User

DEFAULT_EXTERNAL_ID_RANGE = (100_000_000_000, 999_999_999_999)

# Checks a higher layer adds without this one importing it (docs/architecture.md): each is called with the locked
# listings about to come back on sale and raises a PortalError to refuse. The complaints app registers its
# litigation holds (policy §3) here.
REINSTATEMENT_GUARDS: list[Callable[[list["Listing"]], None]] = []


class PostingRefused(NotPermitted):
    code = "posting_refused"


class StoreExists(PortalError):
    code = "store_exists"


def _new_external_id(site: Site) -> str:
    # Each marketplace's range looks like its real listing ids, so a posted listing's URL is one the parser accepts.
    marketplace = REGISTRY.get(site.code)
    low, high = marketplace.external_id_range if marketplace else DEFAULT_EXTERNAL_ID_RANGE
    return str(low + secrets.randbelow(high - low + 1))


def _member_id() -> str:
    return f"m{secrets.randbelow(10**12):012d}"


@transaction.atomic
def seller_open_store(*, user: "User", site: Site, store_name: str) -> Seller:
    """Open a store for ``user`` on ``site`` (one per person and site)."""
    if Seller.objects.filter(user=user, site=site).exists():
        raise StoreExists(f"You already have a store on {site.name}.")
    seller = Seller.objects.create(user=user, site=site, store_name=store_name.strip(), member_id=_member_id())
    record(actor=user, verb=Verb.SELLER_STORE_OPENED, target=seller, after=seller.standing)
    return seller


def lock_sellers_and_listings(*, seller_ids: Iterable[int] = (), listing_ids: Iterable[int] = ()) -> list[Listing]:
    """Lock the given sellers and the sellers of the given listings, then the listings: each kind in one query
    ordered by id. Returns the listings (ordered by id, seller joined).

    This is the start of the global lock order — sellers, then listings, then claim items, each by id — that every
    batch touching several of these rows follows, after the one record it decides (a claim, a counter-notice).
    Two batches sharing sellers then queue on the first seller they share instead of deadlocking; rows a
    transaction already holds are locked again at no cost, so the ledger may lock each seller as it goes."""
    seller_ids, listing_ids = set(seller_ids), set(listing_ids)
    sellers = Seller.objects.filter(pk__in=seller_ids)
    if listing_ids:
        sellers |= Seller.objects.filter(pk__in=Listing.objects.filter(pk__in=listing_ids).values("seller_id"))
    if seller_ids or listing_ids:
        list(sellers.select_for_update().order_by("pk").values_list("pk", flat=True))
    if not listing_ids:
        return []
    return list(
        Listing.objects.select_for_update(of=("self",))
        .select_related("seller")
        .filter(pk__in=listing_ids)
        .order_by("pk")
    )


def _check_can_post(seller: Seller) -> None:
    refusal = seller.posting_refusal()
    if refusal:
        raise PostingRefused(refusal)


@transaction.atomic
def listing_create(
    *,
    seller: Seller,
    actor: "User",
    title: str,
    description: str = "",
    price: Decimal | None = None,
    currency: str = "USD",
) -> Listing:
    """Post a new live listing; refused while the store's standing forbids posting."""
    seller = Seller.objects.select_for_update(of=("self",)).select_related("site").get(pk=seller.pk)
    if seller.user_id != actor.pk:
        raise NotPermitted("You can post only in your own store.")
    _check_can_post(seller)
    now = timezone.now()
    for _ in range(5):
        external_id = _new_external_id(seller.site)
        try:
            with transaction.atomic():
                listing = Listing.objects.create(
                    site=seller.site,
                    external_id=external_id,
                    url=canonical_listing_url(ListingRef(seller.site.code, external_id)),
                    title=title.strip(),
                    description=description.strip(),
                    price=price,
                    currency=currency.upper(),
                    seller=seller,
                    created_at=now,
                    updated_at=now,
                )
            break
        except IntegrityError:  # an id collision: astronomically rare, but never a 500
            continue
    else:  # pragma: no cover
        raise PortalError("Could not allocate a listing id; please try again.")
    record(actor=actor, verb=Verb.LISTING_POSTED, target=listing, after=listing.status)
    return listing


def _lock_own_listing(listing_id: int, actor: "User") -> Listing:
    listing = (
        Listing.objects.select_for_update(of=("self",))
        .select_related("seller", "seller__site")
        .filter(pk=listing_id, seller__user=actor)
        .first()
    )
    if listing is None:
        raise Listing.DoesNotExist
    return listing


@transaction.atomic
def listing_update(
    *, listing_id: int, actor: "User", title: str, description: str, price: Decimal | None, currency: str
) -> Listing:
    """Edit the seller's own visible listing; refused while posting is restricted or the listing was removed."""
    listing = _lock_own_listing(listing_id, actor)
    _check_can_post(listing.seller)
    if not listing.is_editable:
        raise NotPermitted(f"This listing is {listing.get_status_display().lower()} and cannot be edited.")
    before = {"title": listing.title, "price": str(listing.price) if listing.price is not None else None}
    listing.title, listing.description = title.strip(), description.strip()
    listing.price, listing.currency = price, currency.upper()
    listing.updated_at = timezone.now()
    listing.save(update_fields=["title", "description", "price", "currency", "updated_at"])
    record(actor=actor, verb=Verb.LISTING_EDITED, target=listing, data={"before": before})
    return listing


@transaction.atomic
def listing_delist(*, listing_id: int, actor: "User") -> Listing:
    """The seller takes their own listing off sale (allowed whatever their standing)."""
    listing = _lock_own_listing(listing_id, actor)
    before = listing.status
    listing.move_to(Listing.Status.DELISTED)
    listing.updated_at = timezone.now()
    listing.save(update_fields=["status", "updated_at"])
    record(actor=actor, verb=Verb.LISTING_DELISTED, target=listing, before=before, after=listing.status)
    return listing


@transaction.atomic
def listings_remove_all_for_seller(*, seller: Seller, actor: "User | None", reason: str) -> int:
    """Take down every visible listing of a store (an enforcement action: "all listings removed", termination)."""
    lock_sellers_and_listings(seller_ids=[seller.pk])  # held already when enforcement calls: kept in order anyway
    visible = Listing.objects.select_for_update().filter(seller=seller, status__in=Listing.VISIBLE_STATUSES)
    ids = list(visible.order_by("pk").values_list("pk", flat=True))
    if ids:
        # Each listing comes down as a takedown does: a snapshot of what it showed and its own audit row.
        listings_take_down(listing_ids=ids, actor=actor, reason=reason)
        record(actor=actor, verb=Verb.LISTINGS_REMOVED_ALL, target=seller, data={"count": len(ids), "reason": reason})
    return len(ids)


def _snapshot_hash(fields: dict) -> str:
    import hashlib
    import json

    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()


@transaction.atomic
def listings_take_down(*, listing_ids: list[int], actor: "User | None", reason: str) -> dict[int, ListingSnapshot]:
    """Remove listings after an upheld claim, each with a snapshot of what it showed; returns {listing id: snapshot}.
    Batched: one lock query for their sellers and one for the listings (the global lock order), one snapshot insert,
    one status update, one insert of audit events."""
    now = timezone.now()
    listings = lock_sellers_and_listings(listing_ids=listing_ids)
    snapshots = []
    for listing in listings:
        listing.updated_at = now
        fields = {
            "url": listing.url, "title": listing.title, "description": listing.description, "price": listing.price,
            "currency": listing.currency, "seller_store_name": listing.seller.store_name,
            "seller_member_id": listing.seller.member_id,
        }  # fmt: skip
        snapshots.append(ListingSnapshot(listing=listing, taken_at=now, content_hash=_snapshot_hash(fields), **fields))
    transition_many(
        listings, Listing.Status.REMOVED, actor=actor, verb=Verb.LISTING_REMOVED, fields=["updated_at"],
        data={"reason": reason},
    )  # fmt: skip
    ListingSnapshot.objects.bulk_create(snapshots)
    return {snapshot.listing_id: snapshot for snapshot in snapshots}


@transaction.atomic
def listings_reinstate(*, listing_ids: list[int], actor: "User | None", reason: str) -> int:
    """Put removed listings back on sale (a successful counter-notice, a retraction, a staff decision)."""
    listings = [
        listing
        for listing in lock_sellers_and_listings(listing_ids=listing_ids)
        if listing.status == Listing.Status.REMOVED
    ]
    for guard in REINSTATEMENT_GUARDS:
        guard(listings)
    now = timezone.now()
    for listing in listings:
        listing.updated_at = now
    transition_many(
        listings, Listing.Status.REINSTATED, actor=actor, verb=Verb.LISTING_REINSTATED, fields=["updated_at"],
        data={"reason": reason},
    )  # fmt: skip
    return len(listings)
