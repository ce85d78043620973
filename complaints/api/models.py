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


class IdempotencyKey(models.Model):
    """One ``Idempotency-Key`` a user sent with a write, and the answer it got: a retry with the same key gets the
    same answer instead of doing the write twice (a filed claim filed again would notify the seller twice).

    Keys belong to the user, not to one token: a vendor rotating tokens between a request and its retry is the
    same client retrying the same operation. The row is claimed (``status`` empty: in progress) and committed
    before the request runs, so a second request with the key that arrives meanwhile finds it and is refused."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # The token that sent the first request (kept when it is revoked, for the record).
    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="idempotency_keys")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=2000)
    request_sha256 = models.CharField(max_length=64)
    # Empty while the first request runs; then the answer it got, replayed byte for byte.
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.BinaryField(default=b"")
    content_type = models.CharField(max_length=200, blank=True)
    location = models.CharField(max_length=2000, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="api_idempotency_key_unique_per_user")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.key})"


class ApiLimits(models.Model):
    """One complainant's own API limits, set by staff with the permission (a large vendor may need more, an abusive
    one less). Without a row, or with a field left empty, the settings' defaults apply (``API_LINKS_PER_DAY``,
    ``API_RATE_PER_COMPLAINANT``). Every token of the complainant shares them."""

    complainant = models.OneToOneField("complaints.Complainant", on_delete=models.CASCADE, related_name="api_limits")
    links_per_day = models.PositiveIntegerField(
        null=True, blank=True, help_text="Listing links filed through the API per UTC day. Empty: API_LINKS_PER_DAY."
    )
    requests_per_minute = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="API requests per minute, all tokens together. Empty: API_RATE_PER_COMPLAINANT.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "API limits"
        verbose_name_plural = "API limits"

    def __str__(self) -> str:
        return f"API limits of {self.complainant}"


class ApiLinkCount(models.Model):
    """The links a complainant filed through the API on one UTC day: the daily quota's counter. Its row is written
    in the transaction that files the claim, under the complainant's lock, so two submissions cannot both pass."""

    complainant = models.ForeignKey("complaints.Complainant", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    links = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["complainant", "day"], name="api_link_count_one_per_day")]

    def __str__(self) -> str:
        return f"{self.complainant_id} {self.day}: {self.links}"


# The webhooks' models live with the rest of the webhooks; Django finds models in this module.
from .webhooks.models import (  # noqa: E402
    EventType,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

__all__ = [
    "ApiLimits",
    "ApiLinkCount",
    "ApiToken",
    "EventType",
    "IdempotencyKey",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
]
