"""The filing endpoints: check links, file claims (or save drafts and file them later), withdraw claims and
listings, retract a takedown. Each is a thin layer over the service the claim pages call
(``complaints.services.claims``/``disputes``, ``complaints.link_check``): the same rules, the same result codes,
the same audit events. Only the token user's own objects: anyone else's id is a 404 (or, in a request body, a field
error that reads the same as an id that does not exist)."""

import uuid
from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response

from complaints.link_check import check_links, split_lines
from complaints.models import Claim, ClaimItem, Complainant
from complaints.selectors import claim_items
from complaints.selectors.vault import complainant_get_for_user
from complaints.services import claim_item_retract, claim_item_withdraw, claim_save_draft, claim_withdraw
from complaints.services.claims import STATEMENTS, links_count_check
from ipp_portal.accounts.throttle import client_ip
from ipp_portal.errors import InvalidTransition, NotPermitted

from . import serializers_filing as io
from .limits import api_claim_submit
from .models import ApiToken
from .schema import ErrorSerializer
from .serializers import ClaimDetailOut
from .views import ClaimList, claim_detail_filed, claim_detail_of

# Submission tokens derived from (API token, path, Idempotency-Key) live in their own namespace.
IDEMPOTENCY_NAMESPACE = uuid.UUID("5b0c7f1e-2f1c-4d5e-9a57-4f1f3c0e6a01")

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Send the same value to retry a filing safely: the retry returns the claim the first request filed.",
)


def _errors(*extra: int, lines: bool = False) -> dict[int, Any]:
    """The error responses every filing endpoint shares, plus ``extra`` statuses (all in the one error shape)."""
    described = {
        400: "Invalid input, or a rule of the programme the claim breaks (the code says which).",
        401: "No token, or a revoked or unknown one.",
        403: "The token lacks the `file` scope, or filing is not open to you (identity, suspension, authorization).",
        404: "Not found, or not yours.",
        409: "Not possible from the current state.",
        429: "Too many requests (Retry-After), or the daily link quota is used up (`link_quota_exceeded`).",
    }
    wanted = {400, 401, 403, 429, *extra}
    return {
        code: OpenApiResponse(io.LinkErrorOut if lines and code == 400 else ErrorSerializer, description=text)
        for code, text in described.items()
        if code in wanted
    }


def _complainant(request: Request) -> Complainant:
    complainant = complainant_get_for_user(request.user)
    if complainant is None:  # a file token is only made for a complainant; the profile cannot go away
        raise NotPermitted("Create your complainant profile and prove your identity first.", code="no_profile")
    return complainant


def _valid(serializer_class: type, request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.data, context={"request": request})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def submission_token(request: Request) -> uuid.UUID:
    """The ``token`` ``claim_submit`` deduplicates on: from the Idempotency-Key header when sent (the same key on
    the same endpoint with the same API token files once), else a new one."""
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        return uuid.uuid4()
    api_token = request.auth
    token_id = api_token.pk if isinstance(api_token, ApiToken) else ""
    return uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"{token_id}:{request.path}:{key}")


def _sworn(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "signature_name": data["signature_name"],
        "statements": {name: data[name] for name in STATEMENTS},
        "states_authorisation_ended": data["states_authorisation_ended"],
        "authorisation_ended_on": data["authorisation_ended_on"],
    }


LINK_CHECK_REQUEST = OpenApiExample(
    "Check three links",
    request_only=True,
    value={
        "right": 12,
        "site": "alibaba",
        "links": [
            "https://www.alibaba.com/product-detail/1600000000001.html",
            "https://www.alibaba.com/product-detail/1600000000001.html",
            "not a link",
        ],
    },
)
LINE_OK = {
    "line": 1, "text": "https://www.alibaba.com/product-detail/1600000000001.html", "code": "ok", "result": "OK",
    "message": "ACME wireless earbuds — sold by Shenzhen Sound Co.", "fileable": True,
    "listing": {"id": 4711, "title": "ACME wireless earbuds", "store": "Shenzhen Sound Co."}, "open_claim": None,
    "authorised_seller": False, "authorisation_message": "",
}  # fmt: skip
LINES = [
    LINE_OK,
    {**LINE_OK, "line": 2, "code": "duplicate", "result": "Duplicate", "fileable": False, "listing": None,
     "message": "The same listing as line 1: it is counted once."},
    {**LINE_OK, "line": 3, "text": "not a link", "code": "not_a_link", "result": "Not a listing link",
     "fileable": False, "listing": None, "message": "This is not a web address."},
]  # fmt: skip
LINK_CHECK_RESPONSE = OpenApiExample(
    "Results", response_only=True, value={"fileable": 1, "not_fileable": 2, "lines": LINES}
)
TOO_MANY = OpenApiExample(
    "Too many links",
    response_only=True,
    status_codes=["400"],
    value={"code": "too_many_links", "message": "A claim takes at most 300 links; this one has 301. Split them over "
           "several claims.", "fields": {"links": ["A claim takes at most 300 links; this one has 301. Split them "
                                                   "over several claims."]}},
)  # fmt: skip


