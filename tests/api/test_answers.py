"""Counter-notices as the rights holder reads and answers them through the API: each endpoint × each kind of caller,
what accepting and rejecting do, and that every refusal changes nothing."""

from datetime import datetime, timedelta

import pytest

from complaints import services
from complaints.models import Authorization, ClaimItem, CounterNotice
from enforcement.models import Violation
from ipp_portal.audit.models import AuditEvent
from ipp_portal.audit.verbs import Verb
from ipp_portal.notifications.models import Notification
from listings.models import Listing
from tests.api.clients import WHO, client_as, make_agent_for, token_client
from tests.factories import (
    ListingFactory,
    SellerFactory,
    file_counter_notice,
    make_complainant,
    make_disputed,
    make_document,
    make_removed,
    make_right,
    make_staff,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    holder = make_complainant(legal_name="Holder Ltd")
    other = make_complainant(legal_name="Other Ltd")
    agent, agent_right = make_agent_for()
    seller = SellerFactory(store_name="Seller A")
    right = make_right(holder, title="ACME", registration_number="UK00001234567")
    listings = [ListingFactory(seller=seller) for _ in range(3)]
    claim, items = make_removed(holder, listings=listings[:2], right=right)
    unshared = make_document(seller.user, "invoice.pdf")
    shared = make_document(seller.user, "shared.pdf")
    notice = file_counter_notice(
        seller, items, statement="Bought from ACME's distributor.", documents=[unshared, shared],
        shared_documents=[shared],
    )  # fmt: skip
    agent_claim, agent_items = make_removed(agent, listings=listings[2:], right=agent_right)
    agent_notice = file_counter_notice(seller, agent_items)
    return {
        "holder": holder, "other": other, "agent": agent, "seller": seller, "claim": claim, "items": items,
        "notice": notice, "shared": shared, "unshared": unshared, "agent_claim": agent_claim,
        "agent_notice": agent_notice, "listings": listings,
        "users": {"own": holder.user, "other": other.user, "agent": agent.user, "seller": seller.user},
    }  # fmt: skip


def state() -> tuple:
    """Everything an answer could change: notices, items, listings, violations, audit rows, notifications."""
    return (
        sorted(CounterNotice.objects.values_list("pk", "status", "answer", "answered_at")),
        sorted(ClaimItem.objects.values_list("pk", "status")),
        sorted(Listing.objects.values_list("pk", "status")),
        sorted(Violation.objects.values_list("pk", "status")),
        AuditEvent.objects.count(),
        Notification.objects.count(),
    )


def assert_error(response, status: int, code: str | None = None, fields: set[str] | None = None) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "fields"}
    if code is not None:
        assert body["code"] == code
    if fields is not None:
        assert set(body["fields"]) == fields
    return body


ENDPOINTS = {
    "list": ("get", lambda w: "/api/v1/counter-notices/", "read"),
    "detail": ("get", lambda w: f"/api/v1/counter-notices/{w['notice'].pk}/", "read"),
    "accept": ("post", lambda w: f"/api/v1/counter-notices/{w['notice'].pk}/accept/", "answer"),
    "reject": ("post", lambda w: f"/api/v1/counter-notices/{w['notice'].pk}/reject/", "answer"),
}


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@pytest.mark.parametrize("who", WHO)
def test_the_matrix(world, endpoint, who):
    method, url, needs = ENDPOINTS[endpoint]
    client = client_as(who, world["users"], needs=needs)
    before = state()

    response = getattr(client, method)(
        url(world), {"reason": "Fakes."} if endpoint == "reject" else None, format="json"
    )

    if who in ("revoked", "none"):
        assert_error(response, 401)
    elif who == "wrong_scope" or (who == "seller" and method == "post"):  # a seller's token only reads
        assert_error(response, 403, "permission_denied")
    elif endpoint == "list":
        assert response.status_code == 200
        ids = {row["id"] for row in response.json()["results"]}
        assert ids == {"own": {world["notice"].pk}, "agent": {world["agent_notice"].pk}}.get(who, set())
    elif who != "own":
        assert_error(response, 404, "not_found")
    else:
        assert response.status_code == 200
        assert response.json()["id"] == world["notice"].pk
    if not (who == "own" and method == "post"):
        assert state() == before


