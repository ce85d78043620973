"""The account pages for webhooks: list and add (the secret is shown once, on the page that answers the adding),
an endpoint's page with its recent deliveries and their attempts (each with a Redeliver button), rotate the secret
and delete (both ask first), disable and enable."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from complaints.models import Complainant
from ipp_portal.errors import PortalError

from . import selectors, services
from .forms import WebhookEndpointForm
from .models import WebhookDelivery, WebhookEndpoint


def _own(request, pk: int) -> WebhookEndpoint:
    endpoint = selectors.webhook_endpoint_get_for_user(request.user, pk)
    if endpoint is None:
        raise Http404
    return endpoint


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def endpoint_list(request):
    form = WebhookEndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint, secret = services.webhook_endpoint_create(
                user=request.user,
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
                description=form.cleaned_data["description"],
            )
        except PortalError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            # Rendered, not redirected: the secret is shown once and never put in the session.
            return render(request, "api/webhooks/secret.html", {"endpoint": endpoint, "secret": secret, "made": True})
    return render(
        request,
        "api/webhooks/list.html",
        {
            "form": form,
            "endpoints": selectors.webhook_endpoint_list_for_user(request.user),
            "is_complainant": Complainant.objects.filter(user=request.user).exists(),
        },
    )


@never_cache
@login_required
@require_http_methods(["GET"])
def endpoint_detail(request, pk: int):
    endpoint = _own(request, pk)
    return render(
        request,
        "api/webhooks/detail.html",
        {"endpoint": endpoint, "deliveries": selectors.webhook_delivery_list(endpoint)},
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def endpoint_rotate(request, pk: int):
    endpoint = _own(request, pk)
    if request.method == "POST":
        try:
            endpoint, secret = services.webhook_endpoint_rotate_secret(user=request.user, endpoint_id=endpoint.pk)
        except WebhookEndpoint.DoesNotExist as exc:
            raise Http404 from exc
        return render(request, "api/webhooks/secret.html", {"endpoint": endpoint, "secret": secret, "made": False})
    return render(request, "api/webhooks/rotate.html", {"endpoint": endpoint})


@login_required
@require_http_methods(["GET", "POST"])
def endpoint_delete(request, pk: int):
    endpoint = _own(request, pk)
    if request.method == "POST":
        try:
            services.webhook_endpoint_delete(user=request.user, endpoint_id=endpoint.pk)
        except WebhookEndpoint.DoesNotExist as exc:
            raise Http404 from exc
        messages.success(request, _("The endpoint %(url)s is deleted.") % {"url": endpoint.url})
        return redirect("webhooks:list")
    return render(request, "api/webhooks/delete.html", {"endpoint": endpoint})


@login_required
@require_POST
def endpoint_switch(request, pk: int, *, enable: bool):
    """Disable (``enable=False``) or enable one of the user's endpoints and say what that means."""
    endpoint = _own(request, pk)
    try:
        if enable:
            services.webhook_endpoint_enable(user=request.user, endpoint_id=endpoint.pk)
            messages.success(request, _("The endpoint is enabled: deliveries still pending are sent now."))
        else:
            services.webhook_endpoint_disable(user=request.user, endpoint_id=endpoint.pk)
            messages.success(request, _("The endpoint is disabled: nothing is sent to it until you enable it."))
    except WebhookEndpoint.DoesNotExist as exc:
        raise Http404 from exc
    return redirect("webhooks:detail", pk=endpoint.pk)


@login_required
@require_POST
def delivery_redeliver(request, pk: int, delivery_pk: int):
    endpoint = _own(request, pk)
    try:
        services.webhook_redeliver(user=request.user, endpoint_id=endpoint.pk, delivery_id=delivery_pk)
    except WebhookDelivery.DoesNotExist as exc:
        raise Http404 from exc
    except PortalError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The event is being sent again (same event id)."))
    return redirect("webhooks:detail", pk=endpoint.pk)
