"""The checks every uploaded file goes through: good files pass with their facts recorded, hostile ones are refused
by name and leave nothing behind."""

import hashlib
import itertools
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipp_portal.audit.models import AuditEvent
from ipp_portal.documents.models import Document
from ipp_portal.documents.scanners import _PDF_TAIL, ImageScanner, PdfFinding, PdfScanner
from ipp_portal.documents.services import (
    UploadRejected,
    display_name,
    document_store,
    documents_store,
    inspect_upload,
)

from . import corpus
from .conftest import named_file, stored_files, upload

pytestmark = pytest.mark.django_db

STORAGE_NAME = re.compile(r"^documents/\d{4}/\d{2}/[0-9a-f]{32}\.(pdf|png|jpg|webp)$")
HOSTILE_CASES = [
    "elf_named_pdf",
    "html_named_pdf",
    "html_page_carrying_pdf_header",
    "svg_named_png",
    "png_named_jpg",
    "pdf_without_extension",
    "png_with_script_appended",
    "jpeg_with_php_comment",
    "webp_with_svg",
    "jpeg_with_javascript_url",
    "pdf_open_action_javascript",
    "pdf_launch_action",
    "pdf_additional_actions",
    "pdf_embedded_file",
    "pdf_javascript_name_hex_escaped",
    "pdf_javascript_in_object_stream",
    "pdf_encrypted_object_stream",
    "empty_file",
    "script_split_across_chunks",
    "javascript_url_split_across_chunks",
    "pdf_javascript_split_across_chunks",
]


def assert_nothing_stored():
    assert Document.objects.count() == 0
    assert stored_files() == []
    assert AuditEvent.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "content_type", "extension"),
    [
        ("passport.pdf", "application/pdf", "pdf"),
        ("logo.png", "image/png", "png"),
        ("photo.jpg", "image/jpeg", "jpg"),
        ("scan.webp", "image/webp", "webp"),
    ],
)
def test_inspect_upload_accepts_each_allowed_type_and_records_its_facts(name, content_type, extension):
    content = corpus.good_files()[name]

    inspection = inspect_upload(upload(name, content))

    assert (inspection.content_type, inspection.extension) == (content_type, extension)
    assert (inspection.size, inspection.sha256) == (len(content), hashlib.sha256(content).hexdigest())
    assert inspection.original_name == name


@pytest.mark.parametrize("name", ["PASSPORT.PDF", "photo.JPEG", "photo.jpeg", "Scan.WebP"])
def test_extension_check_ignores_case_and_accepts_both_jpeg_spellings(name):
    content = corpus.pdf() if name.lower().endswith(".pdf") else corpus.jpeg()
    if name.lower().endswith(".webp"):
        content = corpus.WEBP

    assert inspect_upload(upload(name, content)).original_name == name


@pytest.mark.parametrize("case", HOSTILE_CASES)
def test_hostile_file_is_refused_by_name_and_rule_and_nothing_is_stored(case, hostile_files, user):
    hostile = hostile_files[case]

    with pytest.raises(UploadRejected) as caught:
        document_store(upload=upload(hostile.name, hostile.content), uploaded_by=user)

    rejection = caught.value
    assert (rejection.rule, rejection.code, rejection.filename) == (hostile.rule, "upload_rejected", hostile.name)
    assert rejection.message.startswith(f"“{hostile.name}” is not accepted: ")
    assert rejection.as_dict() == {
        "code": "upload_rejected",
        "detail": rejection.message,
        "rule": hostile.rule,
        "filename": hostile.name,
    }
    assert_nothing_stored()


def test_html_named_pdf_message_says_what_the_file_really_is(hostile_files, user):
    hostile = hostile_files["html_named_pdf"]

    with pytest.raises(UploadRejected) as caught:
        document_store(upload=upload(hostile.name, hostile.content), uploaded_by=user)

    assert caught.value.message == (
        "“passport.pdf” is not accepted: its content is an HTML page, not a PDF. "
        "Upload the PDF, PNG, JPEG or WebP file itself."
    )


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("elf_named_pdf", "its content is a program (an executable file), not a PDF."),
        ("svg_named_png", "its content is an SVG drawing (which can carry scripts), not a PNG image."),
        ("png_named_jpg", "its name ends in .jpg but its content is a PNG image. Rename it to end in .png"),
        ("pdf_without_extension", "its name has no file extension but its content is a PDF."),
        ("html_page_carrying_pdf_header", "its content does not start the way a PDF does: other data comes first."),
        ("png_with_script_appended", "it contains web-page or script code (“<script”)"),
        ("jpeg_with_php_comment", "it contains web-page or script code (“<?php”)"),
        ("pdf_open_action_javascript", "it contains active content (/JavaScript: scripts, actions"),
        ("pdf_javascript_name_hex_escaped", "it contains active content (/JavaScript:"),
        ("pdf_launch_action", "it contains active content (/Launch:"),
        ("pdf_additional_actions", "it contains active content (/AA:"),
        ("pdf_embedded_file", "it contains active content (/EmbeddedFile:"),
        ("pdf_encrypted_object_stream", "it is encrypted or encoded in a way that hides its contents"),
        ("empty_file", "it is empty (0 bytes)."),
    ],
)
def test_rejection_message_explains_the_rule(case, expected, hostile_files):
    hostile = hostile_files[case]

    with pytest.raises(UploadRejected) as caught:
        inspect_upload(upload(hostile.name, hostile.content))

    assert expected in caught.value.message


