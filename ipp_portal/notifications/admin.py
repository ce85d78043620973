from functools import cache
from pathlib import Path
from typing import cast

from django.conf import settings
from django.contrib import admin
from django.utils.translation import gettext_lazy

from ipp_portal.admin_filters import fixed_choices_filter
from ipp_portal.admin_readonly import ReadOnlyAdmin

from .models import Notification


@cache
def notice_kinds() -> list[tuple[str, str]]:
    """Every kind of notice the portal sends (each has a subject template), named for staff:
    "complaints/counter_notice_received" → "Complaints: counter notice received"."""
    kinds = []
    for directory in cast("list[Path]", settings.TEMPLATES[0]["DIRS"]):
        root = Path(directory) / "notifications"
        for subject in sorted(root.rglob("*.subject.txt")):
            name = subject.relative_to(root).as_posix().removesuffix(".subject.txt")
            area, _, rest = name.rpartition("/")
            label = (
                rest.replace("_", " ").capitalize() if not area else f"{area.capitalize()}: {rest.replace('_', ' ')}"
            )
            kinds.append((name, label))
    return kinds


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """Delivery status for support staff; message bodies with secret links stay hidden."""

    list_display = ["created_at", "recipient", "subject", "status", "attempts", "sent_at", "read_at"]
    list_filter = ["status", fixed_choices_filter("template", gettext_lazy("kind of notice"), notice_kinds)]
    search_fields = ["recipient__email", "subject", "dedupe_key"]
    list_select_related = ["recipient"]
    show_full_result_count = False
    readonly_fields = (
        "recipient",
        "template",
        "subject",
        "shown_body",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "dispatched_at",
        "sent_at",
        "read_at",
        "dedupe_key",
    )
    fields = readonly_fields

    @admin.display(description="Body")
    def shown_body(self, obj):
        return "(hidden: contains a one-time link)" if obj.is_sensitive else obj.body_text
