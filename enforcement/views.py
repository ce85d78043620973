from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from ipp_portal.errors import PortalError
from listings.selectors import seller_list_for_user

from . import selectors, services
from .forms import AppealForm
from .models import Action


@login_required
@require_GET
def standing(request):
    """Per store: points or strikes, each violation with its expiry, the action in force and when it ends, what the
    next violation would trigger, and every action's statement of reasons."""
    stores = []
    for seller in seller_list_for_user(request.user):
        stores.append(
            {
                "seller": seller,
                "standing": selectors.standing_for(seller),
                "violations": list(selectors.violation_list_for_seller(seller)[:200]),
                "actions": list(selectors.action_list_for_seller(seller)),
            }
        )
    return render(request, "enforcement/standing.html", {"stores": stores})


def _own_action(request, pk: int) -> Action:
    action = (
        Action.objects.select_related("seller__site", "step__policy").filter(pk=pk, seller__user=request.user).first()
    )
    if action is None:
        raise Http404
    return action


@login_required
@require_GET
def action_detail(request, pk: int):
    action = _own_action(request, pk)
    return render(
        request,
        "enforcement/action_detail.html",
        {"action": action, "appeals": action.appeals.order_by("created_at"), "form": AppealForm(user=request.user)},
    )


@login_required
@require_POST
def appeal_create(request, pk: int):
    action = _own_action(request, pk)
    form = AppealForm(request.POST, request.FILES, user=request.user)
    if form.is_valid():
        try:
            services.appeal_file(
                action_id=action.pk,
                user=request.user,
                statement=form.cleaned_data["statement"],
                documents=form.cleaned_data.get("documents") or [],
            )
        except PortalError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Your appeal is filed. A member of staff will decide it and tell you.")
            return redirect("enforcement:action-detail", pk=action.pk)
    return render(
        request,
        "enforcement/action_detail.html",
        {"action": action, "appeals": action.appeals.order_by("created_at"), "form": form},
    )