def test_a_file_one_byte_over_the_cap_is_refused_before_it_is_read_in_full(settings, user):
    settings.UPLOAD_MAX_BYTES = 1024
    content = corpus.pdf(padding=1024)[:1025]
    assert len(content) == 1025

    with pytest.raises(UploadRejected) as caught:
        document_store(upload=upload("big.pdf", content), uploaded_by=user)

    assert caught.value.rule == "too_large"
    assert caught.value.message == (
        "“big.pdf” is not accepted: it is larger than the 1.0\xa0KB limit. "
        "Reduce its size (for example, scan at a lower resolution) or split it into several files."
    )
    assert_nothing_stored()


def test_the_cap_holds_when_the_declared_size_lies(settings):
    """A file object whose size attribute understates it is still stopped by counting while reading."""
    settings.UPLOAD_MAX_BYTES = 1024
    lying = named_file("big.pdf", corpus.pdf(padding=4096))
    lying.size = 100

    with pytest.raises(UploadRejected) as caught:
        inspect_upload(lying)

    assert caught.value.rule == "too_large"


def test_a_file_exactly_at_the_cap_is_accepted(settings):
    settings.UPLOAD_MAX_BYTES = 1024
    content = corpus.pdf(padding=1024 - len(corpus.pdf()))
    assert len(content) == 1024

    assert inspect_upload(upload("exact.pdf", content)).size == 1024


def test_a_pdf_that_unpacks_past_the_limit_is_refused_as_a_bomb(settings):
    settings.UPLOAD_MAX_BYTES = 64 * 1024  # unpacking limit: 64 x 64 KB = 4 MB
    bomb = corpus.pdf(extra_objects=(corpus.flate_stream(b"\x00" * (5 * 1024 * 1024)),))

    with pytest.raises(UploadRejected) as caught:
        inspect_upload(upload("bomb.pdf", bomb))

    assert caught.value.rule == "too_large"
    assert "its compressed contents unpack to more than 4.0\xa0MB" in caught.value.message


def test_an_open_action_that_only_opens_a_page_is_accepted():
    """Office suites write /OpenAction to set the first page and zoom; only scripts and launches are active."""
    content = corpus.pdf(catalog_extra=b" /OpenAction [3 0 R /XYZ null null 0]")

    assert inspect_upload(upload("letter.pdf", content)).content_type == "application/pdf"


def test_short_pdf_names_inside_binary_streams_are_not_mistaken_for_actions():
    """/AA or /JS bytes occur by chance in compressed images; they only count in the document's syntax."""
    image = b"\x00\x01/AA /JS\x02" * 100
    content = corpus.pdf(extra_objects=(corpus.raw_stream(image, b" /Type /XObject /Subtype /Image"),))

    assert inspect_upload(upload("scan.pdf", content)).content_type == "application/pdf"


def test_a_real_compressed_content_stream_is_accepted():
    content = corpus.pdf(extra_objects=(corpus.flate_stream(b"BT /F1 12 Tf 72 712 Td (Hello) Tj ET\n" * 500),))

    assert inspect_upload(upload("letter.pdf", content)).content_type == "application/pdf"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\Ana\\Desktop\\passport.pdf", "passport.pdf"),
        ("pass\x00port\n.pdf", "passport.pdf"),
        ("invoice\u202efdp.pdf", "invoicefdp.pdf"),  # a right-to-left override would show it as "invoicepdf.fdp"
        ("  .hidden.pdf  ", "hidden.pdf"),
        ("passport.pdf...", "passport.pdf"),
        ("паспорт 护照 🛂.pdf", "паспорт 护照 🛂.pdf"),
        ("Cafe\u0301.pdf", "Café.pdf"),  # normalised to one code point per letter
        ("", "document"),
        ("\u202e", "document"),
    ],
)
def test_display_name_cleans_what_the_uploader_sent(raw, shown):
    assert display_name(raw) == shown


def test_a_very_long_name_is_cut_to_255_characters_keeping_its_extension():
    shown = display_name("ü" * 300 + ".pdf")

    assert len(shown) == 255
    assert shown == "ü" * 251 + ".pdf"


@given(st.text(max_size=400))
def test_display_name_is_always_safe_and_stable(raw):
    shown = display_name(raw)

    assert 1 <= len(shown) <= 255
    assert "/" not in shown
    assert "\\" not in shown
    assert not any(ord(char) < 32 or 0x7F <= ord(char) < 0xA0 for char in shown)
    assert not shown.startswith(".")
    assert shown == shown.strip()
    assert display_name(shown) == shown


