"""Writes of webhooks: endpoints (added with a secret shown once, rotated with an overlap, disabled, enabled,
deleted, each audited), redeliveries, and the delivery itself.

A delivery is sent at least once and, in the normal course, exactly once per endpoint: the attempt is counted and
the next one scheduled (``next_attempt_at``) in a short transaction before the receiver is contacted, under a
PostgreSQL advisory lock on the delivery, so a second task for the same row (the sweep, a redelivery, a broker
that delivered a task twice) finds it locked, not due, or delivered. A worker that dies after the receiver answered
and before the result was saved leaves the row pending, and it is sent again with the same ``Webhook-Id``: that is
what the id is for (receivers de-duplicate on it).

Retries are not Celery countdowns (tasks are never scheduled past the broker's visibility timeout): a failed attempt
stores when the next is due, with exponential backoff, and the beat sweep hands due rows to the broker.
"""

import hashlib
import hmac
import http.client
import ipaddress
import json
import secrets
import socket
import ssl
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ipp_portal.audit.services import record
from ipp_portal.audit.verbs import Verb
from ipp_portal.errors import NotPermitted, PortalError
from ipp_portal.notifications import services as notifications

from .models import EventType, WebhookAttempt, WebhookDelivery, WebhookEndpoint

if TYPE_CHECKING:
    from ipp_portal.accounts.models import User


SECRET_START = "whsec_"  # noqa: S105 - the public start every signing secret shares, not a secret
MAX_ENDPOINTS = 10
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
# The first key of the two-key advisory locks taken on delivery ids (an arbitrary constant for this table).
_ADVISORY_LOCK_SPACE = 4202


class WebhookError(PortalError):
    code = "webhook_invalid"


class DeliveryRefused(Exception):
    """The address may not be contacted (it resolves to a private, loopback or reserved address)."""


# --- Signing --------------------------------------------------------------------------------------------------


