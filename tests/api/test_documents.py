"""Documents through the API: the same upload pipeline as the pages (a hostile file is refused with its code and
leaves nothing behind), and a document's facts for its uploader only."""

import hashlib

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from ipp_portal.audit.models import AuditEvent
from ipp_portal.audit.verbs import Verb
from ipp_portal.documents.models import Document
from tests.api.clients import WHO, client_as, make_agent_for, token_client
from tests.documents import corpus
from tests.factories import SellerFactory, make_complainant, make_document

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    holder = make_complainant(legal_name="Holder Ltd")
    other = make_complainant(legal_name="Other Ltd")
    agent, _right = make_agent_for()
    seller = SellerFactory(store_name="Seller A")
    return {
        "holder": holder,
        "document": make_document(holder.user, "test-buy.pdf"),
        "users": {"own": holder.user, "other": other.user, "agent": agent.user, "seller": seller.user},
    }


def stored(folder: str = "documents") -> list[str]:
    """Every file the storage holds under ``folder``."""
    try:
        folders, files = default_storage.listdir(folder)
    except FileNotFoundError:
        return []
    return sorted([f"{folder}/{name}" for name in files] + [n for sub in folders for n in stored(f"{folder}/{sub}")])


def upload(client, name: str, content: bytes):
    return client.post("/api/v1/documents/", {"file": SimpleUploadedFile(name, content)}, format="multipart")


def nothing_changed_since(documents: int, events: int, files: list[str]) -> None:
    assert Document.objects.count() == documents
    assert AuditEvent.objects.count() == events
    assert stored() == files


@pytest.mark.parametrize("who", WHO)
def test_upload_matrix(world, who):
    client = client_as(who, world["users"], needs="file")
    documents, events = Document.objects.count(), AuditEvent.objects.count()

    response = upload(client, "test-buy.pdf", corpus.pdf())

    if who in ("revoked", "none"):
        assert response.status_code == 401
    elif who in ("seller", "wrong_scope"):  # a seller's token only reads
        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"
    else:  # each complainant (holder or agent) uploads a document of their own
        assert response.status_code == 201
        assert Document.objects.get(pk=response.json()["id"]).uploaded_by == world["users"][who]
        return
    assert Document.objects.count() == documents
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize("who", WHO)
def test_detail_matrix(world, who):
    client = client_as(who, world["users"], needs="file")

    response = client.get(f"/api/v1/documents/{world['document'].pk}/")

    expected = {"own": 200, "other": 404, "agent": 404, "seller": 403, "revoked": 401, "none": 401,
                "wrong_scope": 403}  # fmt: skip
    assert response.status_code == expected[who]
    if who == "own":
        assert response.json()["id"] == world["document"].pk
    else:
        assert set(response.json()) == {"code", "message", "fields"}


def test_an_upload_is_stored_with_its_facts_and_audited(world):
    holder = world["holder"]
    content = corpus.pdf()

    response = upload(token_client(holder.user, ["file"]), "Test buy\u202e.pdf", content)

    assert response.status_code == 201
    body = response.json()
    document = Document.objects.get(pk=body["id"])
    assert body == {
        "id": document.pk, "name": "Test buy.pdf", "content_type": "application/pdf", "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(), "created_at": body["created_at"],
    }  # fmt: skip
    assert document.uploaded_by == holder.user
    assert document.file.name in stored()
    assert AuditEvent.objects.filter(verb=Verb.DOCUMENT_UPLOADED, target_id=str(document.pk)).count() == 1
    assert token_client(holder.user, ["file"]).get(f"/api/v1/documents/{document.pk}/").json() == body


@pytest.mark.parametrize(
    ("name", "content", "rule_words"),
    [
        pytest.param(
            "claim.pdf",
            corpus.pdf(
                catalog_extra=b" /OpenAction 5 0 R", extra_objects=(b"<< /S /JavaScript /JS (app.alert('x')) >>",)
            ),
            "active content",
            id="pdf_with_javascript",
        ),
        pytest.param("passport.pdf", corpus.HTML, "an HTML page", id="html_named_pdf"),
        pytest.param("passport.pdf", b"<html><body>\n" + corpus.pdf(), "does not start", id="html_carrying_pdf"),
        pytest.param("logo.png", corpus.SVG, "SVG", id="svg_named_png"),
        pytest.param("invoice.pdf", corpus.ELF, "a program", id="executable_named_pdf"),
        pytest.param("photo.jpg", corpus.png(), "Rename it", id="png_named_jpg"),
        pytest.param("empty.pdf", b"", "it is empty", id="empty"),
    ],
)
def test_a_hostile_upload_is_refused_at_the_field_and_nothing_is_stored(world, name, content, rule_words):
    client = token_client(world["holder"].user, ["file"])
    documents, events, files = Document.objects.count(), AuditEvent.objects.count(), stored()

    response = upload(client, name, content)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "upload_rejected"
    assert set(body["fields"]) == {"file"}
    assert rule_words in body["message"]
    assert body["fields"]["file"] == [body["message"]]
    nothing_changed_since(documents, events, files)


def test_an_oversized_upload_is_refused_and_nothing_is_stored(world, settings):
    settings.UPLOAD_MAX_BYTES = 1024
    client = token_client(world["holder"].user, ["file"])
    documents, events, files = Document.objects.count(), AuditEvent.objects.count(), stored()

    response = upload(client, "big.pdf", corpus.pdf(padding=2048))

    assert response.status_code == 400
    assert response.json()["code"] == "upload_rejected"
    assert "larger than the 1.0\xa0KB limit" in response.json()["fields"]["file"][0]
    nothing_changed_since(documents, events, files)


def test_a_request_without_a_file_or_not_multipart_is_refused(world):
    client = token_client(world["holder"].user, ["file"])
    documents, events = Document.objects.count(), AuditEvent.objects.count()

    missing = client.post("/api/v1/documents/", {}, format="multipart")
    as_json = client.post("/api/v1/documents/", {"file": "JVBERi0xLjQK"}, format="json")

    assert missing.status_code == 400
    assert missing.json()["code"] == "required"
    assert set(missing.json()["fields"]) == {"file"}
    assert as_json.status_code == 415
    assert Document.objects.count() == documents
    assert AuditEvent.objects.count() == events
