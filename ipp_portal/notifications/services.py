"""Queueing, delivering and reading notifications.

``queue`` writes the outbox row inside the caller's transaction and schedules delivery on commit, so a rolled-back
change sends nothing. Handing rows to the broker never fails or stalls the request that committed them: short
broker timeouts, no publish retries, and after one failure the rest of the batch (and further dispatches for a few
seconds) are left pending for the beat sweep, which re-dispatches rows the broker lost or never got.

Email is delivered at least once. ``notification_deliver`` sends only while the row is pending and one delivery at a
time per row, so redeliveries and retries do not send twice; but a worker that dies after the mail relay accepted a
message and before ``sent`` was committed leaves the row pending, and the next delivery sends it again. Each attempt
is counted and committed before the relay is contacted, and every send of a row carries the same ``Message-ID``, so
such a duplicate shows in ``attempts`` and mail clients and relays can recognise it.
"""

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from email.utils import parseaddr
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from .models import Notification

if TYPE_CHECKING:
    from celery import Task
    from django.db.models import Model

    from ipp_portal.accounts.models import User

logger = logging.getLogger(__name__)


class DeliveryFailed(Exception):
    """A transient failure; the task retries with backoff."""


# Callables that higher apps register in their ``AppConfig.ready`` to learn of every notice queued, with the new
# rows, inside the transaction that queued them (the API's webhooks write their own outbox rows there, so a webhook
# exists exactly when its notice does). A listener must not fail for a notice it does not care about: an exception
# rolls back the change being reported.
LISTENERS: list[Callable[[list[Notification]], None]] = []


def _tell_listeners(rows: list[Notification]) -> None:
    for listener in LISTENERS:
        listener(rows)


def _render(template: str, context: dict[str, Any]) -> tuple[str, str, str]:
    ctx = {"site_url": settings.SITE_URL, **context}
    subject = " ".join(render_to_string(f"notifications/{template}.subject.txt", ctx).split())
    text = render_to_string(f"notifications/{template}.txt", ctx).strip() + "\n"
    html = render_to_string(f"notifications/{template}.html", ctx)
    return subject[:300], text, html


def queue(
    *,
    recipient: "User",
    template: str,
    context: dict[str, Any] | None = None,
    target: "Model | None" = None,
    dedupe_key: str | None = None,
    is_sensitive: bool = False,
) -> Notification:
    """Write one outbox row in the current transaction; deliver it after commit (once per dedupe key)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("notifications.queue() must run inside the transaction of the change it reports.")
    context = context or {}
    subject, text, html = _render(template, context)
    fields = {
        "recipient": recipient,
        "template": template,
        "context": context,
        "subject": subject,
        "body_text": text,
        "body_html": html,
        "is_sensitive": is_sensitive,
        "target_type": ContentType.objects.get_for_model(target) if target is not None else None,
        "target_id": str(target.pk) if target is not None else "",
        "dedupe_key": dedupe_key,
        "dispatched_at": timezone.now(),
    }
    if dedupe_key:
        existing = Notification.objects.filter(dedupe_key=dedupe_key).first()
        if existing:
            return existing
        try:
            with transaction.atomic():
                notification = Notification.objects.create(**fields)
        except IntegrityError:
            return Notification.objects.get(dedupe_key=dedupe_key)
    else:
        notification = Notification.objects.create(**fields)
    _tell_listeners([notification])
    transaction.on_commit(partial(dispatch, notification.pk), robust=True)
    return notification


def queue_many(notices: list[dict[str, Any]]) -> list[Notification]:
    """Queue many notices in one insert (a sweep over thousands of rows); each dict takes ``queue``'s arguments
    except ``dedupe_key``. Delivered after commit like every other notice."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("notifications.queue_many() must run inside the transaction of the change it reports.")
    now = timezone.now()
    rows = []
    rendered: dict[str, tuple[str, str, str]] = {}  # a sweep sends few distinct messages many times: render each once
    for notice in notices:
        context = notice.get("context") or {}
        key = f"{notice['template']}\x00{json.dumps(context, sort_keys=True, default=str)}"
        if key not in rendered:
            rendered[key] = _render(notice["template"], context)
        subject, text, html = rendered[key]
        target = notice.get("target")
        rows.append(
            Notification(
                recipient=notice["recipient"],
                template=notice["template"],
                context=context,
                subject=subject,
                body_text=text,
                body_html=html,
                is_sensitive=notice.get("is_sensitive", False),
                target_type=ContentType.objects.get_for_model(target) if target is not None else None,
                target_id=str(target.pk) if target is not None else "",
                dispatched_at=now,
            )
        )
    created = Notification.objects.bulk_create(rows)
    _tell_listeners(created)
    transaction.on_commit(partial(dispatch_many, [row.pk for row in created]), robust=True)
    return created


