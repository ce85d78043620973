"""HTML and JSON go out compressed to a client that accepts gzip; the CSRF token in a page differs on every
response, and Django pads the gzip header by a random length (both keep BREACH from reading it out of compressed
pages)."""

import gzip
import re

import pytest

pytestmark = pytest.mark.django_db


def test_pages_are_gzipped_for_a_client_that_accepts_it(client):
    plain = client.get("/accounts/login/")
    packed = client.get("/accounts/login/", HTTP_ACCEPT_ENCODING="gzip, deflate, br")

    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    html = gzip.decompress(packed.content).decode()
    assert "<form" in html
    assert len(packed.content) < len(plain.content) * 0.7


def test_the_csrf_token_in_a_compressed_page_is_masked_anew_on_every_response(client):
    tokens = set()
    for _ in range(3):
        page = client.get("/accounts/login/", HTTP_ACCEPT_ENCODING="gzip")
        html = gzip.decompress(page.content).decode()
        tokens.add(re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1))

    assert len(tokens) == 3


def test_pages_and_json_are_private_and_revalidated_downloads_keep_their_own(client):
    from tests.factories import make_complainant, make_document

    page = client.get("/")
    login = client.get("/accounts/login/")  # Django's own never_cache
    holder = make_complainant()
    document = make_document(holder.user)
    client.force_login(holder.user)
    download = client.get(f"/rights/documents/{document.pk}/")

    assert sorted(page.headers["Cache-Control"].split(", ")) == ["no-cache", "private"]
    assert "no-store" in login.headers["Cache-Control"]
    assert download.status_code == 200
    assert download.headers["Cache-Control"] == "private, no-store"
