import re

import pytest

from ipp_portal.accounts.models import User
from ipp_portal.audit.models import AuditEvent
from ipp_portal.notifications.models import Notification
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def _sign_up(client, django_capture_on_commit_callbacks, **overrides):
    data = {
        "full_name": "Ada Brand",
        "email": "Ada@Example.com",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    data.update(overrides)
    with django_capture_on_commit_callbacks(execute=True):
        return client.post("/accounts/signup/", data)


def _link(mail) -> str:
    return re.search(r"https?://[^/\s]+(/accounts/verify/\S+/)", mail.body).group(1)


def test_sign_up_creates_unverified_account_and_emails_link(client, django_capture_on_commit_callbacks, mailoutbox):
    response = _sign_up(client, django_capture_on_commit_callbacks)

    user = User.objects.get()
    assert response.status_code == 200
    assert b"Check your email" in response.content
    assert user.email == "ada@example.com"
    assert user.email_verified_at is None
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["ada@example.com"]
    notification = Notification.objects.get()
    assert (notification.recipient, notification.is_sensitive) == (user, True)
    assert AuditEvent.objects.filter(verb="user.signed_up", actor=user).count() == 1


def test_verification_link_confirms_on_post_then_login_works(client, django_capture_on_commit_callbacks, mailoutbox):
    _sign_up(client, django_capture_on_commit_callbacks)
    link = _link(mailoutbox[0])

    shown = client.get(link)
    assert User.objects.get().email_verified_at is None  # a GET (mail scanners) changes nothing
    confirmed = client.post(link, follow=True)
    logged_in = client.post("/accounts/login/", {"username": "ada@example.com", "password": PASSWORD})

    assert shown.status_code == 200
    assert b"Confirm my email address" in shown.content
    assert b"You can sign in now" in confirmed.content
    assert User.objects.get().email_verified_at is not None
    assert logged_in.status_code == 302
    assert AuditEvent.objects.filter(verb="user.email_verified").count() == 1


def test_tampered_verification_link_is_refused(client, django_capture_on_commit_callbacks, mailoutbox):
    _sign_up(client, django_capture_on_commit_callbacks)
    link = _link(mailoutbox[0])
    bad = link.rstrip("/")[:-3] + "zzz/"

    response = client.post(bad, follow=True)

    assert b"invalid or has expired" in response.content
    assert User.objects.get().email_verified_at is None
    assert not AuditEvent.objects.filter(verb="user.email_verified").exists()


def test_unverified_account_cannot_sign_in(client, django_capture_on_commit_callbacks):
    _sign_up(client, django_capture_on_commit_callbacks)

    response = client.post("/accounts/login/", {"username": "ada@example.com", "password": PASSWORD})

    assert response.status_code == 200
    assert b"Confirm your email address first" in response.content
    assert "_auth_user_id" not in client.session


def test_sign_up_errors_keep_what_was_typed(client, django_capture_on_commit_callbacks, mailoutbox):
    UserFactory(email="taken@example.com")

    response = _sign_up(
        client, django_capture_on_commit_callbacks, email="TAKEN@example.com", password2="something else 123"
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "already exists" not in html  # whether an address is registered is never said (enumeration)
    assert "The two passwords differ" in html
    assert 'value="Ada Brand"' in html
    assert 'value="TAKEN@example.com"' in html
    assert User.objects.count() == 1
    assert mailoutbox == []


def test_weak_password_is_explained_next_to_the_field(client, django_capture_on_commit_callbacks):
    response = _sign_up(client, django_capture_on_commit_callbacks, password1="12345678", password2="12345678")

    assert b"too short" in response.content
    assert not User.objects.exists()


def test_login_is_case_insensitive_on_email(client):
    UserFactory(email="mixed@example.com")

    response = client.post("/accounts/login/", {"username": "MIXED@Example.COM", "password": PASSWORD})

    assert response.status_code == 302


def test_attempts_are_throttled_per_client_address(client, settings):
    settings.LOGIN_THROTTLE_IP_LIMIT = 5
    UserFactory(email="real@example.com")

    for n in range(5):
        client.post("/accounts/login/", {"username": f"guess{n}@example.com", "password": "x"})
    blocked = client.post("/accounts/login/", {"username": "real@example.com", "password": PASSWORD})
    other_address = client.post(
        "/accounts/login/", {"username": "real@example.com", "password": PASSWORD}, REMOTE_ADDR="10.9.9.9"
    )

    assert blocked.status_code == 429
    assert b"Too many sign-in attempts from this address" in blocked.content
    assert other_address.status_code == 302


def test_throttle_window_slides():
    from ipp_portal.accounts.throttle import Limit

    limit = Limit("test", limit=2, window=300)
    start = 1_800_000_000.0
    limit.hit("1.2.3.4", now=start)
    limit.hit("1.2.3.4", now=start + 10)

    assert limit.is_exceeded("1.2.3.4", now=start + 20)
    assert limit.is_exceeded("1.2.3.4", now=start + 239)
    assert not limit.is_exceeded("1.2.3.4", now=start + 400)
    assert not limit.is_exceeded("5.6.7.8", now=start + 20)
    # The first request leaves the window at start + 300 (buckets of 10 s): 280 s after start + 20.
    assert limit.retry_after("1.2.3.4", now=start + 20) == 280


def test_password_reset_goes_through_the_outbox(client, django_capture_on_commit_callbacks, mailoutbox):
    user = UserFactory(email="forgot@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/password/reset/", {"email": "forgot@example.com"})
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/\S+/)", mailoutbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a brand new passphrase", "new_password2": "a brand new passphrase"},
    )

    assert response.status_code == 302
    assert Notification.objects.get(recipient=user).template == "accounts/password_reset"
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a brand new passphrase")


