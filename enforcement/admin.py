"""Staff side of enforcement: policy versions, the read-only ledger, actions with the second-approval queue,
appeals, and the form for discretionary actions. Every decision calls a service."""

from typing import cast

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.html import format_html

from ipp_portal.admin_readonly import QueueAdminMixin, ReadOnlyAdmin
from ipp_portal.errors import PortalError
from listings.admin import SellerAdmin
from listings.models import Seller

from . import services
from .ledger import validate_ladder
from .models import Action, ActionKind, Appeal, PendingTermination, Policy, PolicyStep, Violation


class LadderFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        steps = [
            PolicyStep(**{k: f.cleaned_data[k] for k in ("measure", "threshold", "action", "duration_days")})
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        problems = validate_ladder(steps)
        if problems:
            raise ValidationError(problems)


class PolicyStepInline(admin.StackedInline):
    """One block per step, each field with its own label (a table's column headers name nothing on a phone)."""

    model = PolicyStep
    formset = LadderFormSet
    extra = 0
    fields = ["measure", "threshold", "action", "duration_days", "removes_all_listings", "clause"]


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    """A version that is current or has judged violations is locked; copy it into a new version to change it."""

    list_display = ["site", "version", "is_current", "general_points", "serious_points", "daily_general_cap",
                    "strike_window_days", "aggregation_window_days", "requires_prior_warning", "expiry_days",
                    "created_at"]  # fmt: skip
    list_filter = ["site", "is_current"]
    inlines = [PolicyStepInline]
    actions = ["copy_as_new_version", "make_current"]
    readonly_fields = ["site", "version", "is_current", "created_at", "created_by"]

    def _locked(self, obj) -> bool:
        return obj is not None and (obj.is_current or obj.violations.exists())

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not self._locked(obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    # New versions come only from copying one (never from a blank add form), so copying has its own check.
    def has_copy_permission(self, request):
        return request.user.has_perm("enforcement.add_policy")

    def has_activate_permission(self, request):
        return request.user.has_perm("enforcement.activate_policy")

    @admin.action(description="Copy as a new version (to edit)", permissions=["copy"])
    def copy_as_new_version(self, request, queryset):
        for policy in queryset:
            try:
                copy = services.policy_new_version(policy_id=policy.pk, actor=request.user)
            except PortalError as exc:
                messages.error(request, f"{policy}: {exc.message}")
            else:
                messages.success(request, f"Created {copy}: edit it, then make it current.")

    @admin.action(description="Make current (new violations are judged under it)", permissions=["activate"])
    def make_current(self, request, queryset):
        for policy in queryset:
            try:
                services.policy_activate(policy_id=policy.pk, actor=request.user)
            except PortalError as exc:
                messages.error(request, f"{policy}: {exc.message}")
            else:
                messages.success(request, f"{policy} is now current.")


@admin.register(Violation)
class ViolationAdmin(ReadOnlyAdmin):
    """The ledger: append-only; a violation is withdrawn only through a counter-notice, an appeal or a service."""

    list_display = ["reference", "seller", "severity", "points", "status", "establishes_at", "established_at",
                    "establishment", "expires_at", "policy"]  # fmt: skip
    list_filter = ["status", "severity", "establishment", "seller__site"]
    search_fields = ["reference", "seller__store_name", "=seller__member_id"]
    list_select_related = ["seller", "seller__site", "policy", "policy__site"]
    show_full_result_count = False
    date_hierarchy = "occurred_at"


class DecisionForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Reason")


@admin.register(Action)
class ActionAdmin(ReadOnlyAdmin):
    list_display = ["seller", "kind", "status", "is_automated", "starts_at", "ends_at", "imposed_by", "approved_by"]
    list_filter = ["status", "kind", "is_automated", "seller__site"]
    search_fields = ["seller__store_name", "=seller__member_id", "ground", "facts"]
    list_select_related = ["seller", "seller__site", "imposed_by", "approved_by"]
    show_full_result_count = False
    change_form_template = "admin/enforcement/action_change_form.html"

    def has_change_permission(self, request, obj=None):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = {
            "decision_form": DecisionForm(),
            "decide_url": reverse("admin:enforcement_action_decide", args=[object_id]),
        }
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    def get_urls(self):
        return [
            path("<int:pk>/decide/", self.admin_site.admin_view(self.decide_view), name="enforcement_action_decide"),
            *super().get_urls(),
        ]

    def decide_view(self, request, pk: int):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not request.user.has_perm("enforcement.change_action"):
            raise PermissionDenied
        decision = request.POST.get("decision")
        reason = request.POST.get("reason", "")
        try:
            if decision == "approve":
                services.action_approve(action_id=pk, approver=request.user)
                messages.success(request, "Termination approved and in force; the seller has been told.")
            elif decision == "refuse":
                services.action_refuse(action_id=pk, approver=request.user, reason=reason)
                messages.success(request, "Termination not approved.")
            else:
                messages.error(request, "Choose approve or refuse.")
        except PortalError as exc:
            messages.error(request, exc.message)
        return HttpResponseRedirect(reverse("admin:enforcement_action_change", args=[pk]))


@admin.register(PendingTermination)
class PendingTerminationAdmin(ActionAdmin):
    list_filter = ["is_automated", "seller__site"]
    ordering = ["starts_at", "id"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(status=Action.Status.PENDING_APPROVAL, kind=ActionKind.TERMINATION)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return HttpResponseRedirect(reverse("admin:enforcement_action_change", args=[object_id]))


class AppealDecisionForm(forms.Form):
    outcome = forms.ChoiceField(choices=[("upheld", "Uphold the action"), ("overturned", "Overturn the action")])
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Reason (the seller reads it)")
    withdraw = forms.ModelMultipleChoiceField(
        queryset=Violation.objects.none(), required=False, widget=forms.CheckboxSelectMultiple,
        label="Violations to withdraw (when overturning)",
    )  # fmt: skip

    def __init__(self, *args, seller, **kwargs):
        super().__init__(*args, **kwargs)
        withdraw = cast(forms.ModelMultipleChoiceField, self.fields["withdraw"])
        withdraw.queryset = Violation.objects.filter(seller=seller, withdrawn_at__isnull=True)


@admin.register(Appeal)
class AppealAdmin(QueueAdminMixin, ReadOnlyAdmin):
    list_display = ["action", "filed_by", "status", "created_at", "decided_by"]
    list_filter = ["status", "action__kind"]
    list_select_related = ["action", "action__seller", "filed_by", "decided_by"]
    ordering = ["created_at", "id"]
    search_fields = ["action__seller__store_name", "statement"]
    change_form_template = "admin/enforcement/appeal_change_form.html"
    queue_filter = "status__exact=open"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        appeal = get_object_or_404(Appeal.objects.select_related("action__seller"), pk=object_id)
        form = AppealDecisionForm(request.POST or None, seller=appeal.action.seller)
        if request.method == "POST":
            if not request.user.has_perm("enforcement.change_appeal"):
                raise PermissionDenied
            if form.is_valid() and self.decide(
                request,
                lambda: services.appeal_decide(
                    appeal_id=appeal.pk,
                    reviewer=request.user,
                    outcome=form.cleaned_data["outcome"],
                    reason=form.cleaned_data["reason"],
                    withdraw_violation_ids=[v.pk for v in form.cleaned_data["withdraw"]],
                ),
                done="Appeal decided; the seller has been told.",
            ):
                return HttpResponseRedirect(reverse("admin:enforcement_appeal_changelist"))
        extra = {"decision_form": form, "appeal": appeal}
        request.method = "GET"  # render the read-only page with the decision form below it
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})


class ImposeForm(forms.Form):
    kind = forms.ChoiceField(choices=ActionKind.choices, label="Action")
    ends_at = forms.DateTimeField(
        required=False, label="Ends at (UTC)", help_text="Empty for a warning, a termination, or no set end.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )  # fmt: skip
    ground = forms.CharField(
        label="Ground", initial="Policy §3: full discretion in extreme or conspicuous situations",
        help_text="The policy clause or legal ground, e.g. litigation initiated by the right holder.",
    )  # fmt: skip
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), label="Written reason (the seller reads it)")


