"""Reads the API adds over the complaints selectors: the rights a token's user may see.

An agent's authorizations cover only rights in the agent's own vault (``authorization_register``), so the list is
the user's vault; each right says whether the user may file for it on an owner's behalf (``authorised``: a holder
always, an agent when a verified authorization covers it)."""

from typing import TYPE_CHECKING

from django.db.models import BooleanField, Exists, OuterRef, QuerySet, Value

from complaints.models import Authorization, Complainant, IPRight

from .models import ApiToken

if TYPE_CHECKING:
    from ipp_portal.accounts.models import User


def ip_right_list_for_user(user: "User") -> QuerySet[IPRight]:
    complainant = Complainant.objects.filter(user=user).first()
    if complainant is None:
        return IPRight.objects.none()
    covered = Authorization.objects.filter(
        agent=complainant, status=Authorization.Status.VERIFIED, rights=OuterRef("pk")
    )
    authorised = Exists(covered) if complainant.is_agent else Value(True, output_field=BooleanField())
    return (
        IPRight.objects.filter(registered_by=complainant).annotate(authorised=authorised).order_by("-created_at", "-id")
    )


def api_token_list_for_user(user: "User") -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("revoked_at", "-created_at", "-id")
