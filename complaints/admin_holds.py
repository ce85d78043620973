"""Staff screens for litigation holds (policy §3): the list with filters, the "Place hold" form, the "Lift hold"
page (asks for a reason first, then POST), and the holds shown on the seller's and the listing's admin pages.

The seller's and the listing's pages are composed here, as enforcement composes the seller's (docs/architecture.md:
listings cannot import this app)."""

import contextlib

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.exceptions import NotRegistered
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from enforcement.admin import EnforcementSellerAdmin
from ipp_portal.errors import PortalError
from listings.admin import ListingAdmin
from listings.models import Listing, Seller

from . import services
from .models import Claim, LitigationHold
from .selectors.holds import holds_covering, holds_for_claim, holds_for_seller


def holds_html(holds: list[LitigationHold]) -> str:
    if not holds:
        return "None"
    return format_html_join(
        "",
        '<p><a href="{}">{}</a> — {}, case {} (placed {} by {})</p>',
        (
            (reverse("admin:complaints_litigationhold_change", args=[h.pk]), h.scope_label, h.court,
             h.case_reference, f"{h.placed_at:%d %b %Y}", h.placed_by)
            for h in holds
        ),
    )  # fmt: skip


class PlaceHoldForm(forms.ModelForm):
    class Meta:
        model = LitigationHold
        fields = ["seller", "listing", "claim", "court", "case_reference", "reason"]
        labels = {"seller": "Store", "case_reference": "Case reference"}
        help_texts = {
            "seller": "Hold every listing of this store…",
            "listing": "…or this one listing…",
            "claim": "…or every listing this claim names. Choose exactly one.",
            "reason": "Why the platform holds these listings (policy §3). The seller is told the court and the case.",
        }

    def clean(self):
        data = super().clean() or {}
        targets = [name for name in ("seller", "listing", "claim") if data.get(name)]
        if len(targets) != 1:
            raise ValidationError("Choose exactly one store, one listing or one claim to hold.")
        for name in ("court", "case_reference", "reason"):
            if not (data.get(name) or "").strip() and name not in self.errors:
                self.add_error(name, "This is required.")
        return data


class ActiveFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("active", "In force"), ("lifted", "Lifted")]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        if self.value() == "active":
            return queryset.filter(lifted_at__isnull=True)
        if self.value() == "lifted":
            return queryset.filter(lifted_at__isnull=False)
        return queryset


class ScopeFilter(admin.SimpleListFilter):
    title = "held"
    parameter_name = "scope"

    def lookups(self, request, model_admin):
        return [("store", "A store"), ("listing", "A listing"), ("claim", "A claim")]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        field = {"store": "seller", "listing": "listing", "claim": "claim"}.get(self.value() or "")
        return queryset.filter(**{f"{field}__isnull": False}) if field else queryset


