"""One error shape for the whole API: ``{"code": ..., "message": ..., "fields": {field: [messages]}}``, and, when a
claim's links were checked and some cannot be filed, ``"lines"``: every line's result (as ``/link-check/`` answers
it), so a client drops the bad lines and submits again.

Domain errors keep their ``PortalError`` code; DRF's own errors get DRF's stable codes. The status says what
happened: 400 the input, 401 no or a bad token, 403 not permitted, 404 not found (or not yours), 409 not possible
from the current state (including a deadline that has passed), 429 later.
"""

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response

from ipp_portal import views as pages
from ipp_portal.errors import DeadlinePassed, InvalidTransition, NotPermitted, PortalError


def _messages(detail: Any) -> list[str]:
    if isinstance(detail, list):
        return [str(m) for d in detail for m in _messages(d)]
    if isinstance(detail, dict):
        return [str(m) for d in detail.values() for m in _messages(d)]
    return [str(detail)]


def _first_code(codes: Any) -> str:
    if isinstance(codes, list | tuple):
        return _first_code(codes[0]) if codes else "invalid"
    if isinstance(codes, dict):
        return _first_code(next(iter(codes.values()))) if codes else "invalid"
    return str(codes)


def body(
    code: str, message: str, fields: dict[str, list[str]] | None = None, lines: list[Any] | None = None
) -> dict[str, Any]:
    answer: dict[str, Any] = {"code": code, "message": message, "fields": fields or {}}
    if lines is not None:
        answer["lines"] = lines
    return answer


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, PortalError):
        code = (
            status.HTTP_409_CONFLICT
            # A deadline that passed is the current state too: the same request was possible before it.
            if isinstance(exc, InvalidTransition | DeadlinePassed)
            else status.HTTP_403_FORBIDDEN
            if isinstance(exc, NotPermitted)
            else getattr(exc, "http_status", status.HTTP_400_BAD_REQUEST)  # e.g. 429 for the daily link quota
        )
        fields = {exc.field: [exc.message]} if exc.field else {}
        lines = getattr(exc, "lines", None)
        if lines is not None:
            from .serializers_filing import LinkLineOut

            lines = LinkLineOut(lines, many=True).data
        retry_after = getattr(exc, "retry_after", None)
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
        return Response(body(str(exc.code), exc.message, fields, lines), status=code, headers=headers)
    if isinstance(exc, Http404 | ObjectDoesNotExist):
        exc = exceptions.NotFound()
    if not isinstance(exc, exceptions.APIException):
        return None  # a bug: Django's 500 handling (logged, reported; ``server_error`` answers), no traceback leaks
    headers = {}
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        headers["Retry-After"] = str(int(exc.wait) + 1)
    auth_header = getattr(exc, "auth_header", None)
    if auth_header:
        headers["WWW-Authenticate"] = auth_header
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        if isinstance(detail, dict):
            fields = {str(name): _messages(messages) for name, messages in detail.items()}
            return Response(
                body(_first_code(exc.get_codes()), "The request has invalid fields.", fields),
                status=exc.status_code,
                headers=headers,
            )
        return Response(body(_first_code(exc.get_codes()), " ".join(_messages(detail))), status=exc.status_code)
    code = exc.get_codes() if isinstance(exc.detail, str) else exc.default_code
    return Response(body(str(code), " ".join(_messages(exc.detail))), status=exc.status_code, headers=headers)


API_PREFIX = "/api/"


def server_error(request: HttpRequest) -> HttpResponse:
    """The site's 500 handler (``handler500``): under the API, the error shape with the stable code
    ``server_error``, which a client's tool can read; elsewhere the portal's 500 page. Django has logged and
    reported the exception before it calls this. Nothing here reads the database: the error may be the database."""
    if not request.path.startswith(API_PREFIX):
        return pages.server_error(request)
    message = _(
        "Something went wrong on our side. Try again in a few minutes: a write sent again with the same "
        "Idempotency-Key is not done twice."
    )
    return JsonResponse(body("server_error", message), status=status.HTTP_500_INTERNAL_SERVER_ERROR)
