"""The verified vault: complainant identities, IP rights and agent authorizations, and their verification."""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from ipp_portal.audit.services import record
from ipp_portal.audit.verbs import Verb
from ipp_portal.errors import InvalidTransition, NotPermitted, PortalError
from ipp_portal.notifications.services import queue
from ipp_portal.permissions import require_perm

from ..errors import AlreadyDecided, Code
from ..models import (
    Authorization,
    Complainant,
    IPRight,
    RightDocument,
    VerificationStatus,
    normalise_registration_number,
)
from ..rules import authorization_dates_check, right_fields_check
from ..seen import check_seen
from .claims import claims_release_for_right

if TYPE_CHECKING:
    from ipp_portal.accounts.models import User
    from ipp_portal.documents.models import Document
    from listings.models import Site

# The records staff verify; a decision on one returns that same kind of record.
R = TypeVar("R", Complainant, IPRight, Authorization)

EXPIRY_WARNING_DAYS = 30
IDENTITY_FIELDS = ("kind", "role", "legal_name", "country")
CONTACT_FIELDS = ("postal_address", "phone", "contact_email")
RIGHT_FIELDS = (
    "kind", "title", "mark_type", "work_type", "patent_type", "registration_number", "jurisdiction",
    "nice_classes", "owner_name", "registered_on", "expires_on",
)  # fmt: skip


class MissingDocuments(PortalError):
    code = Code.MISSING_DOCUMENTS


def _today() -> date:
    return timezone.localdate()


def _lock(model: type[R], pk: int) -> R:
    return model.objects.select_for_update().get(pk=pk)


def _already_decided(obj: Complainant | IPRight | Authorization, noun: str) -> AlreadyDecided:
    who = obj.decided_by.email if obj.decided_by is not None else "the system"
    when = date_format(timezone.localtime(obj.decided_at), "j M Y, H:i") if obj.decided_at else "earlier"
    return AlreadyDecided(f"This {noun} was already {obj.get_status_display().lower()} by {who} at {when} UTC.")


@dataclass(frozen=True)
class _Reviewed(Generic[R]):
    """What a verification decision needs to know about one kind of record."""

    model: type[R]
    noun: str
    related: tuple[str, ...]
    recipient: Callable[[R], "User"]
    path: Callable[[R], str]

    @property
    def permission(self) -> str:
        return f"complaints.change_{self.model._meta.model_name}"

    def lock(self, pk: int) -> R:
        return self.model.objects.select_for_update(of=("self",)).select_related(*self.related).get(pk=pk)

    def notify(self, obj: R, *, reason: str = "") -> None:
        queue(
            recipient=self.recipient(obj),
            template="complaints/verification_decided",
            context={
                "noun": self.noun,
                "label": str(obj),
                "status": obj.status,
                "status_label": obj.get_status_display(),
                "reason": reason,
                "path": self.path(obj),
            },
            target=obj,
        )

    def decide(
        self,
        pk: int,
        *,
        to_status: str,
        reviewer: "User | None",
        seen: dict[str, Any] | None,
        reason: str = "",
        check: Callable[[R], None] | None = None,
    ) -> R:
        """Lock, move a pending record to verified or rejected, audit, notify; the second of two reviewers is
        told who was first, and a record edited since the reviewer opened it is not decided."""
        require_perm(reviewer, self.permission)
        obj = self.lock(pk)
        if obj.status != VerificationStatus.PENDING:
            raise _already_decided(obj, self.noun)
        check_seen(obj, seen, noun=self.noun)
        if check is not None:
            check(obj)
        before = obj.status
        obj.move_to(to_status)
        obj.decided_by, obj.decided_at, obj.rejection_reason = reviewer, timezone.now(), reason
        obj.save(update_fields=["status", "decided_by", "decided_at", "rejection_reason"])
        record(
            actor=reviewer,
            verb=f"{self.model.__name__.lower()}.{obj.status}",
            target=obj,
            before=before,
            after=obj.status,
            data={"reason": reason} if reason else None,
        )
        self.notify(obj, reason=reason)
        return obj


