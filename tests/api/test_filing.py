"""The filing endpoints: link check, claims (draft, file, file a draft), withdrawals and retraction.

Each endpoint × {own token, another complainant's, an agent in and out of its authorization's scope, a seller's, a
revoked token, no token, a read-only token}; every refusal leaves the claims, items, audit trail and notifications
as they were."""

from datetime import date, timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from complaints import services
from complaints.api.services import api_token_create, api_token_revoke
from complaints.errors import RuleBroken
from complaints.models import Claim, ClaimItem
from ipp_portal.audit.models import AuditEvent
from ipp_portal.errors import PortalError
from ipp_portal.notifications.models import Notification
from listings.links import ListingRef, canonical_listing_url
from listings.models import Listing, Site
from tests.factories import (
    ListingFactory,
    SellerFactory,
    make_claim,
    make_complainant,
    make_document,
    make_right,
    make_staff,
    take_down,
)
from tests.factories import seen as seen_state

pytestmark = pytest.mark.django_db

SWORN = {
    "states_good_faith": True,
    "states_accuracy": True,
    "states_authority_under_perjury": True,
    "agrees_to_indemnify": True,
    "signature_name": "Jane Doe",
}


def client_for(user, *, scopes=("read", "file"), revoked=False) -> APIClient:
    token, secret = api_token_create(user=user, name="Vendor", scopes=scopes)
    if revoked:
        api_token_revoke(user=user, token_id=token.pk)
    client = APIClient(REMOTE_ADDR="198.51.100.7")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def state() -> dict:
    """Everything a filing endpoint may change: a refusal leaves all of it as it was."""
    return {
        "claims": sorted(Claim.objects.values_list("pk", "status", "submission_token")),
        "items": sorted(ClaimItem.objects.values_list("pk", "status")),
        "listings": sorted(Listing.objects.values_list("pk", "status")),
        "audit": AuditEvent.objects.count(),
        "notifications": Notification.objects.count(),
    }


def claim_body(right, listings, **extra) -> dict:
    return {
        "submit": True, "right": right.pk, "site": "alibaba", "reason_code": "tm_counterfeit",
        "explanation": "Counterfeit goods: the logo copies ours.", "order_numbers": ["T-1"],
        "links": [listing.url for listing in listings], **SWORN, **extra,
    }  # fmt: skip


@pytest.fixture
def w():
    alibaba = Site.objects.get(code="alibaba")
    holder = make_complainant(legal_name="Holder Ltd")
    other = make_complainant(legal_name="Other Ltd")
    agent = make_complainant(legal_name="Brand Guard", role="vendor")
    seller = SellerFactory(store_name="Seller A")
    right = make_right(holder, title="ACME")
    covered = make_right(agent, registration_number="UK00000000001", title="COVERED")
    uncovered = make_right(agent, registration_number="UK00000000002", title="UNCOVERED")
    today = timezone.localdate()
    authorization = services.authorization_register(
        agent=agent, rights=[covered], sites=[alibaba], letter=make_document(agent.user, "letter.pdf"),
        owner_name="Owner Ltd", valid_from=today - timedelta(days=1), valid_until=today + timedelta(days=365),
    )  # fmt: skip
    services.authorization_verify(
        authorization_id=authorization.pk, reviewer=make_staff("Reviewer"), seen=seen_state(authorization)
    )
    fresh = ListingFactory.create_batch(3, seller=seller)  # in no claim yet
    claim = make_claim(holder, listings=ListingFactory.create_batch(2, seller=seller), right=right)
    items = list(claim.items.order_by("position"))
    take_down(claim, [items[0]])
    agent_claim = make_claim(agent, listings=[ListingFactory(seller=seller)], right=covered)
    draft = services.claim_save_draft(
        complainant=holder, right=right, site=alibaba, reason_code="tm_counterfeit", explanation="Fakes.",
        links_text=fresh[0].url,
    )  # fmt: skip
    agent_draft_in = services.claim_save_draft(
        complainant=agent, right=covered, site=alibaba, reason_code="tm_counterfeit", explanation="Fakes.",
        links_text=fresh[1].url,
    )  # fmt: skip
    agent_draft_out = services.claim_save_draft(
        complainant=agent, right=uncovered, site=alibaba, reason_code="tm_counterfeit", explanation="Fakes.",
        links_text=fresh[2].url,
    )  # fmt: skip
    return {
        "holder": holder, "other": other, "agent": agent, "seller": seller, "right": right, "covered": covered,
        "uncovered": uncovered, "fresh": fresh, "claim": claim, "removed": items[0], "pending": items[1],
        "agent_claim": agent_claim, "agent_item": agent_claim.items.get(), "draft": draft,
        "agent_draft_in": agent_draft_in, "agent_draft_out": agent_draft_out,
    }  # fmt: skip


