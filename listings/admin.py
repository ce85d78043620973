from django.contrib import admin

from .models import Holiday, Listing, Site


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "domain", "timezone"]


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ["on", "name", "site"]
    list_filter = ["site"]
    date_hierarchy = "on"
    list_select_related = ["site"]


class SellerAdmin(admin.ModelAdmin):
    """Registered by the enforcement app, which composes it with the seller's ledger links (docs/architecture.md)."""

    list_display = ["store_name", "site", "member_id", "user", "standing", "standing_until"]
    list_filter = ["site", "standing"]
    search_fields = ["store_name", "member_id", "user__email"]
    list_select_related = ["site", "user"]
    raw_id_fields = ["user"]
    show_full_result_count = False
    # Standing is written only by enforcement services, never by hand here.
    readonly_fields = ["standing", "standing_until", "standing_reason", "standing_changed_at", "created_at"]


@admin.register(Listing)
class ListingAdmin(admin.ModelAdmin):
    list_display = ["external_id", "title", "site", "seller", "status", "price", "currency", "updated_at"]
    list_filter = ["site", "status"]
    search_fields = ["=external_id", "title", "seller__store_name"]
    list_select_related = ["site", "seller", "seller__site"]
    raw_id_fields = ["seller"]
    show_full_result_count = False
    # Status moves only through services (takedown, reinstatement, delisting).
    readonly_fields = ["status", "created_at", "updated_at"]