COMPLAINANT = _Reviewed(
    Complainant, "identity", ("user", "decided_by"), lambda c: c.user, lambda c: reverse("complaints:profile")
)
RIGHT = _Reviewed(
    IPRight,
    "IP right",
    ("registered_by__user", "decided_by"),
    lambda r: r.registered_by.user,
    lambda r: reverse("complaints:right-detail", args=[r.pk]),
)
AUTHORIZATION = _Reviewed(
    Authorization,
    "authorization",
    ("agent__user", "decided_by"),
    lambda a: a.agent.user,
    lambda a: reverse("complaints:authorization-detail", args=[a.pk]),
)


def _require_reason(reason: str) -> str:
    if not reason or not reason.strip():
        raise PortalError(
            "Give the reason for the rejection: the complainant reads it and corrects the record.",
            code=Code.REASON_REQUIRED,
        )
    return reason.strip()


# --- Complainant ------------------------------------------------------------------------------------------------


@transaction.atomic
def complainant_register(*, user: "User", documents: Sequence["Document"], **fields: Any) -> Complainant:
    """Create the user's complainant profile with identity proof; it waits for staff verification."""
    if Complainant.objects.filter(user=user).exists():
        raise PortalError("You already have a complainant profile; edit it instead.", code=Code.PROFILE_EXISTS)
    if not documents:
        raise MissingDocuments("Upload proof of identity: at least one document.")
    complainant = Complainant.objects.create(user=user, **{k: fields[k] for k in IDENTITY_FIELDS + CONTACT_FIELDS})
    complainant.identity_documents.set(documents)
    record(actor=user, verb=Verb.COMPLAINANT_SUBMITTED, target=complainant, after=complainant.status)
    queue(
        recipient=user,
        template="complaints/profile_received",
        context={"name": complainant.legal_name, "path": reverse("complaints:home")},
        target=complainant,
    )
    return complainant


@transaction.atomic
def complainant_update(
    *, complainant_id: int, user: "User", documents: Sequence["Document"] = (), **fields: Any
) -> Complainant:
    """Correct a pending or rejected profile (a rejected one goes back to the queue); once verified, only the
    contact details may change — a new legal identity needs a new verification by support."""
    complainant = _lock(Complainant, complainant_id)
    if complainant.user_id != user.pk:
        raise Complainant.DoesNotExist
    before = complainant.status
    changed = [name for name in CONTACT_FIELDS if name in fields and getattr(complainant, name) != fields[name]]
    if complainant.status == VerificationStatus.VERIFIED:
        locked = [n for n in IDENTITY_FIELDS if n in fields and getattr(complainant, n) != fields[n]]
        if locked or documents:
            raise NotPermitted(
                "Your identity is verified, so your name, type, role, country and identity documents are locked. "
                "Contact support to change them."
            )
    else:
        changed += [n for n in IDENTITY_FIELDS if n in fields and getattr(complainant, n) != fields[n]]
    for name in changed:
        setattr(complainant, name, fields[name])
    update_fields = list(changed)
    if complainant.status != VerificationStatus.VERIFIED:
        if documents:
            complainant.identity_documents.set(documents)
        if not complainant.identity_documents.exists():
            raise MissingDocuments("Upload proof of identity: at least one document.")
        if complainant.status == VerificationStatus.REJECTED:
            complainant.move_to(VerificationStatus.PENDING)
            complainant.submitted_at = timezone.now()
            update_fields += ["status", "submitted_at"]
    if update_fields:
        complainant.save(update_fields=update_fields)
    record(
        actor=user,
        verb=Verb.COMPLAINANT_RESUBMITTED if before != complainant.status else Verb.COMPLAINANT_EDITED,
        target=complainant,
        before=before,
        after=complainant.status,
        data={"fields": changed, "documents_replaced": bool(documents)},
    )
    return complainant


@transaction.atomic
def complainant_verify(*, complainant_id: int, reviewer: "User | None", seen: dict[str, Any] | None) -> Complainant:
    """Staff confirm the complainant's identity as they saw it; the complainant is told."""
    return COMPLAINANT.decide(complainant_id, to_status=VerificationStatus.VERIFIED, reviewer=reviewer, seen=seen)


