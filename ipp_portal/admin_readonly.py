"""Admin building blocks: read-only lists for records nobody edits by hand (audit events, documents, notifications,
ledgers, claim items), and the staff work queues."""

from collections.abc import Callable

from django.contrib import admin, messages
from django.http import HttpResponseRedirect

from .errors import PortalError


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


class QueueAdminMixin:
    """A staff work queue: opens on what waits for a decision (``queue_filter``; "All" in the filter shows the rest),
    never adds or deletes (services own every write), and a refused decision comes back as a message."""

    queue_filter = ""  # the query string the list opens on, e.g. "status__exact=pending"

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def queue_redirect(self, request) -> HttpResponseRedirect | None:
        if self.queue_filter and not request.GET and request.method == "GET":
            return HttpResponseRedirect(f"{request.path}?{self.queue_filter}")
        return None

    def changelist_view(self, request, extra_context=None):
        return self.queue_redirect(request) or super().changelist_view(request, extra_context)  # type: ignore[misc]

    def decide(self, request, call: Callable[[], object], *, done: str) -> bool:
        """Run one decision (a service call); say what happened, or why it was refused. True when it was made."""
        try:
            call()
        except PortalError as exc:
            messages.error(request, exc.message)
            return False
        messages.success(request, done)
        return True
