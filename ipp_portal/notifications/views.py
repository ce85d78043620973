from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from . import selectors, services
from .models import Notification


@login_required
@require_GET
def inbox(request):
    page = Paginator(selectors.notification_list_for_user(request.user), 25).get_page(request.GET.get("page"))
    return render(request, "notifications/inbox_list.html", {"page": page})


@login_required
@require_GET
def notification_detail(request, pk: int):
    try:
        notification = selectors.notification_get_for_user(request.user, pk)
    except Notification.DoesNotExist as exc:
        raise Http404 from exc
    return render(request, "notifications/inbox_detail.html", {"notification": notification})


@require_POST
@login_required
def notification_open(request, pk: int):
    """Opening a message marks it read (a state change, so it is a POST)."""
    try:
        services.notification_mark_read(notification_id=pk, user=request.user)
    except Notification.DoesNotExist as exc:
        raise Http404 from exc
    return redirect("notifications:detail", pk=pk)


@require_POST
@login_required
def mark_all_read(request):
    count = services.notifications_mark_all_read(user=request.user)
    messages.success(request, f"Marked {count} message{'s' if count != 1 else ''} as read.")
    return redirect("notifications:inbox")
