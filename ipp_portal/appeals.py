"""What every internal complaint-handling record keeps (DSA Art. 20): who filed it, their statement and documents,
and the decision a person made with its reason. The seller's appeal against an action (``enforcement.Appeal``) and
the complainant's appeal against a rejection or a sanction (``complaints.ComplainantAppeal``) are both one."""

from django.conf import settings
from django.db import models

from .transitions import TransitionMixin


class AppealRecord(TransitionMixin, models.Model):
    """Open until a person upholds or overturns it. Subclasses name what is appealed and their statuses' labels."""

    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    statement = models.TextField()
    documents = models.ManyToManyField("documents.Document", related_name="+", blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["created_at", "id"]