def new_secret() -> str:
    return f"{SECRET_START}{secrets.token_urlsafe(32)}"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """HMAC-SHA256 of ``"{timestamp}.{body}"`` with the secret, in hex."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secrets_: Iterable[str], timestamp: int, body: bytes) -> str:
    """``v1=<hex>`` for each signing secret (two during a rotation's overlap), comma-separated."""
    return ",".join(f"v1={signature(s, timestamp, body)}" for s in secrets_)


def verify(secret: str, header: str, timestamp: str | int, body: bytes) -> bool:
    """What a receiver does (documented, and used by the tests): any ``v1`` signature made with the secret."""
    expected = signature(secret, int(timestamp), body)
    candidates = [part.strip()[3:] for part in header.split(",") if part.strip().startswith("v1=")]
    return any(hmac.compare_digest(expected, c) for c in candidates)


def body_of(payload: dict) -> bytes:
    """The exact bytes sent (the same on every attempt): compact JSON with sorted keys."""
    return json.dumps(payload, cls=DjangoJSONEncoder, separators=(",", ":"), sort_keys=True).encode()


# --- Addresses ------------------------------------------------------------------------------------------------


def _local_allowed() -> bool:
    return bool(settings.DEBUG or getattr(settings, "WEBHOOKS_ALLOW_HTTP_LOCAL", False))


def _is_local(host: str) -> bool:
    return host.lower() in LOCAL_HOSTS


def check_url(url: str) -> str:
    """An endpoint's address: https, no credentials, no private or loopback literal address (a development
    machine, or the tests, may use http on 127.0.0.1 or localhost). Names are resolved and checked again at every
    delivery, where a name that resolves to a private address is refused (no requests into our own network)."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise WebhookError(_("Enter a valid address."), field="url") from exc
    host = parts.hostname or ""
    if not host or parts.username or parts.password or parts.fragment:
        raise WebhookError(_("Enter an address like https://hooks.example.com/ipp (no user name or password)."),
                           field="url")  # fmt: skip
    local = _is_local(host) and _local_allowed()
    if parts.scheme != "https" and not (parts.scheme == "http" and local):
        raise WebhookError(_("The address must start with https://."), field="url")
    if port is not None and not 0 < port < 65536:
        raise WebhookError(_("Enter a valid address."), field="url")
    if not local:
        if _is_local(host) or host.endswith(".localhost"):
            raise WebhookError(_("The address must be reachable from the internet."), field="url")
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            address = None
        if address is not None and not address.is_global:
            raise WebhookError(_("The address must be reachable from the internet."), field="url")
    if len(url) > 500:
        raise WebhookError(_("The address is too long (500 characters at most)."), field="url")
    return url


def _check_events(events: Iterable[str]) -> list[str]:
    chosen = sorted(set(events))
    if not chosen:
        raise WebhookError(_("Choose at least one event."), field="events")
    if set(chosen) - set(EventType.values):
        raise WebhookError(_("That event does not exist."), field="events")
    return chosen


def _require_complainant(user: "User") -> None:
    from complaints.models import Complainant

    if not Complainant.objects.filter(user=user).exists():
        raise NotPermitted(_("Webhooks report on claims and rights: they need a complainant profile."))


# --- Endpoints ------------------------------------------------------------------------------------------------


@transaction.atomic
def webhook_endpoint_create(
    *, user: "User", url: str, events: Iterable[str], description: str = ""
) -> tuple[WebhookEndpoint, str]:
    """Add an endpoint; returns it with its signing secret, to be shown once."""
    _require_complainant(user)
    url = check_url(url)
    chosen = _check_events(events)
    if WebhookEndpoint.objects.filter(owner=user).count() >= MAX_ENDPOINTS:
        raise WebhookError(_("You have %(n)d endpoints: delete one first.") % {"n": MAX_ENDPOINTS}, field="url")
    secret = new_secret()
    endpoint = WebhookEndpoint.objects.create(
        owner=user, url=url, events=chosen, description=description.strip()[:200], secret=secret
    )
    record(actor=user, verb=Verb.WEBHOOK_ENDPOINT_CREATED, target=endpoint, data={"url": url, "events": chosen})
    return endpoint, secret


def _lock_own(user: "User", endpoint_id: int) -> WebhookEndpoint:
    """One of the user's endpoints, locked (anyone else's: DoesNotExist, shown as 404)."""
    return WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id, owner=user)


@transaction.atomic
def webhook_endpoint_rotate_secret(*, user: "User", endpoint_id: int) -> tuple[WebhookEndpoint, str]:
    """A new secret signs from now on; the one it replaces also signs for WEBHOOK_ROTATION_OVERLAP (24 h), so the
    receiver can switch without refusing a delivery. A rotation during an overlap ends the older overlap: at most
    two secrets sign."""
    endpoint = _lock_own(user, endpoint_id)
    secret = new_secret()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = timezone.now() + settings.WEBHOOK_ROTATION_OVERLAP
    endpoint.secret = secret
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
    record(actor=user, verb=Verb.WEBHOOK_ENDPOINT_SECRET_ROTATED, target=endpoint,
           data={"old_valid_until": endpoint.previous_secret_expires_at})  # fmt: skip
    return endpoint, secret


@transaction.atomic
def webhook_endpoint_disable(*, user: "User", endpoint_id: int) -> WebhookEndpoint:
    """Stop sending (pending deliveries wait; no new events are recorded for it). Twice is a no-op."""
    endpoint = _lock_own(user, endpoint_id)
    if endpoint.disabled_at is None:
        endpoint.disabled_at = timezone.now()
        endpoint.disabled_reason = WebhookEndpoint.DisabledReason.OWNER
        endpoint.save(update_fields=["disabled_at", "disabled_reason"])
        record(actor=user, verb=Verb.WEBHOOK_ENDPOINT_DISABLED, target=endpoint, data={"reason": "owner"})
    return endpoint


@transaction.atomic
def webhook_endpoint_enable(*, user: "User", endpoint_id: int) -> WebhookEndpoint:
    """Send again: the failure count starts afresh and deliveries still pending are due now."""
    endpoint = _lock_own(user, endpoint_id)
    if endpoint.disabled_at is not None:
        endpoint.disabled_at = None
        endpoint.disabled_reason = ""
        endpoint.consecutive_failures = 0
        endpoint.failing_since = None
        endpoint.save(update_fields=["disabled_at", "disabled_reason", "consecutive_failures", "failing_since"])
        record(actor=user, verb=Verb.WEBHOOK_ENDPOINT_ENABLED, target=endpoint)
        due = list(
            WebhookDelivery.objects.filter(endpoint=endpoint, status=WebhookDelivery.Status.PENDING).values_list(
                "pk", flat=True
            )
        )
        if due:
            now = timezone.now()
            WebhookDelivery.objects.filter(pk__in=due).update(next_attempt_at=now, dispatched_at=now)
            dispatch_after_commit(due)
    return endpoint


@transaction.atomic
def webhook_endpoint_delete(*, user: "User", endpoint_id: int) -> None:
    """Delete an endpoint with its deliveries and their log (the audit trail keeps that it existed)."""
    endpoint = _lock_own(user, endpoint_id)
    record(actor=user, verb=Verb.WEBHOOK_ENDPOINT_DELETED, target=endpoint, data={"url": endpoint.url})
    endpoint.delete()


@transaction.atomic
def webhook_redeliver(*, user: "User", endpoint_id: int, delivery_id: int) -> WebhookDelivery:
    """Send a delivery again, with the same event id, as soon as a worker takes it (the retry schedule starts
    again). The endpoint must be enabled. Another user's delivery: DoesNotExist."""
    delivery = (
        WebhookDelivery.objects.select_for_update(of=("self",))
        .select_related("endpoint", "event")
        .get(pk=delivery_id, endpoint_id=endpoint_id, endpoint__owner=user)
    )
    if not delivery.endpoint.is_active:
        raise WebhookError(_("The endpoint is disabled: enable it first."), field=None)
    now = timezone.now()
    delivery.status = WebhookDelivery.Status.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = now
    delivery.dispatched_at = now
    delivery.redelivery_requested = True
    delivery.save(update_fields=["status", "attempts", "next_attempt_at", "dispatched_at", "redelivery_requested"])
    record(actor=user, verb=Verb.WEBHOOK_REDELIVERY_REQUESTED, target=delivery.endpoint,
           data={"delivery": delivery.pk, "event_id": str(delivery.event.event_id)})  # fmt: skip
    dispatch_after_commit([delivery.pk])
    return delivery


