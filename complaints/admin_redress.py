"""Staff side of complainant accountability: the queue of complainants' appeals with its decide form (a person
other than the one who decided), warnings and suspensions with the forms to impose and lift them, and each site's
abuse rules. Every decision calls a service."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse

from ipp_portal.admin_readonly import QueueAdminMixin, ReadOnlyAdmin
from ipp_portal.errors import PortalError
from listings.models import Site

from . import services
from .models import AbuseRules, Complainant, ComplainantAppeal, ComplainantSanction
from .services.redress import appeal_deciders

APPEAL_FIELDS = ("complainant", "subject", "claim", "sanction", "filed_by", "statement", "status", "created_at",
                 "decided_by", "decided_at", "decision_reason")  # fmt: skip
SANCTION_FIELDS = ("complainant", "site", "kind", "status", "is_automated", "imposed_by", "starts_at", "ends_at",
                   "unfounded_count", "ground", "facts", "reason", "next_steps", "redress", "appeal_deadline",
                   "lifted_by", "lifted_at", "lift_reason")  # fmt: skip
THRESHOLDS = ("window_days", "warning_after", "suspend_after", "suspension_days")


class AppealDecisionForm(forms.Form):
    outcome = forms.ChoiceField(
        choices=[("upheld", "Uphold the decision"), ("overturned", "Overturn the decision (back in review / lifted)")]
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Reason (the complainant reads it)")


@admin.register(ComplainantAppeal)
class ComplainantAppealAdmin(QueueAdminMixin, ReadOnlyAdmin):
    list_display = ["__str__", "complainant", "subject", "claim", "status", "created_at", "decided_by"]
    list_filter = ["status", "subject"]
    list_select_related = ["complainant", "claim", "decided_by"]
    ordering = ["created_at", "id"]
    search_fields = ["complainant__legal_name", "statement"]
    change_form_template = "admin/complaints/complainantappeal_change_form.html"
    queue_filter = "status__exact=open"
    fields = readonly_fields = APPEAL_FIELDS

    def change_view(self, request, object_id, form_url="", extra_context=None):
        appeal = get_object_or_404(
            ComplainantAppeal.objects.select_related("claim", "sanction__site", "complainant"), pk=object_id
        )
        form = AppealDecisionForm(request.POST or None)
        if request.method == "POST":
            if not request.user.has_perm("complaints.change_complainantappeal"):
                raise PermissionDenied
            if form.is_valid() and self.decide(
                request,
                lambda: services.complainant_appeal_decide(
                    appeal_id=appeal.pk,
                    reviewer=request.user,
                    outcome=form.cleaned_data["outcome"],
                    reason=form.cleaned_data["reason"],
                ),
                done="Appeal decided; the complainant has been told.",
            ):
                return HttpResponseRedirect(reverse("admin:complaints_complainantappeal_changelist"))
        extra = {
            "decision_form": form,
            "appeal": appeal,
            "appeal_items": appeal.items.select_related("listing", "decided_by").order_by("position"),
            "appeal_documents": appeal.documents.all(),
            "own_decision": request.user.pk in appeal_deciders(appeal),
        }
        request.method = "GET"  # render the read-only page with the decision form below it
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})


class ImposeForm(forms.Form):
    complainant = forms.ModelChoiceField(queryset=Complainant.objects.order_by("legal_name"))
    site = forms.ModelChoiceField(queryset=Site.objects.order_by("name"))
    kind = forms.ChoiceField(choices=ComplainantSanction.Kind.choices, label="Decision")
    days = forms.IntegerField(
        required=False, min_value=1, max_value=365, label="Suspension (days)",
        help_text="Empty: the site's abuse rules decide (a warning has no duration).",
    )  # fmt: skip
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), label="Written reason (the complainant reads it)"
    )


class LiftForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), label="Reason for lifting (the complainant reads it)"
    )


@admin.register(ComplainantSanction)
class ComplainantSanctionAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "complainant", "site", "kind", "status", "is_automated", "starts_at", "ends_at"]
    list_filter = ["status", "kind", "site", "is_automated"]
    list_select_related = ["complainant", "site"]
    search_fields = ["complainant__legal_name"]
    change_form_template = "admin/complaints/complainantsanction_change_form.html"
    fields = readonly_fields = SANCTION_FIELDS

    def get_urls(self):
        return [
            path("impose/", self.admin_site.admin_view(self.impose_view), name="complaints_complainantsanction_impose"),
            path(
                "<int:pk>/lift/", self.admin_site.admin_view(self.lift_view), name="complaints_complainantsanction_lift"
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = {"lift_form": LiftForm(), "may_sanction": request.user.has_perm("complaints.sanction_complainant")}
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    def impose_view(self, request):
        if not request.user.has_perm("complaints.sanction_complainant"):
            raise PermissionDenied
        form = ImposeForm(request.POST or None, initial={"complainant": request.GET.get("complainant")})
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                sanction = services.complainant_sanction_impose(
                    complainant_id=data["complainant"].pk, site=data["site"], kind=data["kind"], actor=request.user,
                    reason=data["reason"], days=data["days"],
                )  # fmt: skip
            except PortalError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, f"{sanction.get_kind_display()} recorded; the complainant has been told.")
                return HttpResponseRedirect(reverse("admin:complaints_complainantsanction_change", args=[sanction.pk]))
        context = {**self.admin_site.each_context(request), "title": "Warn or suspend a complainant", "form": form,
                   "opts": self.opts}  # fmt: skip
        return render(request, "admin/complaints/sanction_impose.html", context)

    def lift_view(self, request, pk: int):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not request.user.has_perm("complaints.sanction_complainant"):
            raise PermissionDenied
        form = LiftForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Write the reason for lifting it.")
        else:
            try:
                services.complainant_sanction_lift(
                    sanction_id=pk, actor=request.user, reason=form.cleaned_data["reason"]
                )
            except PortalError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, "Lifted; the complainant has been told.")
        return HttpResponseRedirect(reverse("admin:complaints_complainantsanction_change", args=[pk]))


@admin.register(AbuseRules)
class AbuseRulesAdmin(admin.ModelAdmin):
    """Each site's thresholds (DSA Art. 23(2)); a change is audited and applies from the next sweep."""

    list_display = ["site", "window_days", "warning_after", "suspend_after", "suspension_days", "updated_at"]
    fields = ["site", *THRESHOLDS]
    readonly_fields = ["site"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        services.abuse_rules_update(
            rules_id=obj.pk, actor=request.user, **{name: form.cleaned_data[name] for name in THRESHOLDS}
        )
