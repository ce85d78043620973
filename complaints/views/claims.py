"""The complainant's claim pages: file (with the pre-submit check), drafts, dashboard, claim page, withdraw, CSV."""

import csv
import uuid
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ipp_portal.accounts.throttle import client_ip
from ipp_portal.errors import PortalError

from .. import selectors, services
from ..forms import ClaimForm, ClaimInfoForm
from ..link_check import Result, check_links, split_lines
from ..models import Claim, ClaimItem
from ..reasons import REASONS
from ..selectors import redress
from ..selectors.accuracy import complainant_accuracy_shown
from ..selectors.trust import trusted_sites
from .confirm import confirm_first


def _complainant(request):
    complainant = selectors.complainant_get_for_user(request.user)
    if complainant is None:
        raise Http404
    return complainant


ITEMS_PER_PAGE = 50


def _own_claim(request, pk: int) -> Claim:
    try:
        return selectors.claim_get_for_user(request.user, pk)
    except Claim.DoesNotExist as exc:
        raise Http404 from exc


@login_required
@require_http_methods(["GET", "POST"])
def claim_new(request):
    complainant = selectors.complainant_get_for_user(request.user)
    if complainant is None:
        messages.info(request, "Before filing a claim, create your complainant profile and prove your identity.")
        return redirect("complaints:profile")
    return _claim_form(request, complainant, draft=None)


@login_required
@require_http_methods(["GET", "POST"])
def claim_edit(request, pk: int):
    complainant = _complainant(request)
    draft = _own_claim(request, pk)
    if draft.status != Claim.Status.DRAFT:
        return redirect("complaints:claim-detail", pk=draft.pk)
    return _claim_form(request, complainant, draft=draft)


def _initial(draft: Claim | None) -> dict:
    initial: dict[str, Any] = {"token": uuid.uuid4()}
    if draft is not None:
        initial.update(
            site=draft.site_id, right=draft.right_id, reason_code=draft.reason_code, explanation=draft.explanation,
            order_numbers=draft.order_numbers, links=draft.links_text, documents=list(draft.evidence.all()),
        )  # fmt: skip
    return initial


def _claim_form(request, complainant, *, draft: Claim | None):
    # Bound on every POST, even an empty one: the view reads cleaned_data after validation.
    posted = request.method == "POST"
    form = ClaimForm(
        request.POST if posted else None, request.FILES if posted else None, user=request.user,
        complainant=complainant, initial=_initial(draft),
    )  # fmt: skip
    checked = None
    action = request.POST.get("action", "check") if request.method == "POST" else None
    if request.method == "POST":
        valid = form.is_valid()
        data = form.cleaned_data
        if action == "save":
            claim = services.claim_save_draft(
                complainant=complainant,
                claim_id=draft.pk if draft else None,
                evidence=data.get("documents") or [],
                site=data.get("site"), right=data.get("right"), reason_code=data.get("reason_code") or "",
                explanation=data.get("explanation") or "", order_numbers=data.get("order_numbers") or "",
                links_text=data.get("links") or "",
            )  # fmt: skip
            refused = form.errors.get("upload")
            if not refused:
                messages.success(request, "Draft saved. You can come back to it from your claims.")
                return redirect("complaints:claim-edit", pk=claim.pk)
            # A refused file must not vanish behind "Draft saved": show the draft again, bound to what was sent (so
            # nothing typed is lost), with each refusal at the upload field and the accepted files ticked.
            attached = len(data.get("documents") or [])
            messages.warning(
                request,
                f"Draft saved with {attached} file{'' if attached == 1 else 's'}, but "
                f"{len(refused)} file{' was' if len(refused) == 1 else 's were'} not kept: "
                + " ".join(str(message) for message in refused),
            )
            draft = claim
        site = data.get("site")
        # On submit, claim_submit checks the links inside its transaction (and returns the results on failure):
        # checking here as well would do the work twice.
        if action not in ("submit", "save") and site is not None and (data.get("links") or "").strip():
            checked = check_links(
                split_lines(data["links"]), site=site, complainant=complainant, right=data.get("right")
            )
            if action == "drop_bad":
                kept = "\n".join(line.text for line in checked if line.is_fileable)
                dropped = sum(not line.is_fileable for line in checked)
                posted = cast(QueryDict, form.data).copy()  # the form is bound to request.POST, which is immutable
                posted[form.add_prefix("links")] = kept
                form.data = posted
                checked = [line for line in checked if line.is_fileable]
                messages.info(request, f"Dropped {dropped} line{'s' if dropped != 1 else ''} that cannot be filed.")
        # Submitting checks what only a submission needs even when other fields have errors, so that every
        # problem shows in one round instead of the statements' only once the rest is right.
        ready = form.require_submission() if action == "submit" else False
        if action == "submit" and valid and ready:
            try:
                claim = services.claim_submit(
                    complainant=complainant,
                    user=request.user,
                    token=data["token"],
                    right=data["right"],
                    site=data["site"],
                    reason_code=data["reason_code"],
                    explanation=data["explanation"],
                    links_text=data["links"],
                    signature_name=data["signature_name"],
                    ip=client_ip(request),
                    evidence=data.get("documents") or [],
                    order_numbers=data.get("order_numbers") or "",
                    statements={name: data[name] for name in ClaimForm.STATEMENTS},
                    claim_id=draft.pk if draft else None,
                    states_authorisation_ended=data.get("states_authorisation_ended") or False,
                    authorisation_ended_on=data.get("authorisation_ended_on"),
                )
            except services.LinksNotFileable as exc:
                form.add_error("links", exc.message)
                checked = exc.lines
            except services.AuthorisedSellersNotConfirmed as exc:
                form.add_error("states_authorisation_ended", exc.message)
                checked = exc.lines
            except PortalError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                return redirect("complaints:claim-receipt", pk=claim.pk)
    fileable = sum(line.is_fileable for line in checked) if checked else 0
    return render(
        request,
        "complaints/claim_form.html",
        {
            "form": form,
            "draft": draft,
            "checked": checked,
            **_check_groups(checked),
            "fileable": fileable,
            "unfileable": (len(checked) - fileable) if checked else 0,
            # The sworn statement that an authorisation ended is asked only when it is needed (or was answered).
            "asks_authorisation_ended": any(line.authorised_seller for line in checked or ())
            or bool(form.data.get(form.add_prefix("states_authorisation_ended")))
            or "states_authorisation_ended" in form.errors
            or "authorisation_ended_on" in form.errors,
            "reasons": REASONS,
            "sanctions": [s for s in redress.sanctions_for_complainant(complainant)[:20] if s.in_force],
        },
    )


