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
