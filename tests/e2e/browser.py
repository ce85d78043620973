"""What the browser tests share: signing in through the login form, as a person does."""

PASSWORD = "correct horse battery staple"  # every UserFactory account's


def sign_in(page, url, email, *, admin=False):
    """Sign in as ``email`` on the site's login page, or the admin's with ``admin``, leaving any earlier session."""
    page.context.clear_cookies()
    page.goto(f"{url}/admin/login/" if admin else f"{url}/accounts/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in" if admin else "Sign in").click()
    page.wait_for_load_state()
