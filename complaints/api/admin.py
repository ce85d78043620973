from django.contrib import admin, messages

from ipp_portal.errors import PortalError

from .limits import api_limits_save
from .models import ApiLimits


@admin.register(ApiLimits)
class ApiLimitsAdmin(admin.ModelAdmin):
    """One complainant's API limits (empty: the settings' defaults). Only staff granted the permission (a superuser)
    see or change them; every change is audited. A row is never deleted: emptying its fields restores the defaults."""

    list_display = ["complainant", "links_per_day", "requests_per_minute", "updated_at"]
    list_select_related = ["complainant"]
    search_fields = ["complainant__legal_name"]
    raw_id_fields = ["complainant"]
    fields = ["complainant", "links_per_day", "requests_per_minute"]

    def get_readonly_fields(self, request, obj=None):
        return ["complainant"] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        try:
            saved = api_limits_save(
                actor=request.user,
                complainant_id=obj.complainant_id,
                links_per_day=form.cleaned_data.get("links_per_day"),
                requests_per_minute=form.cleaned_data.get("requests_per_minute"),
            )
        except PortalError as exc:
            self.message_user(request, exc.message, level=messages.ERROR)
            return
        obj.pk = saved.pk