class LinkCheck(generics.GenericAPIView):
    """Check listing links before filing them: the claim form's "Check the links", line by line."""

    required_scope = ApiToken.Scope.FILE
    serializer_class = io.LinkCheckIn

    @extend_schema(
        summary="Check links before filing",
        description="Each line is classified as the claim form's check classifies it; only `ok` and `conflict` "
        "lines can be filed. Nothing is written. At most CLAIM_MAX_LINKS (300) non-blank lines.",
        request=io.LinkCheckIn,
        responses={200: io.LinkCheckOut, **_errors()},
        examples=[LINK_CHECK_REQUEST, LINK_CHECK_RESPONSE, TOO_MANY],
    )
    def post(self, request: Request) -> Response:
        complainant = _complainant(request)
        data = _valid(io.LinkCheckIn, request)
        lines = split_lines("\n".join(data["links"]))
        links_count_check(lines)
        checked = check_links(lines, site=data["site"], complainant=complainant, right=data["right"])
        fileable = sum(line.is_fileable for line in checked)
        body = {"fileable": fileable, "not_fileable": len(checked) - fileable, "lines": checked}
        return Response(io.LinkCheckOut(body).data)


CLAIM_REQUEST = OpenApiExample(
    "File a claim",
    request_only=True,
    value={
        "submit": True, "right": 12, "site": "alibaba", "reason_code": "tm_counterfeit",
        "explanation": "Counterfeit ACME earbuds: the logo and the packaging copy ours (see the test-buy report).",
        "order_numbers": ["2026-0001"], "links": ["https://www.alibaba.com/product-detail/1600000000001.html"],
        "evidence": [345], "states_good_faith": True, "states_accuracy": True,
        "states_authority_under_perjury": True, "agrees_to_indemnify": True, "states_authorisation_ended": False,
        "authorisation_ended_on": None, "signature_name": "Jane Doe",
    },
)  # fmt: skip
DRAFT_REQUEST = OpenApiExample(
    "Save a draft",
    request_only=True,
    value={"submit": False, "right": 12, "site": "alibaba", "links": ["https://www.alibaba.com/product-detail/1.html"]},
)
CLAIM_RESPONSE = OpenApiExample(
    "The claim",
    response_only=True,
    status_codes=["200", "201"],
    value={
        "id": 901, "status": "submitted", "site": "alibaba", "right": 12, "reason_code": "tm_counterfeit",
        "created_at": "2026-11-30T09:00:00Z", "submitted_at": "2026-11-30T09:00:00Z", "items_total": 1,
        "items_pending": 1, "items_removed": 0, "items_rejected": 0, "items_withdrawn": 0,
        "explanation": "Counterfeit ACME earbuds.", "info_request": "",
        "items": [{"id": 5501, "position": 1, "url": "https://www.alibaba.com/product-detail/1600000000001.html",
                   "external_id": "1600000000001", "listing_title": "ACME wireless earbuds",
                   "store_name": "Shenzhen Sound Co.", "check_result": "ok", "status": "pending",
                   "decision_reason": "", "decided_at": None}],
        "decisions": [],
        "timeline": [{"at": "2026-11-30T09:00:00Z", "verb": "claim.submitted", "what": "Submitted", "item": "",
                      "note": ""}],
    },
)  # fmt: skip
LINKS_NOT_FILEABLE = OpenApiExample(
    "Some lines cannot be filed",
    response_only=True,
    status_codes=["400"],
    value={
        "code": "links_not_fileable",
        "message": "2 of the 3 lines cannot be filed. Drop them (or correct them) and submit again.",
        "fields": {"links": ["2 of the 3 lines cannot be filed. Drop them (or correct them) and submit again."]},
        "lines": LINES,
    },
)
QUOTA = OpenApiExample(
    "Daily link quota used up",
    response_only=True,
    status_codes=["429"],
    value={
        "code": "link_quota_exceeded",
        "message": "Your API quota is 5000 links a day (UTC); 4990 are filed today, so 10 more can be. This claim "
        "has 25. Nothing was filed: file fewer links, or again after midnight UTC.",
        "fields": {"links": ["…"]},
    },
)