WHO = ["own", "other", "agent_in", "agent_out", "seller", "revoked", "none", "read_only"]


def client_of(w, who) -> APIClient:
    if who == "none":
        return APIClient()
    user = {"own": w["holder"].user, "other": w["other"].user, "agent_in": w["agent"].user,
            "agent_out": w["agent"].user, "seller": w["seller"].user, "revoked": w["holder"].user,
            "read_only": w["holder"].user}[who]  # fmt: skip
    if who == "seller":
        return client_for(user, scopes=("read",))  # the only scope a seller's token can have
    return client_for(user, scopes=("read",) if who == "read_only" else ("read", "file"), revoked=who == "revoked")


def _right_for(w, who):
    return {"agent_in": w["covered"], "agent_out": w["uncovered"]}.get(who, w["right"])


def _draft_for(w, who):
    return {"agent_in": w["agent_draft_in"], "agent_out": w["agent_draft_out"]}.get(who, w["draft"])


# Each endpoint: (path, body) for a caller, and what each caller gets. An agent out of scope is refused filing
# (no verified authorization covers the right: filing_gate) but may check links, as the claim form's check may; it
# may withdraw only its own claims, so the holder's claim is a 404 to it.
ENDPOINTS = {
    "link-check": (
        lambda w, who: (
            "/api/v1/link-check/",
            {"right": _right_for(w, who).pk, "site": "alibaba", "links": [x.url for x in w["fresh"][:2]]},
        ),
        {"own": 200, "other": 400, "agent_in": 200, "agent_out": 200},
    ),
    "claims": (
        lambda w, who: ("/api/v1/claims/", claim_body(_right_for(w, who), w["fresh"][:2])),
        {"own": 201, "other": 400, "agent_in": 201, "agent_out": 403},
    ),
    "claim-submit": (
        lambda w, who: (f"/api/v1/claims/{_draft_for(w, who).pk}/submit/", SWORN),
        {"own": 201, "other": 404, "agent_in": 201, "agent_out": 403},
    ),
    "claim-withdraw": (
        lambda w, who: (f"/api/v1/claims/{(w['agent_claim'] if who == 'agent_in' else w['claim']).pk}/withdraw/", {}),
        {"own": 200, "other": 404, "agent_in": 200, "agent_out": 404},
    ),
    "item-withdraw": (
        lambda w, who: (f"/api/v1/items/{(w['agent_item'] if who == 'agent_in' else w['pending']).pk}/withdraw/", {}),
        {"own": 200, "other": 404, "agent_in": 200, "agent_out": 404},
    ),
    "item-retract": (
        lambda w, who: (f"/api/v1/items/{w['removed'].pk}/retract/", {"reason": "Settled."}),
        {"own": 200, "other": 404, "agent_in": 404, "agent_out": 404},
    ),
}
REFUSED_ALWAYS = {"seller": 403, "revoked": 401, "none": 401, "read_only": 403}


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@pytest.mark.parametrize("who", WHO)
def test_the_matrix(w, endpoint, who):
    build, expected = ENDPOINTS[endpoint]
    path, body = build(w, who)
    client = client_of(w, who)
    before = state()

    response = client.post(path, body, format="json")

    want = REFUSED_ALWAYS.get(who) or expected[who]
    assert response.status_code == want, response.json()
    if want >= 400:
        assert set(response.json()) == {"code", "message", "fields"}
        assert state() == before  # nothing filed, withdrawn or retracted; no audit row, no notice
    elif endpoint == "link-check":
        assert state() == before  # a check writes nothing
    else:
        assert state() != before


