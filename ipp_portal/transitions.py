"""Status changes as one step: check the move against the model's transition table, save, and write the audit row
with the state each object really came from. Every status change in the code goes through ``transition`` (one
object) or ``transition_many`` (a batch); a test fails on any status change without its audit row."""

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

from django.db import models

from .errors import InvalidTransition

if TYPE_CHECKING:
    from django.db.models import Field
    from django.db.models.options import Options

    from .accounts.models import User


# A model with a status moved along its table (every status model mixes in TransitionMixin).
M = TypeVar("M", bound=models.Model)


def transition(
    obj: M, to: str, *, actor: "User | None", verb: str, fields: Sequence[str] = (), data: dict[str, Any] | None = None
) -> M:
    """Move ``obj`` to ``to`` (InvalidTransition if its table forbids it), save the status and ``fields``, audit."""
    from .audit.services import record  # models import this module while the app registry is still loading

    moving = cast("TransitionMixin", obj)
    before = moving.status
    moving.move_to(to)
    obj.save(update_fields=["status", *fields])
    record(actor=actor, verb=verb, target=obj, before=before, after=moving.status, data=data)
    return obj


def transition_many(
    objs: Iterable[M],
    to: str,
    *,
    actor: "User | None",
    verb: str,
    fields: Sequence[str] = (),
    data: dict[str, Any] | None = None,
) -> list[M]:
    """The same for a batch of one model: every move checked before anything is written, one UPDATE (or one bulk
    update when other fields change per object), one audit insert with each object's own previous state."""
    from .audit.services import record_many

    objs = list(objs)
    if not objs:
        return objs
    moving = [cast("TransitionMixin", obj) for obj in objs]
    befores = [obj.status for obj in moving]
    for obj in moving:
        obj.move_to(to)
    manager = type(objs[0])._default_manager
    if fields:
        manager.bulk_update(objs, ["status", *fields])
    else:
        manager.filter(pk__in=[obj.pk for obj in objs]).update(status=to)
    record_many(actor=actor, verb=verb, targets=objs, befores=befores, after=to, data=data)
    return objs


class TransitionMixin:
    """Models with a ``status`` field and a ``TRANSITIONS`` table {from: {to, ...}} move only along it."""

    TRANSITIONS: dict = {}

    if TYPE_CHECKING:
        # Supplied by the model this is mixed into (Django adds get_status_display for a field with choices).
        _meta: ClassVar[Options[Any]]

        def get_status_display(self) -> str: ...

    def can_move_to(self, new_status: str) -> bool:
        return new_status in self.TRANSITIONS.get(self.status, ())

    def move_to(self, new_status: str) -> None:
        if not self.can_move_to(new_status):
            label = type(self).__name__
            # "status" is a concrete field with choices on every model that uses this mixin, never a relation.
            status_field = cast("Field[Any, Any]", self._meta.get_field("status"))
            raise InvalidTransition(
                f"This {label.lower()} is {self.get_status_display().lower()} and cannot become "
                f"{dict(status_field.flatchoices).get(new_status, new_status).lower()}."
            )
        self.status = new_status
