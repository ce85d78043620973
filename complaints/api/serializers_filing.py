"""Input and output serializers of the filing endpoints (link check, claims, withdrawals, retraction). They only
shape data: every rule is the services' (``complaints.services.claims``), which answer in the one error shape."""

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from complaints.link_check import LinkLine
from complaints.models import IPRight
from ipp_portal.documents.models import Document
from listings.models import Listing, Site

from .schema import ErrorSerializer
from .serializers import ClaimItemOut

# Characters that end a line (``str.splitlines``): a link is one line, so it may contain none of them.
LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


class ListingBriefOut(serializers.ModelSerializer):
    store = serializers.CharField(source="seller.store_name")

    class Meta:
        model = Listing
        fields = ["id", "title", "store"]


class LinkLineOut(serializers.Serializer):
    """One line of a link check, with the result the browser's "Check the links" shows."""

    line = serializers.IntegerField(source="number", help_text="1-based position in `links`.")
    text = serializers.CharField()
    code = serializers.CharField(
        source="result",
        help_text="ok, conflict (fileable: another rights holder's open claim), not_a_link, wrong_site, duplicate, "
        "unknown_listing, not_live, already_removed, open_claim.",
    )
    result = serializers.CharField(source="label", help_text="The result as the claim form labels it.")
    message = serializers.CharField()
    fileable = serializers.BooleanField(source="is_fileable")
    listing = ListingBriefOut(allow_null=True)
    open_claim = serializers.IntegerField(
        source="other_claim_id", allow_null=True, help_text="Your open claim that already names it (open_claim)."
    )
    authorised_seller = serializers.SerializerMethodField(
        help_text="Sold by a seller you declared authorised for this right: filed only with "
        "`states_authorisation_ended`."
    )
    authorisation_message = serializers.CharField()

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_authorised_seller(self, line: LinkLine) -> bool:
        return line.authorised_seller is not None


class LinkErrorOut(ErrorSerializer):
    """The error of a claim whose links were checked: every line's result, to drop the bad ones and resubmit."""

    lines = LinkLineOut(many=True, required=False)


class LinkCheckOut(serializers.Serializer):
    fileable = serializers.IntegerField()
    not_fileable = serializers.IntegerField()
    lines = LinkLineOut(many=True)


def _own_rights(serializer: serializers.Field) -> QuerySet[IPRight]:
    request = serializer.context.get("request")
    if request is None:
        return IPRight.objects.none()
    return IPRight.objects.filter(registered_by__user=request.user)


def _own_documents(serializer: serializers.Field) -> QuerySet[Document]:
    request = serializer.context.get("request")
    if request is None:
        return Document.objects.none()
    return Document.objects.filter(uploaded_by=request.user)


@extend_schema_field(OpenApiTypes.INT)
class OwnRightField(serializers.PrimaryKeyRelatedField):
    """A right of the token user's vault; any other id (someone else's or none) reads the same: not found."""

    default_error_messages = {"does_not_exist": "There is no right {pk_value} in your vault."}

    def get_queryset(self):
        return _own_rights(self)


@extend_schema_field(OpenApiTypes.INT)
class OwnDocumentField(serializers.PrimaryKeyRelatedField):
    """A document the token user uploaded; anyone else's id reads as not found (never whose it is)."""

    default_error_messages = {"does_not_exist": "There is no document {pk_value} among your uploads."}

    def get_queryset(self):
        return _own_documents(self)


class LinkField(serializers.CharField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_blank=True, trim_whitespace=False, max_length=10_000, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        if any(ch in value for ch in LINE_BREAKS):
            raise serializers.ValidationError("One link per entry: a link cannot contain a line break.")
        return value


def links_field(**kwargs: Any) -> serializers.ListField:
    return serializers.ListField(
        child=LinkField(),
        # A bound on the request, far above a claim's limit, which the services apply to the non-blank lines.
        max_length=settings.CLAIM_MAX_LINKS * 10,
        help_text=f"Listing links, one per entry; at most {settings.CLAIM_MAX_LINKS}.",
        **kwargs,
    )


class LinkCheckIn(serializers.Serializer):
    right = OwnRightField(help_text="The right the claim would be for (one of yours).")
    site = serializers.SlugRelatedField(slug_field="code", queryset=Site.objects.all(), help_text="e.g. alibaba")
    links = links_field()


class SwornIn(serializers.Serializer):
    """What filing a claim needs beyond its content: the statements the complainant swears, and the signature."""

    states_good_faith = serializers.BooleanField(default=False)
    states_accuracy = serializers.BooleanField(default=False)
    states_authority_under_perjury = serializers.BooleanField(default=False)
    agrees_to_indemnify = serializers.BooleanField(default=False)
    states_authorisation_ended = serializers.BooleanField(
        default=False,
        help_text="Sworn: the authorisation you gave the sellers flagged `authorised_seller` has ended.",
    )
    authorisation_ended_on = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="The day it ended (today when empty)."
    )
    signature_name = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default="", help_text="Your full name: your signature."
    )
    evidence = serializers.ListField(
        child=OwnDocumentField(), required=False, default=list, max_length=settings.UPLOAD_MAX_FILES,
        help_text="Ids of documents you uploaded.",
    )  # fmt: skip


class ClaimSubmitIn(SwornIn):
    """Filing a draft: its content is the draft's; ``evidence`` adds documents to the draft's."""


class ClaimIn(SwornIn):
    submit = serializers.BooleanField(default=False, help_text="false: save a draft; true: file the claim.")
    right = OwnRightField(required=False, allow_null=True, default=None)
    site = serializers.SlugRelatedField(
        slug_field="code", queryset=Site.objects.all(), required=False, allow_null=True, default=None
    )
    reason_code = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    explanation = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False)
    order_numbers = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False, default=list, max_length=100,
        help_text="Test-buy order numbers.",
    )  # fmt: skip
    links = links_field(required=False, default=list)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["submit"]:
            missing = {name: ["Required to file the claim."] for name in ("right", "site") if attrs.get(name) is None}
            if missing:
                raise serializers.ValidationError(missing, code="required")
        return attrs


class RetractIn(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ClaimItemActionOut(ClaimItemOut):
    claim = serializers.IntegerField(source="claim_id")

    class Meta(ClaimItemOut.Meta):
        fields = ["claim", *ClaimItemOut.Meta.fields]
