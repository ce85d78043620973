"""Security settings: the Content-Security-Policy header and the password hashers, in the test settings and in the
production settings (loaded in a subprocess: this process runs the test settings)."""

import json

import pytest
from django.contrib.auth.hashers import check_password, identify_hasher, make_password
from django.test import override_settings

from tests.factories import UserFactory
from tests.test_deployment import deployed_settings, production_environ, run

STRICT_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
PRODUCTION_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]


def parse_policy(header: str) -> dict[str, str]:
    directives = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition(" ")
        if name:
            directives[name] = value.strip()
    return directives


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/admin/login/"])
def test_pages_carry_the_strict_content_security_policy(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert parse_policy(response["Content-Security-Policy"]) == STRICT_POLICY


PRODUCTION_DUMP = """
import json
from django.conf import settings
from django.test import RequestFactory
from django.http import HttpResponse
from csp.middleware import CSPMiddleware
request = RequestFactory().get("/")
response = CSPMiddleware(lambda r: HttpResponse("ok"))(request)
print(json.dumps({
    "PASSWORD_HASHERS": settings.PASSWORD_HASHERS,
    "MIDDLEWARE": settings.MIDDLEWARE,
    "CSP": response["Content-Security-Policy"],
}))
"""


def test_production_settings_use_argon2_first_and_send_the_policy(tmp_path):
    environ = production_environ(tmp_path, **deployed_settings())
    result = run(["manage.py", "shell", "-c", PRODUCTION_DUMP], environ)
    assert result.returncode == 0, result.stdout + result.stderr
    dumped = json.loads(result.stdout.strip().splitlines()[-1])
    assert dumped["PASSWORD_HASHERS"] == PRODUCTION_HASHERS
    assert "csp.middleware.CSPMiddleware" in dumped["MIDDLEWARE"]
    assert parse_policy(dumped["CSP"]) == STRICT_POLICY


@pytest.mark.django_db
@override_settings(PASSWORD_HASHERS=PRODUCTION_HASHERS)
def test_a_pbkdf2_hash_verifies_and_is_upgraded_to_argon2():
    password = "correct horse battery staple"
    user = UserFactory()
    user.password = make_password(password, hasher="pbkdf2_sha256")
    user.save(update_fields=["password"])
    assert identify_hasher(user.password).algorithm == "pbkdf2_sha256"

    user.refresh_from_db()
    assert user.check_password(password)  # saves the rehashed password
    user.refresh_from_db()
    assert identify_hasher(user.password).algorithm == "argon2"
    assert user.check_password(password)
    assert not user.check_password("wrong password")


@override_settings(PASSWORD_HASHERS=PRODUCTION_HASHERS)
def test_new_passwords_are_hashed_with_argon2():
    encoded = make_password("correct horse battery staple")
    assert encoded.startswith("argon2$argon2id$")
    assert check_password("correct horse battery staple", encoded)
