"""The portal's own error pages and the shared layout."""

import pytest
from django.test import Client
from django.urls import path

from ipp_portal.urls import handler500 as portal_handler500
from ipp_portal.urls import urlpatterns as portal_urls


def _boom(request):
    raise RuntimeError("unexpected")


urlpatterns = [*portal_urls, path("boom/", _boom)]
handler500 = portal_handler500  # the portal's own: a page for pages, the error shape under /api/


@pytest.mark.django_db
@pytest.mark.urls("tests.test_pages")
def test_unhandled_error_shows_the_portals_500_page_without_a_traceback():
    client = Client(raise_request_exception=False)

    response = client.get("/boom/")

    assert response.status_code == 500
    assert b"Something went wrong on our side" in response.content
    assert b"RuntimeError" not in response.content
    assert b"Traceback" not in response.content


@pytest.mark.django_db
def test_forged_post_without_csrf_token_gets_the_portals_403():
    client = Client(enforce_csrf_checks=True)

    response = client.post("/accounts/signup/", {"email": "x@example.com"})

    assert response.status_code == 403
    assert b"This form has expired" in response.content


@pytest.mark.django_db
def test_layout_has_landmarks_skip_link_and_labelled_inputs(client):
    html = client.get("/accounts/signup/").content.decode()

    assert '<a class="skip-link" href="#main">' in html
    assert '<main id="main"' in html
    assert '<nav aria-label="Main">' in html
    for field in ("id_full_name", "id_email", "id_password1", "id_password2"):
        assert f'<label for="{field}">' in html


@pytest.mark.django_db
def test_health_check(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "broker", "storage"}
    assert body["checks"]["database"] == "ok"
    assert all(result in ("ok", "skipped") for result in body["checks"].values())


def test_static_files_are_served_locally_without_a_cdn():
    from pathlib import Path

    templates = Path(__file__).resolve().parents[1] / "templates"
    for template in templates.rglob("*.html"):
        text = template.read_text()
        assert "cdn" not in text.lower(), template
        assert "//fonts.googleapis" not in text, template
