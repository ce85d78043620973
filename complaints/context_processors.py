"""What the navigation shows a signed-in person: the parts of the portal for what they are (a rights holder, a
seller, staff) and their unread messages. It lives here, in the top layer, because it reads complainants and sellers
(listings) as well as the inbox (ipp_portal)."""

from functools import cached_property
from typing import TYPE_CHECKING

from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce

from ipp_portal.accounts.models import User
from ipp_portal.notifications.models import Notification
from listings.models import Seller

from .models import Complainant

if TYPE_CHECKING:
    from django.http import HttpRequest


class Navigation:
    """Read at most once per request, and only when a page shows it: one query for the roles and the unread count."""

    def __init__(self, user: User) -> None:
        self.user = user

    @cached_property
    def _row(self) -> dict:
        unread = (
            Notification.objects.filter(recipient=OuterRef("pk"), read_at__isnull=True)
            .order_by()
            .values("recipient")
            .annotate(n=Count("*"))
            .values("n")
        )
        return (
            User.objects.filter(pk=self.user.pk)
            .values("pk")
            .annotate(
                unread=Coalesce(Subquery(unread, output_field=IntegerField()), 0),
                is_complainant=Exists(Complainant.objects.filter(user=OuterRef("pk"))),
                is_seller=Exists(Seller.objects.filter(user=OuterRef("pk"))),
            )
            .get()
        )

    @property
    def unread(self) -> int:
        return self._row["unread"]

    @property
    def shows_rights(self) -> bool:
        """A rights holder or agent; someone who is neither yet (but not staff) is offered both ways in."""
        return self._row["is_complainant"] or (not self._row["is_seller"] and not self.user.is_staff)

    @property
    def shows_seller(self) -> bool:
        return self._row["is_seller"] or (not self._row["is_complainant"] and not self.user.is_staff)


def navigation(request: "HttpRequest") -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    nav = getattr(request, "_navigation", None)
    if nav is None:
        nav = Navigation(user)
        request._navigation = nav  # type: ignore[attr-defined]  # one per request, however many templates render
    return {"nav": nav}
