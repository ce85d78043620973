"""Virus scanning with ClamAV (CLAMAV_URL): the INSTREAM protocol, a FOUND verdict refusing the upload, and a
scanner that cannot be reached refusing it too (fail closed).

A real clamd is used when one answers at CLAMAV_TEST_URL. Since none may run here, the protocol is also exercised
against a small TCP server in this file that speaks INSTREAM like clamd and finds the EICAR test string: it stands
in for the external daemon, not for project code.
"""

import os
import socket
import socketserver
import struct
import threading
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ipp_portal.documents import clamav
from ipp_portal.documents.models import Document
from ipp_portal.documents.services import CHUNK_SIZE, UploadRejected, document_store, documents_store, inspect_upload

from . import corpus
from .conftest import stored_files

# The EICAR anti-virus test file: harmless, and detected by every scanner as "Eicar-Test-Signature".
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
CLAMAV_TEST_URL = os.environ.get("CLAMAV_TEST_URL", "")


class _Clamd(socketserver.BaseRequestHandler):
    """clamd's INSTREAM: a NUL-terminated command, length-prefixed chunks up to a zero length, one NUL-ended line."""

    def handle(self):
        server = self.server
        if server.mode == "silent":
            time.sleep(5)
            return
        command = self._read_until_nul()
        chunks = []
        while True:
            (length,) = struct.unpack(">I", self._read_exactly(4))
            if length == 0:
                break
            chunks.append(self._read_exactly(length))
        data = b"".join(chunks)
        server.sessions.append({"command": command, "chunk_sizes": [len(c) for c in chunks], "data": data})
        if server.mode == "garbled":
            self.request.sendall(b"UNKNOWN COMMAND\0")
        elif EICAR in data:
            self.request.sendall(b"stream: Eicar-Test-Signature FOUND\0")
        else:
            self.request.sendall(b"stream: OK\0")

    def _read_exactly(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            more = self.request.recv(n - len(data))
            if not more:
                raise ConnectionError("client closed mid-stream")
            data += more
        return data

    def _read_until_nul(self) -> bytes:
        data = b""
        while not data.endswith(b"\0"):
            data += self._read_exactly(1)
        return data


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@pytest.fixture
def clamd(settings):
    server = _Server(("127.0.0.1", 0), _Clamd)
    server.sessions = []
    server.mode = "normal"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address
    settings.CLAMAV_URL = f"tcp://{host}:{port}"
    settings.CLAMAV_TIMEOUT_SECONDS = 1
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pdf_with(payload: bytes) -> bytes:
    """A valid PDF carrying ``payload`` in a comment: it passes the portal's own checks, so only clamd can say."""
    return corpus.pdf(catalog_extra=b"\n%" + payload + b"\n")


# --- The protocol ----------------------------------------------------------------------------------------------


def test_scan_speaks_instream_with_length_prefixed_chunks(clamd):
    chunks = [b"a" * 10, b"b" * 3, b"c"]
    assert clamav.scan(_url(clamd), chunks, timeout=1) is None
    (session,) = clamd.sessions
    assert session["command"] == b"zINSTREAM\0"
    assert session["chunk_sizes"] == [10, 3, 1]
    assert session["data"] == b"aaaaaaaaaabbbc"


def test_scan_returns_the_signature_name_when_found(clamd):
    assert clamav.scan(_url(clamd), [EICAR], timeout=1) == "Eicar-Test-Signature"


def test_scan_without_a_verdict_is_unavailable(clamd):
    clamd.mode = "garbled"
    with pytest.raises(clamav.ScannerUnavailable, match="UNKNOWN COMMAND"):
        clamav.scan(_url(clamd), [b"data"], timeout=1)


@pytest.mark.parametrize("url", ["clamav:3310", "http://clamav:3310", "tcp://"])
def test_a_malformed_url_is_a_configuration_error(url):
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="CLAMAV_URL"):
        clamav.address(url)


def _url(server) -> str:
    host, port = server.server_address
    return f"tcp://{host}:{port}"


