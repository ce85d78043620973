"""Abuse limits on every entry point: sign-in lockouts (django-axes, per address + account), the per-address
sign-in limit, the limits on forms that send email, answers that do not reveal which addresses are registered,
and sign-in that keeps working when the shared cache (Redis) is down or hung."""

import logging
import time
import uuid

import pytest
from axes.models import AccessAttempt
from django.core.cache import caches
from django.test import override_settings

from ipp_portal.accounts import throttle
from ipp_portal.accounts.models import User
from ipp_portal.notifications.models import Notification
from tests.factories import UserFactory
from tests.faults import SilentServer, closed_port

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
OTHER_ADDRESS = "198.51.100.7"
LOCKED = b"Too many failed sign-ins from this address for this account; try again in 15 minutes"
LIMITED = b"Too many requests from you or for this email address. Try again in"


def _admin_login(client, email, password, **extra):
    return client.post("/admin/login/", {"username": email, "password": password, "next": "/admin/"}, **extra)


def _portal_login(client, email, password, **extra):
    return client.post("/accounts/login/", {"username": email, "password": password}, **extra)


# --- Sign-in lockouts ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("login", [_admin_login, _portal_login], ids=["admin", "portal"])
def test_thirty_wrong_passwords_then_the_right_one_is_refused(client, login):
    UserFactory(email="boss@example.com", is_staff=True, is_superuser=True)

    for _ in range(30):
        wrong = login(client, "boss@example.com", "not the password")
        assert wrong.status_code in (200, 429)
    right = login(client, "boss@example.com", PASSWORD)

    assert right.status_code == 429
    assert b"Too many" in right.content
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("login", [_admin_login, _portal_login], ids=["admin", "portal"])
def test_lockout_explains_itself_on_the_login_page(client, settings, login):
    settings.LOGIN_THROTTLE_IP_LIMIT = 1000  # only axes at work here
    UserFactory(email="boss@example.com", is_staff=True, is_superuser=True)

    statuses = [login(client, "Boss@Example.com", "not the password").status_code for _ in range(10)]
    right = login(client, "BOSS@example.com", PASSWORD)

    assert statuses == [200] * 9 + [429]  # the tenth failure locks the pair
    assert right.status_code == 429
    assert LOCKED in right.content
    assert b"reset your password" in right.content
    assert b'name="password"' in right.content  # the login form itself, with the explanation on it
    assert right["Retry-After"] == str(15 * 60)
    assert "_auth_user_id" not in client.session
    # Usernames are counted lower-cased, whatever case was typed: one pair, one counter.
    attempt = AccessAttempt.objects.get()
    assert (attempt.username, attempt.ip_address) == ("boss@example.com", "127.0.0.1")


@pytest.mark.parametrize("login", [_admin_login, _portal_login], ids=["admin", "portal"])
def test_lockout_from_one_address_does_not_stop_the_owner_elsewhere(client, settings, login):
    settings.LOGIN_THROTTLE_IP_LIMIT = 1000
    UserFactory(email="owner@example.com", is_staff=True, is_superuser=True)

    for _ in range(12):
        login(client, "owner@example.com", "stranger guessing")
    stranger = login(client, "owner@example.com", PASSWORD)
    owner = login(client, "owner@example.com", PASSWORD, REMOTE_ADDR=OTHER_ADDRESS)

    assert stranger.status_code == 429
    assert owner.status_code == 302
    assert client.session["_auth_user_id"] == str(User.objects.get().pk)


def test_lockout_ends_after_the_cool_off(client, settings):
    settings.LOGIN_THROTTLE_IP_LIMIT = 1000
    UserFactory(email="patient@example.com")
    for _ in range(10):
        _portal_login(client, "patient@example.com", "wrong")
    assert _portal_login(client, "patient@example.com", PASSWORD).status_code == 429

    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - settings.AXES_COOLOFF_TIME)

    assert _portal_login(client, "patient@example.com", PASSWORD).status_code == 302


def test_staff_unlock_a_pair_in_the_admin(client, admin_client, settings):
    settings.LOGIN_THROTTLE_IP_LIMIT = 1000
    UserFactory(email="locked@example.com")
    for _ in range(10):
        _portal_login(client, "locked@example.com", "wrong")
    attempt = AccessAttempt.objects.get()

    listing = admin_client.get("/admin/axes/accessattempt/")
    deleted = admin_client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})

    assert listing.status_code == 200
    assert b"locked@example.com" in listing.content
    assert deleted.status_code == 302
    assert _portal_login(client, "locked@example.com", PASSWORD).status_code == 302