class ClaimCollection(ClaimList):
    """``GET``: your claims (read scope). ``POST``: save a draft or file a claim (file scope)."""

    @property
    def required_scope(self) -> str:  # type: ignore[override]
        return ApiToken.Scope.FILE if self.request.method == "POST" else ApiToken.Scope.READ

    @extend_schema(
        summary="File a claim, or save a draft",
        description="`submit: true` files the claim through the same service as the claim form: every statement "
        "sworn and a signature, a right you may file for (an agent: covered by a verified authorization for the "
        "site), a reason that fits the right, an explanation, 1–300 fileable links. Lines that cannot be filed "
        "(`links_not_fileable`) or listings of sellers you declared authorised (`authorised_seller_not_confirmed`) "
        "come back as 400 with every line's result in `lines`, and nothing is filed. `submit: false` saves a draft "
        "(nothing checked), filed later with `POST /claims/{id}/submit/`.",
        request=io.ClaimIn,
        parameters=[IDEMPOTENCY_KEY, OpenApiParameter("status", exclude=True)],
        responses={201: ClaimDetailOut, **_errors(lines=True)},
        examples=[CLAIM_REQUEST, DRAFT_REQUEST, CLAIM_RESPONSE, LINKS_NOT_FILEABLE, QUOTA],
    )
    def post(self, request: Request) -> Response:
        complainant = _complainant(request)
        data = _valid(io.ClaimIn, request)
        links_text = "\n".join(data["links"])
        order_numbers = "\n".join(number.strip() for number in data["order_numbers"] if number.strip())
        if not data["submit"]:
            claim = claim_save_draft(
                complainant=complainant, evidence=data["evidence"], right=data["right"], site=data["site"],
                reason_code=data["reason_code"], explanation=data["explanation"], order_numbers=order_numbers,
                links_text=links_text,
            )  # fmt: skip
        else:
            claim = api_claim_submit(
                complainant=complainant, user=request.user, token=submission_token(request), right=data["right"],
                site=data["site"], reason_code=data["reason_code"], explanation=data["explanation"],
                links_text=links_text, ip=client_ip(request._request), evidence=data["evidence"],
                order_numbers=order_numbers, **_sworn(data),
            )  # fmt: skip
        # A claim filed now is answered from what claim_submit wrote, not read back (300 items and the timeline).
        return Response(ClaimDetailOut(claim_detail_filed(request.user, claim)).data, status=status.HTTP_201_CREATED)