# --- The upload pipeline ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_clean_upload_is_scanned_whole_and_stored(clamd, user):
    content = corpus.pdf(padding=3 * CHUNK_SIZE)  # several chunks
    document = document_store(upload=SimpleUploadedFile("claim.pdf", content), uploaded_by=user)

    (session,) = clamd.sessions
    assert session["data"] == content
    assert max(session["chunk_sizes"]) <= CHUNK_SIZE
    assert Document.objects.filter(pk=document.pk).exists()


@pytest.mark.django_db
def test_malware_is_refused_with_the_signature_at_the_field(clamd, user):
    stored, rejected = documents_store(
        uploads=[
            SimpleUploadedFile("invoice.pdf", corpus.pdf()),
            SimpleUploadedFile("eicar.pdf", pdf_with(EICAR)),
        ],
        uploaded_by=user,
    )

    assert [document.original_name for document in stored] == ["invoice.pdf"]
    (rejection,) = rejected
    assert rejection.rule == "virus"
    assert rejection.message.startswith("“eicar.pdf” is not accepted: the virus scanner found “Eicar-Test-Signature”")
    assert Document.objects.count() == 1
    assert len(stored_files()) == 1


@pytest.mark.django_db
def test_files_the_portal_refuses_itself_are_never_sent(clamd, user):
    with pytest.raises(UploadRejected) as refused:
        document_store(upload=SimpleUploadedFile("passport.pdf", corpus.HTML), uploaded_by=user)
    assert refused.value.rule == "type_not_allowed"
    assert clamd.sessions == []


@pytest.mark.django_db
def test_an_unreachable_scanner_refuses_the_upload(settings, user):
    settings.CLAMAV_URL = f"tcp://127.0.0.1:{closed_port()}"
    settings.CLAMAV_TIMEOUT_SECONDS = 1

    with pytest.raises(UploadRejected) as refused:
        document_store(upload=SimpleUploadedFile("claim.pdf", corpus.pdf()), uploaded_by=user)

    assert refused.value.rule == "scanner_unavailable"
    assert "the virus scanner is not reachable" in refused.value.message
    assert "Try again later" in refused.value.message
    assert not Document.objects.exists()
    assert stored_files() == []


@pytest.mark.django_db
def test_a_silent_scanner_times_out_and_refuses(clamd, user):
    clamd.mode = "silent"
    started = time.monotonic()
    with pytest.raises(UploadRejected) as refused:
        document_store(upload=SimpleUploadedFile("claim.pdf", corpus.pdf()), uploaded_by=user)
    assert refused.value.rule == "scanner_unavailable"
    assert time.monotonic() - started < 4
    assert not Document.objects.exists()


def test_without_clamav_url_nothing_is_scanned(settings):
    settings.CLAMAV_URL = ""
    inspection = inspect_upload(SimpleUploadedFile("eicar.pdf", pdf_with(EICAR)))
    assert inspection.content_type == "application/pdf"


# --- A real clamd, when one answers ------------------------------------------------------------------------------


def _real_clamd_problem() -> str | None:
    if not CLAMAV_TEST_URL:
        return "CLAMAV_TEST_URL is not set (e.g. tcp://127.0.0.1:3310)"
    host, port = clamav.address(CLAMAV_TEST_URL)
    try:
        with socket.create_connection((host, port), timeout=2) as conn:
            conn.sendall(b"zPING\0")
            if conn.recv(16).rstrip(b"\0") != b"PONG":
                return f"{CLAMAV_TEST_URL} does not answer PING like clamd"
    except OSError as exc:
        return f"no clamd answers at {CLAMAV_TEST_URL} ({exc})"
    return None


@pytest.fixture
def real_clamd():
    problem = _real_clamd_problem()
    if problem:
        pytest.skip(f"[clamd] {problem}")
    return CLAMAV_TEST_URL


def test_real_clamd_finds_eicar_and_passes_a_clean_pdf(real_clamd):
    assert clamav.scan(real_clamd, [EICAR], timeout=30) == "Eicar-Test-Signature"
    assert clamav.scan(real_clamd, [corpus.pdf()], timeout=30) is None
