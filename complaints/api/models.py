from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    """A bearer token for the API. Only the SHA-256 of its secret is kept: the secret is shown once, when made."""

    class Scope(models.TextChoices):
        READ = "read", "Read rights, claims and notices"
        FILE = "file", "File claims"
        ANSWER = "answer", "Answer counter-notices"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    scopes = models.JSONField(default=list)
    # The public start of the token (shown in lists and used to find the row); the rest is secret.
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip_hash = models.CharField(max_length=64, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def scope_labels(self) -> list[str]:
        return [self.Scope(scope).label for scope in self.scopes if scope in self.Scope.values]


# The webhooks' models live with the rest of the webhooks; Django finds models in this module.
from .webhooks.models import (  # noqa: E402
    EventType,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

__all__ = ["ApiToken", "EventType", "WebhookAttempt", "WebhookDelivery", "WebhookEndpoint", "WebhookEvent"]
