"""Fixtures for the upload pipeline: the built corpus, a look into the storage, a real S3-protocol server."""

import random
import uuid
from dataclasses import dataclass

import boto3
import pytest
import requests
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from moto.server import ThreadedMotoServer

from ipp_portal.documents.services import CHUNK_SIZE
from tests.factories import UserFactory

from . import corpus


@dataclass(frozen=True)
class Hostile:
    name: str
    content: bytes
    rule: str


def _straddling(prefix: bytes, marker: bytes, suffix: bytes = b"") -> bytes:
    """``prefix``, padding, then ``marker`` starting 3 bytes before the first chunk boundary: split across reads."""
    padding = CHUNK_SIZE - 3 - len(prefix)
    content = prefix + b"\x00" * padding + marker + suffix
    start = content.index(marker)
    assert start < CHUNK_SIZE < start + len(marker)
    return content


@pytest.fixture(scope="session")
def hostile_files() -> dict[str, Hostile]:
    """Every file an uploader could send instead of a real document, by case id."""
    pdf_js_object = b"<< /S /JavaScript /JS (app.alert('pwned')) >>"
    random_bytes = random.Random(7).randbytes(CHUNK_SIZE)
    cases = [
        ("elf_named_pdf", "invoice.pdf", corpus.ELF, "type_not_allowed"),
        ("html_named_pdf", "passport.pdf", corpus.HTML, "type_not_allowed"),
        # libmagic calls this "PDF" (it finds %PDF- within the first kilobyte); a browser would render the page.
        ("html_page_carrying_pdf_header", "passport.pdf", b"<html><body>\n" + corpus.pdf(), "type_not_allowed"),
        ("svg_named_png", "logo.png", corpus.SVG, "type_not_allowed"),
        ("png_named_jpg", "photo.jpg", corpus.png(), "type_mismatch"),
        ("pdf_without_extension", "passport", corpus.pdf(), "type_mismatch"),
        ("png_with_script_appended", "logo.png", corpus.png() + b"<script>alert(1)</script>", "active_content"),
        ("jpeg_with_php_comment", "photo.jpg", corpus.jpeg(comment=b"<?php system($_GET['c']); ?>"), "active_content"),
        ("webp_with_svg", "scan.webp", corpus.WEBP + b"<SVG onload=alert(1)>", "active_content"),
        ("jpeg_with_javascript_url", "photo.jpeg", corpus.jpeg(comment=b"JavaScript:alert(1)"), "active_content"),
        (
            "pdf_open_action_javascript",
            "claim.pdf",
            corpus.pdf(catalog_extra=b" /OpenAction 5 0 R", extra_objects=(pdf_js_object,)),
            "active_content",
        ),
        (
            "pdf_launch_action",
            "claim.pdf",
            corpus.pdf(catalog_extra=b" /OpenAction << /S /Launch /F (cmd.exe) >>"),
            "active_content",
        ),
        ("pdf_additional_actions", "claim.pdf", corpus.pdf(catalog_extra=b" /AA << /O 5 0 R >>"), "active_content"),
        (
            "pdf_embedded_file",
            "claim.pdf",
            corpus.pdf(extra_objects=(corpus.flate_stream(b"MZ payload", b" /Type /EmbeddedFile"),)),
            "active_content",
        ),
        (
            "pdf_javascript_name_hex_escaped",
            "claim.pdf",
            corpus.pdf(catalog_extra=b" /OpenAction << /S /J#61vaScript /J#53 (app.alert(1)) >>"),
            "active_content",
        ),
        (
            # PDF 1.5 object streams pack dictionaries into a compressed stream; the action hides in there.
            "pdf_javascript_in_object_stream",
            "claim.pdf",
            corpus.pdf(extra_objects=(corpus.flate_stream(b"6 0 " + pdf_js_object, b" /Type /ObjStm /N 1 /First 4"),)),
            "active_content",
        ),
        (
            "pdf_encrypted_object_stream",
            "claim.pdf",
            corpus.pdf(
                extra_objects=(
                    corpus.raw_stream(random_bytes[:512], b" /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode"),
                    b"<< /Filter /Standard /V 2 /R 3 /O <00> /U <00> /P -4 >>",
                ),
                catalog_extra=b" /Encrypt 6 0 R",
            ),
            "active_content",
        ),
        ("empty_file", "empty.pdf", b"", "empty"),
        # A marker split across two reads of the pipeline is still found.
        (
            "script_split_across_chunks",
            "logo.png",
            _straddling(corpus.png(), b"<script>alert(1)</script>"),
            "active_content",
        ),
        (
            "javascript_url_split_across_chunks",
            "scan.webp",
            _straddling(corpus.WEBP, b"javascript:alert(1)"),
            "active_content",
        ),
        (
            "pdf_javascript_split_across_chunks",
            "claim.pdf",
            _straddling(corpus.pdf()[:-6], b"/JavaScript ", b"\n%%EOF\n"),
            "active_content",
        ),
    ]
    return {case_id: Hostile(name, content, rule) for case_id, name, content, rule in cases}


@pytest.fixture
def user():
    return UserFactory()


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def named_file(name: str, content: bytes) -> ContentFile:
    """A file object that keeps the name exactly as given (an upload object would already cut the path off)."""
    return ContentFile(content, name=name)


def stored_files(storage=None, folder: str = "") -> list[str]:
    """Every file name in the storage (local disk or S3), recursively."""
    storage = storage or default_storage
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return []
    prefix = f"{folder}/" if folder else ""
    names = [prefix + name for name in files]
    for sub in folders:
        names += stored_files(storage, prefix + sub)
    return sorted(names)


@pytest.fixture
def s3(settings):
    """A private bucket on an in-process S3-protocol server (moto), made the default storage for the test."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    bucket = f"ipp-private-{uuid.uuid4().hex[:12]}"  # moto's state is per process, not per server
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=bucket, ACL="private")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "endpoint_url": endpoint,
                "access_key": "testing",
                "secret_key": "testing",
                "bucket_name": bucket,
                "default_acl": "private",
                "querystring_auth": True,
                "region_name": "us-east-1",
                "file_overwrite": False,
            },
        },
    }
    try:
        yield client, bucket
    finally:
        requests.post(f"{endpoint}/moto-api/reset", timeout=10)
        server.stop()