def test_password_reset_for_unknown_email_sends_nothing(client, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/password/reset/", {"email": "nobody@example.com"})

    assert response.status_code == 302
    assert mailoutbox == []


def test_logout_needs_post(client):
    user = UserFactory()
    client.force_login(user)

    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_password_change(client):
    user = UserFactory()
    client.force_login(user)

    response = client.post(
        "/accounts/password/change/",
        {
            "old_password": PASSWORD,
            "new_password1": "another good passphrase",
            "new_password2": "another good passphrase",
        },
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("another good passphrase")


def test_error_pages_are_the_portals_own(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert b"Page not found" in response.content
    assert b"IPP Portal" in response.content


def _error_at(html: str, field: str) -> str:
    """The errors shown at one field (the paragraphs after its input)."""
    return " ".join(re.findall(rf'<p class="error" id="id_{field}_error">(.*?)</p>', html))


RULES = (
    "can’t be too similar to your other personal information",
    "must contain at least 10 characters",
    "can’t be a commonly used password",
    "can’t be entirely numeric",
)


def test_a_weak_password_typed_twice_differently_shows_both_problems_at_once(
    client, django_capture_on_commit_callbacks
):
    html = _sign_up(
        client, django_capture_on_commit_callbacks, password1="12345678", password2="12345679"
    ).content.decode()

    assert "too short" in _error_at(html, "password1")
    assert "entirely numeric" in _error_at(html, "password1")
    assert "The two passwords differ" in _error_at(html, "password2")
    assert not User.objects.exists()


def test_the_password_change_shows_the_rules_broken_and_the_mismatch_at_once(client):
    user = UserFactory()
    client.force_login(user)

    html = client.post(
        "/accounts/password/change/",
        {"old_password": "wrong", "new_password1": "12345678", "new_password2": "87654321"},
    ).content.decode()

    assert "incorrectly" in _error_at(html, "old_password")
    assert "too short" in _error_at(html, "new_password1")
    assert "The two passwords differ" in _error_at(html, "new_password2")
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


@pytest.mark.parametrize("page", ["signup", "change", "reset"])
def test_every_new_password_field_lists_every_rule_of_the_validators(
    client, page, django_capture_on_commit_callbacks, mailoutbox
):
    user = UserFactory(email="rules@example.com")
    if page == "signup":
        html = client.get("/accounts/signup/").content.decode()
        field = "password1"
    elif page == "change":
        client.force_login(user)
        html = client.get("/accounts/password/change/").content.decode()
        field = "new_password1"
    else:
        with django_capture_on_commit_callbacks(execute=True):
            client.post("/accounts/password/reset/", {"email": "rules@example.com"})
        link = re.search(r"https?://[^/\s]+(/accounts/password/reset/\S+/)", mailoutbox[0].body).group(1)
        html = client.get(link, follow=True).content.decode()
        field = "new_password1"

    hint = html.split(f'id="id_{field}_helptext">')[1].split("</div>")[0]
    for rule in RULES:
        assert rule in hint
    assert hint.count("<li>") == len(RULES)
