"""The complaints app's input rules, as small functions the services call and the forms call too: a caller that
skips the form (an API, a script) meets the same rules with the same messages. Each raises ``RuleBroken`` with a
stable code and the field it is about; where a form shows several problems at once, ``right_fields_problems``
returns them all and ``right_fields_check`` raises the first."""

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from .errors import Code, RuleBroken
from .models import IPRight, RightDocument
from .reasons import BY_CODE, reasons_for

# How the forms label the fields the rules name; the messages use the same words.
RIGHT_FIELD_LABELS = {
    "mark_type": "Trademark type",
    "work_type": "Copyright: type of work",
    "patent_type": "Patent type",
    "registration_number": "Registration number",
    "nice_classes": "Nice classes",
    "expires_on": "Expiry date",
}

REQUIRED_BY_KIND: dict[str, tuple[str, ...]] = {
    IPRight.Kind.TRADEMARK: ("mark_type", "registration_number", "nice_classes", "expires_on"),
    IPRight.Kind.COPYRIGHT: ("work_type",),
    IPRight.Kind.PATENT: ("patent_type", "registration_number", "expires_on"),
    IPRight.Kind.DESIGN: ("registration_number", "expires_on"),
}

_REQUIRED_CODES = {
    "mark_type": Code.MARK_TYPE_REQUIRED,
    "work_type": Code.WORK_TYPE_REQUIRED,
    "patent_type": Code.PATENT_TYPE_REQUIRED,
    "registration_number": Code.REGISTRATION_NUMBER_REQUIRED,
    "nice_classes": Code.NICE_CLASSES_REQUIRED,
    "expires_on": Code.EXPIRES_ON_REQUIRED,
}


def reason_check(code: str, right_kind: str) -> None:
    """The claim's reason exists and is one of the reasons for this kind of right."""
    if not code:
        raise RuleBroken("Choose the reason for your claim.", code=Code.REASON_REQUIRED, field="reason_code")
    reason = BY_CODE.get(code)
    if reason is None:
        raise RuleBroken(f"“{code}” is not a reason we know.", code=Code.BAD_REASON, field="reason_code")
    fitting = reasons_for(right_kind)
    if reason not in fitting:
        raise RuleBroken(
            f"“{reason.label}” is not a reason for a {IPRight.Kind(right_kind).label.lower()}. "
            f"Choose one of: {', '.join(r.label for r in fitting)}.",
            code=Code.REASON_NOT_FOR_RIGHT,
            field="reason_code",
        )


EXPLANATION_MAX_CHARS = 10_000


def explanation_check(explanation: str) -> None:
    """A filed claim says what infringes and how the evidence shows it: the seller reads it in the notice (DSA
    Art. 16(2)(a), a sufficiently substantiated explanation)."""
    if not explanation.strip():
        raise RuleBroken(
            "Explain what infringes, and how your evidence shows it.",
            code=Code.EXPLANATION_REQUIRED,
            field="explanation",
        )
    if len(explanation) > EXPLANATION_MAX_CHARS:
        raise RuleBroken(
            f"The explanation takes at most {EXPLANATION_MAX_CHARS:,} characters; this one has {len(explanation):,}.",
            code=Code.EXPLANATION_TOO_LONG,
            field="explanation",
        )


