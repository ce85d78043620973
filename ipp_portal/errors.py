"""The portal's domain errors: one base class with a human message and a stable machine code.

Views turn them into form errors or messages; the API turns them into ``{"code": ..., "detail": ...}``.
"""


class PortalError(Exception):
    """A problem a person can act on."""

    code = "portal_error"
    default_message = "Something about this request cannot be done."
    # The input field the problem is about, when there is one: a form shows the message at that field.
    field: str | None = None

    def __init__(self, message: str | None = None, *, code: str | None = None, field: str | None = None) -> None:
        self.message = message or self.default_message
        if code:
            self.code = code
        if field:
            self.field = field
        super().__init__(self.message)

    def as_dict(self) -> dict[str, str]:
        """What an API answers: the stable code, the message, and the field it is about when there is one."""
        body = {"code": self.code, "detail": self.message}
        if self.field:
            body["field"] = self.field
        return body


class InvalidTransition(PortalError):
    code = "invalid_transition"
    default_message = "That change is not possible from the current state."


class NotPermitted(PortalError):
    code = "not_permitted"
    default_message = "You are not allowed to do that."


class DeadlinePassed(PortalError):
    code = "deadline_passed"
    default_message = "The deadline for this has passed."
