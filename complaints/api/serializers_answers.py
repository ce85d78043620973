"""Serializers of the answering endpoints: counter-notices as the rights holder reads and answers them, documents,
and the seller's standing and notices. Each output says what the matching page shows, field by field, and never
more (a counter-notice shows the documents the seller shared, never the others; nothing of the signer's address)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from complaints.models import ClaimItem, CounterNotice
from ipp_portal.documents.models import Document

# --- Counter-notices, for the complainant ---------------------------------------------------------------------


class CounterNoticeListQuery(serializers.Serializer):
    status = serializers.ChoiceField(choices=CounterNotice.Status.choices, required=False)


class CounterNoticeItemOut(serializers.ModelSerializer):
    reference = serializers.CharField(source="__str__", help_text=_("The claim's reference and the item's number."))
    listing = serializers.IntegerField(source="listing_id")
    listing_title = serializers.CharField(source="listing.title")

    class Meta:
        model = ClaimItem
        fields = ["id", "reference", "position", "listing", "listing_title", "url", "status"]


class SharedDocumentOut(serializers.ModelSerializer):
    name = serializers.CharField(source="original_name")

    class Meta:
        model = Document
        fields = ["id", "name", "content_type", "size"]


class ResellerEntryOut(serializers.Serializer):
    """One of the rights holder's own allow-list entries for the seller and the claim's right."""

    authorised_from = serializers.DateField()
    authorised_until = serializers.DateField(allow_null=True)
    state = serializers.ChoiceField(choices=["current", "scheduled", "ended"])
    ended_on = serializers.DateField(allow_null=True)
    ended_by_claim = serializers.CharField(
        source="ended_by_claim.reference", allow_null=True, default=None,
        help_text=_("The claim whose filing confirmed the authorisation had ended."),
    )  # fmt: skip
    note = serializers.CharField()


class CounterNoticeOut(serializers.ModelSerializer):
    claim = serializers.IntegerField(source="claim_id")
    claim_reference = serializers.CharField(source="claim.reference")
    store_name = serializers.CharField(source="seller.store_name")
    items = CounterNoticeItemOut(many=True, source="items.all")

    class Meta:
        model = CounterNotice
        fields = ["id", "claim", "claim_reference", "store_name", "reason", "statement", "status", "answer_due_at",
                  "created_at", "items"]  # fmt: skip


class CounterNoticeDetailOut(CounterNoticeOut):
    shared_documents = SharedDocumentOut(
        many=True, source="shared_documents.all", help_text=_("Only the documents the seller chose to share with you.")
    )
    authorised_history = ResellerEntryOut(
        many=True, allow_null=True,
        help_text=_("When the seller says it is an authorised reseller: your own allow-list entries for it and the "
                    "claim's right (empty when there are none); null for any other reason."),
    )  # fmt: skip

    class Meta(CounterNoticeOut.Meta):
        fields = [*CounterNoticeOut.Meta.fields, "signature_name", "signed_at", "shared_documents",
                  "authorised_history"]  # fmt: skip


class CounterNoticeRejectIn(serializers.Serializer):
    # Not required here: the service owns the rule (a reason is required) and says so with its own code.
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=_("Your reasons: staff and the seller read them.")
    )
    documents = serializers.ListField(
        child=serializers.IntegerField(), required=False, default=list, max_length=20,
        help_text=_("Ids of documents you uploaded (POST /api/v1/documents/): your evidence."),
    )  # fmt: skip


# --- Documents ---------------------------------------------------------------------------------------------------


class DocumentIn(serializers.Serializer):
    # An empty file is the pipeline's to refuse (rule "empty"), with the pipeline's message.
    file = serializers.FileField(allow_empty_file=True, use_url=False)


class DocumentOut(serializers.ModelSerializer):
    name = serializers.CharField(source="original_name", help_text=_("Your file name, cleaned for display."))
    content_type = serializers.CharField(help_text=_("The type found in the content (not the one sent)."))
    size = serializers.IntegerField(help_text=_("Bytes."))

    class Meta:
        model = Document
        fields = ["id", "name", "content_type", "size", "sha256", "created_at"]


# --- The seller's standing and notices ---------------------------------------------------------------------------


class ActionInForceOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    kind_label = serializers.CharField(source="get_kind_display")
    status = serializers.CharField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField(allow_null=True)


class NextStepOut(serializers.Serializer):
    measure = serializers.CharField()
    threshold = serializers.IntegerField()
    action = serializers.CharField()
    action_label = serializers.CharField()
    duration_days = serializers.IntegerField(allow_null=True)
    missing = serializers.IntegerField(help_text=_("How much more of the measure reaches it."))


class PendingGroupOut(serializers.Serializer):
    becomes_established_at = serializers.DateTimeField(
        source="at", allow_null=True,
        help_text=_("When these become established unless you counter-notify; null: under dispute, established "
                    "only if the removal is upheld."),
    )  # fmt: skip
    violations = serializers.ListField(child=serializers.CharField(), source="references")
    if_established = serializers.ListField(
        child=serializers.CharField(), source="actions", help_text=_("The actions it would lead to, in words.")
    )


class StandingOut(serializers.Serializer):
    """One store's standing, as the standing page shows it (``enforcement.selectors.standing_for``)."""

    store = serializers.IntegerField(source="seller.pk")
    store_name = serializers.CharField(source="seller.store_name")
    site = serializers.CharField(source="seller.site.code")
    at = serializers.DateTimeField(source="standing.at")
    points = serializers.IntegerField(source="standing.points")
    strikes = serializers.IntegerField(source="standing.strikes")
    in_force = ActionInForceOut(source="standing.in_force", allow_null=True)
    in_force_until = serializers.DateTimeField(source="standing.in_force_until", allow_null=True)
    can_post = serializers.BooleanField(source="standing.can_post")
    is_pending_termination = serializers.BooleanField(source="standing.is_pending_termination")
    next_steps = NextStepOut(many=True, source="standing.next_steps")
    one_more_general = serializers.ListField(child=serializers.CharField(), source="standing.one_more_general")
    one_more_serious = serializers.ListField(child=serializers.CharField(), source="standing.one_more_serious")
    pending = PendingGroupOut(many=True, source="standing.pending")


