"""The portal's domain errors: one base class with a human message and a stable machine code.

Views turn them into form errors or messages; the API turns them into ``{"code": ..., "detail": ...}``.
"""

from typing import TYPE_CHECKING, Any, ClassVar, cast

if TYPE_CHECKING:
    from django.db.models import Field
    from django.db.models.options import Options


class PortalError(Exception):
    """A problem a person can act on."""

    code = "portal_error"
    default_message = "Something about this request cannot be done."

    def __init__(self, message: str | None = None, *, code: str | None = None) -> None:
        self.message = message or self.default_message
        if code:
            self.code = code
        super().__init__(self.message)

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "detail": self.message}


class InvalidTransition(PortalError):
    code = "invalid_transition"
    default_message = "That change is not possible from the current state."


class NotPermitted(PortalError):
    code = "not_permitted"
    default_message = "You are not allowed to do that."


class DeadlinePassed(PortalError):
    code = "deadline_passed"
    default_message = "The deadline for this has passed."


class TransitionMixin:
    """Models with a ``status`` field and a ``TRANSITIONS`` table {from: {to, ...}} move only along it."""

    TRANSITIONS: dict = {}

    if TYPE_CHECKING:
        # Supplied by the model this is mixed into (Django adds get_status_display for a field with choices).
        _meta: ClassVar[Options[Any]]

        def get_status_display(self) -> str: ...

    def can_move_to(self, new_status) -> bool:
        return new_status in self.TRANSITIONS.get(self.status, ())

    def move_to(self, new_status) -> None:
        if not self.can_move_to(new_status):
            label = type(self).__name__
            # "status" is a concrete field with choices on every model that uses this mixin, never a relation.
            status_field = cast("Field[Any, Any]", self._meta.get_field("status"))
            raise InvalidTransition(
                f"This {label.lower()} is {self.get_status_display().lower()} and cannot become "
                f"{dict(status_field.flatchoices).get(new_status, new_status).lower()}."
            )
        self.status = new_status