def test_a_path_in_the_name_never_reaches_the_storage(user):
    document = document_store(upload=named_file("../../etc/passwd.pdf", corpus.pdf()), uploaded_by=user)

    assert STORAGE_NAME.match(document.file.name)
    assert document.original_name == "passwd.pdf"
    assert stored_files() == [document.file.name]


@pytest.mark.parametrize("name", ["паспорт 护照 🛂.pdf", "x" * 400 + ".pdf", 'quote"s & <tags>.pdf'])
def test_unicode_long_and_odd_names_are_stored_under_a_server_name(name, user):
    document = document_store(upload=named_file(name, corpus.pdf()), uploaded_by=user)

    document.refresh_from_db()
    assert STORAGE_NAME.match(document.file.name)
    assert document.original_name == display_name(name)
    assert len(document.original_name) <= 255


# --- The scanners on their own: any chunking finds the same -----------------------------------------------------


def _feed_in_pieces(scanner, content: bytes, anchor: bytes, offsets: list[int]):
    """Feed ``content`` cut at ``offsets`` around where ``anchor`` starts; return what the scanner found."""
    at = content.index(anchor)
    points = sorted({0, len(content), *(min(max(at + offset, 0), len(content)) for offset in offsets)})
    try:
        for start, end in itertools.pairwise(points):
            found = scanner.feed(content[start:end])
            if found:
                return found
        return scanner.finish()
    except PdfFinding as finding:
        return finding.marker or finding.kind


OFFSETS = st.lists(st.integers(min_value=-64, max_value=64), max_size=8)


@given(OFFSETS)
def test_pdf_scan_finds_an_escaped_marker_wherever_the_chunks_are_cut(offsets):
    content = corpus.pdf(padding=3000, catalog_extra=b" /OpenAction << /S /J#61va#53cript /JS (1) >>")

    assert _feed_in_pieces(PdfScanner(max_inflated=10**8), content, b"/J#61va", offsets) == "JavaScript"


@given(OFFSETS)
def test_pdf_scan_finds_a_marker_in_an_object_stream_wherever_the_chunks_are_cut(offsets):
    hidden = corpus.flate_stream(b"7 0 << /S /JavaScript /JS (1) >>", b" /Type /ObjStm /N 1 /First 4")
    content = corpus.pdf(padding=3000, extra_objects=(corpus.flate_stream(b"BT (x) Tj ET\n" * 50), hidden))

    found = _feed_in_pieces(
        PdfScanner(max_inflated=10**8), content, b"stream\n" + hidden.split(b"stream\n")[1], offsets
    )
    assert found == "JavaScript"


FILLER = b"<< /Producer (" + b"x" * 600 + b") >>"


@pytest.mark.parametrize("shift", range(-4, 12))
def test_pdf_scan_reads_stream_keywords_that_land_on_its_carry_boundary(shift):
    """The scanner keeps the last _PDF_TAIL bytes of each chunk for the next one; a "stream" or "endstream"
    keyword starting right there must still be recognised (look-behind)."""
    hidden = corpus.flate_stream(b"7 0 << /S /JavaScript /JS (1) >>", b" /Type /ObjStm /N 1 /First 4")
    content = corpus.pdf(padding=3000, extra_objects=(hidden, FILLER))
    at = content.index(b"stream\n" + hidden.split(b"stream\n")[1])
    assert len(content) > at + _PDF_TAIL + 12

    found = _feed_in_pieces(PdfScanner(max_inflated=10**8), content, content[at:], [_PDF_TAIL + shift])

    assert found == "JavaScript"


def test_short_names_after_a_stream_count_again_when_endstream_lands_on_the_carry_boundary():
    content = corpus.pdf(padding=3000, extra_objects=(corpus.raw_stream(b"\x00" * 100), FILLER, b"<< /AA << >> >>"))
    at = content.index(b"endstream", content.index(b"\x00" * 100))
    assert len(content) > at + _PDF_TAIL + 12

    for shift in range(-4, 12):
        cut = [_PDF_TAIL + shift]
        assert _feed_in_pieces(PdfScanner(max_inflated=10**8), content, content[at:], cut) == "AA"


@given(OFFSETS)
def test_image_scan_finds_a_marker_wherever_the_chunks_are_cut(offsets):
    content = corpus.png() + b"\x00" * 300 + b"<sCrIpT>alert(1)</script>"

    assert _feed_in_pieces(ImageScanner(), content, b"<sCrIpT>", offsets) == "<script"


def test_documents_store_keeps_the_good_files_and_reports_the_bad_ones(hostile_files, user):
    bad = hostile_files["html_named_pdf"]
    uploads = [
        upload("passport.pdf", corpus.pdf()),
        upload(bad.name, bad.content),
        upload("logo.png", corpus.png()),
        upload("empty.pdf", b""),
    ]

    stored, rejected = documents_store(uploads=uploads, uploaded_by=user)

    assert [document.original_name for document in stored] == ["passport.pdf", "logo.png"]
    assert [(rejection.filename, rejection.rule) for rejection in rejected] == [
        ("passport.pdf", "type_not_allowed"),
        ("empty.pdf", "empty"),
    ]
    assert Document.objects.count() == 2
    assert stored_files() == sorted(document.file.name for document in stored)
