"""Every error code the complaints services raise, one per meaning: an API client matches on these, so a code is
never renamed and two words never mean the same thing. The values shared with the platform (``invalid_transition``,
``not_permitted``, ``deadline_passed``) and with enforcement (``reason_required``, ``statement_required``,
``bad_outcome``) are spelled the same there."""

from django.db import models

from ipp_portal.errors import InvalidTransition, PortalError


class Code(models.TextChoices):
    # The platform's own errors, raised by the complaints services too.
    INVALID_TRANSITION = "invalid_transition", "That change is not possible from the current state"
    NOT_PERMITTED = "not_permitted", "The actor may not do this"
    DEADLINE_PASSED = "deadline_passed", "The deadline for this has passed"
    # Verification and review.
    ALREADY_DECIDED = "already_decided", "Someone else decided it first"
    CHANGED_SINCE_SEEN = "changed_since_seen", "The record changed while the reviewer had it open"
    TAKEN = "taken", "Another reviewer has taken the claim"
    NO_ITEMS = "no_items", "No listing of the claim was selected"
    BAD_CODE = "bad_code", "The rejection code is not one of the offered codes"
    NOTE_REQUIRED = "note_required", "A rejection for another reason needs a note"
    REASON_REQUIRED = "reason_required", "A reason is missing"
    BAD_OUTCOME = "bad_outcome", "The outcome is not one of the offered outcomes"
    MESSAGE_REQUIRED = "message_required", "The request for information says nothing"
    # The vault.
    PROFILE_EXISTS = "profile_exists", "The user already has a complainant profile"
    MISSING_DOCUMENTS = "missing_documents", "A required document is missing"
    KIND_REQUIRED = "kind_required", "The type of right is missing or unknown"
    MARK_TYPE_REQUIRED = "mark_type_required", "A trademark needs its type"
    WORK_TYPE_REQUIRED = "work_type_required", "A copyright needs its type of work"
    PATENT_TYPE_REQUIRED = "patent_type_required", "A patent needs its type"
    REGISTRATION_NUMBER_REQUIRED = "registration_number_required", "A registered right needs its number"
    NICE_CLASSES_REQUIRED = "nice_classes_required", "A trademark needs its Nice classes"
    EXPIRES_ON_REQUIRED = "expires_on_required", "A registered right needs its expiry date"
    REGISTERED_ON_IN_FUTURE = "registered_on_in_future", "The registration date is in the future"
    EXPIRES_ON_PASSED = "expires_on_passed", "The right has already expired"
    EXPIRES_ON_BEFORE_REGISTERED_ON = "expires_on_before_registered_on", "The expiry is not after the registration"
    COPYRIGHT_STATEMENT_REQUIRED = "copyright_statement_required", "An unregistered work needs a signed statement"
    VALID_FROM_REQUIRED = "valid_from_required", "The authorization's first day is missing"
    VALID_UNTIL_REQUIRED = "valid_until_required", "The authorization's last day is missing"
    VALID_UNTIL_BEFORE_VALID_FROM = "valid_until_before_valid_from", "The validity ends before it starts"
    VALID_UNTIL_PASSED = "valid_until_passed", "The authorization has already ended"
    # The filing gate (``selectors.filing_gate``).
    OK = "ok", "Allowed"
    NO_PROFILE = "no_profile", "No complainant profile"
    IDENTITY_PENDING = "identity_pending", "The identity is being verified"
    IDENTITY_REJECTED = "identity_rejected", "The identity proof was rejected"
    NOT_YOUR_RIGHT = "not_your_right", "The right is in another complainant's vault"
    RIGHT_EXPIRED = "right_expired", "The right has expired"
    RIGHT_PENDING = "right_pending", "The right is being verified"
    RIGHT_REJECTED = "right_rejected", "The right was rejected"
    NO_AUTHORIZATION = "no_authorization", "No authorization in force covers the right and site"
    FILING_SUSPENDED = "filing_suspended", "Filing is suspended for manifestly unfounded notices (DSA Art. 23(2))"
    # The same gate on the day of a takedown (``gates.takedown_gate``): the claim's own authorization.
    AUTHORIZATION_REVOKED = "authorization_revoked", "The authorization the claim was filed under was revoked"
    AUTHORIZATION_REJECTED = "authorization_rejected", "The authorization the claim was filed under was rejected"
    AUTHORIZATION_LAPSED = "authorization_lapsed", "The authorization the claim was filed under is no longer in force"
    AUTHORIZATION_NOT_COVERING = (
        "authorization_not_covering",
        "The authorization the claim was filed under no longer covers its right and site",
    )
    # Claims.
    UNSWORN = "unsworn", "A statement is not ticked or the signature is missing"
    REASON_NOT_FOR_RIGHT = "reason_not_for_right", "The reason does not fit the type of right"
    BAD_REASON = "bad_reason", "The reason is not one of the offered reasons"
    NO_LINKS = "no_links", "No listing link was given"
    TOO_MANY_LINKS = "too_many_links", "More links than a claim takes"
    LINKS_NOT_FILEABLE = "links_not_fileable", "Some lines cannot be filed"
    EXPLANATION_REQUIRED = "explanation_required", "The claim does not explain what infringes"
    EXPLANATION_TOO_LONG = "explanation_too_long", "The explanation is longer than a claim takes"
    NOT_YOUR_DOCUMENT = "not_your_document", "A document named is not one the filer uploaded"
    EMPTY_ANSWER = "empty_answer", "The answer to staff has neither text nor documents"
    # Appeals and sanctions (DSA Art. 20, 23(2)).
    NOTHING_TO_APPEAL = "nothing_to_appeal", "The decision cannot be appealed (or not any more)"
    APPEAL_OPEN = "appeal_open", "An appeal against the decision is already open"
    OWN_DECISION = "own_decision", "Staff may not decide an appeal against their own decision"
    # Authorised resellers (the rights holder's allow-list).
    SELLER_NOT_FOUND = "seller_not_found", "No store on the site matches what was given"
    SELLER_AMBIGUOUS = "seller_ambiguous", "More than one store on the site matches what was given"
    AUTHORISED_FROM_REQUIRED = "authorised_from_required", "The authorisation's first day is missing"
    AUTHORISED_UNTIL_BEFORE_FROM = "authorised_until_before_from", "The authorisation ends before it starts"
    ALREADY_AUTHORISED = "already_authorised", "An entry for the seller and right already covers those dates"
    ENDED_ON_INVALID = "ended_on_invalid", "The day the authorisation ended is in the future or before it began"
    AUTHORISED_SELLER_NOT_CONFIRMED = (
        "authorised_seller_not_confirmed",
        "The claim names listings of a seller authorised for the right, and the end of that authorisation was not "
        "confirmed",
    )
    # Counter-notices (``deadline_passed`` when a window has closed).
    MIXED_CLAIMS = "mixed_claims", "The listings belong to different claims"
    STATEMENT_REQUIRED = "statement_required", "The counter-notice does not say why the removal was a mistake"
    COUNTER_NOTICE_LIMIT = "counter_notice_limit", "Every counter-notice the policy allows has been used"
    COUNTER_NOTICE_PENDING = "counter_notice_pending", "A counter-notice on the listing is being decided"
    NOTHING_TO_COUNTER = "nothing_to_counter", "The listing is not removed"
    # The trusted programme.
    NOT_TRUSTED = "not_trusted", "Only a trusted complainant's claim is decided in one action"
    # Litigation holds (policy §3).
    HELD = "held", "A litigation hold keeps the listing removed"
    HOLD_TARGET = "hold_target", "A hold names exactly one store, listing or claim"
    COURT_REQUIRED = "court_required", "A hold names the court"
    CASE_REQUIRED = "case_required", "A hold names the case reference"
    HOLD_LIFTED = "hold_lifted", "The hold is already lifted"


class RuleBroken(PortalError):
    """Input that breaks a domain rule. ``field`` names the form field the rule is about, so a form shows the
    message there and an API can point at the same field."""

    def __init__(self, message: str, *, code: Code, field: str | None = None) -> None:
        super().__init__(message, code=code, field=field)


class AlreadyDecided(InvalidTransition):
    code = Code.ALREADY_DECIDED
