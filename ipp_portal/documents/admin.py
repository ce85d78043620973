from django.contrib import admin
from django.utils.translation import gettext_lazy

from ipp_portal.admin_filters import fixed_choices_filter
from ipp_portal.admin_readonly import ReadOnlyAdmin

from .models import Document
from .services import ACCEPTED_TYPE_NAMES


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    """Read-only: documents are immutable; each higher app offers its own download view that checks access."""

    list_display = ["created_at", "original_name", "content_type", "size", "uploaded_by", "sha256"]
    # The types the upload pipeline accepts (nothing else is ever stored), by name.
    list_filter = [fixed_choices_filter("content_type", gettext_lazy("type"), ACCEPTED_TYPE_NAMES.items())]
    search_fields = ["original_name", "sha256", "uploaded_by__email"]
    date_hierarchy = "created_at"
    list_select_related = ["uploaded_by"]
    # The storage name as text, not the field's link: the files are private and served only by the higher apps'
    # views, which check who is asking. One tuple for both options: they are typed differently, and a tuple is a
    # valid value of each.
    fields = readonly_fields = (
        "original_name",
        "content_type",
        "size",
        "sha256",
        "uploaded_by",
        "created_at",
        "stored_as",
    )
    show_full_result_count = False

    @admin.display(description="Stored as")
    def stored_as(self, obj: Document) -> str:
        return obj.file.name
