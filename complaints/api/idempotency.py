"""``Idempotency-Key`` for every write of the API (POST, PUT, PATCH, DELETE under ``/api/v1/``).

A client that did not get an answer (a timeout, a dropped connection) cannot know whether its claim was filed; it
sends the same request again with the same key and gets the first answer instead of a second claim. Rules:

- the first request with a key claims it in a row of its own, committed before the request runs; a second request
  with the key while the first runs is refused (409 ``idempotency_in_progress``), never run beside it;
- a later request with the key and the same method, path and body gets the stored status and body again, marked
  ``Idempotent-Replayed: true``; with another method, path or body it is refused (422 ``idempotency_key_reused``);
- an answer that says nothing about the request itself is not kept, so the client may retry with the same key:
  a server error (5xx), a refused token or scope (401, 403) and a rate limit (429);
- keys are kept for 24 hours (``IDEMPOTENCY_KEY_TTL``), then swept (``idempotency_keys_sweep``).

It is a middleware, not a base view: the endpoints of every module get it without doing anything, whatever view
class they use, and none can forget it. It finds the bearer token itself (``api_token_find``); a request without a
valid token passes through untouched and the view answers it 401. Keys belong to the token's user, not to the
token: a vendor that rotates its token between a request and the retry is still retrying the same operation.
"""

import hashlib
import re
import tempfile
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authentication import get_authorization_header

from .errors import body
from .models import ApiToken, IdempotencyKey
from .services import api_token_find

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
API_PREFIX = "/api/v1/"
MAX_KEY_LENGTH = 255
# Printable ASCII only (no control characters): what a client can put in a header and we can show back.
KEY_PATTERN = re.compile(r"[\x20-\x7e]{1,255}")
TTL = timedelta(hours=24)
# A key still "in progress" after this is a request whose worker died (its transaction rolled back): the key may be
# claimed again. Far longer than any request may run (the web server's timeout).
ABANDONED_AFTER = timedelta(minutes=10)
# Answers that say nothing about the request (who sent it, when), so a retry with the same key runs again.
NOT_KEPT = frozenset({401, 403, 429})
SWEEP_BATCH = 1000


def error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(body(code, message), status=status)


def bearer_token(request: HttpRequest) -> ApiToken | None:
    """The active token a request carries, or None (the view then answers the missing or bad token)."""
    header = get_authorization_header(request).split()
    if len(header) != 2 or header[0].lower() != b"bearer":
        return None
    try:
        token = api_token_find(header[1].decode())
    except UnicodeError:
        return None
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    return token


def body_sha256(request: HttpRequest) -> str:
    """The SHA-256 of the raw body (multipart included), read once in chunks into a spooled file the view then reads
    as it would have read the request: nothing is parsed here, and a large upload goes to disk, not to memory."""
    digest = hashlib.sha256()
    spool = tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE)  # noqa: SIM115
    while chunk := request.read(64 * 1024):
        digest.update(chunk)
        spool.write(chunk)
    spool.seek(0)
    request._stream = spool  # type: ignore[attr-defined,assignment]
    request._read_started = False  # type: ignore[attr-defined]
    return digest.hexdigest()


def replay(row: IdempotencyKey) -> HttpResponse:
    assert row.status is not None  # noqa: S101 - only finished rows are replayed
    response = HttpResponse(bytes(row.response_body), status=row.status, content_type=row.content_type or None)
    response[REPLAYED_HEADER] = "true"
    if row.location:
        response["Location"] = row.location
    return response


def idempotency_claim(
    *, token: ApiToken, key: str, method: str, path: str, digest: str
) -> IdempotencyKey | HttpResponse:
    """Claim ``key`` for this request (the row, committed), or the answer instead of running it: the stored answer
    replayed, or a refusal (in progress, or the key used for another request)."""
    for _attempt in range(3):  # a row released or expired between our insert and our read: try again
        now = timezone.now()
        try:
            with transaction.atomic():
                return IdempotencyKey.objects.create(
                    user_id=token.user_id,
                    token=token,
                    key=key,
                    method=method,
                    path=path,
                    request_sha256=digest,
                    created_at=now,
                )
        except IntegrityError:
            pass  # the key exists: someone sent it before
        row = IdempotencyKey.objects.filter(user_id=token.user_id, key=key).first()
        if row is None:
            continue
        if row.created_at < now - TTL:
            IdempotencyKey.objects.filter(pk=row.pk, created_at=row.created_at).delete()
            continue
        if (row.method, row.path, row.request_sha256) != (method, path, digest):
            return error(
                422,
                "idempotency_key_reused",
                _("This Idempotency-Key was used for another request: use a new key for a new request."),
            )
        if row.status is not None:
            return replay(row)
        if row.created_at < now - ABANDONED_AFTER:
            # The first request's worker died; take the key over unless another retry just did.
            taken = IdempotencyKey.objects.filter(pk=row.pk, status__isnull=True, created_at=row.created_at).update(
                created_at=now, token=token
            )
            if taken:
                row.created_at = now
                return row
        response = error(
            409,
            "idempotency_in_progress",
            _("A request with this Idempotency-Key is still running: try again when it has finished."),
        )
        response["Retry-After"] = "1"
        return response
    return error(409, "idempotency_in_progress", _("This Idempotency-Key is in use: try again."))


def idempotency_finish(row: IdempotencyKey, response: HttpResponse) -> None:
    IdempotencyKey.objects.filter(pk=row.pk).update(
        status=response.status_code,
        response_body=response.content,
        content_type=response.get("Content-Type", ""),
        location=response.get("Location", ""),
    )


def idempotency_release(row: IdempotencyKey) -> None:
    """Forget a claimed key whose request gave no answer worth keeping, so a retry with it runs again."""
    IdempotencyKey.objects.filter(pk=row.pk, status__isnull=True).delete()


def idempotency_keys_sweep(*, now=None, batch: int = SWEEP_BATCH) -> int:
    """Delete keys older than the TTL, in batches (each its own short statement, no long lock); returns how many."""
    cutoff = (now or timezone.now()) - TTL
    deleted = 0
    while True:
        ids = list(IdempotencyKey.objects.filter(created_at__lt=cutoff).values_list("pk", flat=True)[:batch])
        if not ids:
            return deleted
        deleted += IdempotencyKey.objects.filter(pk__in=ids).delete()[0]


class IdempotencyMiddleware:
    """Applies the rules above to every write under ``/api/v1/`` that carries an ``Idempotency-Key``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get(HEADER)
        if key is None or request.method not in UNSAFE_METHODS or not request.path_info.startswith(API_PREFIX):
            return self.get_response(request)
        token = bearer_token(request)
        if token is None:
            return self.get_response(request)
        if not KEY_PATTERN.fullmatch(key):
            return error(
                400,
                "idempotency_key_invalid",
                _("The Idempotency-Key must be 1 to %(max)d printable ASCII characters.") % {"max": MAX_KEY_LENGTH},
            )
        outcome = idempotency_claim(
            token=token, key=key, method=request.method, path=request.get_full_path(), digest=body_sha256(request)
        )
        if isinstance(outcome, HttpResponse):
            return outcome
        try:
            response = self.get_response(request)
        except BaseException:
            idempotency_release(outcome)
            raise
        if response.status_code >= 500 or response.status_code in NOT_KEPT or response.streaming:
            idempotency_release(outcome)
        else:
            idempotency_finish(outcome, response)
        return response
