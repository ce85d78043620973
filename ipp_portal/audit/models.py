"""The append-only audit trail: one row per state change, written in the same transaction as the change."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from .verbs import Verb


class AppendOnlyError(Exception):
    """Raised when code tries to change or delete audit history."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Audit events are append-only and cannot be updated.")

    def delete(self):
        raise AppendOnlyError("Audit events are append-only and cannot be deleted.")

    def for_target(self, obj) -> "AuditEventQuerySet":
        return self.filter(target_type=ContentType.objects.get_for_model(obj), target_id=str(obj.pk))


class AuditEvent(models.Model):
    """Who did what to which object, from which state to which, when."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=200, help_text="The actor's email, or 'system'.")
    verb = models.CharField(max_length=100, db_index=True, choices=Verb.choices)
    target_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    target_id = models.CharField(max_length=64, blank=True)
    target = GenericForeignKey("target_type", "target_id")
    target_label = models.CharField(max_length=300, blank=True)
    from_state = models.CharField(max_length=50, blank=True)
    to_state = models.CharField(max_length=50, blank=True)
    data = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id", "created_at"], name="audit_target_idx")]

    def __str__(self) -> str:
        return f"{self.actor_label} {self.verb} {self.target_label}"

    def save(self, *args, **kwargs):
        # The append-only rule is the model's invariant, not domain logic: existing rows never change.
        if self.pk is not None and not self._state.adding:
            raise AppendOnlyError("Audit events are append-only and cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit events are append-only and cannot be deleted.")