# --- Dispatch and delivery ------------------------------------------------------------------------------------


def dispatch_after_commit(delivery_ids: list[int]) -> None:
    transaction.on_commit(partial(dispatch_many, delivery_ids), robust=True)


def dispatch_many(delivery_ids: list[int], *, probe: bool = False) -> int:
    """Hand deliveries to Celery (``notifications.hand_to_broker``: never raises, never stalls the request that
    committed them, and shares the pause after a broker failure with notices: one broker). What is not handed over
    is due and the sweep sends it."""
    from .tasks import deliver_webhook

    return notifications.hand_to_broker(deliver_webhook, delivery_ids, probe=probe)


def webhooks_dispatch_due(*, batch_size: int = 500, now: datetime | None = None) -> int:
    """The sweep: hand the broker every pending delivery that is due and not already handed over for this attempt
    (or handed over so long ago that the broker must have lost it). Retries happen here, at ``next_attempt_at``."""
    now = now or timezone.now()
    not_handed_over = (
        Q(dispatched_at__isnull=True)
        | Q(dispatched_at__lt=F("next_attempt_at"))
        | Q(dispatched_at__lt=now - settings.WEBHOOK_REDISPATCH_AFTER)
    )

    with transaction.atomic():
        ids = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now, endpoint__disabled_at__isnull=True)
            .filter(not_handed_over)
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:batch_size]
        )
        if ids:
            WebhookDelivery.objects.filter(pk__in=ids).update(dispatched_at=now)
            transaction.on_commit(partial(dispatch_many, ids, probe=True), robust=True)
    return len(ids)


