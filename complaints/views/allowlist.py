"""The rights holder's authorised resellers, under the right's page: the list, declaring a store, ending an entry
(asked first: the page shows what ending means, and only the POST ends it)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from ipp_portal.errors import PortalError

from .. import selectors, services
from ..forms import AuthorisedSellerEndForm, AuthorisedSellerForm
from ..models import AuthorisedSeller, IPRight


def _own_right(request, pk: int) -> IPRight:
    try:
        return selectors.ip_right_get_for_user(request.user, pk)
    except IPRight.DoesNotExist as exc:
        raise Http404 from exc


@login_required
@require_http_methods(["GET", "POST"])
def authorised_seller_new(request, pk: int):
    right = _own_right(request, pk)
    form = AuthorisedSellerForm(request.POST or None, initial={"authorised_from": timezone.localdate()})
    valid = request.method == "POST" and form.is_valid()
    seller = None
    if request.method == "POST" and form.cleaned_data.get("site") and form.cleaned_data.get("seller"):
        # Looked up whatever else is wrong, so an unknown store is said in the same round as a bad date.
        try:
            seller = selectors.seller_find(form.cleaned_data["site"], form.cleaned_data["seller"])
        except PortalError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
    if valid and seller is not None:
        data = form.cleaned_data
        try:
            entry = services.authorised_seller_declare(
                user=request.user, right_id=right.pk, seller=seller, authorised_from=data["authorised_from"],
                authorised_until=data.get("authorised_until"), note=data.get("note") or "",
            )  # fmt: skip
        except IPRight.DoesNotExist as exc:
            raise Http404 from exc
        except PortalError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(
                request,
                f"{entry.seller.store_name} is on your list of authorised sellers for this right. Claims naming its "
                "listings under this right will ask you to confirm the authorisation has ended.",
            )
            return redirect("complaints:right-detail", pk=right.pk)
    return render(request, "complaints/authorised_seller_form.html", {"right": right, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def authorised_seller_end(request, pk: int, entry_pk: int):
    try:
        entry = selectors.authorised_seller_get_for_user(request.user, pk, entry_pk)
    except AuthorisedSeller.DoesNotExist as exc:
        raise Http404 from exc
    form = AuthorisedSellerEndForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.authorised_seller_end(
                user=request.user, entry_id=entry.pk, ended_on=form.cleaned_data.get("ended_on"),
                reason=form.cleaned_data.get("reason") or "",
            )  # fmt: skip
        except AuthorisedSeller.DoesNotExist as exc:
            raise Http404 from exc
        except PortalError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"The authorisation of {entry.seller.store_name} is ended; the entry stays.")
            return redirect("complaints:right-detail", pk=pk)
    return render(
        request,
        "complaints/authorised_seller_end.html",
        {"entry": entry, "right": entry.right, "form": form, "state": entry.state_on(timezone.localdate())},
    )
