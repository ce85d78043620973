"""Who may change platform data. Services check the actor themselves: the admin's buttons are a convenience, the
service is the last line (an admin action, an API view or a script that forgets a check still cannot act)."""

from typing import TYPE_CHECKING

from .errors import NotPermitted

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from .accounts.models import User


def require_perm(actor: "User | AnonymousUser | None", *perms: str, message: str | None = None) -> None:
    """Refuse unless ``actor`` is an active account holding every permission named ("app_label.codename").

    Staff roles are permission groups; ``is_staff`` alone grants nothing here."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.has_perms(perms):
        raise NotPermitted(message or "Your staff role does not allow this.")