@transaction.atomic
def complainant_reject(
    *, complainant_id: int, reviewer: "User | None", reason: str, seen: dict[str, Any] | None
) -> Complainant:
    """Staff refuse the identity proof with a reason the complainant reads and can act on."""
    reason = _require_reason(reason)
    return COMPLAINANT.decide(
        complainant_id, to_status=VerificationStatus.REJECTED, reviewer=reviewer, reason=reason, seen=seen
    )


# --- IP rights ------------------------------------------------------------------------------------------------


def _attach(right: IPRight, documents: Iterable[tuple["Document", str]]) -> int:
    rows = [RightDocument(right=right, document=doc, role=role) for doc, role in documents]
    RightDocument.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


@transaction.atomic
def ip_right_register(
    *, complainant: Complainant, documents: Sequence[tuple["Document", str]], **fields: Any
) -> IPRight:
    """Add a right to the complainant's vault with its certificate(s); it waits for staff verification."""
    if not documents:
        raise MissingDocuments("Attach the registration certificate or, for an unregistered work, a signed statement.")
    right_fields_check(fields, document_roles=[role for _, role in documents], today=_today())
    right = IPRight(registered_by=complainant, **{k: fields[k] for k in RIGHT_FIELDS if k in fields})
    right.registration_key = normalise_registration_number(right.registration_number)
    right.save()
    _attach(right, documents)
    record(actor=complainant.user, verb=Verb.IPRIGHT_SUBMITTED, target=right, after=right.status)
    return right


@transaction.atomic
def ip_right_resubmit(
    *, right_id: int, user: "User", documents: Sequence[tuple["Document", str]] = (), **fields: Any
) -> IPRight:
    """Correct a rejected right and send it back to the queue."""
    right = IPRight.objects.select_for_update(of=("self",)).select_related("registered_by").get(pk=right_id)
    if right.registered_by.user_id != user.pk:
        raise IPRight.DoesNotExist
    if right.status != IPRight.Status.REJECTED:
        raise InvalidTransition("Only a rejected right can be corrected and sent again.")
    for name in RIGHT_FIELDS:
        if name in fields:
            setattr(right, name, fields[name])
    # The corrected right as a whole meets the rules, with the documents it already has and the ones added now.
    roles = [*right.documents.values_list("role", flat=True), *(role for _, role in documents)]
    right_fields_check(
        {name: getattr(right, name) for name in RIGHT_FIELDS}, document_roles=roles, today=_today(), is_new=False
    )
    right.registration_key = normalise_registration_number(right.registration_number)
    right.move_to(IPRight.Status.PENDING)
    right.submitted_at = timezone.now()
    right.save()
    _attach(right, documents)
    record(actor=user, verb=Verb.IPRIGHT_RESUBMITTED, target=right, before=IPRight.Status.REJECTED, after=right.status)
    return right


@transaction.atomic
def ip_right_add_documents(*, right_id: int, user: "User", documents: Sequence[tuple["Document", str]]) -> IPRight:
    """Attach renewals, assignments or translations to a right (documents are never replaced, only added)."""
    right = IPRight.objects.select_for_update(of=("self",)).select_related("registered_by").get(pk=right_id)
    if right.registered_by.user_id != user.pk:
        raise IPRight.DoesNotExist
    if right.status == IPRight.Status.EXPIRED:
        raise InvalidTransition("This right has expired. Register the renewed right as a new one.")
    if not documents:
        raise MissingDocuments("Choose at least one document to add.")
    count = _attach(right, documents)
    record(actor=user, verb=Verb.IPRIGHT_DOCUMENTS_ADDED, target=right, data={"count": count})
    return right


def _refuse_expired_right(right: IPRight) -> None:
    if right.is_expired_on(_today()):
        raise InvalidTransition("This right's expiry date has passed: it cannot be verified.")


@transaction.atomic
def ip_right_verify(*, right_id: int, reviewer: "User | None", seen: dict[str, Any] | None) -> IPRight:
    """Staff confirm ownership; the right can now back claims."""
    right = RIGHT.decide(
        right_id, to_status=IPRight.Status.VERIFIED, reviewer=reviewer, seen=seen, check=_refuse_expired_right
    )
    claims_release_for_right(right=right, actor=reviewer)
    return right


