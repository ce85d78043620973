"""Every error code the enforcement services raise, one per meaning: an API client matches on these, so a code is
never renamed and two words never mean the same thing. The values shared with the platform (``invalid_transition``,
``not_permitted``, ``deadline_passed``) and with complaints (``reason_required``, ``statement_required``,
``bad_outcome``) are spelled the same there."""

from django.db import models


class Code(models.TextChoices):
    # The platform's own errors, raised by the enforcement services too.
    INVALID_TRANSITION = "invalid_transition", "That change is not possible from the current state"
    NOT_PERMITTED = "not_permitted", "The actor may not do this"
    DEADLINE_PASSED = "deadline_passed", "The deadline for this has passed"
    # Violations.
    BAD_SEVERITY = "bad_severity", "The severity is not general or serious"
    FUTURE_VIOLATION = "future_violation", "A violation cannot be established in the future"
    # Actions, appeals and their decisions.
    REASON_REQUIRED = "reason_required", "A reason is missing"
    BAD_KIND = "bad_kind", "The action is not one of the offered actions"
    BAD_END = "bad_end", "The end of the action is not in the future"
    STATEMENT_REQUIRED = "statement_required", "The appeal does not say why the action should be overturned"
    BAD_OUTCOME = "bad_outcome", "The outcome is not one of the offered outcomes"
    # Policies.
    INVALID_POLICY = "invalid_policy", "The penalty policy is not consistent"