@login_required
@require_GET
def claim_receipt(request, pk: int):
    claim = _own_claim(request, pk)
    return render(request, "complaints/claim_receipt.html", {"claim": claim})


@login_required
@require_GET
def claim_list(request):
    complainant = selectors.complainant_get_for_user(request.user)
    if complainant is None:
        return redirect("complaints:home")
    status = request.GET.get("status") or ""
    if status not in dict(Claim.Status.choices):
        status = ""
    q = request.GET.get("q", "")[:500]
    owner = request.GET.get("owner", "")[:200]
    claims = selectors.claim_list_for_complainant(complainant, status=status or None, q=q, owner=owner)
    page = Paginator(claims, 20).get_page(request.GET.get("page"))
    page.object_list = selectors.claims_with_item_counts(page.object_list)
    query = "&".join(f"{k}={v}" for k, v in (("status", status), ("q", q), ("owner", owner)) if v)
    return render(
        request,
        "complaints/claim_list.html",
        {
            "page": page,
            "status": status,
            "q": q,
            "owner": owner,
            "owners": selectors.claim_owner_names(complainant) if complainant.is_agent else [],
            "accuracy": complainant_accuracy_shown([complainant.pk])[complainant.pk],
            "trusted_sites": trusted_sites(complainant.pk),
            "statuses": Claim.Status.choices,
            "query": query,
        },
    )


def _check_groups(checked: list | None) -> dict[str, Any]:
    """The link check as people read it: a count per result first, then the lines that need something (with the
    fix for each), then the lines that can be filed as they are (collapsed on the page)."""
    if not checked:
        return {}
    counts: dict[str, int] = {}
    for line in checked:
        counts[line.label] = counts.get(line.label, 0) + 1
    attention = [line for line in checked if line.result != Result.OK or line.authorised_seller is not None]
    return {
        "check_counts": sorted(counts.items(), key=lambda kv: -kv[1]),
        "check_attention": attention,
        "check_fine": [line for line in checked if line.result == Result.OK and line.authorised_seller is None],
    }


@login_required
@require_GET
def claim_detail(request, pk: int):
    claim = _own_claim(request, pk)
    info_form = ClaimInfoForm(user=request.user) if claim.status == Claim.Status.NEEDS_INFO else None
    return render(request, "complaints/claim_detail.html", _claim_page(request, claim, info_form=info_form))


def _claim_page(request, claim: Claim, *, info_form: ClaimInfoForm | None) -> dict[str, Any]:
    """The claim page: its items a page at a time (50), a count per status that filters, and a filter by seller, so
    that a 300-item claim is read a page at a time, not as one 25,000-pixel table."""
    return {
        "claim": claim,
        **selectors.claim_items_page(claim, request.GET, per_page=ITEMS_PER_PAGE),
        "timeline": selectors.claim_timeline_folded(claim),
        "info_form": info_form,
        "appealable": redress.claim_appealable(claim),
        "appeals": redress.appeals_for_claim(claim),
    }


