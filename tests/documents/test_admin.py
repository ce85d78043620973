"""Staff see documents in the admin, read-only, without a link to the private file."""

import pytest
from django.urls import reverse

from ipp_portal.accounts.models import User
from ipp_portal.documents.services import document_store

from . import corpus
from .conftest import upload

pytestmark = pytest.mark.django_db


def test_admin_lists_and_shows_documents_read_only(client, user):
    staff = User.objects.create_superuser("staff@example.com", "correct horse battery staple")
    document = document_store(upload=upload("passport.pdf", corpus.pdf()), uploaded_by=user)
    client.force_login(staff)

    listing = client.get(reverse("admin:documents_document_changelist"))
    detail = client.get(reverse("admin:documents_document_change", args=[document.pk]))

    assert listing.status_code == detail.status_code == 200
    assert b"passport.pdf" in listing.content
    assert document.file.name.encode() in detail.content
    assert f'href="{document.file.name}'.encode() not in detail.content
    assert b'name="_save"' not in detail.content
    assert client.get(reverse("admin:documents_document_add")).status_code == 403
    assert client.get(reverse("admin:documents_document_delete", args=[document.pk])).status_code == 403
