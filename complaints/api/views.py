"""The API's first endpoints: thin reads over the complaints selectors, only ever the token user's own objects
(anyone else's is a 404, as on the pages)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from drf_spectacular.views import SpectacularSwaggerView
from rest_framework import generics
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from complaints.selectors import claims as claim_selectors
from complaints.selectors import disputes
from complaints.selectors.vault import complainant_get_for_user

from . import selectors, serializers


class NewestFirst(CursorPagination):
    ordering: tuple[str, ...] = ("-created_at", "-id")
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"


class NewestItemsFirst(NewestFirst):
    ordering = ("-id",)


@extend_schema(summary="List your rights")
class RightList(generics.ListAPIView):
    """Your rights, and as an agent the rights your verified authorizations cover."""

    serializer_class = serializers.RightOut
    pagination_class = NewestFirst

    def get_queryset(self):
        return selectors.ip_right_list_for_user(self.request.user)


@extend_schema(summary="Get one of your rights")
class RightDetail(generics.RetrieveAPIView):
    """One right of your vault (or covered by your verified authorization), with whether you may file for it."""

    serializer_class = serializers.RightOut

    def get_queryset(self):
        return selectors.ip_right_list_for_user(self.request.user)


@extend_schema(
    summary="List your claims",
    parameters=[OpenApiParameter("status", str, enum=[c for c, _ in serializers.Claim.Status.choices])],
)
class ClaimList(generics.ListAPIView):
    """Your claims, newest first, optionally of one status."""

    serializer_class = serializers.ClaimOut
    pagination_class = NewestFirst

    def get_queryset(self):
        query = serializers.ClaimListQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        complainant = complainant_get_for_user(self.request.user)
        if complainant is None:
            return serializers.Claim.objects.none()
        return claim_selectors.claim_list_for_complainant(complainant, status=query.validated_data.get("status"))

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        claims = claim_selectors.claims_with_item_counts(page or [])
        return self.get_paginated_response(self.get_serializer(claims, many=True).data)


def claim_detail_of(user, pk: int) -> serializers.Claim:
    """The user's claim (anyone else's: DoesNotExist, a 404) with what ``ClaimDetailOut`` shows: its listings, the
    decided ones, and the claim page's timeline."""
    claim = claim_selectors.claim_get_for_user(user, pk, counts=False)
    items = list(claim_selectors.claim_items(claim))
    claim_selectors.claim_item_counts(claim, items)
    claim.listed_items = items  # type: ignore[attr-defined]
    claim.decided_items = [item for item in items if item.decided_at is not None]  # type: ignore[attr-defined]
    claim.timeline = claim_selectors.claim_timeline(claim)  # type: ignore[attr-defined]
    return claim


def claim_detail_filed(user, claim: serializers.Claim) -> serializers.Claim:
    """``claim_detail_of`` for a claim ``claim_submit`` has just filed in this request, built from the rows it wrote
    (its items with their listings and stores, its one audit event: a new claim has no decisions and no other
    history) instead of reading up to 300 items and the timeline back. Anything else (a draft, a replay that
    returns an earlier filing, a claim filed meanwhile) is read as ``claim_detail_of`` reads it."""
    items, event = getattr(claim, "filed_items", None), getattr(claim, "filed_event", None)
    if items is None or event is None:
        return claim_detail_of(user, claim.pk)
    claim_selectors.claim_item_counts(claim, items)
    claim.listed_items = items  # type: ignore[attr-defined]
    claim.decided_items = []  # type: ignore[attr-defined]
    claim.timeline = [claim_selectors.timeline_row(event, claim_selectors.COMPLAINANT_TIMELINE_VERBS)]  # type: ignore[attr-defined]
    return claim


@extend_schema(summary="Get one of your claims")
class ClaimDetail(generics.GenericAPIView):
    """One of your claims with its listings, each with its status and the reason for its decision, the decisions,
    and its timeline."""

    serializer_class = serializers.ClaimDetailOut

    def get(self, request, pk: int):
        return Response(self.get_serializer(claim_detail_of(request.user, pk)).data)


@extend_schema(summary="List the notices about your listings")
class SellerNoticeList(generics.ListAPIView):
    """The listings of your stores named in claims that have gone out, newest first."""

    serializer_class = serializers.SellerNoticeOut
    pagination_class = NewestItemsFirst

    def get_queryset(self):
        return disputes.claim_item_list_for_seller(self.request.user).select_related("claim__right", "listing")


class ApiDocs(SpectacularSwaggerView):
    """The API reference (Swagger UI), public like the schema it shows. Swagger UI comes from our own static files
    (drf-spectacular-sidecar) and is started by a static script, so the page runs under the site's strict
    Content-Security-Policy: no CDN, no inline script or style."""

    template_name = "api/docs.html"
    url_name = "api:schema"