def test_another_complainants_right_reads_as_one_that_does_not_exist(w):
    client = client_for(w["other"].user)
    taken = client.post("/api/v1/link-check/", {"right": w["right"].pk, "site": "alibaba", "links": []}, format="json")
    missing = client.post("/api/v1/link-check/", {"right": 99999999, "site": "alibaba", "links": []}, format="json")

    assert taken.status_code == missing.status_code == 400
    assert taken.json()["fields"]["right"] == [f"There is no right {w['right'].pk} in your vault."]
    assert missing.json()["fields"]["right"] == ["There is no right 99999999 in your vault."]


def test_the_agent_out_of_scope_is_told_why(w):
    client = client_for(w["agent"].user)
    before = state()

    response = client.post("/api/v1/claims/", claim_body(w["uncovered"], w["fresh"][:1]), format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "no_authorization"
    assert state() == before


def test_a_filed_claim_comes_back_in_full(w):
    evidence = make_document(w["holder"].user, "report.pdf")

    response = client_for(w["holder"].user).post(
        "/api/v1/claims/", claim_body(w["right"], w["fresh"][1:], evidence=[evidence.pk]), format="json"
    )

    assert response.status_code == 201
    body = response.json()
    claim = Claim.objects.get(pk=body["id"])
    assert claim.status == Claim.Status.SUBMITTED
    assert body["status"] == "submitted"
    assert body["site"] == "alibaba"
    assert body["right"] == w["right"].pk
    assert [item["url"] for item in body["items"]] == [x.url for x in w["fresh"][1:]]
    assert list(claim.evidence.all()) == [evidence]
    assert claim.order_numbers == "T-1"
    assert claim.signature_name == "Jane Doe"
    assert body["decisions"] == []
    assert [(e["verb"], e["what"]) for e in body["timeline"]] == [("claim.submitted", "Submitted")]
    assert AuditEvent.objects.filter(verb="claim.submitted", target_id=str(claim.pk)).count() == 1


def test_the_answer_to_a_filing_is_the_claim_as_it_reads_back_without_reading_it_back(w):
    """The 201 is built from what the filing wrote: the same JSON as GET /claims/{id}/, and the request reads
    neither the claim's timeline (the audit table) nor its items with their listings and stores."""
    from django.db import connection

    client = client_for(w["holder"].user)
    listings = [*w["fresh"][1:], *ListingFactory.create_batch(2, seller=SellerFactory(store_name="Seller B"))]
    reads: list[str] = []

    def record_reads(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith("SELECT"):
            reads.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record_reads):
        response = client.post("/api/v1/claims/", claim_body(w["right"], listings), format="json")

    assert response.status_code == 201
    assert response.json() == client.get(f"/api/v1/claims/{response.json()['id']}/").json()
    assert [item["store_name"] for item in response.json()["items"]] == ["Seller A"] * 2 + ["Seller B"] * 2
    assert reads  # the filing's own checks were seen
    assert not [sql for sql in reads if "audit_auditevent" in sql], reads
    assert not [sql for sql in reads if "complaints_claimitem" in sql and "listings_seller" in sql], reads


def test_a_draft_then_filed(w):
    client = client_for(w["holder"].user)
    body = claim_body(w["right"], w["fresh"][1:2], submit=False)

    draft = client.post("/api/v1/claims/", body, format="json")

    assert draft.status_code == 201
    assert draft.json()["status"] == "draft"
    assert draft.json()["items"] == []
    assert Claim.objects.get(pk=draft.json()["id"]).links_text == w["fresh"][1].url

    filed = client.post(f"/api/v1/claims/{draft.json()['id']}/submit/", SWORN, format="json")

    assert filed.status_code == 201
    assert filed.json()["id"] == draft.json()["id"]
    assert filed.json()["status"] == "submitted"
    assert [item["url"] for item in filed.json()["items"]] == [w["fresh"][1].url]
    before = state()
    again = client.post(f"/api/v1/claims/{draft.json()['id']}/submit/", SWORN, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_transition"
    assert state() == before


def test_a_draft_without_a_right_cannot_be_filed(w):
    client = client_for(w["holder"].user)
    draft = client.post("/api/v1/claims/", {"submit": False, "explanation": "Later"}, format="json").json()
    before = state()

    response = client.post(f"/api/v1/claims/{draft['id']}/submit/", SWORN, format="json")

    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"right", "site"}
    assert state() == before


def test_filing_needs_a_right_and_a_site(w):
    client = client_for(w["holder"].user)
    before = state()

    response = client.post("/api/v1/claims/", {"submit": True, **SWORN}, format="json")

    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"right", "site"}
    assert state() == before


