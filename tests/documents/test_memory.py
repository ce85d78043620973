"""Memory stays flat for any file size: the pipeline reads, hashes, scans and stores in chunks."""

import hashlib
import random
import tracemalloc

import pytest
from django.core.files import File
from django.core.files.uploadedfile import TemporaryUploadedFile

from ipp_portal.documents.services import document_store

pytestmark = pytest.mark.django_db

SIZE = 10 * 1024 * 1024
PEAK_LIMIT = 2 * 1024 * 1024


def write_pdf_shaped(fh, size: int) -> str:
    """A PDF header, a binary stream of pseudo-random bytes, %%EOF: written in chunks, never held whole."""
    rng = random.Random(1)
    digest = hashlib.sha256()
    head = b"%PDF-1.4\n1 0 obj\n<< /Length " + str(size - 64).encode() + b" >>\nstream\n"
    tail = b"\nendstream\nendobj\n%%EOF\n"
    body = size - len(head) - len(tail)
    for part in (head, *(rng.randbytes(min(64 * 1024, body - done)) for done in range(0, body, 64 * 1024)), tail):
        fh.write(part)
        digest.update(part)
    fh.flush()
    return digest.hexdigest()


def measure(function):
    tracemalloc.start()
    try:
        result = function()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.fixture
def big_upload(settings):
    settings.UPLOAD_MAX_BYTES = SIZE
    upload = TemporaryUploadedFile("big scan.pdf", "application/pdf", SIZE, None)
    sha256 = write_pdf_shaped(upload, SIZE)
    yield upload, sha256
    upload.close()


def test_storing_a_10_mb_temporary_upload_keeps_peak_memory_under_2_mb(big_upload, user):
    upload, sha256 = big_upload

    document, peak = measure(lambda: document_store(upload=upload, uploaded_by=user))

    assert (document.size, document.sha256) == (SIZE, sha256)
    assert peak < PEAK_LIMIT, f"peak {peak / 1024:.0f} KB"


def test_storing_a_10_mb_file_that_must_be_copied_keeps_peak_memory_under_2_mb(settings, tmp_path, user):
    """Not a temporary upload, so the local storage copies it chunk by chunk instead of moving it."""
    settings.UPLOAD_MAX_BYTES = SIZE
    path = tmp_path / "big.pdf"
    with path.open("wb") as fh:
        sha256 = write_pdf_shaped(fh, SIZE)

    with path.open("rb") as fh:
        document, peak = measure(lambda: document_store(upload=File(fh, name="big.pdf"), uploaded_by=user))

    assert (document.size, document.sha256) == (SIZE, sha256)
    assert peak < PEAK_LIMIT, f"peak {peak / 1024:.0f} KB"
