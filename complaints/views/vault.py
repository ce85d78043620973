from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ipp_portal.documents.models import Document
from ipp_portal.documents.responses import document_response
from ipp_portal.errors import PortalError

from .. import selectors, services
from ..forms import AuthorizationForm, ComplainantForm, IPRightForm, LetterTemplateForm, RightDocumentsForm
from ..letters import authorization_letter_text
from ..models import Authorization, IPRight
from ..selectors import redress

RIGHT_FIELDS = services.vault.RIGHT_FIELDS


def _complainant_or_redirect(request):
    complainant = selectors.complainant_get_for_user(request.user)
    if complainant is None:
        messages.info(request, "First tell us who you are: create your complainant profile.")
    return complainant


@login_required
@require_GET
def home(request):
    complainant = selectors.complainant_get_for_user(request.user)
    rights = list(selectors.ip_right_list_for_complainant(complainant)) if complainant else []
    authorizations = (
        list(selectors.authorization_list_for_agent(complainant)) if complainant and complainant.is_agent else []
    )
    return render(
        request,
        "complaints/home.html",
        {
            "complainant": complainant,
            "rights": rights,
            "authorizations": authorizations,
            "sanctions": list(redress.sanctions_for_complainant(complainant)[:20]) if complainant else [],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    complainant = selectors.complainant_get_for_user(request.user)
    locked = bool(complainant and complainant.is_verified)
    initial_documents = list(complainant.identity_documents.all()) if complainant else []
    form = ComplainantForm(
        request.POST or None,
        request.FILES or None,
        instance=complainant,
        user=request.user,
        locked_identity=locked,
        initial={"documents": initial_documents} if complainant else None,
    )
    if request.method == "POST" and form.is_valid():
        data = {
            name: form.cleaned_data[name] for name in services.vault.IDENTITY_FIELDS + services.vault.CONTACT_FIELDS
        }
        try:
            if complainant is None:
                services.complainant_register(user=request.user, documents=form.cleaned_data["documents"], **data)
                messages.success(request, "Thank you. Staff verify your identity within 3–5 business days.")
            else:
                documents = [] if locked else form.cleaned_data["documents"]
                services.complainant_update(
                    complainant_id=complainant.pk, user=request.user, documents=documents, **data
                )
                messages.success(request, "Your profile is saved.")
        except PortalError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("complaints:home")
    return render(request, "complaints/profile_form.html", {"form": form, "complainant": complainant})


def _right_data(form) -> dict:
    return {name: form.cleaned_data[name] for name in RIGHT_FIELDS}


@login_required
@require_http_methods(["GET", "POST"])
def right_create(request):
    complainant = _complainant_or_redirect(request)
    if complainant is None:
        return redirect("complaints:profile")
    form = IPRightForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        documents = [(doc, form.cleaned_data["document_role"]) for doc in form.cleaned_data["documents"]]
        try:
            right = services.ip_right_register(complainant=complainant, documents=documents, **_right_data(form))
        except PortalError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"{right} is in your vault. Staff verify it within 3–5 business days.")
            return redirect("complaints:right-detail", pk=right.pk)
    return render(request, "complaints/right_form.html", {"form": form, "editing": None})


def _own_right(request, pk: int) -> IPRight:
    try:
        return selectors.ip_right_get_for_user(request.user, pk)
    except IPRight.DoesNotExist as exc:
        raise Http404 from exc


def _right_page(right: IPRight, form) -> dict:
    return {
        "right": right,
        "documents": selectors.right_documents(right),
        "form": form,
        "authorised_sellers": selectors.authorised_seller_list_for_right(right, timezone.localdate()),
    }


@login_required
@require_GET
def right_detail(request, pk: int):
    right = _own_right(request, pk)
    form = RightDocumentsForm(user=request.user)
    return render(request, "complaints/right_detail.html", _right_page(right, form))


@login_required
@require_POST
def right_add_documents(request, pk: int):
    right = _own_right(request, pk)
    form = RightDocumentsForm(request.POST, request.FILES, user=request.user)
    if form.is_valid():
        documents = [(doc, form.cleaned_data["document_role"]) for doc in form.cleaned_data["documents"]]
        try:
            services.ip_right_add_documents(right_id=right.pk, user=request.user, documents=documents)
        except PortalError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "The documents are attached to this right.")
            return redirect("complaints:right-detail", pk=right.pk)
    return render(request, "complaints/right_detail.html", _right_page(right, form))


@login_required
@require_http_methods(["GET", "POST"])
def right_resubmit(request, pk: int):
    right = _own_right(request, pk)
    if right.status != IPRight.Status.REJECTED:
        messages.info(request, "Only a rejected right can be corrected and sent again.")
        return redirect("complaints:right-detail", pk=right.pk)
    form = IPRightForm(request.POST or None, request.FILES or None, instance=right, user=request.user, is_new=False)
    form.documents_required = False
    if request.method == "POST" and form.is_valid():
        documents = [(doc, form.cleaned_data["document_role"]) for doc in form.cleaned_data["documents"]]
        try:
            services.ip_right_resubmit(right_id=right.pk, user=request.user, documents=documents, **_right_data(form))
        except PortalError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, "Sent again for verification.")
            return redirect("complaints:right-detail", pk=right.pk)
    return render(request, "complaints/right_form.html", {"form": form, "editing": right})


@login_required
@require_http_methods(["GET", "POST"])
def authorization_create(request):
    complainant = _complainant_or_redirect(request)
    if complainant is None:
        return redirect("complaints:profile")
    if not complainant.is_agent:
        messages.info(request, "Right holders file for their own rights and need no authorization.")
        return redirect("complaints:home")
    form = AuthorizationForm(request.POST or None, request.FILES or None, user=request.user, agent=complainant)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            authorization = services.authorization_register(
                agent=complainant,
                rights=list(data["rights"]),
                sites=list(data["sites"]),
                letter=data["documents"][0],
                owner_name=data["owner_name"],
                owner_address=data["owner_address"],
                owner_contact_email=data["owner_contact_email"],
                valid_from=data["valid_from"],
                valid_until=data["valid_until"],
            )
        except PortalError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, "The authorization is recorded. Staff verify it within 3–5 business days.")
            return redirect("complaints:authorization-detail", pk=authorization.pk)
    return render(request, "complaints/authorization_form.html", {"form": form})


@login_required
@require_GET
def authorization_detail(request, pk: int):
    try:
        authorization = selectors.authorization_get_for_user(request.user, pk)
    except Authorization.DoesNotExist as exc:
        raise Http404 from exc
    return render(request, "complaints/authorization_detail.html", {"authorization": authorization})


@login_required
@require_GET
def authorization_letter_template(request):
    """The letter template, filled with whatever the agent typed so far (the form sends itself here by GET)."""
    complainant = selectors.complainant_get_for_user(request.user)
    if complainant is None or not complainant.is_agent:
        raise Http404
    form = LetterTemplateForm(request.GET, agent=complainant)
    data = form.cleaned_data if form.is_valid() else {}
    text = authorization_letter_text(
        agent_name=complainant.legal_name,
        agent_address=complainant.postal_address,
        owner_name=data.get("owner_name", ""),
        owner_address=data.get("owner_address", ""),
        rights=data.get("rights") or [],
        sites=data.get("sites") or [],
        valid_from=data.get("valid_from"),
        valid_until=data.get("valid_until"),
    )
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="authorization-letter.txt"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def document_download(request, pk: int):
    try:
        document = services.document_open(user=request.user, document_id=pk)
    except Document.DoesNotExist as exc:
        raise Http404 from exc
    return document_response(document)
