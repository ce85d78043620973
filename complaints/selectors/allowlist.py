"""Reads of the rights holder's allow-list of authorised resellers: the entries of a right, the history for one
seller, the entries in force for the link check, and finding a store from what the rights holder knows of it."""

from collections.abc import Iterable
from datetime import date

from django.db.models import Q
from django.utils import timezone

from listings.links import ListingURLError, parse_listing_url
from listings.models import Listing, Seller, Site

from ..errors import Code, RuleBroken
from ..models import AuthorisedSeller, CounterNotice, IPRight


def day_label(day: date) -> str:
    """3 Mar 2026."""
    return f"{day.day} {day:%b %Y}"


def in_force_on(day: date) -> Q:
    """The entries in force on ``day`` (see ``AuthorisedSeller``), as a filter the database applies."""
    return (
        Q(authorised_from__lte=day)
        & (Q(authorised_until__isnull=True) | Q(authorised_until__gte=day))
        & (Q(ended_on__isnull=True) | Q(ended_on__gt=day))
    )


def authorised_seller_list_for_right(right: IPRight, today: date | None = None) -> list[AuthorisedSeller]:
    """Every entry of the right, current and ended, each with its ``state`` today (one query)."""
    today = today or timezone.localdate()
    entries = list(
        AuthorisedSeller.objects.filter(right=right)
        .select_related("seller__site", "ended_by_claim")
        .order_by("seller__store_name", "-authorised_from", "-id")
    )
    return _with_state(entries, today)


def _with_state(entries: list[AuthorisedSeller], today: date) -> list[AuthorisedSeller]:
    for entry in entries:
        entry.state = entry.state_on(today)  # type: ignore[attr-defined]
    return entries


def authorised_seller_get_for_user(user, right_id: int, entry_id: int) -> AuthorisedSeller:
    """An entry of one of the user's own rights; anyone else's raises DoesNotExist (a 404: no existence leak)."""
    return AuthorisedSeller.objects.select_related("seller__site", "right").get(
        pk=entry_id, right_id=right_id, right__registered_by__user=user
    )


def authorised_seller_history(right_id: int | None, seller_id: int) -> list[AuthorisedSeller]:
    """The rights holder's entries for one seller and right, current or ended, newest first (one query)."""
    if right_id is None:
        return []
    entries = list(
        AuthorisedSeller.objects.filter(right_id=right_id, seller_id=seller_id)
        .select_related("seller__site", "ended_by_claim")
        .order_by("-authorised_from", "-id")
    )
    return _with_state(entries, timezone.localdate())


def authorised_sellers_in_force(right: IPRight, seller_ids: Iterable[int], day: date) -> dict[int, AuthorisedSeller]:
    """For each of ``seller_ids`` authorised for ``right`` on ``day``, the entry that has run longest: one query
    whatever the number of sellers or entries."""
    found: dict[int, AuthorisedSeller] = {}
    entries = (
        AuthorisedSeller.objects.filter(in_force_on(day), right=right, seller_id__in=list(seller_ids))
        .only("id", "seller_id", "right_id", "authorised_from", "authorised_until", "ended_on")
        .order_by("authorised_from", "id")
    )
    for entry in entries:
        found.setdefault(entry.seller_id, entry)
    return found


def seller_find(site: Site, text: str) -> Seller:
    """The store the rights holder means: a link to one of its listings (on any site the portal knows), its member
    id on ``site``, or its exact store name there. Raises ``RuleBroken`` at the ``seller`` field otherwise."""
    text = text.strip()
    if not text:
        raise RuleBroken("Say which store: its member id, its name, or a link to one of its listings.",
                         code=Code.SELLER_NOT_FOUND, field="seller")  # fmt: skip
    try:
        ref = parse_listing_url(text)
    except ListingURLError:
        ref = None
    if ref is not None:
        listing = (
            Listing.objects.filter(site__code=ref.site_code, external_id=ref.external_id)
            .select_related("seller__site")
            .first()
        )
        if listing is None:
            raise RuleBroken(
                f"There is no listing {ref.external_id} on {ref.site_code}.com. Give the store's member id instead.",
                code=Code.SELLER_NOT_FOUND,
                field="seller",
            )
        return listing.seller
    seller = Seller.objects.select_related("site").filter(site=site, member_id=text).first()
    if seller is not None:
        return seller
    named = list(Seller.objects.select_related("site").filter(site=site, store_name__iexact=text)[:2])
    if len(named) == 1:
        return named[0]
    if named:
        raise RuleBroken(
            f"More than one store on {site.name} is called “{text}”. Give its member id, or a link to one of its "
            "listings.",
            code=Code.SELLER_AMBIGUOUS,
            field="seller",
        )
    raise RuleBroken(
        f"No store on {site.name} has the member id or name “{text}”. Check it, or paste a link to one of its "
        "listings.",
        code=Code.SELLER_NOT_FOUND,
        field="seller",
    )


def reseller_history(notice: CounterNotice) -> list[AuthorisedSeller] | None:
    """For a counter-notice that says the seller is an authorised reseller: the rights holder's own entries for
    that seller and the claim's right (current or ended; an empty list when there are none). None for any other
    reason, when the question does not arise."""
    if notice.reason != CounterNotice.Reason.AUTHORIZED_RESELLER:
        return None
    return authorised_seller_history(notice.claim.right_id, notice.seller_id)
