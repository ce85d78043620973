"""The portal's own error pages and the shared layout."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import path

from ipp_portal.notifications.models import Notification
from ipp_portal.urls import handler500 as portal_handler500
from ipp_portal.urls import urlpatterns as portal_urls
from tests.factories import SellerFactory, UserFactory, make_complainant


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


def _nav(client, user) -> str:
    client.force_login(user)
    html = client.get("/inbox/").content.decode()
    return html.split('<nav aria-label="Main">')[1].split("</nav>")[0]


SELLER_LINKS = ('href="/seller/listings/"', 'href="/seller/notices/"', 'href="/seller/standing/"')


@pytest.mark.django_db
def test_the_navigation_shows_a_rights_holder_the_rights_pages_and_no_seller_pages(client):
    nav = _nav(client, make_complainant().user)

    assert 'href="/rights/"' in nav
    assert not any(link in nav for link in SELLER_LINKS)
    assert 'href="/admin/"' not in nav


@pytest.mark.django_db
def test_the_navigation_shows_a_seller_the_seller_pages_and_no_rights_pages(client):
    nav = _nav(client, SellerFactory().user)

    assert all(link in nav for link in SELLER_LINKS)
    assert 'href="/rights/"' not in nav


@pytest.mark.django_db
def test_the_navigation_offers_both_ways_in_to_someone_who_is_neither_and_staff_the_admin(client):
    newcomer = _nav(client, UserFactory())
    staff = _nav(client, UserFactory(is_staff=True))
    both = make_complainant()
    SellerFactory(user=both.user)
    holder_and_seller = _nav(client, both.user)

    assert 'href="/rights/"' in newcomer
    assert all(link in newcomer for link in SELLER_LINKS)
    assert 'href="/admin/"' not in newcomer
    assert 'href="/admin/"' in staff
    assert 'href="/rights/"' not in staff
    assert not any(link in staff for link in SELLER_LINKS)
    assert 'href="/rights/"' in holder_and_seller
    assert all(link in holder_and_seller for link in SELLER_LINKS)


@pytest.mark.django_db
def test_the_navigation_costs_one_query_whatever_it_shows(client):
    seller = SellerFactory()
    Notification.objects.create(recipient=seller.user, template="generic", subject="Hello", body_text="Hi")
    client.force_login(seller.user)
    client.get("/seller/standing/")  # warm the session and content types
    with CaptureQueriesContext(connection) as ctx:
        html = client.get("/seller/standing/").content.decode()

    nav_queries = [q["sql"] for q in ctx.captured_queries if "listings_seller" in q["sql"] and "EXISTS" in q["sql"]]
    assert len(nav_queries) == 1
    assert 'aria-label="1 unread"' in html


def _summary(html: str) -> tuple[str, str]:
    """The error summary's opening tag and its content."""
    start = html.index("data-error-summary")
    opening = html[html.rindex("<div", 0, start) : html.index(">", start) + 1]
    return opening, html[start : html.index("</div>", start)]


@pytest.mark.django_db
def test_the_error_summary_links_every_error_to_its_field_and_takes_the_focus(client):
    html = client.post("/accounts/signup/", {"email": "not an address"}).content.decode()

    opening, summary = _summary(html)
    for attribute in ('role="alert"', 'tabindex="-1"', "autofocus", 'aria-labelledby="form-error-summary-title"'):
        assert attribute in opening
    assert 'id="form-error-summary-title"' in summary
    for field in ("full_name", "email", "password1", "password2"):
        assert f'href="#id_{field}"' in summary
        assert f'id="id_{field}"' in html  # the link has somewhere to go
    assert html.index("data-error-summary") < html.index('id="id_full_name"')


@pytest.mark.django_db
def test_a_problem_of_the_whole_form_links_to_its_first_field(client):
    UserFactory(email="known@example.com")

    html = client.post(
        "/accounts/login/", {"username": "known@example.com", "password": "not the password"}
    ).content.decode()

    _opening, summary = _summary(html)
    assert 'href="#id_username"' in summary
    assert "do not match an account" in summary


@pytest.mark.django_db
def test_a_page_without_errors_has_no_summary(client):
    assert "data-error-summary" not in client.get("/accounts/signup/").content.decode()