class ClaimSubmit(generics.GenericAPIView):
    """File one of your drafts."""

    required_scope = ApiToken.Scope.FILE
    serializer_class = io.ClaimSubmitIn

    @extend_schema(
        summary="File a draft",
        description="Files the draft's content (right, site, reason, explanation, links, evidence) with the "
        "statements and signature given here, as `POST /claims/` with `submit: true` would. A claim already filed "
        "is a 409, unless this is a retry with the same Idempotency-Key.",
        request=io.ClaimSubmitIn,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: ClaimDetailOut, **_errors(404, 409, lines=True)},
        examples=[
            OpenApiExample(
                "Sign and file",
                request_only=True,
                value={
                    "states_good_faith": True,
                    "states_accuracy": True,
                    "states_authority_under_perjury": True,
                    "agrees_to_indemnify": True,
                    "signature_name": "Jane Doe",
                },
            ),
            CLAIM_RESPONSE,
            LINKS_NOT_FILEABLE,
        ],
    )
    def post(self, request: Request, pk: int) -> Response:
        complainant = _complainant(request)
        draft = claim_detail_of(request.user, pk)
        data = _valid(io.ClaimSubmitIn, request)
        token = submission_token(request)
        if draft.status != Claim.Status.DRAFT and draft.submission_token != token:
            raise InvalidTransition("This claim is already filed.")
        missing = {
            name: ["The draft has none: save it with one first."]
            for name in ("right", "site")
            if getattr(draft, f"{name}_id") is None
        }
        if missing:
            raise io.serializers.ValidationError(missing, code="required")
        evidence = list({doc.pk: doc for doc in [*draft.evidence.all(), *data["evidence"]]}.values())
        claim = api_claim_submit(
            complainant=complainant, user=request.user, token=token, right=draft.right, site=draft.site,
            reason_code=draft.reason_code, explanation=draft.explanation, links_text=draft.links_text,
            ip=client_ip(request._request), evidence=evidence, order_numbers=draft.order_numbers,
            claim_id=draft.pk, **_sworn(data),
        )  # fmt: skip
        return Response(ClaimDetailOut(claim_detail_of(request.user, claim.pk)).data, status=status.HTTP_201_CREATED)


class ClaimWithdraw(generics.GenericAPIView):
    required_scope = ApiToken.Scope.FILE
    serializer_class = ClaimDetailOut

    @extend_schema(
        summary="Withdraw a claim",
        description="Withdraws every listing of the claim not yet decided; decided ones stay as decided. A draft "
        "(never filed) or a decided claim is a 409.",
        request=None,
        responses={200: ClaimDetailOut, **_errors(404, 409)},
        examples=[CLAIM_RESPONSE],
    )
    def post(self, request: Request, pk: int) -> Response:
        claim_withdraw(claim_id=pk, user=request.user)
        return Response(ClaimDetailOut(claim_detail_of(request.user, pk)).data)


ITEM_RESPONSE = OpenApiExample(
    "The listing",
    response_only=True,
    value={"claim": 901, "id": 5501, "position": 1, "url": "https://www.alibaba.com/product-detail/1600000000001.html",
           "external_id": "1600000000001", "listing_title": "ACME wireless earbuds", "store_name": "Shenzhen Sound Co.",
           "check_result": "ok", "status": "withdrawn", "decision_reason": "", "decided_at": None},
)  # fmt: skip


def _item_out(item: ClaimItem) -> dict[str, Any]:
    fresh = claim_items(item.claim).get(pk=item.pk)
    return io.ClaimItemActionOut(fresh).data


class ItemWithdraw(generics.GenericAPIView):
    required_scope = ApiToken.Scope.FILE
    serializer_class = io.ClaimItemActionOut

    @extend_schema(
        summary="Withdraw one listing of a claim",
        description="Only while the listing is undecided (pending); otherwise a 409.",
        request=None,
        responses={200: io.ClaimItemActionOut, **_errors(404, 409)},
        examples=[ITEM_RESPONSE],
    )
    def post(self, request: Request, pk: int) -> Response:
        return Response(_item_out(claim_item_withdraw(item_id=pk, user=request.user)))


class ItemRetract(generics.GenericAPIView):
    required_scope = ApiToken.Scope.FILE
    serializer_class = io.RetractIn

    @extend_schema(
        summary="Retract a takedown",
        description="The listing was removed (or is disputed or upheld) and you take the claim on it back (an "
        "error, a settlement): it is reinstated and the seller's violation withdrawn. A counter-notice waiting for "
        "your answer is answered by the retraction. Any other state is a 409.",
        request=io.RetractIn,
        responses={200: io.ClaimItemActionOut, **_errors(404, 409)},
        examples=[
            OpenApiExample("Retract", request_only=True, value={"reason": "Settled with the seller."}),
            OpenApiExample(
                "The listing",
                response_only=True,
                value={**ITEM_RESPONSE.value, "status": "reinstated", "decided_at": "2026-11-30T10:00:00Z"},
            ),
        ],
    )
    def post(self, request: Request, pk: int) -> Response:
        data = _valid(io.RetractIn, request)
        return Response(_item_out(claim_item_retract(item_id=pk, user=request.user, reason=data["reason"])))