def retry_delay(attempts: int) -> timedelta:
    """After the n-th failed attempt: 1 min, 2 min, 4 min … capped at 6 h (ten attempts span about 8.5 hours)."""
    return min(timedelta(hours=6), timedelta(minutes=1) * 2 ** max(attempts - 1, 0))


@contextmanager
def _one_delivery_at_a_time(delivery_id: int) -> Iterator[bool]:
    """Try a PostgreSQL session lock on the delivery while it is sent: a second task for it gives up at once (the
    first one is sending). The database drops the lock if the worker dies."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_ADVISORY_LOCK_SPACE, delivery_id])
        got = bool(cursor.fetchone()[0])
    try:
        yield got
    finally:
        if got:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_ADVISORY_LOCK_SPACE, delivery_id])


def _resolve(host: str, port: int) -> str:
    """The address to connect to, checked: a name that resolves to a private, loopback or reserved address is
    refused outside development (another host's DNS answer must not open our own network)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = [str(info[4][0]) for info in infos]
    if not (_is_local(host) and _local_allowed()):
        bad = [a for a in addresses if not ipaddress.ip_address(a.split("%")[0]).is_global]
        if bad:
            raise DeliveryRefused(f"{host} resolves to a non-public address ({bad[0]})")
    return addresses[0]


def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST the body and return the answer's status code. Connects to the address it checked (not to a second DNS
    answer), follows no redirects, reads at most 1 KB of the answer, and gives up after WEBHOOK_CONNECT_TIMEOUT to
    connect and WEBHOOK_READ_TIMEOUT for each read, so a receiver that accepts and never answers costs a worker a
    few seconds."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    address = _resolve(host, port)
    sock = socket.create_connection((address, port), timeout=settings.WEBHOOK_CONNECT_TIMEOUT)
    try:
        if https:
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=host)
        sock.settimeout(settings.WEBHOOK_READ_TIMEOUT)
        conn = http.client.HTTPConnection(host, port)
        conn.sock = sock
        shown_host = f"[{host}]" if ":" in host else host
        path = parts.path or "/"
        if parts.query:
            path += f"?{parts.query}"
        conn.request(
            "POST",
            path,
            body=body,
            headers={"Host": shown_host if port == (443 if https else 80) else f"{shown_host}:{port}", **headers},
        )
        response = conn.getresponse()
        response.read(1024)
        return response.status
    finally:
        sock.close()


def _headers(delivery: WebhookDelivery, body: bytes, now: datetime) -> dict[str, str]:
    timestamp = int(now.timestamp())
    return {
        "Content-Type": "application/json",
        "User-Agent": "IPP-Portal-Webhooks/1",
        "Webhook-Id": str(delivery.event.event_id),
        "Webhook-Timestamp": str(timestamp),
        "Webhook-Signature": signature_header(delivery.endpoint.signing_secrets(now), timestamp, body),
    }