def test_the_detail_shows_what_the_answer_page_shows_and_no_more(world):
    notice, items = world["notice"], world["items"]

    body = token_client(world["holder"].user).get(f"/api/v1/counter-notices/{notice.pk}/").json()

    assert body == {
        "id": notice.pk, "claim": world["claim"].pk, "claim_reference": world["claim"].reference,
        "store_name": "Seller A", "reason": "genuine_goods", "statement": "Bought from ACME's distributor.",
        "status": "awaiting_answer", "answer_due_at": body["answer_due_at"], "created_at": body["created_at"],
        "items": [
            {"id": item.pk, "reference": f"{world['claim'].reference}#{item.position}", "position": item.position,
             "listing": item.listing_id, "listing_title": item.listing.title, "url": item.url, "status": "disputed"}
            for item in items
        ],
        "signature_name": "Lin Wei", "signed_at": body["signed_at"],
        # Only the document the seller shared: the other stays the seller's and staff's.
        "shared_documents": [{"id": world["shared"].pk, "name": "shared.pdf", "content_type": "application/pdf",
                              "size": world["shared"].size}],
        "authorised_history": None,  # the seller does not say it is an authorised reseller
    }  # fmt: skip
    assert datetime.fromisoformat(body["answer_due_at"]) == notice.answer_due_at


def test_an_authorised_reseller_notice_shows_the_holders_own_allow_list(world):
    seller, holder = world["seller"], world["holder"]
    notice = make_disputed(seller, holder, right=world["claim"].right, reason="authorized_reseller")

    body = token_client(holder.user).get(f"/api/v1/counter-notices/{notice.pk}/").json()

    assert body["authorised_history"] == []
    assert "signer_ip_hash" not in body
    assert "documents" not in body


def test_the_list_filters_by_status_and_pages_by_cursor(world):
    holder, seller = world["holder"], world["seller"]
    for _ in range(2):
        make_disputed(seller, holder, right=world["claim"].right)
    services.counter_notice_accept(notice_id=world["notice"].pk, user=holder.user)
    client = token_client(holder.user)

    first = client.get("/api/v1/counter-notices/?page_size=2").json()
    second = client.get(first["next"]).json()
    accepted = client.get("/api/v1/counter-notices/?status=accepted").json()["results"]

    assert len(first["results"]) == 2
    assert [row["id"] for row in second["results"]] == [world["notice"].pk]  # the oldest, last
    assert [row["id"] for row in accepted] == [world["notice"].pk]
    assert_error(client.get("/api/v1/counter-notices/?status=nonsense"), 400, "invalid_choice", {"status"})


@pytest.mark.parametrize("size", [1, 6])
def test_the_list_queries_do_not_grow_with_notices(world, size, django_assert_num_queries):
    holder, seller = world["holder"], world["seller"]
    for _ in range(size - 1):
        make_disputed(seller, holder, count=2, right=world["claim"].right)
    client = token_client(holder.user)
    client.get("/api/v1/counter-notices/")  # the token's first use is written once

    # The token, the complainant's own API limits (the shared request rate), the notices with their claims and
    # stores, their items with listings and claims.
    with django_assert_num_queries(4):
        response = client.get("/api/v1/counter-notices/")

    assert len(response.json()["results"]) == size


