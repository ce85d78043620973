"""The claim review page at volume: 300 listings read 50 at a time, counted and filtered by status and seller, decided
for every waiting listing of a seller (on every page) after a confirmation step, and — beyond
DECISION_BATCH_ASYNC_ITEMS listings — by a worker that the reviewer follows on a progress page."""

import re

import pytest
from django.test import override_settings

from complaints import services
from complaints.models import Claim, ClaimItem, DecisionBatch
from ipp_portal.audit.models import AuditEvent
from ipp_portal.errors import NotPermitted
from ipp_portal.notifications.models import Notification
from listings.models import Listing
from tests.factories import ListingFactory, SellerFactory, file_counter_notice, make_claim, make_staff, seen, take_down

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def claim_of(*counts: int, complainant=None) -> Claim:
    """A claim naming ``counts[i]`` listings of seller i, listed seller by seller."""
    listings = [listing for n in counts for listing in ListingFactory.create_batch(n, seller=SellerFactory())]
    return make_claim(complainant, listings=listings)


def shown_seen(page: str) -> str:
    return re.search(r'name="seen" value="([^"]+)"', page).group(1)


@pytest.fixture
def reviewer():
    return make_staff("Reviewer")


@pytest.fixture
def supervisor():
    return make_staff("Supervisor")


def review_page(client, claim: Claim, query: str = "") -> str:
    response = client.get(f"/admin/complaints/claim/{claim.pk}/change/{query}")
    assert response.status_code == 200
    return response.content.decode()


def decide(client, claim: Claim, data: dict, *, follow: bool = True):
    return client.post(f"/admin/complaints/claim/{claim.pk}/decide/", data, follow=follow)


def test_a_300_listing_claim_is_read_50_at_a_time_with_counts_and_filters(client, reviewer):
    claim = claim_of(120, 180)
    first_seller, second_seller = (
        claim.items.order_by("position").first().seller,
        claim.items.order_by("-position").first().seller,
    )
    take_down(claim, claim.items.filter(seller=first_seller).order_by("position")[:7])
    client.force_login(reviewer)

    page = review_page(client, claim)
    rows = re.findall(r'class="pick" name="items" value="(\d+)"', page)
    second = review_page(client, claim, "?page=2")
    removed = review_page(client, claim, "?status=removed")
    of_second = review_page(client, claim, f"?seller={second_seller.pk}&page=4")

    assert len(rows) == 43  # the first 50 listings, 7 of them already taken down
    assert "Page 1 of 6 (listings 1–50 of 300)" in page
    assert "Listings (300)" in page
    assert re.search(r"Listing removed</span> <span class=\"count\">7<", page)
    assert re.search(r"Waiting for review</span> <span class=\"count\">293<", page)
    assert f"{first_seller.store_name} (120)" in page
    assert f"{second_seller.store_name} (180)" in page
    assert "Page 2 of 6 (listings 51–100 of 300)" in second
    assert "Page 1 of 1 (listings" not in removed
    assert removed.count('<td><span class="status status-removed"') == 7
    assert "Page 4 of 4 (listings 151–180 of 180)" in of_second
    assert first_seller.store_name not in of_second.split("<tbody>")[1].split("</tbody>")[0]
    # Every waiting listing of the filtered seller, on every page, can be chosen at once.
    assert "all 180 waiting listings of " + second_seller.store_name in of_second


def test_every_waiting_listing_of_a_seller_is_taken_down_after_a_confirmation(client, reviewer):
    claim = claim_of(60, 40)
    seller = claim.items.order_by("position").first().seller
    client.force_login(reviewer)
    shown = shown_seen(review_page(client, claim, f"?seller={seller.pk}"))
    data = {"decision": "take_down", "scope": "seller", "scope_seller": seller.pk, "seen": shown}

    asked = decide(client, claim, data, follow=False)

    assert asked.status_code == 200
    text = asked.content.decode()
    assert "What will happen" in text
    assert f"Taken down now: all 60 waiting listing(s) of {seller.store_name}, on every page." in text
    assert "Yes, take down 60 listing(s)" in text
    assert ClaimItem.objects.filter(claim=claim, status=ClaimItem.Status.REMOVED).count() == 0  # nothing yet

    done = decide(client, claim, {**data, "confirmed": "yes"})

    assert "60 listings taken down" in done.content.decode()
    assert set(claim.items.filter(seller=seller).values_list("status", flat=True)) == {ClaimItem.Status.REMOVED}
    assert set(claim.items.exclude(seller=seller).values_list("status", flat=True)) == {ClaimItem.Status.PENDING}


