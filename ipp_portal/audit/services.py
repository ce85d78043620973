"""Writing the audit trail. Called by every state-changing service inside its transaction."""

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from .models import AuditEvent
from .verbs import Verb

if TYPE_CHECKING:
    from django.db.models import Model

    from ipp_portal.accounts.models import User


def record(
    *,
    actor: "User | None",
    verb: str,
    target: "Model | None" = None,
    before: str = "",
    after: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event; must run inside the transaction of the change it describes."""
    verb = Verb(verb)  # a verb not in the list is a bug, not a new kind of event
    if not transaction.get_connection().in_atomic_block:
        # An audit row outside the change's transaction could survive a rolled-back change (or vice versa).
        raise RuntimeError("audit.record() must be called inside the transaction of the change it records.")
    is_user = actor is not None and getattr(actor, "pk", None) is not None
    return AuditEvent.objects.create(
        actor=actor if is_user else None,
        actor_label=actor.email if actor is not None and is_user else "system",
        verb=verb,
        target_type=ContentType.objects.get_for_model(target) if target is not None else None,
        target_id=str(target.pk) if target is not None else "",
        target_label=str(target)[:300] if target is not None else "",
        from_state=str(before or ""),
        to_state=str(after or ""),
        data=data or {},
    )


def record_many(
    *,
    actor: "User | None",
    verb: str,
    targets: "Iterable[Model]",
    before: str = "",
    after: str = "",
    data: dict[str, Any] | None = None,
    befores: list[str] | None = None,
) -> int:
    """One event per target in a single insert (a batch decision over hundreds of items); ``befores`` gives each
    target its own previous state when a batch does not start from one state."""
    verb = Verb(verb)
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record_many() must be called inside the transaction of the change it records.")
    targets = list(targets)
    if not targets:
        return 0
    if befores is None:
        befores = [before] * len(targets)
    elif len(befores) != len(targets):
        raise ValueError("record_many() needs one previous state per target.")
    is_user = actor is not None and getattr(actor, "pk", None) is not None
    content_type = ContentType.objects.get_for_model(targets[0])
    AuditEvent.objects.bulk_create(
        AuditEvent(
            actor=actor if is_user else None,
            actor_label=actor.email if actor is not None and is_user else "system",
            verb=verb,
            target_type=content_type,
            target_id=str(target.pk),
            target_label=str(target)[:300],
            from_state=str(previous or ""),
            to_state=str(after or ""),
            data=data or {},
        )
        for target, previous in zip(targets, befores, strict=True)
    )
    return len(targets)
