"""The account pages for API tokens: list and make (the secret is shown once, on the page that answers the
making), and revoke (asks first)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from ipp_portal.errors import PortalError

from . import selectors, services
from .forms import ApiTokenForm
from .models import ApiToken


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def token_list(request):
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            token, secret = services.api_token_create(
                user=request.user, name=form.cleaned_data["name"], scopes=form.cleaned_data["scopes"]
            )
        except PortalError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            # Rendered, not redirected: the secret is never stored, not even in the session.
            return render(request, "api/token_created.html", {"token": token, "secret": secret})
    return render(
        request,
        "api/token_list.html",
        {
            "form": form,
            "tokens": selectors.api_token_list_for_user(request.user),
            "read_only": services.allowed_scopes(request.user) == {ApiToken.Scope.READ},
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def token_revoke(request, pk: int):
    token = selectors.api_token_list_for_user(request.user).filter(pk=pk).first()
    if token is None:
        raise Http404
    if request.method == "POST":
        try:
            services.api_token_revoke(user=request.user, token_id=token.pk)
        except ApiToken.DoesNotExist as exc:
            raise Http404 from exc
        messages.success(request, f"The token “{token.name}” is revoked: requests with it are refused from now on.")
        return redirect("api_tokens:list")
    return render(request, "api/token_revoke.html", {"token": token})
