"""Account state changes: sign-up and email verification."""

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from ipp_portal.audit.services import record
from ipp_portal.audit.verbs import Verb
from ipp_portal.errors import PortalError
from ipp_portal.notifications.services import queue

from .models import User
from .tokens import email_verification_token


class VerificationLinkInvalid(PortalError):
    code = "verification_link_invalid"
    default_message = "This verification link is invalid or has expired. Ask for a new one below."


def _queue_verification(user: User) -> None:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = email_verification_token.make_token(user)
    queue(
        recipient=user,
        template="accounts/verify_email",
        context={"name": user.get_short_name(), "path": reverse("accounts:verify", args=[uid, token])},
        target=user,
        is_sensitive=True,
    )


@transaction.atomic
def user_sign_up(*, email: str, password: str, full_name: str = "") -> User | None:
    """Create an account that can sign in once its email address is verified; email the verification link.

    If the address already has an account, nothing is created and its owner is told by email instead (with links
    to sign in and to reset the password); the caller answers exactly as for a new account, so the sign-up form
    does not reveal which addresses are registered. Returns the new user, or None for a taken address.
    """
    existing = User.objects.filter(email__iexact=email).first()
    if existing is None:
        user = User.objects.create_user(email=email, password=password, full_name=full_name)
        record(actor=user, verb=Verb.USER_SIGNED_UP, target=user, after="unverified")
        _queue_verification(user)
        return user
    # Hash the password anyway: a new account costs one hash, and the answer should take as long either way.
    make_password(password)
    if existing.is_active:
        queue(
            recipient=existing,
            template="accounts/already_registered",
            context={
                "name": existing.get_short_name(),
                "login_path": reverse("accounts:login"),
                "reset_path": reverse("accounts:password-reset"),
                "resend_path": "" if existing.is_email_verified else reverse("accounts:resend-verification"),
            },
            target=existing,
        )
    return None


@transaction.atomic
def user_resend_verification(*, email: str) -> None:
    """Send a fresh verification link to an unverified account; silent for unknown addresses (no enumeration)."""
    user = User.objects.select_for_update().filter(email__iexact=email, is_active=True).first()
    if user is None or user.is_email_verified:
        return
    record(actor=user, verb=Verb.USER_VERIFICATION_RESENT, target=user)
    _queue_verification(user)


@transaction.atomic
def user_verify_email(*, uidb64: str, token: str) -> User:
    """Mark the address verified if the link is genuine and current."""
    from django.utils.http import urlsafe_base64_decode

    try:
        pk = int(urlsafe_base64_decode(uidb64).decode())
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        raise VerificationLinkInvalid from exc
    user = User.objects.select_for_update().filter(pk=pk).first()
    if user is None:
        raise VerificationLinkInvalid
    if user.is_email_verified:
        return user
    if not email_verification_token.check_token(user, token):
        raise VerificationLinkInvalid
    user.email_verified_at = timezone.now()
    user.save(update_fields=["email_verified_at"])
    record(actor=user, verb=Verb.USER_EMAIL_VERIFIED, target=user, before="unverified", after="verified")
    return user