def test_a_takedown_of_every_waiting_listing_is_the_trusted_programme_s_alone(client, reviewer):
    claim = claim_of(3, 2)
    client.force_login(reviewer)
    shown = shown_seen(review_page(client, claim))

    refused = decide(
        client, claim, {"decision": "take_down", "scope": "pending", "seen": shown, "confirmed": "yes"}
    ).content.decode()

    assert "Only a trusted complainant&#x27;s claim can be decided in one action" in refused
    assert not claim.items.exclude(status=ClaimItem.Status.PENDING).exists()


def test_every_waiting_listing_can_be_rejected_at_once(client, reviewer):
    claim = claim_of(3, 2)
    client.force_login(reviewer)
    shown = shown_seen(review_page(client, claim))

    decide(
        client, claim,
        {"decision": "reject_items", "scope": "pending", "code": "not_infringing", "seen": shown, "confirmed": "yes"},
    )  # fmt: skip

    assert set(claim.items.values_list("status", flat=True)) == {ClaimItem.Status.REJECTED}


def test_rejecting_the_whole_claim_asks_first_and_says_who_is_told(client, reviewer):
    claim = claim_of(2)
    client.force_login(reviewer)
    note = "The register shows another owner."
    data = {"decision": "reject_claim", "claim_code": "ownership_not_proven", "note": note,
            "seen": shown_seen(review_page(client, claim))}  # fmt: skip

    asked = decide(client, claim, data, follow=False).content.decode()

    assert "The claim is rejected (" in asked
    assert "and with it all 2 waiting listing(s) of this claim" in asked
    assert "Your note, which they read: “The register shows another owner.”" in asked
    assert 'name="note" value="The register shows another owner."' in asked  # carried to the second step
    claim.refresh_from_db()
    assert claim.status == Claim.Status.SUBMITTED

    decide(client, claim, {**data, "confirmed": "yes"})

    claim.refresh_from_db()
    assert claim.status == Claim.Status.DECIDED
    assert set(claim.items.values_list("status", flat=True)) == {ClaimItem.Status.REJECTED}


def test_reinstating_upheld_listings_asks_first(client, supervisor):
    claim = claim_of(2)
    items = list(claim.items.order_by("position"))
    take_down(claim)
    notice = file_counter_notice(items[0].seller, items[:1])
    services.counter_notice_reject(notice_id=notice.pk, user=claim.complainant.user, answer="Still counterfeit.")
    services.counter_notice_decide(notice_id=notice.pk, reviewer=supervisor, outcome="uphold", reason="Fake.")
    client.force_login(supervisor)
    data = {"decision": "reinstate_upheld", "items": [items[0].pk], "note": "New evidence from the seller."}

    asked = decide(client, claim, data, follow=False).content.decode()

    assert "The removal of the 1 listing(s) you ticked is reversed" in asked
    assert ClaimItem.objects.get(pk=items[0].pk).status == ClaimItem.Status.UPHELD

    decide(client, claim, {**data, "confirmed": "yes"})

    assert ClaimItem.objects.get(pk=items[0].pk).status == ClaimItem.Status.REINSTATED


def test_a_decided_claim_shows_no_decision_buttons(client, reviewer):
    claim = claim_of(2)
    take_down(claim)
    client.force_login(reviewer)

    page = review_page(client, claim)

    assert 'value="take_down"' not in page
    assert 'value="reject_claim"' not in page
    assert 'value="take"' not in page
    assert "there is nothing to decide on it now" in page
    assert 'class="pick"' not in page


