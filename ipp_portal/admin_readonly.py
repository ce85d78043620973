"""Admin for records nobody edits by hand: audit events, documents, notifications, ledgers, claim items."""

from django.contrib import admin


class ReadOnlyAdminMixin:
    """Staff may look; nobody adds, changes or deletes through the admin (services own every write)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    pass
