"""A second step before anything that cannot be taken back: the first POST shows what will happen, the second
(carrying ``confirmed``) does it. Works without JavaScript; the fields of the first POST ride along hidden."""

from collections.abc import Iterable, Sequence
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

CONFIRMED = "confirmed"


def confirm_first(
    request: HttpRequest,
    *,
    title: str,
    consequences: Sequence[str],
    confirm_label: str,
    cancel_url: str,
    keep: Iterable[str],
    reason_field: tuple[str, str] | None = None,
    template: str = "includes/confirm_page.html",
    context: dict[str, Any] | None = None,
) -> HttpResponse | None:
    """None when the request is the confirmed second step; otherwise the confirmation page to return.

    ``keep`` names the POST fields carried to the second step; ``reason_field`` (name, label) adds an optional
    text box there (a retraction's reason, for instance) prefilled with what was sent. Staff pages pass the admin's
    ``template`` and its ``context``."""
    if request.POST.get(CONFIRMED) == "yes":
        return None
    reason_name = reason_field[0] if reason_field else None
    hidden = [(name, value) for name in keep if name != reason_name for value in request.POST.getlist(name)]
    return render(
        request,
        template,
        {
            **(context or {}),
            "title": title,
            "consequences": consequences,
            "confirm_label": confirm_label,
            "cancel_url": cancel_url,
            "hidden": hidden,
            "reason": (
                {"name": reason_field[0], "label": reason_field[1], "value": request.POST.get(reason_field[0], "")}
                if reason_field
                else None
            ),
            "action": request.get_full_path(),
        },
    )
