"""Writes of API tokens: made (the secret returned once) and revoked, each audited; the last use recorded."""

import hashlib
import secrets
from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from complaints.errors import Code
from ipp_portal.audit.services import record
from ipp_portal.audit.verbs import Verb
from ipp_portal.errors import PortalError

from .models import ApiToken

if TYPE_CHECKING:
    from ipp_portal.accounts.models import User

TOKEN_START = "ipp_"  # noqa: S105 - the public start every token shares, not a secret
PREFIX_LENGTH = 8
MAX_ACTIVE_TOKENS = 20
# A token's last use is written at most this often (not on every request).
LAST_USED_EVERY = timedelta(minutes=1)


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def address_hash(ip: str | None) -> str:
    """The address a token was last used from, keyed with the site's secret: comparable, not readable."""
    if not ip:
        return ""
    return hashlib.sha256(f"{settings.SECRET_KEY}:{ip}".encode()).hexdigest()


def allowed_scopes(user: "User") -> set[str]:
    """Complainants (holders and agents) may read, file and answer; anyone else (sellers) only reads."""
    from complaints.models import Complainant

    if Complainant.objects.filter(user=user).exists():
        return set(ApiToken.Scope.values)
    return {ApiToken.Scope.READ}


@transaction.atomic
def api_token_create(*, user: "User", name: str, scopes: Iterable[str]) -> tuple[ApiToken, str]:
    """Make a token; returns it with its full secret, which is not stored and cannot be shown again."""
    name = name.strip()
    if not name:
        raise PortalError("Give the token a name.", code=Code.REASON_REQUIRED, field="name")
    chosen = sorted(set(scopes))
    if not chosen:
        raise PortalError("Choose at least one scope.", code=Code.NOT_PERMITTED, field="scopes")
    unknown = set(chosen) - set(ApiToken.Scope.values)
    if unknown:
        raise PortalError("That scope does not exist.", code=Code.NOT_PERMITTED, field="scopes")
    if set(chosen) - allowed_scopes(user):
        raise PortalError(
            "Your account may make read-only tokens: filing and answering need a complainant profile.",
            code=Code.NOT_PERMITTED,
            field="scopes",
        )
    if ApiToken.objects.filter(user=user, revoked_at__isnull=True).count() >= MAX_ACTIVE_TOKENS:
        raise PortalError(
            f"You have {MAX_ACTIVE_TOKENS} tokens in use: revoke one first.", code=Code.NOT_PERMITTED, field="name"
        )
    prefix = secrets.token_hex(PREFIX_LENGTH // 2)
    secret = f"{TOKEN_START}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(user=user, name=name, scopes=chosen, prefix=prefix, secret_hash=secret_hash(secret))
    record(actor=user, verb=Verb.API_TOKEN_CREATED, target=token, data={"name": name, "scopes": chosen})
    return token, secret


@transaction.atomic
def api_token_revoke(*, user: "User", token_id: int) -> ApiToken:
    """Revoke one of the user's tokens (anyone else's is not found); revoking twice is a no-op."""
    token = ApiToken.objects.select_for_update().get(pk=token_id, user=user)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record(actor=user, verb=Verb.API_TOKEN_REVOKED, target=token, data={"name": token.name})
    return token


def api_token_mark_used(token: ApiToken, ip: str | None) -> None:
    """Record a use without a write per request: only when the last recorded use is a minute old or more."""
    now = timezone.now()
    if token.last_used_at and now - token.last_used_at < LAST_USED_EVERY:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now, last_used_ip_hash=address_hash(ip))
    token.last_used_at = now


def api_token_find(secret: str) -> ApiToken | None:
    """The active or revoked token a secret belongs to, or None; the comparison is of hashes in constant time."""
    if not secret.startswith(TOKEN_START):
        return None
    prefix = secret[len(TOKEN_START) : len(TOKEN_START) + PREFIX_LENGTH]
    token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    if token is None or not secrets.compare_digest(token.secret_hash, secret_hash(secret)):
        return None
    return token