@transaction.atomic
def ip_right_reject(*, right_id: int, reviewer: "User | None", reason: str, seen: dict[str, Any] | None) -> IPRight:
    """Staff refuse the proof of ownership, with a reason."""
    reason = _require_reason(reason)
    return RIGHT.decide(right_id, to_status=IPRight.Status.REJECTED, reviewer=reviewer, reason=reason, seen=seen)


@transaction.atomic
def ip_right_expire(*, right_id: int, today: date | None = None) -> IPRight | None:
    """Mark a right expired once its expiry date has passed (idempotent); its holder is told."""
    today = today or _today()
    right = IPRight.objects.select_for_update(of=("self",)).select_related("registered_by__user").get(pk=right_id)
    if right.status not in (IPRight.Status.PENDING, IPRight.Status.VERIFIED) or not right.is_expired_on(today):
        return None
    before = right.status
    right.move_to(IPRight.Status.EXPIRED)
    right.save(update_fields=["status"])
    record(actor=None, verb=Verb.IPRIGHT_EXPIRED, target=right, before=before, after=right.status)
    queue(
        recipient=right.registered_by.user,
        template="complaints/right_expired",
        context={
            "label": str(right),
            "expires_on": right.expires_on,
            "path": reverse("complaints:right-detail", args=[right.pk]),
        },
        target=right,
        dedupe_key=f"ipright:{right.pk}:expired:{right.expires_on}",
    )
    return right


def rights_expire_due(*, today: date | None = None, batch_size: int = 500) -> int:
    """Expire every right whose expiry date has passed; catches up after downtime."""
    today = today or _today()
    ids = list(
        IPRight.objects.filter(
            status__in=[IPRight.Status.PENDING, IPRight.Status.VERIFIED], expires_on__lt=today
        ).values_list("pk", flat=True)[:batch_size]
    )
    return sum(1 for pk in ids if ip_right_expire(right_id=pk, today=today))


def rights_warn_expiring(*, today: date | None = None, batch_size: int = 500) -> int:
    """Tell holders 30 days ahead that a verified right is about to expire (once per expiry date)."""
    today = today or _today()
    horizon = today + timedelta(days=EXPIRY_WARNING_DAYS)
    warned = 0
    ids = list(
        IPRight.objects.filter(status=IPRight.Status.VERIFIED, expires_on__gte=today, expires_on__lte=horizon)
        .exclude(expiry_warned_on=F("expires_on"))
        .values_list("pk", flat=True)[:batch_size]
    )
    for pk in ids:
        with transaction.atomic():
            right = IPRight.objects.select_for_update(of=("self",)).select_related("registered_by__user").get(pk=pk)
            # expires_on was not empty when selected, but the row is read again under the lock.
            if right.expires_on is None or right.expiry_warned_on == right.expires_on:
                continue
            right.expiry_warned_on = right.expires_on
            right.save(update_fields=["expiry_warned_on"])
            record(actor=None, verb=Verb.IPRIGHT_EXPIRY_WARNED, target=right, data={"expires_on": right.expires_on})
            queue(
                recipient=right.registered_by.user,
                template="complaints/right_expiring",
                context={
                    "label": str(right),
                    "expires_on": right.expires_on,
                    "days": (right.expires_on - today).days,
                    "path": reverse("complaints:right-detail", args=[right.pk]),
                },
                target=right,
                dedupe_key=f"ipright:{right.pk}:expiring:{right.expires_on}",
            )
            warned += 1
    return warned


# --- Documents --------------------------------------------------------------------------------------------------


@transaction.atomic
def document_open(*, user: "User", document_id: int) -> "Document":
    """The document, if the user may see it (else DoesNotExist), with an audit row: who opened which one, when."""
    from ..selectors import document_get_for_user

    document = document_get_for_user(user, document_id)
    record(
        actor=user,
        verb=Verb.DOCUMENT_DOWNLOADED,
        target=document,
        data={"as_staff": document.uploaded_by_id != user.pk and user.has_perm("documents.view_document")},
    )
    return document


# --- Authorizations -------------------------------------------------------------------------------------------