def right_fields_problems(
    fields: Mapping[str, Any], *, document_roles: Iterable[str] | None, today: date, is_new: bool = True
) -> list[RuleBroken]:
    """Everything wrong with a right's fields, in the order a form shows them: the fields its kind requires, its
    dates, and the signed statement an unregistered copyright work stands on. ``document_roles`` are the roles of
    the documents it will have (None: not known yet, the statement is not checked). A correction (``is_new``
    false) may keep an expiry date that has passed: verification refuses it then."""
    problems = []
    kind = fields.get("kind")
    if kind not in IPRight.Kind.values:
        return [RuleBroken("Choose the type of right.", code=Code.KIND_REQUIRED, field="kind")]
    for name in REQUIRED_BY_KIND[kind]:
        if not fields.get(name):
            problems.append(
                RuleBroken(
                    f"Required for a {IPRight.Kind(kind).label.lower()}: give the {RIGHT_FIELD_LABELS[name].lower()}.",
                    code=_REQUIRED_CODES[name],
                    field=name,
                )
            )
    registered_on: date | None = fields.get("registered_on")
    expires_on: date | None = fields.get("expires_on")
    if registered_on and registered_on > today:
        problems.append(
            RuleBroken(
                "The registration date cannot be in the future.",
                code=Code.REGISTERED_ON_IN_FUTURE,
                field="registered_on",
            )
        )
    if expires_on and is_new and expires_on < today:
        problems.append(
            RuleBroken(
                "This right has already expired. Only rights in force can back claims.",
                code=Code.EXPIRES_ON_PASSED,
                field="expires_on",
            )
        )
    if registered_on and expires_on and expires_on <= registered_on:
        problems.append(
            RuleBroken(
                "The expiry date must come after the registration date.",
                code=Code.EXPIRES_ON_BEFORE_REGISTERED_ON,
                field="expires_on",
            )
        )
    unregistered_work = kind == IPRight.Kind.COPYRIGHT and not fields.get("registration_number")
    has_statement = document_roles is None or RightDocument.Role.COPYRIGHT_STATEMENT in set(document_roles)
    if unregistered_work and not has_statement:
        problems.append(
            RuleBroken(
                "An unregistered copyright work needs a signed copyright claim statement: upload it and choose "
                "“Signed copyright claim statement” here.",
                code=Code.COPYRIGHT_STATEMENT_REQUIRED,
                field="document_role",
            )
        )
    return problems


def right_fields_check(
    fields: Mapping[str, Any], *, document_roles: Iterable[str], today: date, is_new: bool = True
) -> None:
    problems = right_fields_problems(fields, document_roles=document_roles, today=today, is_new=is_new)
    if problems:
        raise problems[0]


def authorization_dates_check(valid_from: date | None, valid_until: date | None, today: date) -> None:
    """An authorization has a validity that ends after it starts and has not ended already."""
    if valid_from is None:
        raise RuleBroken("Give the first day of the validity.", code=Code.VALID_FROM_REQUIRED, field="valid_from")
    if valid_until is None:
        raise RuleBroken("Give the last day of the validity.", code=Code.VALID_UNTIL_REQUIRED, field="valid_until")
    if valid_until < valid_from:
        raise RuleBroken(
            "The end of the validity must come after its start.",
            code=Code.VALID_UNTIL_BEFORE_VALID_FROM,
            field="valid_until",
        )
    if valid_until < today:
        raise RuleBroken("This authorization has already ended.", code=Code.VALID_UNTIL_PASSED, field="valid_until")


def authorised_seller_dates_check(authorised_from: date | None, authorised_until: date | None) -> None:
    """An authorised reseller's period starts on a day and, when it has an end, ends on or after it."""
    if authorised_from is None:
        raise RuleBroken(
            "Give the first day the seller is authorised.", code=Code.AUTHORISED_FROM_REQUIRED, field="authorised_from"
        )
    if authorised_until is not None and authorised_until < authorised_from:
        raise RuleBroken(
            "The last day of the authorisation must not come before its first day.",
            code=Code.AUTHORISED_UNTIL_BEFORE_FROM,
            field="authorised_until",
        )


def authorisation_ended_on_check(ended_on: date, authorised_from: date, today: date, *, field: str) -> None:
    """The day an authorisation ended is not in the future, nor before it began (an entry that has not begun yet
    may be ended today)."""
    if ended_on > today:
        raise RuleBroken(
            "The day the authorisation ended cannot be in the future. To end it later, give it a last day instead.",
            code=Code.ENDED_ON_INVALID,
            field=field,
        )
    if ended_on < authorised_from and authorised_from <= today:
        raise RuleBroken(
            f"The authorisation began on {authorised_from.day} {authorised_from:%b %Y}: the day it ended cannot come "
            "before that.",
            code=Code.ENDED_ON_INVALID,
            field=field,
        )
