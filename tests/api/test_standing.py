"""The seller's side of the API: the standing per store (the standing page's selector) and one notice (a row of the
notices page). Anyone else — another seller, a complainant, an agent — gets an empty list or a 404."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from complaints import services
from enforcement.models import Violation
from enforcement.selectors import standing_for
from listings.models import Site
from tests.api.clients import make_agent_for, token_client
from tests.factories import (
    ListingFactory,
    SellerFactory,
    make_claim,
    make_complainant,
    make_right,
    make_staff,
    take_down,
)

pytestmark = pytest.mark.django_db

WHO = ["own", "other_seller", "complainant", "agent", "revoked", "none", "wrong_scope"]


@pytest.fixture
def world():
    holder = make_complainant(legal_name="Holder Ltd", contact_email="ip@holder.example")
    agent, _ = make_agent_for()
    seller = SellerFactory(store_name="Seller A")
    second_store = SellerFactory(
        user=seller.user, store_name="Seller A Express", site=Site.objects.get(code="aliexpress")
    )
    other_seller = SellerFactory(store_name="Seller B")
    right = make_right(holder, title="ACME", registration_number="UK00001234567")
    claim = make_claim(holder, listings=[ListingFactory(seller=seller) for _ in range(2)], right=right,
                       explanation="Counterfeit shoes.")  # fmt: skip
    items = list(claim.items.order_by("position"))
    take_down(claim, items)
    # The first removal is not disputed: its violation is established and counts; the second stays pending.
    services.claim_items_not_disputed(user=seller.user, item_ids=[items[0].pk])
    other_claim = make_claim(holder, listings=[ListingFactory(seller=other_seller)], right=right)
    take_down(other_claim)
    waiting = make_claim(
        holder, listings=[ListingFactory(seller=seller)],
        right=make_right(holder, status="pending", registration_number="UK00009999999"),
    )  # fmt: skip
    return {
        "holder": holder, "agent": agent, "seller": seller, "second_store": second_store, "other_seller": other_seller,
        "claim": claim, "items": items, "other_item": other_claim.items.get(), "waiting_item": waiting.items.get(),
    }  # fmt: skip


def client_for(who: str, w):
    from rest_framework.test import APIClient

    users = {"own": w["seller"].user, "other_seller": w["other_seller"].user, "complainant": w["holder"].user,
             "agent": w["agent"].user}  # fmt: skip
    if who == "none":
        return APIClient()
    if who == "revoked":
        return token_client(w["seller"].user, revoked=True)
    if who == "wrong_scope":
        # Only a complainant may hold other scopes: a seller who also complains, with a token that does not read.
        make_complainant(user=w["seller"].user)
        return token_client(w["seller"].user, ["file", "answer"])
    return token_client(users[who])


@pytest.mark.parametrize("who", WHO)
def test_standing_matrix(world, who):
    response = client_for(who, world).get("/api/v1/seller/standing/")

    if who in ("revoked", "none"):
        assert response.status_code == 401
        return
    if who == "wrong_scope":
        assert response.status_code == 403
        return
    assert response.status_code == 200
    stores = {row["store"] for row in response.json()}
    expected = {
        "own": {world["seller"].pk, world["second_store"].pk}, "other_seller": {world["other_seller"].pk},
    }.get(who, set())  # fmt: skip
    assert stores == expected


@pytest.mark.parametrize("who", WHO)
def test_notice_detail_matrix(world, who):
    response = client_for(who, world).get(f"/api/v1/seller/notices/{world['items'][1].pk}/")

    expected = {"own": 200, "revoked": 401, "none": 401, "wrong_scope": 403}.get(who, 404)
    assert response.status_code == expected
    if expected != 200:
        assert set(response.json()) == {"code", "message", "fields"}


def test_the_standing_is_the_standing_pages(world):
    seller, items = world["seller"], world["items"]
    pending = Violation.objects.get(claim_items=items[1])
    established = Violation.objects.get(claim_items=items[0])
    assert (established.status, pending.status) == ("established", "pending")

    rows = token_client(seller.user).get("/api/v1/seller/standing/").json()

    by_store = {row["store"]: row for row in rows}
    row = by_store[seller.pk]
    standing = standing_for(seller, datetime.fromisoformat(row["at"]))
    assert row["store_name"] == "Seller A"
    assert row["site"] == "alibaba"
    assert row["points"] == standing.points == established.points
    assert row["strikes"] == standing.strikes
    assert row["can_post"] is standing.can_post
    assert row["in_force"]["id"] == standing.in_force.pk  # what establishing the violation triggered
    assert row["in_force"]["kind"] == standing.in_force.kind
    assert row["one_more_general"] == standing.one_more_general
    assert row["one_more_serious"] == standing.one_more_serious
    assert [(n["measure"], n["threshold"], n["missing"]) for n in row["next_steps"]] == [
        (n.measure, n.threshold, n.missing) for n in standing.next_steps
    ]
    assert [group["violations"] for group in row["pending"]] == [[pending.reference]]
    assert datetime.fromisoformat(row["pending"][0]["becomes_established_at"]) == pending.establishes_at
    assert row["pending"][0]["if_established"] == standing.pending[0].actions
    assert by_store[world["second_store"].pk]["points"] == 0
    assert by_store[world["second_store"].pk]["pending"] == []


def test_an_action_in_force_shows_with_its_end(world):
    from enforcement import services as enforcement_services

    seller = world["seller"]
    action = enforcement_services.action_impose(
        seller=seller, kind="posting_restriction", reason="Repeated fakes", ground="Policy §3",
        actor=make_staff("Supervisor"), ends_at=timezone.now() + timedelta(days=7),
    )  # fmt: skip

    row = next(r for r in token_client(seller.user).get("/api/v1/seller/standing/").json() if r["store"] == seller.pk)

    assert row["in_force"]["id"] == action.pk
    assert row["in_force"]["kind"] == "posting_restriction"
    assert row["can_post"] is False
    assert datetime.fromisoformat(row["in_force_until"]) == action.ends_at


def test_a_notice_says_who_complained_and_what_the_seller_can_do(world):
    item = world["items"][1]

    body = token_client(world["seller"].user).get(f"/api/v1/seller/notices/{item.pk}/").json()

    assert body["claim_reference"] == world["claim"].reference
    assert body["explanation"] == "Counterfeit shoes."
    assert body["right_name"] == "ACME"
    assert body["complained_by"]["legal_name"] == "Holder Ltd"
    assert body["complained_by"]["contact_email"] == "ip@holder.example"
    assert body["status"] == "removed"
    assert body["can_counter_notify"] is True
    assert body["can_concede"] is True
    assert datetime.fromisoformat(body["deadline"]) == item.__class__.objects.get(pk=item.pk).counter_notice_due_at
    assert body["held"] is None


def test_a_notice_whose_window_closed_says_why_and_a_held_listing_says_so(world):
    item = world["items"][0]  # not disputed: the first window is closed
    services.litigation_hold_place(
        actor=make_staff("Supervisor"), listing_id=item.listing_id, court="High Court", case_reference="IL-1",
        reason="Sued.",
    )  # fmt: skip

    body = token_client(world["seller"].user).get(f"/api/v1/seller/notices/{item.pk}/").json()

    assert body["can_concede"] is False
    assert body["deadline"] is not None  # the further counter-notice window
    assert body["held"].startswith("A court case concerning these listings is pending")


def test_a_claim_that_has_not_gone_out_is_not_shown_to_the_seller(world):
    response = token_client(world["seller"].user).get(f"/api/v1/seller/notices/{world['waiting_item'].pk}/")

    assert response.status_code == 404
