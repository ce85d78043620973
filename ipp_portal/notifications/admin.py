from django.contrib import admin

from ipp_portal.admin_readonly import ReadOnlyAdmin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """Delivery status for support staff; message bodies with secret links stay hidden."""

    list_display = ["created_at", "recipient", "subject", "status", "attempts", "sent_at", "read_at"]
    list_filter = ["status", "template"]
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
