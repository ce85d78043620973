"""Uploaded documents: one immutable row per stored file, whatever it proves (identity, a right, an authorization,
evidence, an appeal). Replacing a document adds a new row; the higher apps link to the rows they use."""

import uuid

from django.conf import settings
from django.db import models
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

# The accepted types (sniffed from the content) and the extension a stored file gets for each.
STORED_EXTENSIONS = {
    "application/pdf": "pdf",
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/webp": "webp",
}
TYPE_LABELS = {
    "application/pdf": "PDF",
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "image/webp": "WebP",
}


class ImmutableDocumentError(Exception):
    """Raised when code tries to change or delete a stored document."""


def document_storage_name(instance: "Document", filename: str) -> str:
    """``documents/YYYY/MM/<uuid4 hex>.<ext>``: the uploader's file name never reaches the storage."""
    return f"documents/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{STORED_EXTENSIONS[instance.content_type]}"


class DocumentQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ImmutableDocumentError("Documents are immutable and cannot be updated.")

    def delete(self):
        raise ImmutableDocumentError("Documents are immutable and cannot be deleted.")


class Document(models.Model):
    """A file someone uploaded, checked and stored privately; its bytes and facts never change."""

    file = models.FileField(upload_to=document_storage_name, max_length=255)
    original_name = models.CharField(max_length=255, help_text="The uploader's file name, cleaned for display.")
    content_type = models.CharField(max_length=100, help_text="The type sniffed from the content.")
    size = models.PositiveBigIntegerField(help_text="Bytes.")
    sha256 = models.CharField("SHA-256", max_length=64, db_index=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="uploaded_documents"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = DocumentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.original_name

    def save(self, *args, **kwargs):
        # Immutability is the model's invariant, not domain logic: evidence must stay what was submitted.
        if self.pk is not None and not self._state.adding:
            raise ImmutableDocumentError("Documents are immutable: upload a new document instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableDocumentError("Documents are immutable and cannot be deleted.")

    @property
    def type_label(self) -> str:
        return TYPE_LABELS.get(self.content_type, self.content_type)

    @property
    def description(self) -> str:
        """ "passport.pdf (PDF, 1.2 MB)": how forms list a document."""
        return f"{self.original_name} ({self.type_label}, {filesizeformat(self.size)})"