@transaction.atomic
def authorization_register(
    *, agent: Complainant, rights: Sequence[IPRight], sites: Sequence["Site"], letter: "Document | None", **fields: Any
) -> Authorization:
    """Record an owner's authorization letter for an agent; it waits for staff verification."""
    if not agent.is_agent:
        raise NotPermitted("Only agents need an authorization; right holders file for their own rights.")
    if letter is None:
        raise MissingDocuments("Upload the signed authorization letter.")
    if any(right.registered_by_id != agent.pk for right in rights):
        raise NotPermitted("An authorization can cover only rights in your own vault.")
    authorization_dates_check(fields.get("valid_from"), fields.get("valid_until"), _today())
    authorization = Authorization.objects.create(agent=agent, letter=letter, **fields)
    authorization.rights.set(rights)
    authorization.sites.set(sites)
    record(actor=agent.user, verb=Verb.AUTHORIZATION_SUBMITTED, target=authorization, after=authorization.status)
    return authorization


def _refuse_ended_authorization(authorization: Authorization) -> None:
    if authorization.valid_until < _today():
        raise InvalidTransition("This authorization's validity has ended: it cannot be verified.")


@transaction.atomic
def authorization_verify(
    *, authorization_id: int, reviewer: "User | None", seen: dict[str, Any] | None
) -> Authorization:
    """Staff confirm the letter; the agent may now file for the covered rights and sites."""
    authorization = AUTHORIZATION.decide(
        authorization_id,
        to_status=Authorization.Status.VERIFIED,
        reviewer=reviewer,
        seen=seen,
        check=_refuse_ended_authorization,
    )
    for right in authorization.rights.filter(status=IPRight.Status.VERIFIED):
        claims_release_for_right(right=right, actor=reviewer)
    return authorization


@transaction.atomic
def authorization_reject(
    *, authorization_id: int, reviewer: "User | None", reason: str, seen: dict[str, Any] | None
) -> Authorization:
    """Staff refuse the authorization letter, with a reason."""
    reason = _require_reason(reason)
    return AUTHORIZATION.decide(
        authorization_id, to_status=Authorization.Status.REJECTED, reviewer=reviewer, reason=reason, seen=seen
    )


@transaction.atomic
def authorization_revoke(*, authorization_id: int, reviewer: "User | None", reason: str) -> Authorization:
    """Staff end an authorization at the owner's request; the agent can no longer file under it."""
    require_perm(reviewer, AUTHORIZATION.permission)
    reason = _require_reason(reason)
    authorization = AUTHORIZATION.lock(authorization_id)
    before = authorization.status
    authorization.move_to(Authorization.Status.REVOKED)
    authorization.revoked_at, authorization.revocation_reason = timezone.now(), reason
    authorization.save(update_fields=["status", "revoked_at", "revocation_reason"])
    record(
        actor=reviewer,
        verb=Verb.AUTHORIZATION_REVOKED,
        target=authorization,
        before=before,
        after=authorization.status,
        data={"reason": reason},
    )
    AUTHORIZATION.notify(authorization, reason=reason)
    return authorization


@transaction.atomic
def authorization_expire(*, authorization_id: int, today: date | None = None) -> Authorization | None:
    """Mark an authorization expired once its validity has ended (idempotent); the agent is told."""
    today = today or _today()
    authorization = AUTHORIZATION.lock(authorization_id)
    active = (Authorization.Status.PENDING, Authorization.Status.VERIFIED)
    if authorization.status not in active or authorization.valid_until >= today:
        return None
    before = authorization.status
    authorization.move_to(Authorization.Status.EXPIRED)
    authorization.save(update_fields=["status"])
    record(actor=None, verb=Verb.AUTHORIZATION_EXPIRED, target=authorization, before=before, after=authorization.status)
    AUTHORIZATION.notify(authorization)
    return authorization


def authorizations_expire_due(*, today: date | None = None, batch_size: int = 500) -> int:
    """Expire every authorization whose last day has passed; catches up after downtime."""
    today = today or _today()
    ids = list(
        Authorization.objects.filter(
            status__in=[Authorization.Status.PENDING, Authorization.Status.VERIFIED], valid_until__lt=today
        ).values_list("pk", flat=True)[:batch_size]
    )
    return sum(1 for pk in ids if authorization_expire(authorization_id=pk, today=today))