# After a broker failure, requests stop handing rows to the broker for this long: one commit queues a notice per
# seller (dozens of on_commit callbacks), and each would otherwise wait for the broker timeout again. The rows stay
# pending; the sweep (every minute, after NOTIFICATION_REDISPATCH_AFTER) delivers them.
DISPATCH_PAUSE_SECONDS = 10.0
_pause_lock = threading.Lock()
_paused_until = 0.0


def _dispatch_paused() -> bool:
    return time.monotonic() < _paused_until


def _pause_dispatch() -> None:
    global _paused_until
    with _pause_lock:
        _paused_until = time.monotonic() + DISPATCH_PAUSE_SECONDS


def dispatch_pause_clear() -> None:
    """Forget a broker failure seen by this process (tests that take a broker down and bring it back)."""
    global _paused_until
    with _pause_lock:
        _paused_until = 0.0


def dispatch(notification_id: int) -> None:
    """Hand one outbox row to Celery (see ``dispatch_many``)."""
    dispatch_many([notification_id])


def dispatch_many(notification_ids: list[int], *, probe: bool = False) -> int:
    """Hand outbox rows to Celery (``hand_to_broker``) and return how many were handed over. Never raises."""
    from .tasks import notify_by_email

    return hand_to_broker(notify_by_email, notification_ids, probe=probe)


def hand_to_broker(task: "Task", ids: list[int], *, probe: bool = False) -> int:
    """Queue ``task(id)`` for each id over one broker connection and return how many were handed over. Never raises.

    Runs after the commit of a request, so it must not stall or fail it: the broker gets one connection attempt and
    one publish try per id within the broker timeouts (settings: CELERY_BROKER_CONNECTION_TIMEOUT and the transport
    socket timeouts), and the first failure ends the batch. What was not handed over stays pending for a sweep.
    While dispatch is paused after a failure (one broker, so one pause for every task), nothing is tried unless
    ``probe`` (a sweep, which runs on a worker and is what finds out the broker is back)."""
    if not ids:
        return 0
    app = task.app
    if app.conf.task_always_eager:  # run in this process; no broker involved
        for pk in ids:
            task.apply_async((pk,))
        return len(ids)
    if not probe and _dispatch_paused():
        logger.debug("Broker recently failed; %d %s task(s) left for the sweep.", len(ids), task.name)
        return 0
    handed = 0
    try:
        with app.producer_or_acquire() as producer:
            # One connection attempt (pooled connections are checked too): kombu would otherwise retry for the
            # whole connection timeout, with sleeps in between.
            producer.connection.ensure_connection(max_retries=0)
            for pk in ids:
                task.apply_async((pk,), producer=producer, retry=False)
                handed += 1
    except Exception:  # the broker is down, unreachable or hung: the rows stay pending for the sweep
        _pause_dispatch()
        logger.warning(
            "Could not hand %d of %d %s task(s) to the broker (first id %s); the sweep will retry.",
            len(ids) - handed,
            len(ids),
            task.name,
            ids[handed],
            exc_info=True,
        )
    return handed