@login_required
@require_GET
def claim_items_csv(request, pk: int):
    claim = _own_claim(request, pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{claim.reference}-items.csv"'
    response.write("\ufeff")  # spreadsheets read UTF-8 reliably with a BOM
    writer = csv.writer(response)
    writer.writerow(["position", "url", "listing title", "seller", "status", "decided at", "decision reason"])
    for item in selectors.claim_items(claim):
        writer.writerow([
            item.position, item.url, _csv_safe(item.listing.title), _csv_safe(item.seller.store_name),
            item.get_status_display(), item.decided_at.isoformat() if item.decided_at else "",
            _csv_safe(item.decision_reason),
        ])  # fmt: skip
    return response


def _csv_safe(value: str) -> str:
    """Neutralise spreadsheet formulas in text that came from sellers (CSV injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


@login_required
@require_POST
def claim_withdraw(request, pk: int):
    claim = _own_claim(request, pk)
    ask = confirm_first(
        request,
        title=f"Withdraw {claim.reference}?",
        consequences=[
            "The listings not yet decided are dropped from the claim and stay on sale.",
            "Decisions already made are not undone: a removed listing stays removed unless you retract it.",
            "A withdrawn claim cannot be filed again; you would file a new one.",
        ],
        confirm_label="Withdraw the whole claim",
        cancel_url=reverse("complaints:claim-detail", args=[pk]),
        keep=(),
    )
    if ask is not None:
        return ask
    try:
        services.claim_withdraw(claim_id=pk, user=request.user)
    except Claim.DoesNotExist as exc:
        raise Http404 from exc
    except PortalError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "The claim is withdrawn. Listings not yet decided stay up.")
    return redirect("complaints:claim-detail", pk=pk)


@login_required
@require_POST
def claim_item_withdraw(request, pk: int):
    """One form for the whole table: the pressed button names the item (a form per row costs a token each)."""
    try:
        item_pk = int(request.POST.get("item", ""))
    except ValueError as exc:
        raise Http404 from exc
    try:
        item = services.claim_item_withdraw(item_id=item_pk, user=request.user)
    except ClaimItem.DoesNotExist as exc:
        raise Http404 from exc
    except PortalError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Listing {item.external_id} is withdrawn from this claim.")
    return redirect("complaints:claim-detail", pk=pk)


@login_required
@require_POST
def claim_provide_info(request, pk: int):
    claim = _own_claim(request, pk)
    form = ClaimInfoForm(request.POST, request.FILES, user=request.user)
    if form.is_valid():
        try:
            services.claim_provide_info(
                claim_id=claim.pk, user=request.user, answer=form.cleaned_data["answer"],
                documents=form.cleaned_data.get("documents") or [],
            )  # fmt: skip
        except PortalError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Sent. Your claim is back in the review queue.")
            return redirect("complaints:claim-detail", pk=claim.pk)
    return render(request, "complaints/claim_detail.html", _claim_page(request, claim, info_form=form))


@login_required
@require_POST
def claim_draft_delete(request, pk: int):
    try:
        services.claim_draft_delete(claim_id=pk, user=request.user)
    except Claim.DoesNotExist as exc:
        raise Http404 from exc
    except PortalError as exc:
        messages.error(request, exc.message)
        return redirect("complaints:claim-detail", pk=pk)
    messages.success(request, "Draft deleted.")
    return redirect(reverse("complaints:claim-list"))


@login_required
@require_POST
def claim_item_retract(request, pk: int):
    """The rights holder retracts a takedown (an error, a settlement): the listing comes back."""
    try:
        item_pk = int(request.POST.get("item", ""))
    except ValueError as exc:
        raise Http404 from exc
    try:
        shown = selectors.claim_item_get_for_user(request.user, claim_id=pk, item_id=item_pk)
    except ClaimItem.DoesNotExist as exc:
        raise Http404 from exc
    ask = confirm_first(
        request,
        title=f"Retract the takedown of {shown.listing.title}?",
        consequences=[
            f"Listing {shown.external_id} ({shown.listing.title}) goes back on sale.",
            "The seller's violation for it is withdrawn and the seller is told.",
            "You cannot claim this listing again in this claim; a retraction counts in your accuracy figures.",
        ],
        confirm_label="Retract the takedown",
        cancel_url=reverse("complaints:claim-detail", args=[pk]),
        keep=("item", "reason"),
        reason_field=("reason", "Why (the seller reads it)"),
    )
    if ask is not None:
        return ask
    try:
        item = services.claim_item_retract(item_id=item_pk, user=request.user, reason=request.POST.get("reason", ""))
    except ClaimItem.DoesNotExist as exc:
        raise Http404 from exc
    except PortalError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Retracted: {item} is back on sale and the seller's violation is withdrawn.")
    return redirect("complaints:claim-detail", pk=pk)
