from rest_framework import serializers

from ..models import EventType, WebhookEndpoint


class WebhookEndpointIn(serializers.Serializer):
    url = serializers.CharField(max_length=500, help_text="An https:// address that accepts POST requests.")
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EventType.choices), allow_empty=False, help_text="Event types to receive."
    )
    description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class WebhookEndpointOut(serializers.ModelSerializer):
    active = serializers.BooleanField(source="is_active")
    secret_start = serializers.CharField(help_text="The public start of the signing secret.")

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "description", "events", "active", "disabled_at", "disabled_reason",
                  "consecutive_failures", "secret_start", "previous_secret_expires_at", "created_at"]  # fmt: skip


class WebhookEndpointWithSecretOut(WebhookEndpointOut):
    secret = serializers.CharField(help_text="The signing secret: shown in this answer only.")

    class Meta(WebhookEndpointOut.Meta):
        fields = [*WebhookEndpointOut.Meta.fields, "secret"]


_ERROR_TEXT = {
    400: (
        "Invalid input",
        {
            "code": "webhook_invalid",
            "message": "The address must start with https://.",
            "fields": {"url": ["The address must start with https://."]},
        },
    ),
    401: (
        "No token, or a bad one",
        {"code": "not_authenticated", "message": "Authentication credentials were not provided.", "fields": {}},
    ),
    403: (
        "The token lacks the scope",
        {"code": "permission_denied", "message": "This token does not have the scope this needs.", "fields": {}},
    ),
    404: ("Not found, or not yours", {"code": "not_found", "message": "Not found.", "fields": {}}),
}


def error_responses(*codes: int) -> dict:
    from drf_spectacular.utils import OpenApiExample, OpenApiResponse

    from ..schema import ErrorSerializer

    return {
        code: OpenApiResponse(
            ErrorSerializer,
            description=_ERROR_TEXT[code][0],
            examples=[OpenApiExample(f"Error {code}", value=_ERROR_TEXT[code][1], status_codes=[str(code)])],
        )
        for code in codes
    }
