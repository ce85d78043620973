"""Pages and JSON answers are a person's own: no shared cache (a proxy, a CDN) may keep them, and a browser checks
back before showing a stored copy. A view that says otherwise (a download's ``private, no-store``) is left alone;
static files carry their own long-lived headers from WhiteNoise."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

PERSONAL_TYPES = ("text/html", "application/json", "text/csv")


class PrivatePagesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        kind = response.get("Content-Type", "")
        if not response.has_header("Cache-Control") and kind.startswith(PERSONAL_TYPES):
            patch_cache_control(response, private=True, no_cache=True)
        return response
