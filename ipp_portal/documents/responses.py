"""Serving a stored document. This app has no URLs: each higher app's download view decides who may see a document,
then returns ``document_response(document)``."""

import os
import re
import unicodedata
from urllib.parse import quote

from django.http import FileResponse
from storages.utils import clean_name, safe_join

from .models import STORED_EXTENSIONS, Document

_UNSAFE_ASCII = re.compile(r"[^A-Za-z0-9 ._()+-]+")


def document_response(document: Document) -> FileResponse:
    """Stream the document as a download with its sniffed type, never rendered inline by the browser."""
    response = FileResponse(_open(document), content_type=document.content_type)
    response["Content-Length"] = str(document.size)
    response["Content-Disposition"] = _attachment(document)
    response["X-Content-Type-Options"] = "nosniff"
    # If a browser renders it anyway (a viewer extension, a bug), it runs nothing and loads nothing.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


def _open(document: Document):
    storage = document.file.storage
    if hasattr(storage, "bucket_name") and hasattr(storage, "connection"):
        # django-storages' S3File would download the whole object into memory (AWS_S3_MAX_MEMORY_SIZE defaults to
        # 0: never spill to disk) before the first byte goes out; the object's own body streams instead.
        key = safe_join(storage.location, clean_name(document.file.name))
        return storage.connection.meta.client.get_object(Bucket=storage.bucket_name, Key=key)["Body"]
    return storage.open(document.file.name, "rb")


def _attachment(document: Document) -> str:
    """RFC 6266: an ASCII ``filename`` for old clients and the exact name as UTF-8 in ``filename*``."""
    name = document.original_name
    stem, extension = os.path.splitext(name)
    if extension.lower() not in (".pdf", ".png", ".jpg", ".jpeg", ".webp"):
        extension = "." + STORED_EXTENSIONS.get(document.content_type, "bin")
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    ascii_stem = _UNSAFE_ASCII.sub("_", ascii_stem).strip(" ._") or "document"
    return f"attachment; filename=\"{ascii_stem}{extension}\"; filename*=UTF-8''{quote(name, safe='')}"
