"""Webhook endpoints, the events that happened, and the outbox of deliveries (one per event and endpoint) with a
log of every attempt."""

import uuid

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EventType(models.TextChoices):
    CLAIM_ITEM_DECIDED = "claim_item.decided", _("Listings of a claim decided (removed or not)")
    CLAIM_DECIDED = "claim.decided", _("Claim decided (no listing left to review)")
    CLAIM_NEEDS_INFO = "claim.needs_info", _("Claim needs more information")
    COUNTER_NOTICE_RECEIVED = "counter_notice.received", _("Counter-notice received")
    RIGHT_VERIFIED = "right.verified", _("Right verified")
    RIGHT_REJECTED = "right.rejected", _("Right rejected")
    RIGHT_EXPIRING = "right.expiring", _("Right about to expire")
    RIGHT_EXPIRED = "right.expired", _("Right expired")


class WebhookEndpoint(models.Model):
    """An HTTPS address of a complainant's that receives the events it subscribes to, signed with its secret.

    The secret is kept as it is (signing needs it) and shown once, when made or rotated. After a rotation the
    previous secret also signs until ``previous_secret_expires_at``, so a receiver can switch without a gap."""

    class DisabledReason(models.TextChoices):
        OWNER = "owner", _("Disabled by you")
        FAILURES = "failures", _("Disabled after repeated failed deliveries")

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(default=list, help_text="The event types it receives.")
    secret = models.CharField(max_length=100)
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=10, choices=DisabledReason.choices, blank=True)
    # Failed attempts in a row (any success resets both): what decides automatic disabling.
    consecutive_failures = models.PositiveIntegerField(default=0)
    failing_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "disabled_at"], name="webhook_endpoint_owner_idx")]

    def __str__(self) -> str:
        return self.url

    @property
    def is_active(self) -> bool:
        return self.disabled_at is None

    @property
    def secret_start(self) -> str:
        """The public start of the secret, to tell secrets apart in lists."""
        return self.secret[:10]

    def signing_secrets(self, now=None) -> list[str]:
        now = now or timezone.now()
        secrets = [self.secret]
        if self.previous_secret and self.previous_secret_expires_at and self.previous_secret_expires_at > now:
            secrets.append(self.previous_secret)
        return secrets

    def event_labels(self) -> list[str]:
        return [str(EventType(e).label) for e in self.events if e in EventType.values]


class WebhookEvent(models.Model):
    """Something that happened to one complainant's objects; its ``event_id`` is the receiver's de-duplication key
    and stays the same on every attempt and redelivery."""

    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_events")
    type = models.CharField(max_length=40, choices=EventType.choices)
    payload = models.JSONField(encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class WebhookDelivery(models.Model):
    """The outbox: one event to one endpoint, sent until the receiver answers 2xx or the attempts run out."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Attempts since made or last redelivered.")
    next_attempt_at = models.DateTimeField(default=timezone.now)
    dispatched_at = models.DateTimeField(null=True, blank=True, help_text="Last time a delivery task was queued.")
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    redelivery_requested = models.BooleanField(default=False, help_text="The owner asked for the next attempt.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["event", "endpoint"], name="webhook_delivery_once")]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=models.Q(status="pending"), name="webhook_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id}"


class WebhookAttempt(models.Model):
    """One request to the receiver: its answer's status code (none when it never answered), how long it took and
    what went wrong."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    redelivery = models.BooleanField(default=False, help_text="Asked for by the owner (the Redeliver button).")

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.delivery_id} at {self.at:%Y-%m-%d %H:%M:%S}: {self.status_code or self.error}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
