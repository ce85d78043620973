"""The Content-Security-Policy holds in a real browser: Chromium reports no violation on the main pages, as each
kind of user sees them, and the admin (Django's and the portal's own pages) works under it."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from ipp_portal.documents.services import document_store
from tests.documents import corpus
from tests.e2e.browser import sign_in
from tests.factories import ListingFactory, SellerFactory, UserFactory, make_claim, make_complainant, make_right

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Registered before any page script runs, in every document the page loads: each violation goes to Python.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportCspViolation({
    page: document.location.pathname,
    directive: event.effectiveDirective,
    blocked: event.blockedURI,
    sample: event.sample,
    line: event.lineNumber,
  });
});
"""


@pytest.fixture
def violations(page):
    """Every CSP violation Chromium reports, from the DOM event and from the console."""
    found: list[dict] = []

    def report(violation: dict) -> None:
        found.append(violation)

    def on_console(message) -> None:
        if "Content Security Policy" in message.text:
            found.append({"console": message.text})

    page.expose_function("reportCspViolation", report)
    page.add_init_script(REPORT_VIOLATIONS)
    page.on("console", on_console)
    return found


def visit(page, url):
    response = page.goto(url)
    assert response is not None
    assert response.status == 200, f"{url}: {response.status}"
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy, f"{url}: no strict CSP header ({policy!r})"
    assert "style-src 'self'" in policy, policy
    assert "frame-ancestors 'none'" in policy, policy
    page.wait_for_load_state("load")
    return response


def test_main_pages_raise_no_csp_violation(live_server, page, violations, shot):
    holder = make_complainant(legal_name="Acme Brands Ltd.")
    right = make_right(holder)
    seller = SellerFactory(store_name="Shenzhen Knockoffs")
    listings = [ListingFactory(seller=seller, title=f"ACME earbuds copy {n}") for n in range(2)]
    claim = make_claim(holder, listings=listings, right=right, explanation="Fake logo.")
    # A complainant waiting for verification, with an image among their documents: the review page previews it.
    pending = make_complainant(status="pending", legal_name="Pending Brand GmbH")
    pending.identity_documents.add(
        document_store(upload=SimpleUploadedFile("id-card.png", corpus.png()), uploaded_by=pending.user)
    )
    staff = UserFactory(email="reviewer@staff.example", is_staff=True, is_superuser=True)
    url = live_server.url

    visit(page, f"{url}/")
    visit(page, f"{url}/accounts/login/")
    visit(page, f"{url}/accounts/signup/")

    sign_in(page, url, holder.user.email)
    visit(page, f"{url}/rights/")
    visit(page, f"{url}/rights/claims/new/")
    visit(page, f"{url}/rights/claims/")
    visit(page, f"{url}/rights/claims/{claim.pk}/")

    sign_in(page, url, seller.user.email)
    visit(page, f"{url}/seller/listings/")
    visit(page, f"{url}/seller/notices/")
    visit(page, f"{url}/seller/standing/")

    sign_in(page, url, staff.email, admin=True)
    visit(page, f"{url}/admin/")
    visit(page, f"{url}/admin/complaints/claim/")
    expect(page.locator("strong.age-fresh").first).to_be_visible()
    visit(page, f"{url}/admin/complaints/complainant/{pending.pk}/change/")
    expect(page.locator("img.review-preview")).to_be_visible()
    visit(page, f"{url}/admin/listings/listing/")
    visit(page, f"{url}/admin/complaints/claim/{claim.pk}/change/")
    # The "select all" box works from its static script (no inline handler).
    page.get_by_label("Select every listing on this page that can be decided").check()
    for position in (1, 2):
        expect(page.get_by_label(f"Select listing {position}")).to_be_checked()
    shot("csp-claim-review")

    assert violations == [], violations


def test_an_inline_style_is_reported(live_server, page, violations):
    """The listener above is live: markup with an inline style is refused and reported."""
    visit(page, f"{live_server.url}/")
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">injected</p>')")
    page.wait_for_timeout(300)
    assert any(v.get("directive", "").startswith("style-src") or "style" in v.get("console", "") for v in violations)


def test_the_api_reference_page_works_under_the_policy(live_server, page, violations):
    """Swagger UI from our own static files (drf-spectacular-sidecar), started by a static script: the page renders
    the operations of the schema with no violation."""
    visit(page, f"{live_server.url}/api/v1/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("IPP Portal API")
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/claims/").first).to_be_visible()
    page.locator(".opblock-summary-path", has_text="/api/v1/claims/").first.click()
    expect(page.get_by_text("Idempotency-Key").or_(page.get_by_text("cursor")).first).to_be_visible()

    assert violations == [], violations
