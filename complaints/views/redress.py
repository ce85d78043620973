"""The complainant's redress pages: appeal a rejection from the claim page; read a warning or a suspension (its
statement of reasons) and appeal it (DSA Art. 20)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ipp_portal.errors import PortalError

from .. import selectors, services
from ..forms import ClaimAppealForm, ComplainantAppealForm
from ..models import Claim, ComplainantSanction
from ..selectors import redress


def _own_claim(request, pk: int) -> Claim:
    try:
        return selectors.claim_get_for_user(request.user, pk)
    except Claim.DoesNotExist as exc:
        raise Http404 from exc


@login_required
@require_http_methods(["GET", "POST"])
def claim_appeal(request, pk: int):
    claim = _own_claim(request, pk)
    appealable = redress.claim_appealable(claim)
    posted = request.method == "POST"
    form = ClaimAppealForm(
        request.POST if posted else None, request.FILES if posted else None, user=request.user,
        items=appealable.items,
    )  # fmt: skip
    if posted and appealable.items and form.is_valid():
        try:
            services.complainant_appeal_file(
                user=request.user,
                claim_id=claim.pk,
                item_ids=form.cleaned_data["items"],
                statement=form.cleaned_data["statement"],
                documents=form.cleaned_data.get("documents") or [],
            )
        except PortalError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, "Your appeal is filed. A member of staff who did not decide it will decide it.")
            return redirect("complaints:claim-detail", pk=claim.pk)
    return render(
        request,
        "complaints/claim_appeal.html",
        {"claim": claim, "appealable": appealable, "form": form, "appeals": redress.appeals_for_claim(claim)},
    )


def _own_sanction(request, pk: int) -> ComplainantSanction:
    try:
        return redress.sanction_get_for_user(request.user, pk)
    except ComplainantSanction.DoesNotExist as exc:
        raise Http404 from exc


def _sanction_page(request, sanction: ComplainantSanction, form: ComplainantAppealForm):
    appeals = sanction.appeals.order_by("created_at", "id")
    return render(
        request,
        "complaints/sanction_detail.html",
        {
            "sanction": sanction,
            "appeals": appeals,
            "form": form,
            "has_open_appeal": any(a.status == "open" for a in appeals),
        },
    )


@login_required
@require_GET
def sanction_detail(request, pk: int):
    sanction = _own_sanction(request, pk)
    return _sanction_page(request, sanction, ComplainantAppealForm(user=request.user))


@login_required
@require_POST
def sanction_appeal(request, pk: int):
    sanction = _own_sanction(request, pk)
    form = ComplainantAppealForm(request.POST, request.FILES, user=request.user)
    if form.is_valid():
        try:
            services.complainant_sanction_appeal_file(
                user=request.user,
                sanction_id=sanction.pk,
                statement=form.cleaned_data["statement"],
                documents=form.cleaned_data.get("documents") or [],
            )
        except PortalError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, "Your appeal is filed. A member of staff who did not decide it will decide it.")
            return redirect("complaints:sanction-detail", pk=sanction.pk)
    return _sanction_page(request, sanction, form)
