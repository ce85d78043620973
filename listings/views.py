from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ipp_portal.errors import PortalError

from . import selectors, services
from .forms import ListingForm, StoreForm
from .models import Listing


@login_required
@require_GET
def listing_list(request):
    stores = list(selectors.seller_list_for_user(request.user))
    status = request.GET.get("status") or None
    if status not in dict(Listing.Status.choices):
        status = None
    listings = selectors.listing_list_for_seller_user(request.user, status=status)
    page = Paginator(listings, 25).get_page(request.GET.get("page"))
    rows: list[Any] = list(page)  # each row gets what other apps say about it (a plain attribute)
    notes = selectors.listing_notes(row.pk for row in rows)
    for row in rows:
        row.note = notes.get(row.pk, "")
    return render(
        request,
        "listings/listing_list.html",
        {
            "stores": stores,
            "page": page,
            "status": status,
            "statuses": Listing.Status.choices,
            "query": urlencode({"status": status}) if status else "",
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def store_create(request):
    form = StoreForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            seller = services.seller_open_store(
                user=request.user, site=form.cleaned_data["site"], store_name=form.cleaned_data["store_name"]
            )
        except PortalError as exc:
            form.add_error("site", exc.message)
        else:
            messages.success(request, f"Your store “{seller.store_name}” on {seller.site.name} is open.")
            return redirect("listings:listing-list")
    return render(request, "listings/store_form.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def listing_create(request):
    stores = list(selectors.seller_list_for_user(request.user))
    if not stores:
        messages.info(request, "Open a store first: listings belong to a store on one marketplace.")
        return redirect("listings:store-create")
    form = ListingForm(request.POST or None, user=request.user)
    refusals = {s.pk: s.posting_refusal() for s in stores}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            listing = services.listing_create(
                seller=data["seller"],
                actor=request.user,
                title=data["title"],
                description=data["description"],
                price=data["price"],
                currency=data["currency"],
            )
        except PortalError as exc:
            form.add_error("seller", exc.message)
        else:
            messages.success(request, f"“{listing.title}” is live at {listing.url}.")
            return redirect("listings:listing-list")
    blocked = [r for r in refusals.values() if r]
    all_blocked = len(blocked) == len(stores)
    return render(
        request,
        "listings/listing_form.html",
        {"form": form, "refusals": blocked, "all_blocked": all_blocked, "editing": False},
        status=403 if all_blocked and request.method == "GET" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def listing_edit(request, pk: int):
    try:
        listing = selectors.listing_get_for_seller_user(request.user, pk)
    except Listing.DoesNotExist as exc:
        raise Http404 from exc
    initial = {
        "title": listing.title,
        "description": listing.description,
        "price": listing.price,
        "currency": listing.currency,
    }
    form = ListingForm(request.POST or None, initial=initial, user=request.user, editing=True)
    refusal = listing.seller.posting_refusal()
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.listing_update(
                listing_id=listing.pk,
                actor=request.user,
                title=data["title"],
                description=data["description"],
                price=data["price"],
                currency=data["currency"],
            )
        except PortalError as exc:
            form.add_error(None, exc.message)
        except Listing.DoesNotExist as exc:
            raise Http404 from exc
        else:
            messages.success(request, "Your changes are saved.")
            return redirect("listings:listing-list")
    return render(
        request,
        "listings/listing_form.html",
        {
            "form": form,
            "listing": listing,
            "refusals": [refusal] if refusal else [],
            "all_blocked": bool(refusal),
            "editing": True,
        },
    )


@login_required
@require_POST
def listing_delist(request, pk: int):
    try:
        listing = services.listing_delist(listing_id=pk, actor=request.user)
    except Listing.DoesNotExist as exc:
        raise Http404 from exc
    except PortalError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"“{listing.title}” is no longer on sale.")
    return redirect("listings:listing-list")


@require_GET
def home(request):
    """The portal's front page: what the person can do, with their stores if they sell."""
    stores = list(selectors.seller_list_for_user(request.user)) if request.user.is_authenticated else []
    return render(request, "home.html", {"stores": stores})