def test_bad_lines_come_back_line_by_line_and_nothing_is_filed(w):
    other_claim = make_claim(w["other"], listings=[ListingFactory()], right=make_right(w["other"]))
    delisted = ListingFactory(status=Listing.Status.DELISTED)
    links = [
        w["fresh"][1].url,  # 1 ok
        "not a link",  # 2
        canonical_listing_url(ListingRef("aliexpress", "1601999999999")),  # 3 another marketplace
        w["fresh"][1].url,  # 4 the same as line 1
        canonical_listing_url(ListingRef("alibaba", "1609999999999")),  # 5 no such listing
        delisted.url,  # 6 off sale
        w["removed"].listing.url,  # 7 already removed
        w["pending"].listing.url,  # 8 in the holder's own open claim
        other_claim.items.get().listing.url,  # 9 another holder's open claim: fileable
    ]
    client = client_for(w["holder"].user)
    before = state()

    response = client.post("/api/v1/claims/", {**claim_body(w["right"], []), "links": links}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"code", "message", "fields", "lines"}
    assert body["code"] == "links_not_fileable"
    assert "links" in body["fields"]
    assert [(line["line"], line["code"], line["fileable"]) for line in body["lines"]] == [
        (1, "ok", True), (2, "not_a_link", False), (3, "wrong_site", False), (4, "duplicate", False),
        (5, "unknown_listing", False), (6, "not_live", False), (7, "already_removed", False),
        (8, "open_claim", False), (9, "conflict", True),
    ]  # fmt: skip
    assert body["lines"][7]["open_claim"] == w["claim"].pk
    assert body["lines"][0]["listing"] == {
        "id": w["fresh"][1].pk, "title": w["fresh"][1].title, "store": "Seller A"
    }  # fmt: skip
    assert body["lines"][1]["listing"] is None
    assert state() == before

    # The vendor drops the bad lines and submits again.
    kept = [line["text"] for line in body["lines"] if line["fileable"]]
    again = client.post("/api/v1/claims/", {**claim_body(w["right"], []), "links": kept}, format="json")

    assert again.status_code == 201
    assert [item["check_result"] for item in again.json()["items"]] == ["ok", "conflict"]


def test_the_link_check_answers_what_the_claim_form_shows(w):
    links = [w["fresh"][0].url, "", w["pending"].listing.url, "nonsense"]
    client = client_for(w["holder"].user)
    before = state()

    response = client.post(
        "/api/v1/link-check/", {"right": w["right"].pk, "site": "alibaba", "links": links}, format="json"
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["fileable"], body["not_fileable"]) == (1, 2)
    assert [(line["line"], line["code"], line["result"]) for line in body["lines"]] == [
        (1, "ok", "OK"), (3, "open_claim", "Already in your open claim"), (4, "not_a_link", "Not a listing link"),
    ]  # fmt: skip
    assert body["lines"][1]["message"] == f"Already in your open claim {w['claim'].reference}."
    assert state() == before


