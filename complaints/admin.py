"""Staff verification of identities, rights and authorizations: queues oldest first, a review page with the
documents beside the data, and decisions that go through services (admin never writes a status itself)."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse

from ipp_portal.documents.models import Document
from ipp_portal.documents.responses import document_response
from ipp_portal.errors import PortalError

from . import selectors, services
from .forms import DecisionForm
from .models import Authorization, Claim, ClaimItem, Complainant, IPRight, RightDocument


class VerificationAdmin(admin.ModelAdmin):
    """Read-only review page plus decision buttons; the changelist opens on the pending queue, oldest first."""

    change_form_template = "admin/complaints/review_change_form.html"
    ordering = ["submitted_at", "id"]
    list_filter = ["status"]
    show_full_result_count = False
    decisions: dict = {}  # action name -> (button label, service, needs a reason)
    noun = "record"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        # Staff decide; they never edit what the complainant submitted (documents included).
        fields = [f.name for f in self.model._meta.fields if f.name != "id"]
        return fields + [f.name for f in self.model._meta.many_to_many] + list(self.readonly_fields)

    def changelist_view(self, request, extra_context=None):
        # The queue is what reviewers open this page for; "All" in the filter shows everything.
        if not request.GET and request.method == "GET":
            return HttpResponseRedirect(f"{request.path}?status__exact=pending")
        return super().changelist_view(request, extra_context)

    def review_documents(self, obj) -> list[tuple[str, Document]]:
        return []

    def review_conflicts(self, obj) -> list:
        return []

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        extra = {
            "review_documents": self.review_documents(obj) if obj else [],
            "review_conflicts": self.review_conflicts(obj) if obj else [],
            "decisions": [
                (name, label, needs_reason)
                for name, (label, _service, needs_reason, allowed_from) in self.decisions.items()
                if obj is not None and obj.status in allowed_from
            ],
            "decision_form": DecisionForm(),
            "decide_url": reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_decide", args=[object_id]),
            "preview_url_name": f"admin:{self.opts.app_label}_{self.opts.model_name}_preview",
            "show_save": False,
            "show_save_and_continue": False,
        }
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path("<int:pk>/decide/", self.admin_site.admin_view(self.decide_view), name="{}_{}_decide".format(*info)),
            path(
                "<int:pk>/documents/<int:document_pk>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="{}_{}_preview".format(*info),
            ),
            *super().get_urls(),
        ]

    def decide_view(self, request, pk: int):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = get_object_or_404(self.model, pk=pk)
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        action = request.POST.get("decision")
        if action not in self.decisions:
            messages.error(request, "Choose a decision.")
            return HttpResponseRedirect(
                reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[pk])
            )
        label, service, needs_reason, _ = self.decisions[action]
        form = DecisionForm(request.POST)
        form.is_valid()
        reason = form.cleaned_data.get("reason", "")
        kwargs = {"reviewer": request.user, f"{self._id_arg()}": pk}
        if needs_reason:
            kwargs["reason"] = reason
        try:
            service(**kwargs)
        except PortalError as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(
                reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[pk])
            )
        messages.success(request, f"{label}: done. The complainant has been told.")
        return HttpResponseRedirect(
            reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist") + "?status__exact=pending"
        )

    def _id_arg(self) -> str:
        return {"complainant": "complainant_id", "ipright": "right_id", "authorization": "authorization_id"}[
            self.opts.model_name
        ]

    def preview_view(self, request, pk: int, document_pk: int):
        """Staff-only inline view of an image or PDF under review (sandboxed, never sniffed by the browser)."""
        obj = get_object_or_404(self.model, pk=pk)
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        documents = {doc.pk: doc for _, doc in self.review_documents(obj)}
        if document_pk not in documents:
            raise Http404
        response = document_response(documents[document_pk])
        response["Content-Disposition"] = response["Content-Disposition"].replace("attachment", "inline", 1)
        return response

    @admin.display(description="Waiting since", ordering="submitted_at")
    def waiting_since(self, obj):
        return obj.submitted_at


@admin.register(Complainant)
class ComplainantAdmin(VerificationAdmin):
    noun = "identity"
    list_display = ["legal_name", "kind", "role", "country", "status", "waiting_since"]
    search_fields = ["legal_name", "user__email", "contact_email"]
    list_select_related = ["user"]
    list_filter = ["status", "kind", "role"]
    decisions = {
        "verify": ("Identity verified", services.complainant_verify, False, {"pending"}),
        "reject": ("Identity rejected", services.complainant_reject, True, {"pending"}),
    }

    def review_documents(self, obj):
        return [("Proof of identity", doc) for doc in obj.identity_documents.order_by("id")]


@admin.register(IPRight)
class IPRightAdmin(VerificationAdmin):
    noun = "IP right"
    list_display = ["title", "kind", "registration_number", "jurisdiction", "owner_name", "registered_by", "status",
                    "conflict", "waiting_since"]  # fmt: skip
    search_fields = ["title", "registration_number", "owner_name", "registered_by__legal_name"]
    list_select_related = ["registered_by"]
    list_filter = ["status", "kind", "jurisdiction"]
    decisions = {
        "verify": ("IP right verified", services.ip_right_verify, False, {"pending"}),
        "reject": ("IP right rejected", services.ip_right_reject, True, {"pending"}),
    }

    def get_queryset(self, request):
        return selectors.ip_rights_with_conflict_flag(super().get_queryset(request))

    @admin.display(description="Conflict", boolean=True, ordering="has_conflict")
    def conflict(self, obj):
        return obj.has_conflict

    def review_documents(self, obj):
        rows = RightDocument.objects.filter(right=obj).select_related("document").order_by("added_at", "id")
        return [(row.get_role_display(), row.document) for row in rows]

    def review_conflicts(self, obj):
        return list(selectors.right_conflicts(obj))


@admin.register(Authorization)
class AuthorizationAdmin(VerificationAdmin):
    noun = "authorization"
    list_display = ["owner_name", "agent", "valid_from", "valid_until", "status", "waiting_since"]
    search_fields = ["owner_name", "agent__legal_name"]
    list_select_related = ["agent"]
    decisions = {
        "verify": ("Authorization verified", services.authorization_verify, False, {"pending"}),
        "reject": ("Authorization rejected", services.authorization_reject, True, {"pending"}),
        "revoke": ("Authorization revoked", services.authorization_revoke, True, {"pending", "verified"}),
    }

    def review_documents(self, obj):
        return [("Authorization letter", obj.letter)] if obj.letter_id else []


class ClaimItemInline(admin.TabularInline):
    model = ClaimItem
    fields = ["position", "url", "listing", "seller", "check_result", "status", "decided_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("listing", "seller")


@admin.register(Claim)
class ClaimAdmin(admin.ModelAdmin):
    """The claims queue: submitted claims, oldest first. Decisions come with the review tools; nothing here edits."""

    list_display = ["reference_link", "complainant", "site", "right", "reason_code", "status", "submitted_at"]
    list_filter = ["status", "site", "reason_code"]
    search_fields = ["=id", "complainant__legal_name", "items__url"]
    list_select_related = ["complainant", "site", "right"]
    ordering = ["submitted_at", "id"]
    show_full_result_count = False
    inlines = [ClaimItemInline]

    @admin.display(description="Reference", ordering="id")
    def reference_link(self, obj):
        return obj.reference

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Claim._meta.fields] + ["evidence"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        if not request.GET and request.method == "GET":
            return HttpResponseRedirect(f"{request.path}?status__exact=submitted")
        return super().changelist_view(request, extra_context)
