"""Storing documents: one immutable row, one private file and one audit event per accepted upload."""

import hashlib

import pytest
from django.core.files.storage import default_storage

from ipp_portal.audit.models import AuditEvent
from ipp_portal.documents.models import Document, ImmutableDocumentError
from ipp_portal.documents.services import document_store, documents_store
from tests.factories import UserFactory

from . import corpus
from .conftest import stored_files, upload
from .test_inspection import STORAGE_NAME

pytestmark = pytest.mark.django_db


def test_document_store_records_size_hash_type_and_uploader(user):
    content = corpus.pdf(padding=200_000)

    document = document_store(upload=upload("Trademark certificate.pdf", content), uploaded_by=user)

    document.refresh_from_db()
    assert (document.original_name, document.content_type) == ("Trademark certificate.pdf", "application/pdf")
    assert (document.size, document.sha256) == (len(content), hashlib.sha256(content).hexdigest())
    assert document.uploaded_by == user
    assert STORAGE_NAME.match(document.file.name)
    assert document.file.name.endswith(".pdf")
    with default_storage.open(document.file.name, "rb") as stored:
        assert stored.read() == content


def test_the_stored_extension_comes_from_the_sniffed_type(user):
    document = document_store(upload=upload("photo.JPEG", corpus.jpeg()), uploaded_by=user)

    assert document.file.name.endswith(".jpg")
    assert (document.original_name, document.content_type) == ("photo.JPEG", "image/jpeg")


def test_document_store_writes_one_audit_event(user):
    document = document_store(upload=upload("logo.png", corpus.png()), uploaded_by=user)

    event = AuditEvent.objects.get()
    assert (event.actor, event.verb, event.target) == (user, "document.uploaded", document)
    assert event.data == {
        "original_name": "logo.png",
        "content_type": "image/png",
        "size": document.size,
        "sha256": document.sha256,
        "stored_as": document.file.name,
    }


def test_the_same_content_twice_makes_two_documents_with_the_same_hash(user):
    first = document_store(upload=upload("a.pdf", corpus.pdf()), uploaded_by=user)
    second = document_store(upload=upload("b.pdf", corpus.pdf()), uploaded_by=user)

    assert first.sha256 == second.sha256
    assert first.file.name != second.file.name
    assert list(Document.objects.filter(sha256=first.sha256).order_by("id")) == [first, second]


def test_documents_store_refuses_the_files_past_the_limit_by_name(settings, user):
    settings.UPLOAD_MAX_FILES = 2
    uploads = [upload(f"page-{n}.pdf", corpus.pdf()) for n in range(1, 5)]

    stored, rejected = documents_store(uploads=uploads, uploaded_by=user)

    assert [document.original_name for document in stored] == ["page-1.pdf", "page-2.pdf"]
    assert [(rejection.filename, rejection.rule) for rejection in rejected] == [
        ("page-3.pdf", "too_many_files"),
        ("page-4.pdf", "too_many_files"),
    ]
    assert rejected[0].message == (
        "“page-3.pdf” is not accepted: only 2 files can be uploaded at a time. Upload it again on its own."
    )
    assert Document.objects.count() == 2
    assert AuditEvent.objects.filter(verb="document.uploaded").count() == 2


def test_documents_store_with_nothing_stores_nothing(user):
    assert documents_store(uploads=[], uploaded_by=user) == ([], [])
    assert Document.objects.count() == 0


def test_a_failed_database_write_leaves_no_file_behind(user, monkeypatch):
    def fail(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("ipp_portal.documents.services.record", fail)

    with pytest.raises(RuntimeError):
        document_store(upload=upload("a.pdf", corpus.pdf()), uploaded_by=user)

    assert Document.objects.count() == 0
    assert stored_files() == []


def test_documents_cannot_be_changed_or_deleted_through_the_orm(user):
    document = document_store(upload=upload("a.pdf", corpus.pdf()), uploaded_by=user)

    document.original_name = "tampered.pdf"
    with pytest.raises(ImmutableDocumentError):
        document.save()
    with pytest.raises(ImmutableDocumentError):
        document.delete()
    with pytest.raises(ImmutableDocumentError):
        Document.objects.filter(pk=document.pk).update(original_name="tampered.pdf")
    with pytest.raises(ImmutableDocumentError):
        Document.objects.all().delete()

    assert Document.objects.get(pk=document.pk).original_name == "a.pdf"
    assert stored_files() == [document.file.name]


def test_an_uploader_with_documents_cannot_be_deleted(user):
    document_store(upload=upload("a.pdf", corpus.pdf()), uploaded_by=user)

    with pytest.raises(Exception, match="protected foreign key"):
        user.delete()


def test_documents_belong_to_their_uploader():
    alice, bob = UserFactory(), UserFactory()
    document = document_store(upload=upload("a.pdf", corpus.pdf()), uploaded_by=alice)

    assert list(alice.uploaded_documents.all()) == [document]
    assert list(bob.uploaded_documents.all()) == []
