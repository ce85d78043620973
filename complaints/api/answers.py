"""The answering endpoints: the rights holder reads and answers counter-notices, uploads documents, and the seller
reads its standing and one notice. Thin views over the services and selectors the pages call: the counter-notice
pages (``complaints.views.disputes``), the upload pipeline (``ipp_portal.documents.services``), the standing page
(``enforcement.views.standing``) and the notices page.

Anyone else's object is a 404, as on the pages; an agent is the complainant of the claims it filed, so it reads and
answers the counter-notices on those claims and no others (an owner's own claims are another complainant's)."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from complaints import services
from complaints.models import CounterNotice
from complaints.selectors import (
    counter_notice_get_for_complainant,
    counter_notice_list_for_complainant,
    reseller_history,
    seller_notice_get,
)
from complaints.selectors.holds import SELLER_LINE, held_listing_ids
from enforcement.selectors import standing_for
from ipp_portal.documents.models import Document
from ipp_portal.documents.services import UploadRejected, document_store
from ipp_portal.errors import PortalError
from listings.selectors import seller_list_for_user

from . import serializers_answers as s
from .errors import body
from .models import ApiToken
from .views import NewestFirst


def _error(code: str, message: str, fields: dict | None = None) -> dict:
    return body(code, message, {name: [str(m) for m in messages] for name, messages in (fields or {}).items()})


NOT_FOUND = OpenApiResponse(
    description="Not found, or not yours.",
    examples=[OpenApiExample("Not found", _error("not_found", "Not found."))],
)
UNAUTHENTICATED = OpenApiResponse(
    description="No token, or a revoked or unknown one.",
    examples=[OpenApiExample("Revoked", _error("authentication_failed", "The token was revoked."))],
)
WRONG_SCOPE = OpenApiResponse(
    description="The token lacks the scope this needs.",
    examples=[
        OpenApiExample("Wrong scope", _error("permission_denied", "This token does not have the scope this needs."))
    ],
)
NOT_NOW = OpenApiResponse(
    description="Already answered, or the time to answer has passed (staff now decide).",
    examples=[
        OpenApiExample(
            "Answered", _error("invalid_transition", "This counter-notice is accepted by the rights holder.")
        ),
        OpenApiExample("Too late", _error("deadline_passed", "The time to answer has passed; staff now decide.")),
    ],
)
COMMON = {401: UNAUTHENTICATED, 403: WRONG_SCOPE, 404: NOT_FOUND}

NOTICE_ITEM_EXAMPLE = {
    "id": 901,
    "reference": "IPP-2026-000345#1",
    "position": 1,
    "listing": 77,
    "listing_title": "ACME running shoes",
    "url": "https://www.alibaba.com/product-detail/_1600000000001.html",
    "status": "disputed",
}
NOTICE_EXAMPLE = {
    "id": 12,
    "claim": 345,
    "claim_reference": "IPP-2026-000345",
    "store_name": "Shenzhen Goods Co.",
    "reason": "genuine_goods",
    "statement": "Bought from the brand's distributor; invoice attached.",
    "status": "awaiting_answer",
    "answer_due_at": "2026-12-14T17:00:00Z",
    "created_at": "2026-11-30T09:12:00Z",
    "items": [NOTICE_ITEM_EXAMPLE],
}
NOTICE_DETAIL_EXAMPLE = {
    **NOTICE_EXAMPLE,
    "signature_name": "Lin Wei",
    "signed_at": "2026-11-30T09:12:00Z",
    "shared_documents": [{"id": 55, "name": "invoice.pdf", "content_type": "application/pdf", "size": 48213}],
    "authorised_history": None,
}


# --- Counter-notices, for the complainant ---------------------------------------------------------------------


@extend_schema(
    summary="Counter-notices on your claims",
    description="The counter-notices sellers sent against your claims (an agent: the claims it filed), newest "
    "first, optionally of one status.",
    parameters=[OpenApiParameter("status", str, enum=CounterNotice.Status.values)],
    responses={
        200: s.CounterNoticeOut(many=True),
        400: OpenApiResponse(description="An unknown status."),
        401: UNAUTHENTICATED,
        403: WRONG_SCOPE,
    },
    examples=[
        OpenApiExample("A page", {"next": None, "previous": None, "results": [NOTICE_EXAMPLE]}, response_only=True)
    ],
)
class CounterNoticeList(generics.ListAPIView):
    serializer_class = s.CounterNoticeOut
    pagination_class = NewestFirst

    def get_queryset(self):
        query = s.CounterNoticeListQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return counter_notice_list_for_complainant(self.request.user, status=query.validated_data.get("status"))


@extend_schema(
    summary="One counter-notice on your claims",
    description="What the answer page shows: the seller's reason and sworn statement, the listings, the deadline, "
    "the documents the seller shared with you, and (when the seller says it is an authorised reseller) your own "
    "allow-list entries for it.",
    responses={200: s.CounterNoticeDetailOut, **COMMON},
    examples=[OpenApiExample("A counter-notice", NOTICE_DETAIL_EXAMPLE, response_only=True)],
)
class CounterNoticeDetail(generics.GenericAPIView):
    serializer_class = s.CounterNoticeDetailOut

    def get(self, request, pk: int):
        notice = counter_notice_get_for_complainant(request.user, pk)
        notice.authorised_history = reseller_history(notice)  # type: ignore[attr-defined]
        return Response(self.get_serializer(notice).data)


def _answer_schema(
    *, summary: str, description: str, request, refused: OpenApiResponse, answer: str, item: str, examples=()
):
    """The schema of an answer to a counter-notice: the notice as it now stands, or why not."""
    return extend_schema(
        summary=summary,
        description=description,
        request=request,
        responses={200: s.CounterNoticeDetailOut, 400: refused, 409: NOT_NOW, **COMMON},
        examples=[
            *examples,
            OpenApiExample(
                answer.capitalize(),
                {**NOTICE_DETAIL_EXAMPLE, "status": answer, "items": [{**NOTICE_ITEM_EXAMPLE, "status": item}]},
                response_only=True,
            ),
        ],
    )


class _CounterNoticeAnswer(generics.GenericAPIView):
    """Answer a counter-notice through one service call (``answer``) and return the notice as it now stands."""

    required_scope = ApiToken.Scope.ANSWER

    def answer(self, request, pk: int) -> None:
        raise NotImplementedError

    def post(self, request, pk: int):
        self.answer(request, pk)
        notice = counter_notice_get_for_complainant(request.user, pk)  # after the service's commit
        notice.authorised_history = reseller_history(notice)  # type: ignore[attr-defined]
        return Response(s.CounterNoticeDetailOut(notice).data)


@_answer_schema(
    summary="Accept a counter-notice",
    description="The listings are reinstated, their violations withdrawn, and both sides told (policy §5). "
    "Refused with 409 once answered or after the deadline, and with 400 (code `held`) while a litigation hold "
    "covers one of the listings.",
    request=None,
    refused=OpenApiResponse(
        description="A litigation hold covers one of the listings: nothing is reinstated (policy §3).",
        examples=[
            OpenApiExample(
                "Held",
                _error("held", "A court case concerning these listings is pending (High Court, IL-2026-7)."),
            )
        ],
    ),
    answer="accepted",
    item="reinstated",
)
class CounterNoticeAccept(_CounterNoticeAnswer):
    serializer_class = s.CounterNoticeDetailOut

    def answer(self, request, pk: int) -> None:
        services.counter_notice_accept(notice_id=pk, user=request.user)


@_answer_schema(
    summary="Reject a counter-notice",
    description="With your reasons (and evidence: ids of documents you uploaded); staff decide and tell you both. "
    "Refused with 409 once answered or after the deadline, 400 at `reason` without reasons.",
    request=s.CounterNoticeRejectIn,
    refused=OpenApiResponse(
        description="No reasons, or a document that is not yours.",
        examples=[
            OpenApiExample(
                "No reasons",
                _error(
                    "reason_required",
                    "Give your reasons: staff and the seller read them.",
                    {"reason": ["Give your reasons: staff and the seller read them."]},
                ),
            )
        ],
    ),
    examples=[
        OpenApiExample(
            "Reasons",
            {"reason": "Our test buy of this listing was a counterfeit.", "documents": [56]},
            request_only=True,
        ),
    ],
    answer="rejected",
    item="staff_review",
)
class CounterNoticeReject(_CounterNoticeAnswer):
    serializer_class = s.CounterNoticeRejectIn

    def answer(self, request, pk: int) -> None:
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        wanted = set(data.validated_data["documents"])
        documents = list(Document.objects.filter(uploaded_by=request.user, pk__in=wanted))
        if len(documents) != len(wanted):
            raise ValidationError(
                {"documents": [_("Only documents you uploaded can be attached.")]}, code="does_not_exist"
            )
        try:
            services.counter_notice_reject(
                notice_id=pk, user=request.user, answer=data.validated_data["reason"], documents=documents
            )
        except PortalError as exc:
            if exc.field == "answer":  # the service's name for what this endpoint calls the reason
                exc.field = "reason"
            raise


# --- Documents -----------------------------------------------------------------------------------------------------

REFUSED = (
    "“passport.pdf” is not accepted: its content is an HTML page, not a PDF. Upload the PDF, PNG, JPEG or WebP "
    "file itself."
)
DOCUMENT_EXAMPLE = {
    "id": 56,
    "name": "test-buy.pdf",
    "content_type": "application/pdf",
    "size": 48213,
    "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "created_at": "2026-11-30T09:20:00Z",
}


@extend_schema(
    summary="Upload a document",
    description="One file (`multipart/form-data`, field `file`) through the pipeline every upload goes through: size "
    "limit, type sniffed from the content (PDF, PNG, JPEG or WebP, agreeing with the name), no active content, and "
    "the virus scan where one is configured. Use its id as evidence.",
    request={"multipart/form-data": s.DocumentIn},
    responses={
        201: s.DocumentOut,
        400: OpenApiResponse(
            description="Refused: nothing is stored.",
            examples=[
                OpenApiExample(
                    "Refused",
                    _error("upload_rejected", REFUSED, {"file": [REFUSED]}),
                )
            ],
        ),
        401: UNAUTHENTICATED,
        403: WRONG_SCOPE,
    },
    examples=[OpenApiExample("Stored", DOCUMENT_EXAMPLE, response_only=True, status_codes=["201"])],
)
class DocumentUpload(generics.GenericAPIView):
    required_scope = ApiToken.Scope.FILE
    parser_classes = [MultiPartParser]
    serializer_class = s.DocumentIn

    def post(self, request):
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            document = document_store(upload=data.validated_data["file"], uploaded_by=request.user)
        except UploadRejected as rejection:
            rejection.field = "file"
            raise
        return Response(s.DocumentOut(document).data, status=status.HTTP_201_CREATED)


@extend_schema(
    summary="One of your documents",
    description="The facts of a document you uploaded (not its bytes); anyone else's is not found.",
    responses={200: s.DocumentOut, **COMMON},
    examples=[OpenApiExample("A document", DOCUMENT_EXAMPLE, response_only=True)],
)
class DocumentDetail(generics.RetrieveAPIView):
    required_scope = ApiToken.Scope.FILE
    serializer_class = s.DocumentOut

    def get_queryset(self):
        return Document.objects.filter(uploaded_by=self.request.user)


# --- The seller ------------------------------------------------------------------------------------------------------

STANDING_EXAMPLE = {
    "store": 8,
    "store_name": "Shenzhen Goods Co.",
    "site": "alibaba",
    "at": "2026-11-30T09:30:00Z",
    "points": 6,
    "strikes": 0,
    "in_force": None,
    "in_force_until": None,
    "can_post": True,
    "is_pending_termination": False,
    "next_steps": [
        {
            "measure": "points",
            "threshold": 12,
            "action": "warning",
            "action_label": "Warning",
            "duration_days": None,
            "missing": 6,
        }
    ],
    "one_more_general": [],
    "one_more_serious": ["Warning (points reach 12)"],
    "pending": [
        {"becomes_established_at": "2026-12-07T17:00:00Z", "violations": ["V-2026-000031"], "if_established": []}
    ],
}


@extend_schema(
    summary="Your standing, per store",
    description="What the standing page shows for each of your stores: active points and strikes, the action in "
    "force and until when, whether you can post, the next thresholds, what one more violation would do, and the "
    "pending violations with the moment each becomes established and what it would then lead to. Not a seller: "
    "an empty list.",
    responses={200: s.StandingOut(many=True), 401: UNAUTHENTICATED, 403: WRONG_SCOPE},
    examples=[OpenApiExample("One store", [STANDING_EXAMPLE], response_only=True)],
)
class SellerStanding(generics.GenericAPIView):
    serializer_class = s.StandingOut
    pagination_class = None

    def get(self, request):
        now = timezone.now()
        stores = [
            {"seller": seller, "standing": standing_for(seller, now)} for seller in seller_list_for_user(request.user)
        ]
        return Response(self.get_serializer(stores, many=True).data)


@extend_schema(
    summary="One notice against your listings",
    description="A listing of yours named in a claim that has gone out, with who complained and how to reach them "
    "(the policy gives you their details), the claim's explanation, the listing's status and what you can do "
    "next: whether a counter-notice is possible (and if not, why) and by when.",
    responses={200: s.SellerNoticeDetailOut, **COMMON},
    examples=[
        OpenApiExample(
            "A removed listing",
            {
                "id": 901,
                "claim": 345,
                "claim_reference": "IPP-2026-000345",
                "claim_submitted_at": "2026-11-20T10:00:00Z",
                "reason": "Counterfeit goods",
                "right_name": "ACME",
                "explanation": "Counterfeit shoes; test buy attached.",
                "complained_by": {
                    "legal_name": "ACME Ltd",
                    "for_owner": None,
                    "contact_email": "ip@acme.example",
                    "phone": "+44 20 7946 0000",
                    "postal_address": "1 High Street, London",
                },
                "listing": 77,
                "listing_title": "ACME running shoes",
                "url": "https://www.alibaba.com/product-detail/_1600000000001.html",
                "status": "removed",
                "decision_reason": "",
                "decided_at": "2026-11-21T08:00:00Z",
                "counter_notice_due_at": "2026-12-05T17:00:00Z",
                "further_counter_notice_due_at": "2026-12-30T17:00:00Z",
                "can_counter_notify": True,
                "counter_notice_refusal": "",
                "can_concede": True,
                "deadline": "2026-12-05T17:00:00Z",
                "held": None,
            },
            response_only=True,
        )
    ],
)
class SellerNoticeDetail(generics.GenericAPIView):
    serializer_class = s.SellerNoticeDetailOut

    def get(self, request, pk: int):
        item = seller_notice_get(request.user, pk, timezone.now())
        item.held = SELLER_LINE if held_listing_ids([item.listing_id]) else None  # type: ignore[attr-defined]
        return Response(self.get_serializer(item).data)
