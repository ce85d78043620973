"""Status changes as one step: check the move against the model's transition table, save, and write the audit row
with the state each object really came from. Every status change in the code goes through ``transition`` (one
object) or ``transition_many`` (a batch); a test fails on any status change without its audit row."""

from collections.abc import Iterable, Sequence
from typing import Any

from .audit.services import record, record_many


def transition(obj, to, *, actor, verb: str, fields: Sequence[str] = (), data: dict[str, Any] | None = None):
    """Move ``obj`` to ``to`` (InvalidTransition if its table forbids it), save the status and ``fields``, audit."""
    before = obj.status
    obj.move_to(to)
    obj.save(update_fields=["status", *fields])
    record(actor=actor, verb=verb, target=obj, before=before, after=obj.status, data=data)
    return obj


def transition_many(
    objs: Iterable, to, *, actor, verb: str, fields: Sequence[str] = (), data: dict[str, Any] | None = None
) -> list:
    """The same for a batch of one model: every move checked before anything is written, one UPDATE (or one bulk
    update when other fields change per object), one audit insert with each object's own previous state."""
    objs = list(objs)
    if not objs:
        return objs
    befores = [obj.status for obj in objs]
    for obj in objs:
        obj.move_to(to)
    manager = type(objs[0])._default_manager
    if fields:
        manager.bulk_update(objs, ["status", *fields])
    else:
        manager.filter(pk__in=[obj.pk for obj in objs]).update(status=to)
    record_many(actor=actor, verb=verb, targets=objs, befores=befores, after=to, data=data)
    return objs