class ComplainingPartyOut(serializers.Serializer):
    """Who complained and how to reach them: the policy gives the seller these details (the notices page)."""

    legal_name = serializers.CharField(source="complainant.legal_name")
    for_owner = serializers.CharField(source="authorization.owner_name", allow_null=True, default=None)
    contact_email = serializers.CharField(source="complainant.contact_email")
    phone = serializers.CharField(source="complainant.phone")
    postal_address = serializers.CharField(source="complainant.postal_address")


class SellerNoticeDetailOut(serializers.ModelSerializer):
    claim = serializers.IntegerField(source="claim_id")
    claim_reference = serializers.CharField(source="claim.reference")
    claim_submitted_at = serializers.DateTimeField(source="claim.submitted_at")
    reason = serializers.CharField(source="claim.reason.label", allow_null=True, default=None)
    right_name = serializers.CharField(source="claim.right.title", allow_null=True, default=None)
    explanation = serializers.CharField(source="claim.explanation")
    complained_by = ComplainingPartyOut(source="claim")
    listing = serializers.IntegerField(source="listing_id")
    listing_title = serializers.CharField(source="listing.title")
    can_counter_notify = serializers.BooleanField(source="can_counter")
    counter_notice_refusal = serializers.CharField(
        source="counter_why", help_text=_("Why a counter-notice is not possible now (empty when it is).")
    )
    can_concede = serializers.BooleanField(help_text=_("You may say you will not dispute the removal."))
    deadline = serializers.DateTimeField(allow_null=True, help_text=_("The next counter-notice deadline."))
    held = serializers.CharField(
        allow_null=True, help_text=_("When a litigation hold covers the listing: what that means; else null.")
    )

    class Meta:
        model = ClaimItem
        fields = ["id", "claim", "claim_reference", "claim_submitted_at", "reason", "right_name", "explanation",
                  "complained_by", "listing", "listing_title", "url", "status", "decision_reason", "decided_at",
                  "counter_notice_due_at", "further_counter_notice_due_at", "can_counter_notify",
                  "counter_notice_refusal", "can_concede", "deadline", "held"]  # fmt: skip