def test_accepting_reinstates_withdraws_audits_and_tells_both_sides(world, django_capture_on_commit_callbacks):
    holder, seller, notice, items = world["holder"], world["seller"], world["notice"], world["items"]
    client = token_client(holder.user, ["answer"])

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(f"/api/v1/counter-notices/{notice.pk}/accept/", format="json")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "accepted"
    assert {item["status"] for item in body["items"]} == {"reinstated"}
    assert CounterNotice.objects.get(pk=notice.pk).status == "accepted"
    assert set(ClaimItem.objects.filter(pk__in=[i.pk for i in items]).values_list("status", flat=True)) == {
        "reinstated"
    }
    assert set(Listing.objects.filter(pk__in=[i.listing_id for i in items]).values_list("status", flat=True)) == {
        "reinstated"
    }
    assert set(Violation.objects.filter(claim_items__in=items).values_list("status", flat=True)) == {"withdrawn"}
    event = AuditEvent.objects.get(verb=Verb.COUNTER_NOTICE_ACCEPTED, target_id=str(notice.pk))
    assert event.actor_id == holder.user.pk
    told = Notification.objects.filter(template="complaints/listings_reinstated")
    assert set(told.values_list("recipient", flat=True)) == {holder.user.pk, seller.user.pk}
    assert len(callbacks) >= 2  # each notice is delivered after the commit
    # The agent's notice on another claim is untouched.
    assert CounterNotice.objects.get(pk=world["agent_notice"].pk).status == "awaiting_answer"


def test_rejecting_sends_to_staff_with_the_reasons_and_evidence(world, django_capture_on_commit_callbacks):
    holder, seller, notice, items = world["holder"], world["seller"], world["notice"], world["items"]
    evidence = make_document(holder.user, "test-buy.pdf")
    client = token_client(holder.user, ["answer"])

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(
            f"/api/v1/counter-notices/{notice.pk}/reject/",
            {"reason": "  Our test buy was a fake.  ", "documents": [evidence.pk]},
            format="json",
        )

    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    notice = CounterNotice.objects.get(pk=notice.pk)
    assert notice.status == "rejected"
    assert notice.answer == "Our test buy was a fake."
    assert list(notice.answer_documents.all()) == [evidence]
    assert set(ClaimItem.objects.filter(pk__in=[i.pk for i in items]).values_list("status", flat=True)) == {
        "staff_review"
    }
    # Nothing is reinstated: staff decide.
    assert set(Listing.objects.filter(pk__in=[i.listing_id for i in items]).values_list("status", flat=True)) == {
        "removed"
    }
    assert AuditEvent.objects.filter(verb=Verb.COUNTER_NOTICE_REJECTED, target_id=str(notice.pk)).count() == 1
    assert Notification.objects.filter(recipient=seller.user, template="complaints/counter_notice_rejected").exists()
    assert callbacks


@pytest.mark.parametrize("payload", [{}, {"reason": ""}, {"reason": "   "}])
def test_a_rejection_without_reasons_is_refused_at_the_field(world, payload):
    client = token_client(world["holder"].user, ["answer"])
    before = state()

    response = client.post(f"/api/v1/counter-notices/{world['notice'].pk}/reject/", payload, format="json")

    assert_error(response, 400, "reason_required", {"reason"})
    assert state() == before


def test_evidence_must_be_the_holders_own_documents(world):
    client = token_client(world["holder"].user, ["answer"])
    before = state()

    response = client.post(
        f"/api/v1/counter-notices/{world['notice'].pk}/reject/",
        {"reason": "Fakes.", "documents": [world["unshared"].pk]},  # the seller's
        format="json",
    )

    assert_error(response, 400, "does_not_exist", {"documents"})
    assert state() == before


@pytest.mark.parametrize("second", ["accept", "reject"])
def test_deciding_twice_is_a_conflict_that_changes_nothing(world, second):
    client = token_client(world["holder"].user, ["answer"])
    url = f"/api/v1/counter-notices/{world['notice'].pk}/"
    assert client.post(url + "accept/", format="json").status_code == 200
    before = state()

    response = client.post(url + f"{second}/", {"reason": "Fakes."}, format="json")

    assert_error(response, 409, "invalid_transition")
    assert state() == before