def message_id(notification: Notification) -> str:
    """The Message-ID every send of this row carries: a resend is recognisably the same message."""
    domain = urlsplit(settings.SITE_URL).hostname or parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2]
    return f"<notification-{notification.pk}@{domain or 'localhost'}>"


@contextmanager
def _one_delivery_at_a_time(notification_id: int) -> Iterator[None]:
    """Hold a PostgreSQL session lock on the row's id while it is sent, so concurrent deliveries (a redelivery and
    the sweep) wait and then find it sent. The database drops the lock if the worker dies. Other databases (the
    embedded SQLite of a development machine) run one worker at most and go without."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", [_ADVISORY_LOCK_SPACE, notification_id])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_ADVISORY_LOCK_SPACE, notification_id])


# The first key of the two-key advisory locks taken on notification ids (an arbitrary constant for this table).
_ADVISORY_LOCK_SPACE = 4201


def notification_deliver(notification_id: int) -> Notification | None:
    """Send one notification by email if it is still pending (at least once; see the module docstring).

    The attempt is counted and committed first, in a short transaction of its own; then the message goes to the
    relay outside any transaction; then the row is marked sent. A crash between the relay's acceptance and the last
    step leaves the row pending with the attempt counted, and the next delivery sends the same message again."""
    with _one_delivery_at_a_time(notification_id):
        with transaction.atomic():
            notification = (
                Notification.objects.select_for_update(of=("self",))
                .select_related("recipient")
                .filter(pk=notification_id)
                .first()
            )
            if notification is None or notification.status != Notification.Status.PENDING:
                return notification
            notification.attempts += 1
            notification.last_attempt_at = timezone.now()
            notification.save(update_fields=["attempts", "last_attempt_at"])
        message = EmailMultiAlternatives(
            subject=notification.subject,
            body=notification.body_text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[notification.recipient.email],
            headers={"Message-ID": message_id(notification), "X-IPP-Notification": str(notification.pk)},
        )
        if notification.body_html:
            message.attach_alternative(notification.body_html, "text/html")
        try:
            message.send()
        except Exception as exc:
            notification.last_error = f"{type(exc).__name__}: {exc}"[:500]
            if notification.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
                notification.status = Notification.Status.FAILED
            Notification.objects.filter(pk=notification.pk, status=Notification.Status.PENDING).update(
                last_error=notification.last_error, status=notification.status
            )
            if notification.status == Notification.Status.PENDING:
                raise DeliveryFailed(str(exc)) from exc
            return notification
        notification.status = Notification.Status.SENT
        notification.sent_at = timezone.now()
        notification.last_error = ""
        Notification.objects.filter(pk=notification.pk, status=Notification.Status.PENDING).update(
            status=notification.status, sent_at=notification.sent_at, last_error=""
        )
        return notification


def notifications_redispatch_pending(*, batch_size: int = 500) -> int:
    """Dispatch again every pending row whose last dispatch is older than the redispatch delay."""
    cutoff = timezone.now() - settings.NOTIFICATION_REDISPATCH_AFTER
    with transaction.atomic():
        ids = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(status=Notification.Status.PENDING, dispatched_at__lt=cutoff)
            .order_by("dispatched_at")
            .values_list("pk", flat=True)[:batch_size]
        )
        if ids:
            Notification.objects.filter(pk__in=ids).update(dispatched_at=timezone.now())
            transaction.on_commit(partial(dispatch_many, ids, probe=True), robust=True)
    return len(ids)


def notification_mark_read(*, notification_id: int, user: "User") -> Notification:
    """Mark one of the user's notifications read (another user's id: DoesNotExist, shown as 404)."""
    with transaction.atomic():
        notification = Notification.objects.select_for_update().get(pk=notification_id, recipient=user)
        if notification.read_at is None:
            notification.read_at = timezone.now()
            notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user: "User") -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())


def retry_countdown(retries: int) -> int:
    """Exponential backoff with a ceiling: 30 s, 60 s, 2 min … capped at 30 min."""
    return int(min(timedelta(minutes=30).total_seconds(), 30 * (2**retries)))
