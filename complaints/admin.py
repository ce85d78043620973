"""Staff verification of identities, rights and authorizations: queues oldest first, a review page with the
documents beside the data, and decisions that go through services (admin never writes a status itself)."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext

from ipp_portal.admin_filters import fixed_choices_filter
from ipp_portal.admin_readonly import QueueAdminMixin, ReadOnlyAdmin
from ipp_portal.documents.models import Document
from ipp_portal.documents.responses import document_response
from ipp_portal.errors import PortalError
from ipp_portal.paginators import EstimatedCountPaginator, PlannedCountPaginator
from listings.models import Seller

from . import admin_holds, selectors, services
from .admin_trust import AccuracyChangeList, accuracy_summary, trusted_mark
from .forms import DecisionForm
from .gates import takedown_gate
from .models import Authorization, Claim, ClaimItem, Complainant, CounterNotice, DecisionBatch, IPRight, RightDocument
from .reasons import CHOICES as REASON_CHOICES
from .references import typed_number
from .seen import seen_from_token, seen_token
from .selectors.accuracy import complainant_accuracy_shown
from .views.confirm import confirm_first


class VerificationAdmin(QueueAdminMixin, admin.ModelAdmin):
    """Read-only review page plus decision buttons; the changelist opens on the pending queue, oldest first."""

    queue_filter = "status__exact=pending"

    change_form_template = "admin/complaints/review_change_form.html"
    ordering = ["submitted_at", "id"]
    list_filter = ["status"]
    show_full_result_count = False
    decisions: dict = {}  # action name -> (button label, service, needs a reason)
    noun = "record"

    def get_readonly_fields(self, request, obj=None):
        # Staff decide; they never edit what the complainant submitted (documents included).
        fields = [f.name for f in self.model._meta.fields if f.name != "id"]
        return fields + [f.name for f in self.model._meta.many_to_many] + list(self.readonly_fields)

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
            "seen": seen_token(obj) if obj else "",
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
        if action != "revoke":  # a revocation follows the owner's request, not a review of the record
            kwargs["seen"] = seen_from_token(request.POST.get("seen", ""))
        if needs_reason:
            kwargs["reason"] = reason
        if not self.decide(request, lambda: service(**kwargs), done=f"{label}: done. The complainant has been told."):
            return HttpResponseRedirect(
                reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[pk])
            )
        return HttpResponseRedirect(
            reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist") + "?status__exact=pending"
        )

    def _id_arg(self) -> str:
        assert self.opts.model_name is not None, "a registered model has its name"  # noqa: S101 - narrows the type
        return {"complainant": "complainant_id", "ipright": "right_id", "authorization": "authorization_id"}[
            self.opts.model_name
        ]

    def preview_view(self, request, pk: int, document_pk: int):
        """Staff-only inline view of an image or PDF under review (sandboxed, never sniffed by the browser); like
        every download it needs the documents permission and is recorded in the audit trail."""
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET"])
        obj = get_object_or_404(self.model, pk=pk)
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        if document_pk not in {doc.pk for _, doc in self.review_documents(obj)}:
            raise Http404
        try:
            document = services.document_open(user=request.user, document_id=document_pk)
        except Document.DoesNotExist as exc:
            raise PermissionDenied from exc
        response = document_response(document)
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


class AssignedToMeFilter(admin.SimpleListFilter):
    title = "assignment"
    parameter_name = "assigned"

    def lookups(self, request, model_admin):
        return [("me", "Taken by me"), ("nobody", "Not taken")]

    def queryset(self, request, queryset):
        if self.value() == "me":
            return queryset.filter(assigned_to=request.user)
        if self.value() == "nobody":
            return queryset.filter(assigned_to__isnull=True)
        return queryset


class ConflictFilter(admin.SimpleListFilter):
    title = "conflicts"
    parameter_name = "conflict"

    def lookups(self, request, model_admin):
        return [("yes", "Has a listing claimed by another rights holder")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            # EXISTS, not a join with DISTINCT: the queue keeps its index order and its per-page item counts.
            conflicts = ClaimItem.objects.filter(claim=OuterRef("pk"), check_result=ClaimItem.Check.CONFLICT)
            return queryset.filter(Exists(conflicts))
        return queryset


class ReasonFilter(admin.SimpleListFilter):
    """The reason codes the policy knows, by their labels: a fixed list, not a DISTINCT over every claim."""

    title = "reason"
    parameter_name = "reason_code"

    def lookups(self, request, model_admin):
        return REASON_CHOICES

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(reason_code=self.value())
        return queryset


class AgeBandFilter(admin.SimpleListFilter):
    title = "age"
    parameter_name = "age"

    def lookups(self, request, model_admin):
        return [("lt12", "Under 12 hours"), ("12to24", "12–24 hours"), ("gt24", "Over 24 hours (late)")]

    def queryset(self, request, queryset):
        from datetime import timedelta

        from django.utils import timezone

        now = timezone.now()
        if self.value() == "lt12":
            return queryset.filter(submitted_at__gt=now - timedelta(hours=12))
        if self.value() == "12to24":
            return queryset.filter(
                submitted_at__lte=now - timedelta(hours=12), submitted_at__gt=now - timedelta(hours=24)
            )
        if self.value() == "gt24":
            return queryset.filter(submitted_at__lte=now - timedelta(hours=24))
        return queryset


@admin.register(Claim)
class ClaimAdmin(QueueAdminMixin, admin.ModelAdmin):
    """The review queue: open claims by age against the 24-hour target, then size; a review page with every item
    and its decision buttons. Every decision is a service call; nothing here writes a status."""

    list_display = [
        "reference_link",
        "trusted",
        "age",
        "complainant",
        "complainant_accuracy",
        "site",
        "right",
        "reason_code",
        "size",
        "status",
        "taken_by",
    ]
    list_filter = ["status", "site", "right__kind", ReasonFilter, AgeBandFilter, AssignedToMeFilter, ConflictFilter]
    search_fields = ["=id", "complainant__legal_name", "items__url", "items__seller__store_name"]
    list_select_related = ["complainant", "site", "right", "assigned_to"]
    show_full_result_count = False
    paginator = PlannedCountPaginator  # the queue is always filtered (open claims): no COUNT of them all
    change_form_template = "admin/complaints/claim_review.html"
    change_list_template = "admin/complaints/claim_queue.html"

    def get_queryset(self, request):
        # Annotate before ordering: the queue is ordered by age, then by size. The size is a subquery per claim, not
        # a join grouped over every open claim's items: PostgreSQL then walks claim_trusted_queue_idx and counts the
        # items of the page's claims only (and the reason filter's DISTINCT no longer drags the join along).
        sizes = ClaimItem.objects.filter(claim=OuterRef("pk")).order_by().values("claim").annotate(n=Count("pk"))
        queryset = self.model._default_manager.get_queryset().annotate(
            item_count=Coalesce(Subquery(sizes.values("n"), output_field=IntegerField()), 0)
        )
        return queryset.order_by(*self.get_ordering(request))

    def get_search_results(self, request, queryset, search_term):
        """A reference as displayed (IPP-2026-000123), a claim number or a listing id; otherwise a complainant's
        name, a listing URL or a store name. EXISTS over the items, not a join: no DISTINCT over the queue."""
        term = search_term.strip()
        if not term:
            return queryset, False
        number = typed_number(term)
        if number:
            by_listing = ClaimItem.objects.filter(claim=OuterRef("pk"), external_id=number)
            return queryset.filter(Q(pk=int(number)) | Q(Exists(by_listing))), False
        items = ClaimItem.objects.filter(claim=OuterRef("pk")).filter(
            Q(url__icontains=term) | Q(seller__store_name__icontains=term)
        )
        return queryset.filter(Q(complainant__legal_name__icontains=term) | Q(Exists(items))), False

    def get_ordering(self, request):
        # Trusted complainants' claims first, then oldest (served by claim_trusted_queue_idx).
        return ["-is_trusted", "submitted_at", "-item_count", "id"]

    def get_changelist(self, request, **kwargs):
        return AccuracyChangeList  # fetches the page's complainants' accuracy in one query

    @admin.display(description="Trusted", ordering="-is_trusted")
    def trusted(self, obj):
        return trusted_mark(obj)

    @admin.display(description="Accuracy (90 days)")
    def complainant_accuracy(self, obj):
        record = getattr(obj, "accuracy", None)
        return accuracy_summary(record.recent) if record is not None else "—"

    @admin.display(description="Reference", ordering="id")
    def reference_link(self, obj):
        return obj.reference

    @admin.display(description="Listings", ordering="item_count")
    def size(self, obj):
        return obj.item_count

    @admin.display(description="Taken by")
    def taken_by(self, obj):
        return obj.assigned_to.email if obj.assigned_to_id else "—"

    @admin.display(description="Waiting", ordering="submitted_at")
    def age(self, obj):
        from django.utils import timezone

        if not obj.submitted_at or obj.status not in Claim.OPEN_STATUSES:
            return "—"
        hours = (timezone.now() - obj.submitted_at).total_seconds() / 3600
        # Classes from static/css/admin.css (the Content-Security-Policy refuses inline style attributes).
        band = "age-fresh" if hours < 12 else "age-due" if hours < 24 else "age-late"
        return format_html('<strong class="{}">{} h</strong>', band, int(hours))

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Claim._meta.fields] + ["evidence"]

    queue_filter = "status__in=submitted,in_review"

    def changelist_view(self, request, extra_context=None):
        redirect = self.queue_redirect(request)
        if redirect is not None:
            return redirect
        extra = {"levels": selectors.review_service_levels_cached(), "sla_url": reverse("admin:complaints_claim_sla")}
        return super().changelist_view(request, {**(extra_context or {}), **extra})

    def change_view(self, request, object_id, form_url="", extra_context=None):
        claim = self.get_object(request, object_id)
        extra = {}
        if claim is not None:
            extra = {
                **self._review_context(request, claim),
                "show_save": False,
                "show_save_and_continue": False,
            }
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    def _review_context(self, request, claim: Claim) -> dict:
        """The review page: the claim, its listings 50 a page (a count per status that filters, a filter by seller),
        conflicts capped, and decisions grouped by what they apply to — shown only while the claim is decidable."""
        decidable = claim.status in (Claim.Status.SUBMITTED, Claim.Status.IN_REVIEW)
        listed = selectors.claim_items_page(claim, request.GET, per_page=REVIEW_ITEMS_PER_PAGE, review=True)
        counts = {row["status"]: row["count"] for row in listed["summary"]}
        seller_id = listed["seller_id"]
        chosen = next((s for s in listed["sellers"] if s["id"] == seller_id), None)
        conflicts, conflict_total = selectors.claim_conflicts(claim)
        can_reverse = request.user.has_perm("complaints.reverse_removal")
        return {
            "claim": claim,
            **listed,
            "chosen_seller": chosen,
            "chosen_seller_pending": (
                ClaimItem.objects.filter(claim=claim, seller_id=seller_id, status=ClaimItem.Status.PENDING).count()
                if chosen and seller_id and decidable
                else 0
            ),
            "item_total": sum(counts.values()),
            "decidable": decidable,
            "upheld_count": counts.get(ClaimItem.Status.UPHELD, 0),
            "conflicts": conflicts,
            "conflict_total": conflict_total,
            "conflicts_shown": sum(len(others) for others in conflicts.values()),
            "conflicts_url": reverse("admin:complaints_claimitem_changelist") + f"?conflicts_with={claim.pk}",
            "complainant": claim.complainant,
            "right_documents": selectors.right_documents(claim.right) if claim.right is not None else [],
            "item_codes": services.ITEM_REJECTION_CODES,
            "claim_codes": services.CLAIM_REJECTION_CODES,
            "seen": seen_token(claim),
            # Asked again at the decision itself; shown first so staff know before they choose.
            "gate": takedown_gate(claim) if decidable else None,
            "can_reassign": request.user.has_perm("complaints.reassign_claim"),
            "can_reverse": can_reverse,
            "accuracy": complainant_accuracy_shown([claim.complainant_id])[claim.complainant_id],
            "pending_count": counts.get(ClaimItem.Status.PENDING, 0),
            "batches": list(
                claim.decision_batches.filter(
                    status__in=(DecisionBatch.Status.QUEUED, DecisionBatch.Status.RUNNING)
                ).order_by("id")
            ),
            **admin_holds.claim_holds_context(claim.pk),
            "decide_url": reverse("admin:complaints_claim_decide", args=[claim.pk]),
        }

    def get_urls(self):
        return [
            path("service-levels/", self.admin_site.admin_view(self.service_levels_view), name="complaints_claim_sla"),
            path("<int:pk>/decide/", self.admin_site.admin_view(self.decide_view), name="complaints_claim_decide"),
            path(
                "<int:pk>/batches/<int:batch_pk>/",
                self.admin_site.admin_view(self.batch_view),
                name="complaints_claim_batch",
            ),
            *super().get_urls(),
        ]

    def service_levels_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": "Review service levels",
            "opts": self.opts,
            "levels": selectors.review_service_levels(),
        }
        return TemplateResponse(request, "admin/complaints/service_levels.html", context)

    def batch_view(self, request, pk: int, batch_pk: int):
        """A decision on many listings as the worker runs it: refreshed every two seconds until it is done."""
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET"])
        if not self.has_view_permission(request):
            raise PermissionDenied
        batch = get_object_or_404(
            DecisionBatch.objects.select_related("claim", "requested_by"), pk=batch_pk, claim_id=pk
        )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Decision on claim %(reference)s") % {"reference": batch.claim.reference},
            "opts": self.opts,
            "batch": batch,
            "claim_url": reverse("admin:complaints_claim_change", args=[pk]),
            "elapsed": int(
                ((batch.finished_at or timezone.now()) - (batch.started_at or batch.created_at)).total_seconds()
            ),
        }
        return TemplateResponse(request, "admin/complaints/decision_batch.html", context)

    def decide_view(self, request, pk: int):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not request.user.has_perm("complaints.change_claim"):
            raise PermissionDenied
        claim = get_object_or_404(Claim, pk=pk)
        back = reverse("admin:complaints_claim_change", args=[pk])
        action = request.POST.get("decision", "")
        note = request.POST.get("note", "")
        seen = seen_from_token(request.POST.get("seen", ""))
        try:
            if action == "take":
                services.claim_take(claim_id=pk, reviewer=request.user, force=bool(request.POST.get("force")))
                messages.success(request, _("The claim is yours."))
                return HttpResponseRedirect(back)
            if action == "request_info":
                services.claim_request_info(claim_id=pk, reviewer=request.user, message=note)
                messages.success(
                    request, _("The complainant has been asked; the claim leaves the queue until they answer.")
                )
                return HttpResponseRedirect(back)
            if action == "take_down_all" and not request.POST.get("confirm_all"):
                messages.error(request, _("Tick the box to confirm the evidence covers every waiting listing."))
                return HttpResponseRedirect(back)
            if action not in DECISIONS:
                messages.error(request, _("Choose a decision."))
                return HttpResponseRedirect(back)
            scope = _DecisionScope.read(request, claim, action)
            if scope.asks_first(action):
                asked = confirm_first(
                    request, template="admin/complaints/confirm_decision.html", cancel_url=back,
                    title=str(DECISIONS[action]), consequences=scope.consequences(action, note, request.POST),
                    confirm_label=scope.confirm_label(action), keep=DECISION_FIELDS,
                    context={**self.admin_site.each_context(request), "opts": self.opts, "claim": claim},
                )  # fmt: skip
                if asked is not None:
                    return asked
            return self._decide(request, claim, scope, action, note=note, seen=seen) or HttpResponseRedirect(back)
        except PortalError as exc:
            messages.error(request, exc.message)
        return HttpResponseRedirect(back)

    def _decide(self, request, claim: Claim, scope: "_DecisionScope", action: str, *, note: str, seen):
        """Carry out a decision now, or hand it to a worker when it names more listings than a request should wait
        for (the answer is then the batch's progress page)."""
        pk, user, code = claim.pk, request.user, request.POST.get("code", "")
        if action == "reject_claim":
            code = request.POST.get("claim_code", "")
        if action == "take_down" and scope.kind == "pending":
            action = "take_down_all"  # every waiting listing: the trusted programme's one decision (its service checks)
        if action != "reinstate_upheld" and services.runs_in_background(scope.count):
            batch = services.decision_batch_queue(
                claim_id=pk, reviewer=user, decision=action, item_ids=scope.item_ids, seen=seen, code=code, note=note,
                item_count=scope.count,
            )  # fmt: skip
            return HttpResponseRedirect(reverse("admin:complaints_claim_batch", args=[pk, batch.pk]))
        if action in ("take_down", "take_down_all"):
            if action == "take_down_all":
                done = services.claim_take_down_all_pending(claim_id=pk, reviewer=user, seen=seen)
            else:
                done = services.claim_items_take_down(claim_id=pk, item_ids=scope.item_ids, reviewer=user, seen=seen)
            messages.success(
                request,
                ngettext(
                    "%(n)d listing taken down; sellers and complainant notified.",
                    "%(n)d listings taken down; sellers and complainant notified.",
                    len(done),
                )
                % {"n": len(done)},
            )
        elif action == "reject_items":
            done = services.claim_items_reject(
                claim_id=pk, item_ids=scope.item_ids, reviewer=user, code=code, note=note, seen=seen
            )
            messages.success(
                request,
                ngettext(
                    "%(n)d listing rejected; the complainant is told why.",
                    "%(n)d listings rejected; the complainant is told why.",
                    len(done),
                )
                % {"n": len(done)},
            )
        elif action == "reject_claim":
            services.claim_reject(claim_id=pk, reviewer=user, code=code, note=note, seen=seen)
            messages.success(request, _("The claim is rejected; the complainant is told why."))
        elif action == "reinstate_upheld":
            if not scope.item_ids:
                raise PortalError(_("Select at least one upheld listing of this claim."), code="no_items")
            for item_id in scope.item_ids:
                services.claim_item_reinstate_upheld(item_id=item_id, supervisor=user, reason=note)
            messages.success(
                request,
                ngettext(
                    "%(n)d listing reinstated; both sides have been told.",
                    "%(n)d listings reinstated; both sides have been told.",
                    len(scope.item_ids),
                )
                % {"n": len(scope.item_ids)},
            )
        return None


# What the review page's decision buttons do, as the confirmation step names them.
DECISIONS = {
    "take_down": _lazy("Take down listings"),
    "take_down_all": _lazy("Take down every waiting listing"),
    "reject_items": _lazy("Reject listings"),
    "reject_claim": _lazy("Reject the whole claim"),
    "reinstate_upheld": _lazy("Reinstate upheld listings"),
}
# The decision form's fields, carried hidden through the confirmation step.
DECISION_FIELDS = ("decision", "items", "scope", "scope_seller", "code", "claim_code", "note", "seen", "confirm_all")
REVIEW_ITEMS_PER_PAGE = 50


class _DecisionScope:
    """Which listings a decision applies to: those ticked on the page shown, every waiting listing of one seller,
    or every waiting listing of the claim (each across all pages)."""

    def __init__(self, kind: str, item_ids: list[int], count: int, seller: Seller | None = None) -> None:
        self.kind, self.item_ids, self.count, self.seller = kind, item_ids, count, seller

    @classmethod
    def read(cls, request, claim: Claim, action: str) -> "_DecisionScope":
        # A reversal is for the listings ticked, one by one: never "every upheld listing".
        kind = "ticked" if action == "reinstate_upheld" else request.POST.get("scope") or "ticked"
        if action == "reject_claim" or action == "take_down_all":
            pending = claim.items.filter(status=ClaimItem.Status.PENDING).count()
            return cls("pending", [], pending)
        wanted = ClaimItem.Status.UPHELD if action == "reinstate_upheld" else ClaimItem.Status.PENDING
        if kind == "seller":
            raw = request.POST.get("scope_seller", "")
            seller = Seller.objects.filter(pk=int(raw)).first() if raw.isdigit() and len(raw) < 12 else None
            if seller is None:
                raise PortalError(_("Choose the seller whose listings the decision is for."), code="no_items")
            ids = list(
                claim.items.filter(seller=seller, status=wanted).order_by("position").values_list("pk", flat=True)
            )
            return cls("seller", ids, len(ids), seller)
        if kind == "pending":
            ids = list(claim.items.filter(status=wanted).order_by("position").values_list("pk", flat=True))
            return cls("pending", ids, len(ids))
        ids = [int(v) for v in request.POST.getlist("items") if v.isdigit() and len(v) < 12]
        return cls("ticked", ids, len(ids))

    def asks_first(self, action: str) -> bool:
        """A whole claim's rejection, a reversal, and any decision beyond the ticked boxes show what will happen
        and ask again (policy §5's removals are not undone by a click)."""
        if action == "take_down_all":
            return False  # the trusted programme's one decision: its own box is ticked to confirm
        return action in ("reject_claim", "reinstate_upheld") or self.kind != "ticked"

    def confirm_label(self, action: str) -> str:
        return {
            "take_down": _("Yes, take down %(n)d listing(s)"),
            "take_down_all": _("Yes, take down %(n)d listing(s)"),
            "reject_items": _("Yes, reject %(n)d listing(s)"),
            "reject_claim": _("Yes, reject the claim and its %(n)d waiting listing(s)"),
            "reinstate_upheld": _("Yes, reinstate %(n)d listing(s)"),
        }[action] % {"n": self.count}

    def consequences(self, action: str, note: str, post) -> list[str]:
        upheld = action == "reinstate_upheld"
        if self.kind == "seller":
            which = (
                _("all %(n)d upheld listing(s) of %(seller)s, on every page")
                if upheld
                else _("all %(n)d waiting listing(s) of %(seller)s, on every page")
            ) % {"n": self.count, "seller": self.seller}
        elif self.kind == "pending":
            which = (
                _("all %(n)d upheld listing(s) of this claim, on every page")
                if upheld
                else _("all %(n)d waiting listing(s) of this claim, on every page")
            ) % {"n": self.count}
        else:
            which = _("the %(n)d listing(s) you ticked") % {"n": self.count}
        said = [_("Your note, which they read: “%(note)s”") % {"note": note.strip()}] if note.strip() else []
        if action == "reinstate_upheld":
            return [
                _("The removal of %(which)s is reversed: they go back on sale and their violations are withdrawn.")
                % {"which": which},
                _("The seller and the complainant are told, with your note as the reason."),
                *said,
            ]
        if action == "reject_claim":
            code = services.CLAIM_REJECTION_CODES.get(post.get("claim_code", ""), "")
            return [
                _("The claim is rejected (%(reason)s), and with it %(which)s.") % {"reason": code, "which": which},
                _("The complainant is told why and how to appeal; the sellers are told no action was taken."),
                *said,
            ]
        if action == "reject_items":
            code = services.ITEM_REJECTION_CODES.get(post.get("code", ""), "")
            return [
                _("Rejected (%(reason)s), staying on sale: %(which)s.") % {"which": which, "reason": code},
                _("The complainant is told why and how to appeal; the sellers are told no action was taken."),
                *said,
            ]
        return [
            _("Taken down now: %(which)s.") % {"which": which},
            _(
                "Each seller is told who complained and why, and may answer with a counter-notice before the deadline; "
                "a violation is recorded for each listing but counts only if the takedown stands."
            ),
            _("The complainant is told of every decision."),
        ]


class ConflictsWithFilter(admin.SimpleListFilter):
    """Other rights holders' open items on the listings of one claim: the review page's full list of conflicts."""

    title = "conflicts with claim"
    parameter_name = "conflicts_with"

    def lookups(self, request, model_admin):
        value = self.value()
        if value and value.isdigit() and len(value) < 12:
            return [(value, Claim(pk=int(value)).reference)]
        return []

    def has_output(self) -> bool:
        return bool(self.value())

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        claim = Claim.objects.filter(pk=int(value)).first() if value.isdigit() and len(value) < 12 else None
        if claim is None:
            return queryset.none()
        return queryset.filter(pk__in=selectors.claim_conflict_items(claim).values("pk"))


@admin.register(ClaimItem)
class ClaimItemAdmin(ReadOnlyAdmin):
    """Every listing named in any claim: searchable by URL, listing id, seller or claim; read-only (decisions are
    made on the claim's review page)."""

    list_display = ["__str__", "external_id", "site", "seller", "status", "check_result", "decided_at"]
    list_filter = ["status", "site", "check_result", ConflictsWithFilter]
    search_fields = ["external_id", "seller__store_name"]

    def get_search_results(self, request, queryset, search_term):
        """A number is a listing id or a claim number, matched exactly (indexed); anything else is a store name.
        The default lookups (UPPER(...) = UPPER(...)) cannot use an index and scan a million rows."""
        term = search_term.strip()
        if not term:
            return queryset, False
        number = typed_number(term)
        if number:
            return queryset.filter(Q(external_id=number) | Q(claim_id=int(number))), False
        sellers = Seller.objects.filter(store_name__icontains=term).values("pk")
        return queryset.filter(seller_id__in=sellers), False

    list_select_related = ["claim", "site", "seller"]
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    ordering = ["-id"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in ClaimItem._meta.fields]


@admin.register(CounterNotice)
class CounterNoticeAdmin(QueueAdminMixin, admin.ModelAdmin):
    """Disputed takedowns for staff, oldest first: reinstate (the platform's discretion, policy §5) or uphold."""

    list_display = ["__str__", "seller", "status", "answer_due_at", "answered_at", "decision", "created_at"]
    list_filter = [
        "status",
        fixed_choices_filter("decision", _lazy("decision"), CounterNotice.Decision.choices),
        "reason",
    ]
    list_select_related = ["claim", "seller"]
    ordering = ["answer_due_at", "id"]
    search_fields = ["=claim__id", "seller__store_name", "statement"]
    show_full_result_count = False
    change_form_template = "admin/complaints/counter_notice_review.html"

    # What staff weigh, grouped; the listings by name. The submission token and the signer's address hash are
    # internal (they prove the signature; the audit trail keeps them) and are not shown.
    fieldsets = [
        (_lazy("The dispute"), {"fields": ["claim", "seller", "round", "listings", "reason", "statement"]}),
        (_lazy("Sworn by the seller"), {"fields": [
            "states_good_faith_mistake", "consents_to_jurisdiction", "signature_name", "signed_by", "signed_at",
        ]}),
        (_lazy("The rights holder's answer"), {"fields": ["status", "answer_due_at", "answered_at", "answer"]}),
        (_lazy("Documents"), {"fields": ["documents", "shared_documents", "answer_documents"]}),
        (_lazy("Decision"), {"fields": ["decision", "decision_reason", "decided_by", "decided_at"]}),
    ]  # fmt: skip

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in CounterNotice._meta.fields] + [
            "listings",
            "documents",
            "shared_documents",
            "answer_documents",
        ]

    @admin.display(description=_lazy("Listings"))
    def listings(self, obj):
        items = obj.items.select_related("listing").order_by("position")
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                '<li><a href="{}" rel="noopener noreferrer">{}</a> ({}, listing {} of the claim) — {}</li>',
                ((i.url, i.listing.title, i.external_id, i.position, i.get_status_display()) for i in items),
            ),
        )

    queue_filter = "status__in=rejected,no_answer"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "POST":
            if not request.user.has_perm("complaints.change_counternotice"):
                raise PermissionDenied
            outcome, reason = request.POST.get("outcome", ""), request.POST.get("reason", "")
            notice = get_object_or_404(CounterNotice, pk=object_id)
            if outcome in ("uphold", "reinstate") and reason.strip():
                asked = confirm_first(
                    request, template="admin/complaints/confirm_decision.html", cancel_url=request.path,
                    title=_("Uphold the removal") if outcome == "uphold" else _("Reinstate the listings"),
                    consequences=_dispute_consequences(notice, outcome, reason),
                    confirm_label=_("Yes, uphold the removal") if outcome == "uphold" else _("Yes, reinstate them"),
                    keep=("outcome", "reason"),
                    context={**self.admin_site.each_context(request), "opts": self.opts, "claim": notice.claim},
                )  # fmt: skip
                if asked is not None:
                    return asked
            decided = self.decide(
                request,
                lambda: services.counter_notice_decide(
                    notice_id=int(object_id), reviewer=request.user, outcome=outcome, reason=reason,
                ),
                done=_("Decided; both sides have been told."),
            )  # fmt: skip
            if decided:
                return HttpResponseRedirect(reverse("admin:complaints_counternotice_changelist"))
            return HttpResponseRedirect(request.path)
        shown = self.get_object(request, object_id)
        extra = {"authorised_history": selectors.reseller_history(shown)} if shown is not None else {}
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})


def _dispute_consequences(notice: CounterNotice, outcome: str, reason: str) -> list[str]:
    """What a dispute decision does, said before it is made (policy §5: counter-notices and reinstatement)."""
    titles = ", ".join(
        f"“{item.listing.title}”" for item in notice.items.select_related("listing").order_by("position")
    )
    told = _("The seller and the rights holder are told, with your reason: “%(reason)s”") % {"reason": reason.strip()}
    if outcome == "reinstate":
        return [
            _("These listings go back on sale: %(titles)s.") % {"titles": titles},
            _("The violations recorded for them are withdrawn: nothing counts on the seller's record."),
            told,
        ]
    return [
        _("The removal stands for: %(titles)s.") % {"titles": titles},
        _("The violations recorded for them are established and count on the seller's record under the policy."),
        told,
    ]


from . import admin_redress  # noqa: E402,F401  (registers the redress and abuse-control admin)
