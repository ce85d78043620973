import hashlib
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from complaints.api.models import ApiToken
from complaints.api.services import api_token_create, api_token_revoke
from ipp_portal.audit.models import AuditEvent
from ipp_portal.errors import PortalError
from tests.factories import SellerFactory, UserFactory, make_complainant

pytestmark = pytest.mark.django_db


def api(secret: str | None = None) -> APIClient:
    client = APIClient(REMOTE_ADDR="198.51.100.7")
    if secret:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def test_a_token_is_stored_hashed_and_its_secret_is_returned_once():
    user = make_complainant().user

    token, secret = api_token_create(user=user, name="Monitor", scopes=["read", "file"])

    token.refresh_from_db()
    assert secret.startswith(f"ipp_{token.prefix}_")
    assert token.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in repr(list(ApiToken.objects.values()))
    assert token.scopes == ["file", "read"]
    event = AuditEvent.objects.get(verb="api_token.created")
    assert event.actor == user
    assert secret not in repr(event.data)


def test_the_page_shows_the_secret_once_and_the_list_only_its_start(client):
    user = make_complainant().user
    client.force_login(user)

    made = client.post(reverse("api_tokens:list"), {"name": "Monitor", "scopes": ["read"]})
    listed = client.get(reverse("api_tokens:list"))

    token = ApiToken.objects.get(user=user)
    secret = made.context["secret"]
    assert made.status_code == 200
    assert secret in made.content.decode()
    assert secret not in listed.content.decode()
    assert f"ipp_{token.prefix}…" in listed.content.decode()
    assert api(secret).get("/api/v1/rights/").status_code == 200


def test_the_account_page_links_to_the_tokens(client):
    client.force_login(UserFactory())

    assert reverse("api_tokens:list") in client.get(reverse("accounts:password-change")).content.decode()


def test_a_seller_may_make_only_read_only_tokens(client):
    seller = SellerFactory()

    with pytest.raises(PortalError) as refused:
        api_token_create(user=seller.user, name="Shop", scopes=["read", "answer"])
    token, _secret = api_token_create(user=seller.user, name="Shop", scopes=["read"])

    assert refused.value.field == "scopes"
    assert token.scopes == ["read"]
    client.force_login(seller.user)
    page = client.post(reverse("api_tokens:list"), {"name": "Shop", "scopes": ["file"]})
    assert "read-only tokens" in page.content.decode()


def test_revoking_asks_first_then_refuses_the_token_with_401(client):
    user = make_complainant().user
    token, secret = api_token_create(user=user, name="Monitor", scopes=["read"])
    client.force_login(user)

    asked = client.get(reverse("api_tokens:revoke", args=[token.pk]))
    assert asked.status_code == 200
    assert api(secret).get("/api/v1/rights/").status_code == 200
    client.post(reverse("api_tokens:revoke", args=[token.pk]))

    response = api(secret).get("/api/v1/rights/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
    assert AuditEvent.objects.filter(verb="api_token.revoked", actor=user).count() == 1


def test_nobody_revokes_another_persons_token(client):
    token, _secret = api_token_create(user=make_complainant().user, name="Monitor", scopes=["read"])
    other = make_complainant().user
    client.force_login(other)

    assert client.post(reverse("api_tokens:revoke", args=[token.pk])).status_code == 404
    with pytest.raises(ApiToken.DoesNotExist):
        api_token_revoke(user=other, token_id=token.pk)
    token.refresh_from_db()
    assert token.revoked_at is None


@pytest.mark.parametrize(
    "header",
    ["Bearer ipp_00000000_wrong", "Bearer", "Bearer a b", "Token abc"],
)
def test_a_wrong_or_malformed_token_is_401(header):
    response = APIClient().get("/api/v1/rights/", HTTP_AUTHORIZATION=header)

    assert response.status_code == 401
    assert set(response.json()) == {"code", "message", "fields"}


def test_a_token_with_the_right_start_but_another_secret_is_401():
    _token, secret = api_token_create(user=make_complainant().user, name="Monitor", scopes=["read"])

    assert api(secret[:-4] + "AAAA").get("/api/v1/rights/").status_code == 401


def test_last_use_is_recorded_at_most_once_a_minute(django_assert_max_num_queries):
    token, secret = api_token_create(user=make_complainant().user, name="Monitor", scopes=["read"])
    client = api(secret)

    client.get("/api/v1/rights/")
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    assert token.last_used_ip_hash
    assert "198.51.100.7" not in token.last_used_ip_hash
    client.get("/api/v1/rights/")
    token.refresh_from_db()
    assert token.last_used_at == first  # not written again within the minute

    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - timedelta(minutes=2))
    client.get("/api/v1/rights/")
    token.refresh_from_db()
    assert token.last_used_at > first


def test_a_token_without_the_read_scope_cannot_read():
    _token, secret = api_token_create(user=make_complainant().user, name="Filer", scopes=["file"])

    response = api(secret).get("/api/v1/rights/")

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_a_session_is_not_an_api_credential(client):
    client.force_login(make_complainant().user)

    response = client.get("/api/v1/rights/")

    assert response.status_code == 401
    assert response.json() == {
        "code": "not_authenticated",
        "message": "Authentication credentials were not provided.",
        "fields": {},
    }
    assert response["WWW-Authenticate"] == "Bearer"
