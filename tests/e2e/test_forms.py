"""Forms in a real browser: the error summary takes the focus (with and without JavaScript)."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("javascript", [True, False])
def test_the_error_summary_has_the_focus_when_the_page_loads(live_server, browser, javascript):
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/signup/")
    page.get_by_label("Full name").fill("Ada Brand")
    page.get_by_role("button", name="Create account").click()

    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    summary.get_by_role("link", name="Email address: This field is required.").click()
    expect(page.get_by_label("Email address")).to_be_focused()
    context.close()

