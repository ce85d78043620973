"""Reads of the verified vault with their visibility rules: identities, rights, authorizations, documents, and the
filing gate."""

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from ipp_portal.documents.models import Document

from ..models import Authorization, Complainant, IPRight, RightDocument

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from ipp_portal.accounts.models import User
    from listings.models import Site


def complainant_get_for_user(user: "User | AnonymousUser") -> Complainant | None:
    if not user.is_authenticated:
        return None
    return Complainant.objects.filter(user=user).prefetch_related("identity_documents").first()


def ip_right_list_for_complainant(complainant: Complainant) -> QuerySet[IPRight]:
    return (
        IPRight.objects.filter(registered_by=complainant)
        .annotate(document_count=Count("documents"))
        .order_by("-created_at", "-id")
    )


def ip_right_get_for_user(user: "User", right_id: int) -> IPRight:
    """The user's own right; anyone else's raises DoesNotExist (a 404: no existence leak)."""
    return (
        IPRight.objects.select_related("registered_by")
        .prefetch_related("documents__document")
        .get(pk=right_id, registered_by__user=user)
    )


def authorization_list_for_agent(complainant: Complainant) -> QuerySet[Authorization]:
    return (
        Authorization.objects.filter(agent=complainant)
        .select_related("letter")
        .prefetch_related("rights", "sites")
        .order_by("-created_at", "-id")
    )


def authorization_get_for_user(user: "User", authorization_id: int) -> Authorization:
    return (
        Authorization.objects.select_related("agent", "letter")
        .prefetch_related("rights", "sites")
        .get(pk=authorization_id, agent__user=user)
    )


def right_conflicts(right: IPRight) -> QuerySet[IPRight]:
    """Other complainants' rights with the same registration number, kind and jurisdiction."""
    if not right.registration_key:
        return IPRight.objects.none()
    return (
        IPRight.objects.filter(
            registration_key=right.registration_key, kind=right.kind, jurisdiction=right.jurisdiction
        )
        .exclude(registered_by=right.registered_by_id)
        .select_related("registered_by")
    )


def ip_rights_with_conflict_flag(queryset: QuerySet[IPRight]) -> QuerySet[IPRight]:
    """Annotate ``has_conflict`` in the same query (for queues and lists)."""
    same = IPRight.objects.filter(
        registration_key=OuterRef("registration_key"), kind=OuterRef("kind"), jurisdiction=OuterRef("jurisdiction")
    ).exclude(registered_by=OuterRef("registered_by"))
    return queryset.annotate(has_conflict=Exists(same) & ~Q(registration_key=""))


def document_get_for_user(user: "User", document_id: int) -> Document:
    """A document the user may download: their own; one a seller shared with them in a counter-notice on their
    claim; any, for staff whose role holds the documents permission (``is_staff`` alone grants nothing). Anything
    else raises DoesNotExist, shown as 404 (ids are sequential: no existence leak)."""
    from ..models import CounterNotice

    documents = Document.objects.all()
    if not user.has_perm("documents.view_document"):
        shared_with_me = CounterNotice.objects.filter(claim__complainant__user=user, shared_documents=OuterRef("pk"))
        documents = documents.filter(Q(uploaded_by=user) | Exists(shared_with_me))
    return documents.get(pk=document_id)


def right_documents(right: IPRight) -> QuerySet[RightDocument]:
    return right.documents.select_related("document").order_by("added_at", "id")


def _suspension(complainant: Complainant, site: "Site") -> str | None:
    from ..models import ComplainantSanction

    now = timezone.now()
    sanction = (
        ComplainantSanction.objects.filter(
            complainant=complainant,
            site=site,
            kind=ComplainantSanction.Kind.SUSPENSION,
            status=ComplainantSanction.Status.ACTIVE,
            starts_at__lte=now,
            ends_at__gt=now,
        )
        .order_by("-ends_at")
        .first()
    )
    if sanction is None or sanction.ends_at is None:
        return None
    return (
        f"Filing on {site.name} is suspended until {timezone.localtime(sanction.ends_at):%d %B %Y} because many of "
        "your recent notices were manifestly unfounded (DSA Art. 23(2)). Your rights dashboard has the statement of "
        "reasons and how to appeal."
    )


@dataclass(frozen=True)
class FilingGate:
    """May this complainant file against this site with this right? If not, why, in words a person can act on."""

    allowed: bool
    code: str = "ok"
    reason: str = ""
    authorization: Authorization | None = None


def filing_gate(
    *,
    complainant: Complainant | None,
    site: "Site",
    right: IPRight,
    today: date | None = None,
    check_suspension: bool = True,
) -> FilingGate:
    """``check_suspension``: a suspension for manifestly unfounded notices (DSA Art. 23(2)) stops new notices;
    claims filed before it (asked again at takedown, or released once their right is verified) are not new."""
    today = today or timezone.localdate()
    if complainant is None:
        return FilingGate(False, "no_profile", "Create your complainant profile and prove your identity first.")
    if complainant.status == "pending":
        return FilingGate(False, "identity_pending", "Your identity is still being verified (3–5 business days).")
    if complainant.status != "verified":
        return FilingGate(
            False, "identity_rejected", "Your identity proof was rejected. Correct your profile and send it again."
        )
    if check_suspension and (suspended := _suspension(complainant, site)) is not None:
        return FilingGate(False, "filing_suspended", suspended)
    if right.registered_by_id != complainant.pk:
        return FilingGate(False, "not_your_right", "This right is not in your vault.")
    if right.status == IPRight.Status.EXPIRED or right.is_expired_on(today):
        return FilingGate(
            False, "right_expired", f"{right} expired on {right.expires_on:%d %b %Y}. Register the renewed right."
        )
    if right.status == IPRight.Status.PENDING:
        return FilingGate(False, "right_pending", f"{right} is still being verified.")
    if right.status == IPRight.Status.REJECTED:
        return FilingGate(
            False, "right_rejected", f"{right} was rejected: {right.rejection_reason} Correct it and send it again."
        )
    if not complainant.is_agent:
        return FilingGate(True)
    authorization = (
        Authorization.objects.filter(
            agent=complainant,
            status=Authorization.Status.VERIFIED,
            valid_from__lte=today,
            valid_until__gte=today,
            rights=right,
            sites=site,
        )
        .order_by("-valid_until")
        .first()
    )
    if authorization is None:
        return FilingGate(
            False,
            "no_authorization",
            f"You act as an agent, and no verified authorization in force covers {right} on {site.name}. "
            "Add the owner's authorization letter naming this right and site, or wait for its verification.",
        )
    return FilingGate(True, authorization=authorization)