def test_admin_login_is_limited_per_client_address(client, settings):
    settings.LOGIN_THROTTLE_IP_LIMIT = 5
    UserFactory(email="boss@example.com", is_staff=True)

    for n in range(5):
        _admin_login(client, f"guess{n}@example.com", "x")
    blocked = _admin_login(client, "boss@example.com", PASSWORD)
    elsewhere = _admin_login(client, "boss@example.com", PASSWORD, REMOTE_ADDR=OTHER_ADDRESS)

    assert blocked.status_code == 429
    assert b"Too many sign-in attempts from this address" in blocked.content
    assert int(blocked["Retry-After"]) > 0
    assert elsewhere.status_code == 302


def test_client_address_comes_from_the_trusted_proxy(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.LOGIN_THROTTLE_IP_LIMIT = 1000
    UserFactory(email="proxied@example.com")

    for _ in range(10):
        _portal_login(client, "proxied@example.com", "wrong", HTTP_X_FORWARDED_FOR="203.0.113.50")
    other_client = _portal_login(client, "proxied@example.com", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.51")

    assert AccessAttempt.objects.get().ip_address == "203.0.113.50"
    assert other_client.status_code == 302


# --- Forms that send email -------------------------------------------------------------------------------------


def _sign_up(client, capture, email, **extra):
    data = {"full_name": "Ada Brand", "email": email, "password1": PASSWORD, "password2": PASSWORD}
    with capture(execute=True):
        return client.post("/accounts/signup/", data, **extra)


def test_sign_up_sends_at_most_the_limit_of_emails_to_one_address(
    client, django_capture_on_commit_callbacks, mailoutbox
):
    responses = [_sign_up(client, django_capture_on_commit_callbacks, "flood@example.com") for _ in range(15)]

    assert len(mailoutbox) == 3
    assert {m.to[0] for m in mailoutbox} == {"flood@example.com"}
    assert [r.status_code for r in responses] == [200] * 3 + [429] * 12
    assert LIMITED in responses[-1].content
    assert User.objects.count() == 1


def test_password_reset_sends_at_most_the_limit_of_emails(client, django_capture_on_commit_callbacks, mailoutbox):
    UserFactory(email="forgot@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        responses = [client.post("/accounts/password/reset/", {"email": "forgot@example.com"}) for _ in range(15)]

    assert len(mailoutbox) == 3
    assert [r.status_code for r in responses] == [302] * 3 + [429] * 12
    assert LIMITED in responses[-1].content
    assert b'name="email"' in responses[-1].content


def test_resend_verification_sends_at_most_the_limit_of_emails(client, django_capture_on_commit_callbacks, mailoutbox):
    UserFactory(email="slow@example.com", email_verified_at=None)

    with django_capture_on_commit_callbacks(execute=True):
        responses = [client.post("/accounts/verify/resend/", {"email": "slow@example.com"}) for _ in range(15)]

    assert len(mailoutbox) == 3
    assert [r.status_code for r in responses] == [302] * 3 + [429] * 12
    assert LIMITED in responses[-1].content


def test_the_mailbox_limit_holds_across_client_addresses_and_forms(
    client, django_capture_on_commit_callbacks, mailoutbox
):
    UserFactory(email="target@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        for n in range(6):
            client.post("/accounts/password/reset/", {"email": "target@example.com"}, REMOTE_ADDR=f"192.0.2.{n}")
    _sign_up(client, django_capture_on_commit_callbacks, "target@example.com", REMOTE_ADDR="192.0.2.99")

    assert len(mailoutbox) == 3


def test_one_client_address_is_limited_across_mailboxes(client, django_capture_on_commit_callbacks, mailoutbox):
    responses = [_sign_up(client, django_capture_on_commit_callbacks, f"new{n}@example.com") for n in range(25)]

    assert len(mailoutbox) == 20
    assert responses[-1].status_code == 429
    elsewhere = _sign_up(client, django_capture_on_commit_callbacks, "new99@example.com", REMOTE_ADDR=OTHER_ADDRESS)
    assert elsewhere.status_code == 200


def test_invalid_submissions_send_nothing_and_count_nothing(client, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(10):
            client.post("/accounts/password/reset/", {"email": "not an address"})
    with django_capture_on_commit_callbacks(execute=True):
        UserFactory(email="fine@example.com")
        ok = client.post("/accounts/password/reset/", {"email": "fine@example.com"})

    assert ok.status_code == 302
    assert len(mailoutbox) == 1


# --- No enumeration --------------------------------------------------------------------------------------------


def test_sign_up_with_a_registered_address_answers_like_a_new_one_and_tells_the_owner(
    client, django_capture_on_commit_callbacks, mailoutbox
):
    owner = UserFactory(email="taken@example.com", full_name="Tess Owner")

    new = _sign_up(client, django_capture_on_commit_callbacks, "fresh@example.com")
    taken = _sign_up(client, django_capture_on_commit_callbacks, "TAKEN@example.com")

    assert (taken.status_code, new.status_code) == (200, 200)

    def pages(response):  # the templates of the page itself (the emails are rendered in the same request)
        return [t.name for t in response.templates if not t.name.startswith("notifications/")]

    assert pages(taken) == pages(new) == ["accounts/signup_done.html", "base.html"]
    assert taken.content.replace(b"taken@example.com", b"X") == new.content.replace(b"fresh@example.com", b"X")
    assert User.objects.filter(email__iexact="taken@example.com").count() == 1
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)  # nothing about the account changed

    notice = Notification.objects.get(recipient=owner)
    assert notice.template == "accounts/already_registered"
    mail = next(m for m in mailoutbox if m.to == ["taken@example.com"])
    assert "Someone just tried to create an IPP Portal account with this email address" in mail.body
    assert "/accounts/login/" in mail.body
    assert "/accounts/password/reset/" in mail.body
    assert "confirmation link" not in mail.body  # the address is already confirmed


def test_unconfirmed_owner_is_offered_a_new_confirmation_link(client, django_capture_on_commit_callbacks, mailoutbox):
    UserFactory(email="pending@example.com", email_verified_at=None)

    _sign_up(client, django_capture_on_commit_callbacks, "pending@example.com")

    assert "/accounts/verify/resend/" in mailoutbox[0].body


def test_password_reset_answers_alike_for_known_and_unknown_addresses(
    client, django_capture_on_commit_callbacks, mailoutbox
):
    UserFactory(email="known@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        known = client.post("/accounts/password/reset/", {"email": "known@example.com"})
        unknown = client.post("/accounts/password/reset/", {"email": "unknown@example.com"})

    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert [m.to for m in mailoutbox] == [["known@example.com"]]


# --- The shared cache down or hung -----------------------------------------------------------------------------


def _redis_cache(port: int) -> dict:
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 1.0, "socket_timeout": 1.0},
        }
    }


def _sign_in_with_cache(client, caches_setting, caplog):
    UserFactory(email="steady@example.com")
    throttle.reset_for_tests()
    try:
        with override_settings(CACHES=caches_setting), caplog.at_level(logging.WARNING):
            assert type(caches["default"]).__name__ == "RedisCache"
            started = time.monotonic()
            wrong = _portal_login(client, "steady@example.com", "wrong")
            right = _portal_login(client, "steady@example.com", PASSWORD)
            admin = _admin_login(client, "steady@example.com", "wrong")
            elapsed = time.monotonic() - started
    finally:
        caches["default"].close()
    return wrong, right, admin, elapsed


def test_sign_in_works_when_the_cache_refuses_connections(client, caplog):
    wrong, right, admin, elapsed = _sign_in_with_cache(client, _redis_cache(closed_port()), caplog)

    assert (wrong.status_code, right.status_code, admin.status_code) == (200, 302, 200)
    assert elapsed < 3
    assert "fall back to process memory" in caplog.text


def test_sign_in_works_when_the_cache_hangs(client, caplog):
    with SilentServer() as server:
        wrong, right, admin, elapsed = _sign_in_with_cache(client, _redis_cache(server.port), caplog)

    assert (wrong.status_code, right.status_code, admin.status_code) == (200, 302, 200)
    assert elapsed < 3
    assert "fall back to process memory" in caplog.text


def test_limits_still_hold_in_process_memory_while_the_cache_is_down(client, settings):
    settings.LOGIN_THROTTLE_IP_LIMIT = 3
    UserFactory(email="steady@example.com")
    try:
        with override_settings(CACHES=_redis_cache(closed_port())):
            statuses = [_portal_login(client, "steady@example.com", "wrong").status_code for _ in range(4)]
    finally:
        caches["default"].close()

    assert statuses == [200, 200, 200, 429]


def test_sign_up_works_when_the_cache_is_down(client, django_capture_on_commit_callbacks, mailoutbox):
    try:
        with override_settings(CACHES=_redis_cache(closed_port())):
            response = _sign_up(client, django_capture_on_commit_callbacks, "during-outage@example.com")
    finally:
        caches["default"].close()

    assert response.status_code == 200
    assert len(mailoutbox) == 1


@pytest.mark.redis
def test_limit_counters_are_shared_through_redis(settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": settings.TEST_REDIS_URL}
    }
    limit = throttle.Limit(f"test-{uuid.uuid4().hex}", limit=3, window=60)

    for _ in range(3):
        limit.hit("203.0.113.9")
    # What one process counted, another sees: read through a fresh connection to the same Redis.
    caches["default"].close()

    assert type(caches["default"]).__name__ == "RedisCache"
    assert limit.is_exceeded("203.0.113.9")
    assert not limit.is_exceeded("203.0.113.10")
