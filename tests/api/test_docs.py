"""The API reference page (/api/v1/docs/): public, built only from our own static files, and under the site's
strict Content-Security-Policy (no inline script or style, nothing from another origin)."""

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


class Page(HTMLParser):
    """The URLs a page loads (script src, link href, img src), and any inline script or style it carries."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "style" in attributes or any(name.startswith("on") for name in attributes):
            self.inline.append(f"<{tag}> with an inline style or handler")
        if tag == "style":
            self.inline.append("<style>")
        if tag == "script":
            self._in_script = True
            if "src" in attributes:
                self.urls.append(attributes["src"])
            else:
                self.inline.append("<script> without src")
        for name in ("href", "src"):
            if tag in ("link", "img", "iframe") and attributes.get(name):
                self.urls.append(attributes[name])

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline.append(f"inline script: {data.strip()[:40]}")


def test_the_reference_page_is_public_and_loads_only_our_own_static_files():
    client = Client()
    response = client.get("/api/v1/docs/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "unsafe-inline" not in policy
    page = Page()
    page.feed(response.content.decode())
    assert page.inline == []
    assert any(url.endswith("swagger-ui-bundle.js") for url in page.urls)
    assert any(url.endswith("swagger-ui.css") for url in page.urls)
    assert any(url.endswith("js/api-docs.js") for url in page.urls)
    for url in page.urls:
        parts = urlsplit(url)
        assert (parts.scheme, parts.netloc) == ("", ""), f"{url} is not from our own origin"
        assert parts.path.startswith("/static/"), url
        served = client.get(parts.path)
        assert served.status_code == 200, url
        body = b"".join(served.streaming_content) if served.streaming else served.content
        assert len(body) > 0, url
    # The page starts Swagger UI on our schema.
    assert 'data-schema-url="/api/v1/schema/"' in response.content.decode()


def test_the_page_does_not_ask_for_a_token_or_a_session():
    signed_out = Client().get("/api/v1/docs/", HTTP_AUTHORIZATION="Bearer ipp_not_a_token")

    assert signed_out.status_code == 200
    assert "csrftoken" not in signed_out.cookies
