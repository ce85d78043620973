"""How the portal talks to django-axes: which username and address it counts, and how a refusal is answered."""

import ipaddress
import math

from django.conf import settings
from django.shortcuts import render

from . import throttle

LOCKED_MESSAGE = (
    "Too many failed sign-ins from this address for this account; try again in {minutes} minutes or reset your "
    "password."
)
THROTTLED_MESSAGE = "Too many sign-in attempts from this address. Try again in {minutes} minutes."


def cooloff_minutes() -> int:
    return max(1, math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60))


def locked_message() -> str:
    return LOCKED_MESSAGE.format(minutes=cooloff_minutes())


def username(request, credentials) -> str:
    """The typed email address, lower-cased: people type it in any case, and one account is one counter."""
    value = (credentials or {}).get("username")
    if value is None:
        value = request.POST.get("username", "") if request is not None else ""
    return str(value).strip().lower()


def client_ip(request) -> str | None:
    """The address the limits use (``throttle.client_ip``, which honours TRUSTED_PROXY_COUNT), or None when it is
    not an IP address (e.g. a request built in process): axes stores it in an address column."""
    candidate = throttle.client_ip(request)
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


def refuse(request, *, retry_after: int) -> None:
    """Mark a sign-in the form refused (locked out or over the address limit) and already explained on the page.

    AxesMiddleware hands every request flagged ``axes_locked_out`` to ``lockout_response``; the address limit uses
    the same path so the portal and the admin login answer 429 alike.
    """
    request.axes_locked_out = True
    request.sign_in_refused_on_page = True
    request.sign_in_retry_after = retry_after


def lockout_response(request, original_response=None, credentials=None):
    """429 for a refused sign-in: the login page with its explanation, or a plain page if no form showed one."""
    retry_after = getattr(request, "sign_in_retry_after", None) or int(settings.AXES_COOLOFF_TIME.total_seconds())
    if (
        getattr(request, "sign_in_refused_on_page", False)
        and original_response is not None
        and original_response.status_code == 200
    ):
        response = original_response
        response.status_code = 429
    else:
        response = render(request, "accounts/locked_out.html", {"message": locked_message()}, status=429)
    response["Retry-After"] = str(retry_after)
    return response
