"""The webhooks' API endpoints: thin views over the same services and selectors as the account pages. Reading
needs the read scope, changing the file scope; another user's endpoint is a 404."""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response

from ..models import ApiToken
from . import selectors, services
from .serializers import WebhookEndpointIn, WebhookEndpointOut, WebhookEndpointWithSecretOut, error_responses

ENDPOINT_EXAMPLE = {
    "id": 7,
    "url": "https://hooks.example.com/ipp",
    "description": "Case tracker",
    "events": ["claim_item.decided", "counter_notice.received"],
    "active": True,
    "disabled_at": None,
    "disabled_reason": "",
    "consecutive_failures": 0,
    "secret_start": "whsec_Q2x",
    "previous_secret_expires_at": None,
    "created_at": "2026-11-30T09:00:00Z",
}
SECRET_EXAMPLE = {**ENDPOINT_EXAMPLE, "secret": "whsec_Q2xS0m3S3cr3tV4lu3_shown_once"}


class _Own(generics.GenericAPIView):
    serializer_class = WebhookEndpointOut

    def get_queryset(self):
        return selectors.webhook_endpoint_list_for_user(self.request.user)

    def get_required_scope(self) -> str:
        return ApiToken.Scope.READ if self.request.method in ("GET", "HEAD", "OPTIONS") else ApiToken.Scope.FILE

    @property
    def required_scope(self) -> str:  # read by permissions.HasScope
        return self.get_required_scope()


class WebhookList(_Own):
    """Your webhook endpoints; POST adds one (its signing secret is in that answer only)."""

    pagination_class = None

    @extend_schema(
        summary="List your webhook endpoints",
        responses={200: WebhookEndpointOut(many=True), **error_responses(401, 403)},
        examples=[OpenApiExample("Endpoints", value=[ENDPOINT_EXAMPLE], response_only=True)],
    )
    def get(self, request):
        return Response(WebhookEndpointOut(self.get_queryset(), many=True).data)

    @extend_schema(
        summary="Add a webhook endpoint",
        request=WebhookEndpointIn,
        responses={201: WebhookEndpointWithSecretOut, **error_responses(400, 401, 403)},
        examples=[
            OpenApiExample(
                "New endpoint",
                value={"url": "https://hooks.example.com/ipp", "events": ["claim_item.decided"], "description": ""},
                request_only=True,
            ),
            OpenApiExample("Added", value=SECRET_EXAMPLE, response_only=True, status_codes=["201"]),
        ],
    )
    def post(self, request):
        data = WebhookEndpointIn(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint, secret = services.webhook_endpoint_create(user=request.user, **data.validated_data)
        endpoint.secret = secret
        return Response(WebhookEndpointWithSecretOut(endpoint).data, status=status.HTTP_201_CREATED)


class WebhookDetail(_Own):
    @extend_schema(
        summary="One of your webhook endpoints",
        responses={200: WebhookEndpointOut, **error_responses(401, 403, 404)},
        examples=[OpenApiExample("Endpoint", value=ENDPOINT_EXAMPLE, response_only=True)],
    )
    def get(self, request, pk: int):
        return Response(WebhookEndpointOut(self.get_object()).data)

    @extend_schema(
        summary="Delete one of your webhook endpoints",
        responses={204: OpenApiResponse(description="Deleted."), **error_responses(401, 403, 404)},
    )
    def delete(self, request, pk: int):
        services.webhook_endpoint_delete(user=request.user, endpoint_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookRotateSecret(_Own):
    @extend_schema(
        summary="Rotate an endpoint's signing secret",
        description="A new secret signs from now on; the old one also signs for 24 hours (two v1= signatures).",
        request=None,
        responses={200: WebhookEndpointWithSecretOut, **error_responses(401, 403, 404)},
        examples=[OpenApiExample("Rotated", value=SECRET_EXAMPLE, response_only=True)],
    )
    def post(self, request, pk: int):
        endpoint, secret = services.webhook_endpoint_rotate_secret(user=request.user, endpoint_id=pk)
        endpoint.secret = secret
        return Response(WebhookEndpointWithSecretOut(endpoint).data)