@pytest.mark.parametrize("path", ["/api/v1/link-check/", "/api/v1/claims/"])
def test_more_links_than_a_claim_takes_is_too_many_links(w, path, settings):
    settings.CLAIM_MAX_LINKS = 3
    links = [canonical_listing_url(ListingRef("alibaba", str(1_608_000_000_000 + n))) for n in range(4)]
    client = client_for(w["holder"].user)
    before = state()

    response = client.post(path, {**claim_body(w["right"], []), "links": links}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "too_many_links"
    assert state() == before


def test_a_link_with_a_line_break_is_refused(w):
    response = client_for(w["holder"].user).post(
        "/api/v1/link-check/",
        {"right": w["right"].pk, "site": "alibaba", "links": [f"{w['fresh'][0].url}\n{w['fresh'][1].url}"]},
        format="json",
    )

    assert response.status_code == 400
    assert "links" in response.json()["fields"]


def test_a_listing_of_an_authorised_seller_needs_the_sworn_statement(w):
    services.authorised_seller_declare(
        user=w["holder"].user, right_id=w["right"].pk, seller=w["seller"], authorised_from=date(2026, 1, 1)
    )
    client = client_for(w["holder"].user)
    before = state()

    refused = client.post("/api/v1/claims/", claim_body(w["right"], w["fresh"][1:2]), format="json")

    assert refused.status_code == 400
    assert refused.json()["code"] == "authorised_seller_not_confirmed"
    assert "states_authorisation_ended" in refused.json()["fields"]
    assert [line["authorised_seller"] for line in refused.json()["lines"]] == [True]
    assert refused.json()["lines"][0]["authorisation_message"].startswith("Authorised by you since")
    assert state() == before

    filed = client.post(
        "/api/v1/claims/", claim_body(w["right"], w["fresh"][1:2], states_authorisation_ended=True), format="json"
    )

    assert filed.status_code == 201
    assert Claim.objects.get(pk=filed.json()["id"]).states_authorisation_ended is True


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"states_accuracy": False}, "unsworn", None),
        ({"signature_name": " "}, "unsworn", None),
        ({"reason_code": "cr_copied_images"}, "reason_not_for_right", "reason_code"),
        ({"reason_code": "made_up"}, "bad_reason", "reason_code"),
        ({"explanation": "  "}, "explanation_required", "explanation"),
        ({"explanation": "x" * 10_001}, "explanation_too_long", "explanation"),
        ({"links": []}, "no_links", "links"),
    ],
)
def test_the_rules_of_the_claim_form_hold_for_the_api(w, change, code, field):
    client = client_for(w["holder"].user)
    before = state()

    response = client.post("/api/v1/claims/", {**claim_body(w["right"], w["fresh"][1:2]), **change}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert (field in response.json()["fields"]) if field else True
    assert state() == before


def test_evidence_must_be_the_filers_own_and_someone_elses_reads_as_missing(w):
    theirs = make_document(w["other"].user, "their-secret.pdf")
    client = client_for(w["holder"].user)
    before = state()

    for submit in (True, False):
        response = client.post(
            "/api/v1/claims/",
            claim_body(w["right"], w["fresh"][1:2], evidence=[theirs.pk], submit=submit),
            format="json",
        )
        assert response.status_code == 400
        assert response.json()["fields"] == {"evidence": [f"There is no document {theirs.pk} among your uploads."]}
        assert "their-secret" not in response.content.decode()
    assert state() == before


def test_the_services_refuse_another_accounts_evidence_and_an_empty_explanation(w):
    """The rules the form alone enforced are the services' now: a caller that skips the form meets them."""
    theirs = make_document(w["other"].user)

    with pytest.raises(PortalError) as draft_error:
        services.claim_save_draft(complainant=w["holder"], evidence=[theirs], explanation="x")
    with pytest.raises(PortalError) as submit_error:
        make_claim(w["holder"], listings=w["fresh"][1:2], right=w["right"], evidence=[theirs])
    with pytest.raises(RuleBroken) as explanation_error:
        make_claim(w["holder"], listings=w["fresh"][1:2], right=w["right"], explanation=" ")

    assert draft_error.value.code == submit_error.value.code == "not_your_document"
    assert explanation_error.value.code == "explanation_required"
    assert not Claim.objects.filter(evidence=theirs).exists()


def test_the_same_idempotency_key_files_once(w):
    client = client_for(w["holder"].user)
    body = claim_body(w["right"], w["fresh"][1:])

    first = client.post("/api/v1/claims/", body, format="json", HTTP_IDEMPOTENCY_KEY="batch-17")
    after_first = state()
    replay = client.post("/api/v1/claims/", body, format="json", HTTP_IDEMPOTENCY_KEY="batch-17")

    assert first.status_code == replay.status_code == 201
    assert replay.json()["id"] == first.json()["id"]
    assert state() == after_first
    assert AuditEvent.objects.filter(verb="claim.submitted", target_id=str(first.json()["id"])).count() == 1
    # Without the key (or with another) it is a new submission: the links are now in an open claim.
    fresh_try = client.post("/api/v1/claims/", body, format="json", HTTP_IDEMPOTENCY_KEY="batch-18")
    assert fresh_try.status_code == 400
    assert {line["code"] for line in fresh_try.json()["lines"]} == {"open_claim"}


def test_the_same_idempotency_key_files_a_draft_once(w):
    client = client_for(w["holder"].user)
    path = f"/api/v1/claims/{w['draft'].pk}/submit/"

    first = client.post(path, SWORN, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    replay = client.post(path, SWORN, format="json", HTTP_IDEMPOTENCY_KEY="k1")

    assert first.status_code == replay.status_code == 201
    assert replay.json()["id"] == first.json()["id"] == w["draft"].pk
    assert AuditEvent.objects.filter(verb="claim.submitted", target_id=str(w["draft"].pk)).count() == 1


def test_an_idempotency_key_is_the_tokens_own(w):
    """Another token sending the same key files its own claim: keys are scoped to the token."""
    body = claim_body(w["right"], w["fresh"][1:2])
    first = client_for(w["holder"].user).post("/api/v1/claims/", body, format="json", HTTP_IDEMPOTENCY_KEY="same")
    other_body = claim_body(w["covered"], w["fresh"][2:3])

    second = client_for(w["agent"].user).post("/api/v1/claims/", other_body, format="json", HTTP_IDEMPOTENCY_KEY="same")

    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"]


def test_wrong_states_are_409_and_change_nothing(w):
    client = client_for(w["holder"].user)
    services.claim_item_withdraw(item_id=w["pending"].pk, user=w["holder"].user)
    before = state()

    answers = {
        "withdraw a draft": client.post(f"/api/v1/claims/{w['draft'].pk}/withdraw/", {}, format="json"),
        "withdraw a withdrawn item": client.post(f"/api/v1/items/{w['pending'].pk}/withdraw/", {}, format="json"),
        "withdraw a removed item": client.post(f"/api/v1/items/{w['removed'].pk}/withdraw/", {}, format="json"),
        "retract a withdrawn item": client.post(f"/api/v1/items/{w['pending'].pk}/retract/", {}, format="json"),
    }

    assert {name: (a.status_code, a.json()["code"]) for name, a in answers.items()} == dict.fromkeys(
        answers, (409, "invalid_transition")
    )
    assert state() == before


def test_withdrawing_a_claim_answers_with_its_timeline_and_decisions(w):
    response = client_for(w["holder"].user).post(f"/api/v1/claims/{w['claim'].pk}/withdraw/", {}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "decided"  # one listing was already removed: it stays removed
    assert {item["status"] for item in body["items"]} == {"removed", "withdrawn"}
    assert [(d["item"], d["status"]) for d in body["decisions"]] == [(w["removed"].pk, "removed")]
    verbs = [event["verb"] for event in body["timeline"]]
    assert verbs[0] == "claim.submitted"
    assert "claim_item.removed" in verbs
    assert verbs[-1] == "claim.withdrawn"


def test_retracting_a_takedown_reinstates_the_listing(w):
    response = client_for(w["holder"].user).post(
        f"/api/v1/items/{w['removed'].pk}/retract/", {"reason": "Settled."}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["claim"] == w["claim"].pk
    assert response.json()["status"] == ClaimItem.objects.get(pk=w["removed"].pk).status == "reinstated"
    assert Listing.objects.get(pk=w["removed"].listing_id).status == Listing.Status.REINSTATED
    detail = client_for(w["holder"].user).get(f"/api/v1/claims/{w['claim'].pk}/").json()
    assert "claim_item.retracted" in [event["verb"] for event in detail["timeline"]]


def test_the_claim_detail_shows_decisions_and_only_the_complainants_timeline(w):
    body = client_for(w["holder"].user, scopes=("read",)).get(f"/api/v1/claims/{w['claim'].pk}/").json()

    assert [(d["item"], d["status"], d["external_id"]) for d in body["decisions"]] == [
        (w["removed"].pk, "removed", w["removed"].external_id)
    ]
    assert body["decisions"][0]["decided_at"]
    assert [event["verb"] for event in body["timeline"]] == ["claim.submitted", "claim_item.removed"]
    assert set(body["timeline"][0]) == {"at", "verb", "what", "item", "note"}
