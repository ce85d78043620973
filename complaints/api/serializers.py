"""Output (and query-input) serializers of the API's first endpoints: what each response says, field by field."""

from rest_framework import serializers

from complaints.models import Claim, ClaimItem, IPRight


class RightOut(serializers.ModelSerializer):
    name = serializers.CharField(source="title")
    owner_name = serializers.CharField()
    authorised = serializers.BooleanField(
        help_text="You may file for it: your own right, or as an agent covered by a verified authorization."
    )

    class Meta:
        model = IPRight
        fields = ["id", "kind", "name", "registration_number", "jurisdiction", "owner_name", "status", "expires_on",
                  "authorised"]  # fmt: skip


class ClaimItemOut(serializers.ModelSerializer):
    listing_title = serializers.CharField(source="listing.title")
    store_name = serializers.CharField(source="seller.store_name")

    class Meta:
        model = ClaimItem
        fields = ["id", "position", "url", "external_id", "listing_title", "store_name", "check_result", "status",
                  "decision_reason", "decided_at"]  # fmt: skip


class ClaimOut(serializers.ModelSerializer):
    site = serializers.CharField(source="site.code", allow_null=True, default=None)
    right = serializers.IntegerField(source="right_id", allow_null=True)
    items_total = serializers.IntegerField(source="item_total")
    items_pending = serializers.IntegerField(source="item_pending")
    items_removed = serializers.IntegerField(source="item_removed")
    items_rejected = serializers.IntegerField(source="item_rejected")
    items_withdrawn = serializers.IntegerField(source="item_withdrawn")

    class Meta:
        model = Claim
        fields = ["id", "status", "site", "right", "reason_code", "created_at", "submitted_at", "items_total",
                  "items_pending", "items_removed", "items_rejected", "items_withdrawn"]  # fmt: skip


class DecisionOut(serializers.ModelSerializer):
    """A decided listing of the claim: what was decided, when, and why (DSA Art. 16(5): the notifier is told)."""

    item = serializers.IntegerField(source="id")
    reason = serializers.CharField(source="decision_reason")

    class Meta:
        model = ClaimItem
        fields = ["item", "external_id", "status", "reason", "decided_at"]


class TimelineEventOut(serializers.Serializer):
    """One event of the claim page's timeline (``claim_timeline``): only what the complainant may see."""

    at = serializers.DateTimeField()
    verb = serializers.CharField(help_text="The audit verb, e.g. claim.submitted, claim_item.removed.")
    what = serializers.CharField()
    item = serializers.CharField(help_text="The listing the event is about (empty: the whole claim).")
    note = serializers.CharField()


class ClaimDetailOut(ClaimOut):
    items = ClaimItemOut(many=True, source="listed_items")
    decisions = DecisionOut(many=True, source="decided_items")
    timeline = TimelineEventOut(many=True)

    class Meta(ClaimOut.Meta):
        fields = [*ClaimOut.Meta.fields, "explanation", "info_request", "items", "decisions", "timeline"]


class ClaimListQuery(serializers.Serializer):
    status = serializers.ChoiceField(choices=Claim.Status.choices, required=False)


class SellerNoticeOut(serializers.ModelSerializer):
    claim = serializers.IntegerField(source="claim_id")
    claim_submitted_at = serializers.DateTimeField(source="claim.submitted_at")
    right_name = serializers.CharField(source="claim.right.title", allow_null=True, default=None)
    listing = serializers.IntegerField(source="listing_id")
    listing_title = serializers.CharField(source="listing.title")

    class Meta:
        model = ClaimItem
        fields = ["id", "claim", "claim_submitted_at", "right_name", "listing", "listing_title", "url", "status",
                  "decision_reason", "decided_at", "counter_notice_due_at",
                  "further_counter_notice_due_at"]  # fmt: skip
