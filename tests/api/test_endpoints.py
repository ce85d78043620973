"""Each endpoint × {own token, another complainant's token, a seller's token, a revoked token, no token}."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from complaints import services
from complaints.api.services import api_token_create, api_token_revoke
from complaints.models import Authorization
from listings.models import Site
from tests.factories import (
    ListingFactory,
    SellerFactory,
    make_claim,
    make_complainant,
    make_document,
    make_right,
    take_down,
)
from tests.factories import seen as seen_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    holder = make_complainant(legal_name="Holder Ltd")
    other = make_complainant(legal_name="Other Ltd")
    seller = SellerFactory(store_name="Seller A")
    right = make_right(holder, title="ACME", registration_number="UK00001234567")
    listings = [ListingFactory(seller=seller) for _ in range(2)]
    claim = make_claim(holder, listings=listings, right=right, explanation="Fakes")
    items = list(claim.items.order_by("position"))
    take_down(claim, [items[0]])
    other_right = make_right(other, title="OTHER", registration_number="UK00007654321")
    other_claim = make_claim(other, right=other_right)
    return {
        "holder": holder, "other": other, "seller": seller, "right": right, "claim": claim, "items": items,
        "other_right": other_right, "other_claim": other_claim,
    }  # fmt: skip


def client_for(user, *, revoked=False) -> APIClient:
    token, secret = api_token_create(user=user, name="Tests", scopes=["read"])
    if revoked:
        api_token_revoke(user=user, token_id=token.pk)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


ENDPOINTS = {
    "rights": lambda w: "/api/v1/rights/",
    "right": lambda w: f"/api/v1/rights/{w['right'].pk}/",
    "claims": lambda w: "/api/v1/claims/",
    "claim": lambda w: f"/api/v1/claims/{w['claim'].pk}/",
    "notices": lambda w: "/api/v1/seller/notices/",
}


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@pytest.mark.parametrize("who", ["own", "other", "seller", "revoked", "none"])
def test_the_matrix(world, endpoint, who):
    users = {"own": world["holder"].user, "other": world["other"].user, "seller": world["seller"].user,
             "revoked": world["holder"].user}  # fmt: skip
    client = APIClient() if who == "none" else client_for(users[who], revoked=who == "revoked")

    response = client.get(ENDPOINTS[endpoint](world))

    body = response.json()
    assert set(body) == {"code", "message", "fields"} or response.status_code == 200
    if who in ("revoked", "none"):
        assert response.status_code == 401
        return
    if endpoint in ("right", "claim"):
        assert response.status_code == (200 if who == "own" else 404)
        return
    assert response.status_code == 200
    ids = {row["id"] for row in body["results"]}
    mine = {
        ("rights", "own"): {world["right"].pk}, ("rights", "other"): {world["other_right"].pk},
        ("claims", "own"): {world["claim"].pk}, ("claims", "other"): {world["other_claim"].pk},
        ("notices", "seller"): {item.pk for item in world["items"]},
    }.get((endpoint, who), set())  # fmt: skip
    assert ids == mine


def test_a_right_says_what_it_is(world):
    body = client_for(world["holder"].user).get(f"/api/v1/rights/{world['right'].pk}/").json()

    assert body["kind"] == world["right"].kind
    assert body["name"] == "ACME"
    assert body["registration_number"] == "UK00001234567"
    assert body["status"] == "verified"
    assert body["expires_on"] == world["right"].expires_on.isoformat()
    assert body["authorised"] is True


def test_a_claim_shows_its_items_with_their_decisions(world):
    body = client_for(world["holder"].user).get(f"/api/v1/claims/{world['claim'].pk}/").json()

    assert [item["status"] for item in body["items"]] == ["removed", "pending"]
    assert body["items_total"] == 2
    assert body["items_removed"] == 1
    assert "decision_reason" in body["items"][0]


def test_claims_filter_by_status_and_page_by_cursor(world):
    holder = world["holder"]
    for _ in range(3):
        make_claim(holder, right=world["right"])
    client = client_for(holder.user)

    first = client.get("/api/v1/claims/?page_size=2").json()
    second = client.get(first["next"]).json()
    filtered = client.get(f"/api/v1/claims/?status={world['claim'].status}").json()

    assert len(first["results"]) == 2
    assert second["results"]
    assert not {c["id"] for c in first["results"]} & {c["id"] for c in second["results"]}
    assert {c["status"] for c in filtered["results"]} == {world["claim"].status}
    assert client.get("/api/v1/claims/?status=draft").json()["results"] == []


def test_the_claim_list_queries_do_not_grow_with_claims(world, django_assert_max_num_queries):
    holder = world["holder"]
    client = client_for(holder.user)
    client.get("/api/v1/claims/")  # the token's first use is written once
    for _ in range(5):
        make_claim(holder, right=world["right"])

    with django_assert_max_num_queries(6):
        client.get("/api/v1/claims/")


def test_an_agent_sees_which_rights_a_verified_authorization_covers(world):
    from tests.factories import make_staff

    agent = make_complainant(role="vendor", legal_name="Brand Guard")
    covered = make_right(agent, registration_number="UK00000000001", title="COVERED")
    uncovered = make_right(agent, registration_number="UK00000000002", title="UNCOVERED")
    today = timezone.localdate()
    authorization = services.authorization_register(
        agent=agent, rights=[covered], sites=[Site.objects.get(code="alibaba")],
        letter=make_document(agent.user, "letter.pdf"), owner_name="Owner Ltd",
        valid_from=today - timedelta(days=1), valid_until=today + timedelta(days=365),
    )  # fmt: skip
    services.authorization_verify(
        authorization_id=authorization.pk, reviewer=make_staff("Reviewer"), seen=seen_state(authorization)
    )
    assert Authorization.objects.get(pk=authorization.pk).status == "verified"

    rows = client_for(agent.user).get("/api/v1/rights/").json()["results"]

    assert {row["name"]: row["authorised"] for row in rows} == {"COVERED": True, "UNCOVERED": False}
    assert uncovered.pk in {row["id"] for row in rows}


def test_a_seller_sees_only_notices_that_went_out(world):
    seller = world["seller"]
    pending = make_right(world["holder"], status="pending", registration_number="UK00009999999")
    make_claim(world["holder"], listings=[ListingFactory(seller=seller)], right=pending)

    rows = client_for(seller.user).get("/api/v1/seller/notices/").json()["results"]

    assert {row["id"] for row in rows} == {item.pk for item in world["items"]}
    assert {row["claim"] for row in rows} == {world["claim"].pk}
