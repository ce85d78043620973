"""The seller's notices and counter-notices; the rights holder's answers."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from ipp_portal.accounts.throttle import client_ip
from ipp_portal.errors import PortalError

from .. import services
from ..forms import CounterNoticeAnswerForm, CounterNoticeForm, NotDisputedForm
from ..models import ClaimItem, CounterNotice
from ..selectors import (
    COMPLAINANT_TIMELINE_VERBS,
    claim_item_list_for_seller,
    counter_notice_get_for_complainant,
    counter_notice_list_for_complainant,
    counter_notice_window_for,
    seller_notice_page,
)
from ..selectors.allowlist import reseller_history
from ..selectors.disputes import first_window_open
from ..selectors.holds import SELLER_LINE, held_listing_ids
from .confirm import confirm_first


@login_required
@require_GET
def seller_notices(request):
    """Every claim item against the seller's stores, with who complained and the next deadline."""
    now = timezone.now()
    page, claims = seller_notice_page(request.user, now, request.GET.get("page"))
    held = held_listing_ids(item.listing_id for group in claims for item in group["items"])
    return render(
        request,
        "complaints/seller_notices.html",
        {"claims": claims, "page": page, "now": now, "held": held, "held_line": SELLER_LINE},
    )


@login_required
@require_http_methods(["GET", "POST"])
def counter_notice_new(request, claim_id: int):
    mine = claim_item_list_for_seller(request.user).filter(claim_id=claim_id).select_related("listing", "seller")
    if not mine.exists():
        raise Http404
    now = timezone.now()
    eligible_ids = [i.pk for i in mine.select_related("seller__site") if counter_notice_window_for(i, now).allowed]
    eligible = mine.filter(pk__in=eligible_ids).order_by("position")
    form = CounterNoticeForm(
        request.POST or None, request.FILES or None, user=request.user, eligible=eligible,
        initial={"token": uuid.uuid4()},
    )  # fmt: skip
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        documents = data.get("documents") or []
        try:
            services.counter_notice_file(
                user=request.user, item_ids=[i.pk for i in data["items"]], reason=data["reason"],
                statement=data["statement"], signature_name=data["signature_name"], ip=client_ip(request),
                token=data["token"], documents=documents, shared_documents=documents if data["share_documents"] else [],
                states_good_faith_mistake=data["states_good_faith_mistake"],
                consents_to_jurisdiction=data["consents_to_jurisdiction"],
            )  # fmt: skip
        except (PortalError, ClaimItem.DoesNotExist) as exc:
            form.add_error(None, getattr(exc, "message", "These listings cannot be counter-notified."))
        else:
            messages.success(
                request, "Your counter-notice is sent. The rights holder must answer by the deadline shown."
            )
            return redirect("complaints_seller:seller-notices")
    first = mine.first()
    if first is None:  # answered between the check above and now: nothing of theirs left on this claim
        raise Http404
    claim = first.claim
    return render(request, "complaints/counter_notice_form.html", {"form": form, "claim": claim, "eligible": eligible})


@login_required
@require_http_methods(["GET", "POST"])
def not_disputed(request, claim_id: int):
    """The seller chooses not to dispute removed listings of a claim: asked first (it cannot be undone), then the
    pending violations are established at once and the seller sees what that triggered."""
    mine = claim_item_list_for_seller(request.user).filter(claim_id=claim_id).select_related("listing", "claim")
    first = mine.first()
    if first is None:
        raise Http404
    now = timezone.now()
    eligible = mine.filter(pk__in=[i.pk for i in mine if first_window_open(i, now)]).order_by("position")
    form = NotDisputedForm(request.POST or None, eligible=eligible)
    if request.method == "POST" and form.is_valid():
        try:
            services.claim_items_not_disputed(user=request.user, item_ids=[i.pk for i in form.cleaned_data["items"]])
        except (PortalError, ClaimItem.DoesNotExist) as exc:
            form.add_error(None, getattr(exc, "message", "These listings cannot be marked as not disputed."))
        else:
            messages.success(
                request, "Noted: you do not dispute these removals. Your standing page shows what that means."
            )
            return redirect("enforcement:standing")
    return render(
        request, "complaints/not_disputed_form.html", {"form": form, "claim": first.claim, "eligible": eligible}
    )


@login_required
@require_GET
def complainant_counter_notices(request):
    notices = counter_notice_list_for_complainant(request.user).order_by("status", "answer_due_at")
    return render(request, "complaints/counter_notice_list.html", {"notices": notices})


@login_required
@require_http_methods(["GET", "POST"])
def counter_notice_answer(request, pk: int):
    try:
        notice = counter_notice_get_for_complainant(request.user, pk)
    except CounterNotice.DoesNotExist:
        raise Http404 from None
    if request.method == "POST" and request.POST.get("decision") == "accept":
        listings = ", ".join(item.listing.title for item in notice.items.all())
        ask = confirm_first(
            request,
            title=f"Accept the counter-notice from {notice.seller.store_name}?",
            consequences=[
                f"The listings go back on sale now: {listings}.",
                "The seller's violations for them are withdrawn, and the seller is told.",
                "Accepting ends this dispute: you cannot reject it afterwards.",
            ],
            confirm_label="Accept and reinstate the listings",
            cancel_url=reverse("complaints:counter-notice-answer", args=[notice.pk]),
            keep=("decision",),
        )
        if ask is not None:
            return ask
    form = CounterNoticeAnswerForm(
        request.POST or None, request.FILES or None, user=request.user,
        rejecting=request.method == "POST" and request.POST.get("decision") != "accept",
    )  # fmt: skip
    if request.method == "POST" and form.is_valid():
        try:
            if request.POST.get("decision") == "accept":
                services.counter_notice_accept(notice_id=notice.pk, user=request.user)
                messages.success(request, "Accepted: the listings are reinstated and the seller is told.")
            else:
                services.counter_notice_reject(
                    notice_id=notice.pk, user=request.user, answer=form.cleaned_data["answer"],
                    documents=form.cleaned_data.get("documents") or [],
                )  # fmt: skip
                messages.success(request, "Rejected: staff now decide, and will tell you both.")
        except PortalError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return redirect("complaints:counter-notice-list")
    return render(
        request,
        "complaints/counter_notice_answer.html",
        {
            "notice": notice, "form": form, "verbs": COMPLAINANT_TIMELINE_VERBS,
            "authorised_history": reseller_history(notice),
        },
    )  # fmt: skip