@admin.register(LitigationHold)
class LitigationHoldAdmin(admin.ModelAdmin):
    """Every hold, newest first; "Place hold" is the add form, "Lift hold" a page of its own."""

    form = PlaceHoldForm
    list_display = ["case_reference", "court", "held", "placed_by", "placed_at", "in_force", "lifted_at"]
    list_filter = [ActiveFilter, ScopeFilter, "court", "placed_at"]
    search_fields = ["case_reference", "court", "seller__store_name", "listing__external_id"]
    list_select_related = ["seller", "listing", "claim", "placed_by"]
    raw_id_fields = ["seller", "listing", "claim"]
    show_full_result_count = False
    change_form_template = "admin/complaints/litigation_hold_change_form.html"
    change_list_template = "admin/complaints/litigation_hold_change_list.html"

    @admin.display(description="Holds")
    def held(self, obj: LitigationHold) -> str:
        return obj.scope_label

    @admin.display(description="In force", boolean=True)
    def in_force(self, obj: LitigationHold) -> bool:
        return obj.is_active

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # The related admins order by annotations their own querysets add (a claim's item count): not here.
        querysets = {"seller": Seller.objects.all(), "listing": Listing.objects.all(), "claim": Claim.objects.all()}
        if db_field.name in querysets:
            kwargs["queryset"] = querysets[db_field.name]
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [f.name for f in LitigationHold._meta.fields]

    def has_delete_permission(self, request, obj=None):
        return False  # a hold is lifted, with a reason, never deleted

    def save_model(self, request, obj, form, change):
        if change:
            return  # nothing on a hold is edited; it is lifted on its own page
        data = form.cleaned_data
        placed = services.litigation_hold_place(
            actor=request.user, reason=data["reason"], court=data["court"], case_reference=data["case_reference"],
            seller_id=data["seller"].pk if data.get("seller") else None,
            listing_id=data["listing"].pk if data.get("listing") else None,
            claim_id=data["claim"].pk if data.get("claim") else None,
        )  # fmt: skip
        obj.pk, obj.placed_by, obj.placed_at = placed.pk, placed.placed_by, placed.placed_at

    def get_urls(self):
        return [
            path("<int:pk>/lift/", self.admin_site.admin_view(self.lift_view), name="complaints_litigationhold_lift"),
            *super().get_urls(),
        ]

    def add_view(self, request, form_url="", extra_context=None):
        return super().add_view(request, form_url, {"title": "Place a litigation hold", **(extra_context or {})})

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = {"can_lift": request.user.has_perm("complaints.change_litigationhold")}
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    def lift_view(self, request, pk: int):
        """Asks first: GET shows the hold and a reason field, POST lifts it."""
        if request.method not in ("GET", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        if not request.user.has_perm("complaints.change_litigationhold"):
            raise PermissionDenied
        hold = get_object_or_404(LitigationHold.objects.select_related("seller", "listing", "claim"), pk=pk)
        error, field_error = "", ""
        reason = request.POST.get("reason", "")
        if request.method == "POST":
            try:
                services.litigation_hold_lift(actor=request.user, hold_id=pk, reason=reason)
            except PortalError as exc:
                error, field_error = ("", exc.message) if exc.field else (exc.message, "")
            else:
                messages.success(request, f"Hold {hold.case_reference} lifted; the people it concerned are told.")
                return HttpResponseRedirect(reverse("admin:complaints_litigationhold_change", args=[pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Lift the hold {hold.case_reference}?",
            "opts": self.opts,
            "hold": hold,
            "reason": reason,
            "error": error,
            "field_error": field_error,
        }
        return TemplateResponse(request, "admin/complaints/litigation_hold_lift.html", context)


def _reregister(model, admin_class) -> None:
    with contextlib.suppress(NotRegistered):
        admin.site.unregister(model)
    admin.site.register(model, admin_class)


class HeldSellerAdmin(EnforcementSellerAdmin):
    """The seller's page with the holds that concern the store."""

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "litigation_holds"]

    @admin.display(description="Litigation holds")
    def litigation_holds(self, obj: Seller) -> str:
        place = reverse("admin:complaints_litigationhold_add") + f"?seller={obj.pk}"
        return format_html('{}<p><a href="{}">Place hold…</a></p>', holds_html(holds_for_seller(obj.pk)), place)


class HeldListingAdmin(ListingAdmin):
    """The listing's page with the holds that cover it (on the listing, its store or a claim naming it)."""

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "litigation_holds"]

    @admin.display(description="Litigation holds")
    def litigation_holds(self, obj: Listing) -> str:
        place = reverse("admin:complaints_litigationhold_add") + f"?listing={obj.pk}"
        return format_html('{}<p><a href="{}">Place hold…</a></p>', holds_html(holds_covering([obj.pk])), place)


_reregister(Seller, HeldSellerAdmin)
_reregister(Listing, HeldListingAdmin)


def claim_holds_context(claim_id: int) -> dict:
    """What the claim review page shows about holds."""
    return {
        "holds_html": holds_html(holds_for_claim(claim_id)),
        "place_hold_url": reverse("admin:complaints_litigationhold_add") + f"?claim={claim_id}",
    }