def webhook_deliver(delivery_id: int) -> WebhookDelivery | None:
    """Send one delivery if it is pending, due and its endpoint enabled; log the attempt; schedule the next one or
    give up after WEBHOOK_MAX_ATTEMPTS. See the module docstring for why this sends exactly once in the normal
    course and at least once always."""
    with _one_delivery_at_a_time(delivery_id) as got:
        if not got:
            return None
        now = timezone.now()
        with transaction.atomic():
            delivery = (
                WebhookDelivery.objects.select_for_update(of=("self",))
                .select_related("event", "endpoint")
                .filter(pk=delivery_id)
                .first()
            )
            if (
                delivery is None
                or delivery.status != WebhookDelivery.Status.PENDING
                or not delivery.endpoint.is_active
                or delivery.next_attempt_at > now
            ):
                return delivery
            redelivery = delivery.redelivery_requested
            delivery.attempts += 1
            delivery.redelivery_requested = False
            # Counted and rescheduled before the request: a worker that dies mid-request is retried by the sweep.
            delivery.next_attempt_at = now + retry_delay(delivery.attempts)
            delivery.save(update_fields=["attempts", "redelivery_requested", "next_attempt_at"])
        body = body_of(delivery.event.payload)
        started = time.monotonic()
        status_code: int | None = None
        error = ""
        try:
            status_code = post(delivery.endpoint.url, body, _headers(delivery, body, now))
        except Exception as exc:  # refused, unresolvable, timed out, TLS: a failed attempt, retried
            error = f"{type(exc).__name__}: {exc}"[:500]
        duration_ms = int((time.monotonic() - started) * 1000)
        if status_code is not None and not 200 <= status_code < 300:
            error = f"HTTP {status_code}"
        _record_attempt(delivery, status_code=status_code, error=error, duration_ms=duration_ms, redelivery=redelivery)
        return delivery


@transaction.atomic
def _record_attempt(
    delivery: WebhookDelivery, *, status_code: int | None, error: str, duration_ms: int, redelivery: bool
) -> None:
    now = timezone.now()
    endpoint = WebhookEndpoint.objects.select_for_update().filter(pk=delivery.endpoint_id).first()
    if endpoint is None:  # deleted while the request was under way: its deliveries and log went with it
        return
    WebhookAttempt.objects.create(
        delivery=delivery, at=now, status_code=status_code, duration_ms=duration_ms, error=error, redelivery=redelivery
    )
    delivery.last_status_code = status_code
    delivery.last_error = error
    fields = ["last_status_code", "last_error", "status", "delivered_at"]
    if not error:
        delivery.status = WebhookDelivery.Status.DELIVERED
        delivery.delivered_at = now
        if endpoint.consecutive_failures or endpoint.failing_since:
            endpoint.consecutive_failures = 0
            endpoint.failing_since = None
            endpoint.save(update_fields=["consecutive_failures", "failing_since"])
    else:
        if delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
            delivery.status = WebhookDelivery.Status.FAILED
        endpoint.consecutive_failures += 1
        endpoint.failing_since = endpoint.failing_since or now
        endpoint.save(update_fields=["consecutive_failures", "failing_since"])
        if endpoint.is_active and _should_disable(endpoint, now):
            _disable_for_failures(endpoint, now)
    WebhookDelivery.objects.filter(pk=delivery.pk, status=WebhookDelivery.Status.PENDING).update(
        **{f: getattr(delivery, f) for f in fields}
    )


def _should_disable(endpoint: WebhookEndpoint, now: datetime) -> bool:
    """Failing for long enough, not merely often: WEBHOOK_DISABLE_AFTER_FAILURES attempts in a row over at least
    WEBHOOK_DISABLE_AFTER (a receiver down for a few minutes is not disabled, whatever the traffic)."""
    return (
        endpoint.consecutive_failures >= settings.WEBHOOK_DISABLE_AFTER_FAILURES
        and endpoint.failing_since is not None
        and now - endpoint.failing_since >= settings.WEBHOOK_DISABLE_AFTER
    )


def _disable_for_failures(endpoint: WebhookEndpoint, now: datetime) -> None:
    endpoint.disabled_at = now
    endpoint.disabled_reason = WebhookEndpoint.DisabledReason.FAILURES
    endpoint.save(update_fields=["disabled_at", "disabled_reason"])
    record(actor=None, verb=Verb.WEBHOOK_ENDPOINT_DISABLED, target=endpoint,
           data={"reason": "failures", "failures": endpoint.consecutive_failures})  # fmt: skip
    notifications.queue(
        recipient=endpoint.owner,
        template="api/webhook_disabled",
        context={
            "url": endpoint.url,
            "failures": endpoint.consecutive_failures,
            "since": endpoint.failing_since,
            "path": reverse("webhooks:detail", args=[endpoint.pk]),
        },
        target=endpoint,
    )
