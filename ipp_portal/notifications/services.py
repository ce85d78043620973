"""Queueing, delivering and reading notifications.

``queue`` writes the outbox row inside the caller's transaction and schedules delivery on commit, so a rolled-back
change sends nothing. ``notification_deliver`` is idempotent: it locks the row and sends only while it is pending,
so a redelivered or retried task never sends twice. The beat sweep re-dispatches rows the broker may have lost.
"""

import json
import logging
from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from .models import Notification

logger = logging.getLogger(__name__)


class DeliveryFailed(Exception):
    """A transient failure; the task retries with backoff."""


def _render(template: str, context: dict[str, Any]) -> tuple[str, str, str]:
    ctx = {"site_url": settings.SITE_URL, **context}
    subject = " ".join(render_to_string(f"notifications/{template}.subject.txt", ctx).split())
    text = render_to_string(f"notifications/{template}.txt", ctx).strip() + "\n"
    html = render_to_string(f"notifications/{template}.html", ctx)
    return subject[:300], text, html


def queue(
    *,
    recipient,
    template: str,
    context: dict[str, Any] | None = None,
    target=None,
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
    ids = [row.pk for row in created]
    transaction.on_commit(lambda: [dispatch(pk) for pk in ids], robust=True)
    return created


def dispatch(notification_id: int) -> None:
    """Hand one outbox row to Celery. A broker outage is logged, not raised: the sweep dispatches it later."""
    from .tasks import notify_by_email

    try:
        notify_by_email.delay(notification_id)
    except Exception:  # the broker is down or unreachable; the row stays pending for the sweep
        logger.warning("Could not dispatch notification %s; the sweep will retry.", notification_id, exc_info=True)


def notification_deliver(notification_id: int) -> Notification | None:
    """Send one notification by email if it is still pending; idempotent under redelivery and retries."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("recipient")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None or notification.status != Notification.Status.PENDING:
            return notification
        message = EmailMultiAlternatives(
            subject=notification.subject,
            body=notification.body_text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[notification.recipient.email],
            headers={"X-IPP-Notification": str(notification.pk)},
        )
        if notification.body_html:
            message.attach_alternative(notification.body_html, "text/html")
        notification.attempts += 1
        try:
            message.send()
        except Exception as exc:
            notification.last_error = f"{type(exc).__name__}: {exc}"[:500]
            if notification.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
                notification.status = Notification.Status.FAILED
            notification.save(update_fields=["attempts", "last_error", "status"])
            failed = exc
        else:
            notification.status = Notification.Status.SENT
            notification.sent_at = timezone.now()
            notification.last_error = ""
            notification.save(update_fields=["attempts", "status", "sent_at", "last_error"])
            return notification
    if notification.status == Notification.Status.PENDING:
        raise DeliveryFailed(str(failed)) from failed
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
            for pk in ids:
                transaction.on_commit(partial(dispatch, pk), robust=True)
    return len(ids)


def notification_mark_read(*, notification_id: int, user) -> Notification:
    """Mark one of the user's notifications read (another user's id: DoesNotExist, shown as 404)."""
    with transaction.atomic():
        notification = Notification.objects.select_for_update().get(pk=notification_id, recipient=user)
        if notification.read_at is None:
            notification.read_at = timezone.now()
            notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())


def retry_countdown(retries: int) -> int:
    """Exponential backoff with a ceiling: 30 s, 60 s, 2 min … capped at 30 min."""
    return int(min(timedelta(minutes=30).total_seconds(), 30 * (2**retries)))