@override_settings(DECISION_BATCH_ASYNC_ITEMS=100)
def test_a_decision_on_more_than_100_listings_runs_on_a_worker_and_the_reviewer_follows_it(
    client, reviewer, django_capture_on_commit_callbacks
):
    claim = claim_of(130, 5)
    seller = claim.items.order_by("position").first().seller
    client.force_login(reviewer)
    shown = shown_seen(review_page(client, claim, f"?seller={seller.pk}"))
    data = {"decision": "take_down", "scope": "seller", "scope_seller": seller.pk, "seen": shown, "confirmed": "yes"}

    with django_capture_on_commit_callbacks() as handed_over:  # the worker has not run yet
        answer = decide(client, claim, data, follow=False)
    batch = DecisionBatch.objects.get(claim=claim)
    waiting = client.get(answer["Location"]).content.decode()

    assert answer["Location"] == f"/admin/complaints/claim/{claim.pk}/batches/{batch.pk}/"
    assert batch.status == DecisionBatch.Status.QUEUED
    assert batch.item_count == 130
    assert '<meta http-equiv="refresh" content="2">' in waiting
    assert "Waiting for a worker" in waiting
    assert not claim.items.exclude(status=ClaimItem.Status.PENDING).exists()

    for callback in handed_over:  # the hand-over to the (eager) worker
        callback()
    batch.refresh_from_db()
    finished = client.get(answer["Location"]).content.decode()

    assert batch.status == DecisionBatch.Status.DONE
    assert batch.decided_count == 130
    assert 'http-equiv="refresh"' not in finished
    assert "130 listings taken down" in finished
    assert claim.items.filter(status=ClaimItem.Status.REMOVED).count() == 130
    assert claim.items.filter(status=ClaimItem.Status.PENDING).count() == 5
    told = Notification.objects.get(recipient=reviewer, template="complaints/decision_batch_finished")
    assert f"Claim {claim.reference}: your decision is done" == told.subject
    assert list(AuditEvent.objects.for_target(batch).order_by("id").values_list("verb", flat=True)) == [
        "decision_batch.queued",
        "decision_batch.running",
        "decision_batch.done",
    ]


@override_settings(DECISION_BATCH_ASYNC_ITEMS=2)
def test_a_batch_refused_at_run_time_changes_nothing_and_says_why(reviewer):
    claim = claim_of(4)
    items = list(claim.items.order_by("position"))
    batch = services.decision_batch_queue(
        claim_id=claim.pk, reviewer=reviewer, decision="take_down", item_ids=[i.pk for i in items], seen=seen(claim)
    )
    take_down(claim, items[:1])  # someone else decided one of them meanwhile

    services.decision_batch_run(batch.pk)

    batch.refresh_from_db()
    assert batch.status == DecisionBatch.Status.FAILED
    assert "Nothing in this batch was changed" in batch.outcome or "changed while you were reviewing" in batch.outcome
    assert claim.items.filter(status=ClaimItem.Status.REMOVED).count() == 1
    told = Notification.objects.get(recipient=reviewer, template="complaints/decision_batch_finished")
    assert "was not carried out" in told.subject


def test_a_batch_delivered_twice_is_decided_once(reviewer):
    claim = claim_of(3)
    ids = list(claim.items.values_list("pk", flat=True))
    batch = services.decision_batch_queue(
        claim_id=claim.pk, reviewer=reviewer, decision="reject_items", item_ids=ids, seen=seen(claim),
        code="not_infringing",
    )  # fmt: skip

    first = services.decision_batch_run(batch.pk)
    second = services.decision_batch_run(batch.pk)

    assert first is not None
    assert second is None
    assert Notification.objects.filter(template="complaints/decision_batch_finished").count() == 1
    assert AuditEvent.objects.filter(verb="claim_item.rejected").count() == 3  # one per listing, not six
    assert set(claim.items.values_list("status", flat=True)) == {ClaimItem.Status.REJECTED}


def test_only_staff_who_may_decide_claims_queue_a_batch():
    claim = claim_of(2)
    auditor = make_staff("Auditor")

    with pytest.raises(NotPermitted):
        services.decision_batch_queue(
            claim_id=claim.pk, reviewer=auditor, decision="take_down",
            item_ids=list(claim.items.values_list("pk", flat=True)), seen=seen(claim),
        )  # fmt: skip

    assert not DecisionBatch.objects.exists()
    assert not Listing.objects.filter(status=Listing.Status.REMOVED).exists()
