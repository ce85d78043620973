"""Staff views of the complainant's accuracy record and of the trusted programme: the queue's accuracy column (one
query for the page's complainants), the memberships waiting for a supervisor, and the per-site criteria."""

from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html

from ipp_portal.admin_readonly import QueueAdminMixin
from ipp_portal.errors import PortalError

from . import services
from .models import Trust, TrustCriteria
from .selectors.accuracy import Accuracy, Figures, complainant_accuracy, complainant_accuracy_shown


def percent(value: float | None) -> str:
    return "—" if value is None else f"{round(value * 100)} %"


def accuracy_summary(figures: Figures) -> str:
    """One line for the queue: the takedown rate over the decided items, the share lost to counter-notices."""
    if not figures.items_decided:
        return "no decisions yet"
    return (
        f"{percent(figures.takedown_rate)} of {figures.items_decided} taken down · "
        f"{percent(figures.counter_notice_loss_share)} lost to counter-notices · "
        f"{figures.manifestly_unfounded} unfounded"
    )


class AccuracyChangeList(ChangeList):
    """The review queue's page, with each row's complainant's accuracy fetched for the page's rows in one query."""

    def get_results(self, request):
        super().get_results(request)
        records: dict[int, Accuracy] = complainant_accuracy_shown({c.complainant_id for c in self.result_list})
        for claim in self.result_list:
            claim.accuracy = records.get(claim.complainant_id)


@admin.register(TrustCriteria)
class TrustCriteriaAdmin(admin.ModelAdmin):
    """The trusted programme's bar per site: supervisors edit it; the daily sweep applies it."""

    list_display = ["site", "window_days", "min_items", "min_takedown_rate", "max_counter_notice_loss_share"]
    list_select_related = ["site"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Trust)
class TrustAdmin(QueueAdminMixin, admin.ModelAdmin):
    """Proposals and flags from the sweep, waiting for a supervisor; decided memberships. Decisions go through the
    services with a statement of reasons (audited; the complainant is told, and a revocation says how to appeal)."""

    list_display = ["complainant", "site", "status", "rate", "loss_share", "decided", "proposed_at", "flagged_at"]
    list_filter = ["status", "site"]
    list_select_related = ["complainant", "site"]
    search_fields = ["complainant__legal_name"]
    ordering = ["status", "-flagged_at", "-proposed_at", "id"]
    change_form_template = "admin/complaints/trust_review.html"
    queue_filter = "status__in=proposed,flagged"

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Trust._meta.fields]

    @admin.display(description="Takedown rate")
    def rate(self, obj):
        return percent(obj.figures.get("takedown_rate"))

    @admin.display(description="Lost to counter-notices")
    def loss_share(self, obj):
        return percent(obj.figures.get("counter_notice_loss_share"))

    @admin.display(description="Decided items")
    def decided(self, obj):
        return obj.figures.get("items_decided", "—")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        trust = self.get_object(request, object_id)
        extra = {}
        if trust is not None:
            record = complainant_accuracy([trust.complainant_id], site_id=trust.site_id)[trust.complainant_id]
            extra = {
                "accuracy": record,
                "can_decide": request.user.has_perm("complaints.decide_trust"),
                "decide_url": reverse("admin:complaints_trust_decide", args=[trust.pk]),
                "show_save": False,
                "show_save_and_continue": False,
            }
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    def get_urls(self):
        return [
            path("<int:pk>/decide/", self.admin_site.admin_view(self.decide_view), name="complaints_trust_decide"),
            *super().get_urls(),
        ]

    def decide_view(self, request, pk: int):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not request.user.has_perm("complaints.decide_trust"):
            raise PermissionDenied
        decide = {"admit": services.trust_admit, "decline": services.trust_decline, "revoke": services.trust_revoke}
        service = decide.get(request.POST.get("decision", ""))
        if service is None:
            messages.error(request, "Choose a decision.")
        else:
            try:
                trust = service(trust_id=pk, supervisor=request.user, reason=request.POST.get("reason", ""))
                messages.success(request, f"{trust.complainant}: {trust.get_status_display().lower()}.")
            except PortalError as exc:
                messages.error(request, exc.message)
        return HttpResponseRedirect(reverse("admin:complaints_trust_change", args=[pk]))


def trusted_mark(claim) -> str:
    return format_html('<strong class="trusted-mark">Trusted</strong>') if claim.is_trusted else ""