@pytest.mark.parametrize("answer", ["accept", "reject"])
def test_answering_after_the_deadline_is_a_conflict_that_changes_nothing(world, answer):
    notice = world["notice"]
    CounterNotice.objects.filter(pk=notice.pk).update(answer_due_at=notice.answer_due_at - timedelta(days=30))
    client = token_client(world["holder"].user, ["answer"])
    before = state()

    response = client.post(f"/api/v1/counter-notices/{notice.pk}/{answer}/", {"reason": "Fakes."}, format="json")

    assert_error(response, 409, "deadline_passed")
    assert state() == before


def test_accepting_while_a_litigation_hold_covers_a_listing_is_refused_whole(world):
    services.litigation_hold_place(
        actor=make_staff("Supervisor"), listing_id=world["items"][0].listing_id, court="High Court",
        case_reference="IL-7", reason="Sued.",
    )  # fmt: skip
    client = token_client(world["holder"].user, ["answer"])
    before = state()

    response = client.post(f"/api/v1/counter-notices/{world['notice'].pk}/accept/", format="json")

    assert_error(response, 400, "held")
    assert state() == before


def test_an_agent_answers_the_notices_on_claims_it_filed(world):
    agent, notice = world["agent"], world["agent_notice"]
    client = token_client(agent.user, ["read", "answer"])

    listed = client.get("/api/v1/counter-notices/").json()["results"]
    response = client.post(f"/api/v1/counter-notices/{notice.pk}/accept/", format="json")

    assert [row["id"] for row in listed] == [notice.pk]
    assert response.status_code == 200
    assert CounterNotice.objects.get(pk=notice.pk).status == "accepted"
    assert AuditEvent.objects.get(verb=Verb.COUNTER_NOTICE_ACCEPTED, target_id=str(notice.pk)).actor_id == agent.user_id


def test_an_agent_sees_nothing_of_claims_it_did_not_file(world):
    """Another agent for the same owner, and the holder's own claims: none of it reaches the first agent."""
    agent = world["agent"]
    rival, rival_right = make_agent_for(legal_name="Other Agency", registration_number="UK00000000002")
    rival_notice = make_disputed(world["seller"], rival, right=rival_right)
    client = token_client(agent.user, ["read", "file", "answer"])
    before = state()

    claims = {row["id"] for row in client.get("/api/v1/claims/").json()["results"]}
    notices = {row["id"] for row in client.get("/api/v1/counter-notices/").json()["results"]}
    answers = [
        client.post(f"/api/v1/counter-notices/{pk}/accept/", format="json")
        for pk in (rival_notice.pk, world["notice"].pk)
    ]

    assert claims == {world["agent_claim"].pk}
    assert notices == {world["agent_notice"].pk}
    for pk in (rival_notice.claim_id, world["claim"].pk):
        assert_error(client.get(f"/api/v1/claims/{pk}/"), 404)
    for response in answers:
        assert_error(response, 404, "not_found")
    assert state() == before


@pytest.mark.parametrize("answer", ["accept", "reject"])
def test_an_agent_whose_authorization_ended_can_no_longer_answer_for_the_owner(world, answer):
    agent, notice = world["agent"], world["agent_notice"]
    services.authorization_revoke(
        authorization_id=Authorization.objects.get(agent=agent).pk, reviewer=make_staff("Reviewer"),
        reason="The owner ended the mandate.",
    )  # fmt: skip
    client = token_client(agent.user, ["read", "answer"])
    before = state()

    response = client.post(f"/api/v1/counter-notices/{notice.pk}/{answer}/", {"reason": "Fakes."}, format="json")

    assert_error(response, 403, "no_authorization")
    assert state() == before
    # The agent still reads what it filed and what came of it (it is the complainant of record).
    assert client.get(f"/api/v1/counter-notices/{notice.pk}/").status_code == 200