def impose_view(request, pk: int):
    seller = get_object_or_404(Seller.objects.select_related("site"), pk=pk)
    if not request.user.has_perm("enforcement.add_action"):
        raise PermissionDenied
    form = ImposeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            action = services.action_impose(seller=seller, actor=request.user, **form.cleaned_data)
        except PortalError as exc:
            form.add_error(None, exc.message)
        else:
            note = " It takes effect when a second member of staff approves it." if action.status != "active" else ""
            messages.success(request, f"{action.get_kind_display()} recorded.{note}")
            return HttpResponseRedirect(reverse("admin:enforcement_action_change", args=[action.pk]))
    context = {**admin.site.each_context(request), "title": f"Impose an action on {seller}", "form": form,
               "seller": seller, "opts": Seller._meta}  # fmt: skip
    return render(request, "admin/enforcement/impose_form.html", context)


# The seller's admin page is composed here: listings defines SellerAdmin without registering it (listings cannot
# import enforcement), and enforcement registers it with the links to the ledger and the impose form.
@admin.register(Seller)
class EnforcementSellerAdmin(SellerAdmin):
    list_display = [*SellerAdmin.list_display, "enforcement_links"]

    def get_urls(self):
        return [
            path("<int:pk>/impose/", self.admin_site.admin_view(impose_view), name="listings_seller_impose"),
            *super().get_urls(),
        ]

    @admin.display(description="Enforcement")
    def enforcement_links(self, obj):
        return format_html(
            '<a href="{}?seller__id__exact={}">ledger</a> · <a href="{}?seller__id__exact={}">actions</a> · '
            '<a href="{}">impose…</a>',
            reverse("admin:enforcement_violation_changelist"), obj.pk,
            reverse("admin:enforcement_action_changelist"), obj.pk,
            reverse("admin:listings_seller_impose", args=[obj.pk]),
        )  # fmt: skip
