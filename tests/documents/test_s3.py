"""The production storage path: a private S3 bucket through django-storages, against a real S3-protocol server
(moto, in process; no external service, so no skip marker)."""

import re

import pytest
from django.core.files.storage import default_storage

from ipp_portal.documents.models import Document
from ipp_portal.documents.responses import document_response
from ipp_portal.documents.services import UploadRejected, document_store

from . import corpus
from .conftest import stored_files, upload
from .test_inspection import STORAGE_NAME

pytestmark = pytest.mark.django_db

PUBLIC_GROUPS = re.compile(r"acs\.amazonaws\.com/groups/global/(AllUsers|AuthenticatedUsers)")


def test_a_document_is_stored_in_the_private_bucket_and_served_back(s3, user):
    client, bucket = s3
    content = corpus.pdf(padding=600_000)

    document = document_store(upload=upload("Registration certificate.pdf", content), uploaded_by=user)

    assert type(default_storage._wrapped).__name__ == "S3Storage"
    assert STORAGE_NAME.match(document.file.name)
    keys = [item["Key"] for item in client.list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == [document.file.name]
    assert client.get_object(Bucket=bucket, Key=document.file.name)["Body"].read() == content
    grants = client.get_object_acl(Bucket=bucket, Key=document.file.name)["Grants"]
    assert [grant["Permission"] for grant in grants] == ["FULL_CONTROL"]
    assert grants[0]["Grantee"]["Type"] == "CanonicalUser"  # the bucket owner, nobody else
    assert not any(PUBLIC_GROUPS.search(grant["Grantee"].get("URI", "")) for grant in grants)

    response = document_response(document)

    assert b"".join(response.streaming_content) == content
    assert (response["Content-Type"], response["Content-Length"]) == ("application/pdf", str(len(content)))
    assert response["Content-Disposition"].startswith('attachment; filename="Registration certificate.pdf";')
    assert response["X-Content-Type-Options"] == "nosniff"
    response.close()


def test_a_refused_file_never_reaches_the_bucket(s3, user, hostile_files):
    client, bucket = s3
    hostile = hostile_files["pdf_open_action_javascript"]

    with pytest.raises(UploadRejected):
        document_store(upload=upload(hostile.name, hostile.content), uploaded_by=user)

    assert client.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    assert stored_files() == []
    assert Document.objects.count() == 0
