"""Serving a stored document: always a download, with its sniffed type, never sniffed, cached or framed."""

import pytest

from ipp_portal.documents.responses import document_response
from ipp_portal.documents.services import document_store

from . import corpus
from .conftest import upload

pytestmark = pytest.mark.django_db


def test_document_response_streams_the_file_as_a_download_with_safe_headers(user):
    content = corpus.pdf(padding=300_000)
    document = document_store(upload=upload("passport.pdf", content), uploaded_by=user)

    response = document_response(document)

    assert response.streaming
    assert b"".join(response.streaming_content) == content
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Length"] == str(len(content))
    assert response["Content-Disposition"] == "attachment; filename=\"passport.pdf\"; filename*=UTF-8''passport.pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["Cache-Control"] == "private, no-store"
    response.close()


@pytest.mark.parametrize(
    ("name", "disposition"),
    [
        (
            "паспорт 护照.pdf",
            "attachment; filename=\"document.pdf\"; filename*=UTF-8''%D0%BF%D0%B0%D1%81%D0%BF%D0%BE%D1%80%D1%82%20"
            "%E6%8A%A4%E7%85%A7.pdf",
        ),
        (
            'Café "final"; v2.pdf',
            "attachment; filename=\"Cafe _final_ v2.pdf\"; filename*=UTF-8''Caf%C3%A9%20%22final%22%3B%20v2.pdf",
        ),
    ],
)
def test_the_download_name_is_rfc_6266_safe(name, disposition, user):
    document = document_store(upload=upload(name, corpus.pdf()), uploaded_by=user)

    response = document_response(document)

    assert response["Content-Disposition"] == disposition
    response.close()


def test_an_image_is_served_with_its_sniffed_type_not_one_guessed_from_its_name(user):
    document = document_store(upload=upload("scan.jpeg", corpus.jpeg()), uploaded_by=user)

    response = document_response(document)

    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"].startswith('attachment; filename="scan.jpeg";')
    assert b"".join(response.streaming_content) == corpus.jpeg()
    response.close()
