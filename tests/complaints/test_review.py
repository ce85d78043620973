import re
from datetime import timedelta

import pytest

from complaints import services
from complaints.models import Claim, ClaimItem
from enforcement.models import Violation
from enforcement.services import violations_establish_due as establish_due
from ipp_portal.audit.models import AuditEvent
from ipp_portal.errors import InvalidTransition, PortalError
from ipp_portal.notifications.models import Notification
from listings.models import Listing, ListingSnapshot
from tests.factories import (
    ListingFactory,
    SellerFactory,
    UserFactory,
    make_claim,
    make_complainant,
    make_staff,
    seen,
    take_down,
)
from tests.threads import run_together


@pytest.fixture
def reviewer():
    return make_staff(email="reviewer@staff.example")


@pytest.mark.django_db
def test_take_down_batch_removes_snapshots_records_violations_and_batches_notices(reviewer):
    store_a, store_b = SellerFactory(store_name="Store A"), SellerFactory(store_name="Store B")
    listings = [ListingFactory(seller=store_a), ListingFactory(seller=store_a), ListingFactory(seller=store_b)]
    # The complainant's contact is what the seller's notice must carry.
    claim = make_claim(make_complainant(contact_email="ip@acme.example"), listings=listings)

    take_down(claim, reviewer=reviewer)

    claim.refresh_from_db()
    assert claim.status == Claim.Status.DECIDED
    assert set(Listing.objects.values_list("status", flat=True)) == {"removed"}
    assert ListingSnapshot.objects.count() == 3
    for item in ClaimItem.objects.all():
        assert item.status == "removed"
        assert item.violation.severity == "serious"  # counterfeit
        assert item.violation.reference == str(item)
        assert item.counter_notice_due_at > item.decided_at
        assert item.snapshot.title == item.listing.title
    notices_a = Notification.objects.filter(recipient=store_a.user, template="complaints/takedown_notice")
    assert notices_a.count() == 1  # one per seller per batch, never one per listing
    body = notices_a.get().body_text
    assert "ip@acme.example" in body
    assert "Acme Brands Ltd." in body
    assert "counter-notice by" in body
    assert Notification.objects.filter(recipient=store_b.user, template="complaints/takedown_notice").count() == 1
    assert Notification.objects.filter(template="complaints/claim_decisions").count() == 1
    assert AuditEvent.objects.filter(verb="claim_item.removed").count() == 3
    # Distinct sellers + 1, and nothing else: the violations are pending, so nothing is imposed — the notice says so.
    assert Notification.objects.exclude(template="complaints/claim_received").count() == 3
    assert "pending serious (e.g. counterfeit) violation" in " ".join(body.split())
    assert "Posting restriction" not in body
    assert set(Violation.objects.values_list("status", flat=True)) == {"pending"}
    assert {v.establishes_at for v in Violation.objects.all()} == {item.counter_notice_due_at}


@pytest.mark.django_db
def test_reject_with_code_and_note_the_complainant_reads(reviewer):
    claim = make_claim(listings=[ListingFactory(), ListingFactory()])
    first, _ = claim.items.order_by("position")

    with pytest.raises(PortalError, match="Explain"):
        services.claim_items_reject(
            claim_id=claim.pk, seen=seen(claim), item_ids=[first.pk], reviewer=reviewer, code="other"
        )
    services.claim_items_reject(
        claim_id=claim.pk,
        seen=seen(claim),
        item_ids=[first.pk],
        reviewer=reviewer,
        code="not_infringing",
        note="Genuine, resold.",
    )

    first.refresh_from_db()
    assert (first.status, first.decision_reason) == (
        "rejected",
        "Not infringing on the evidence given: Genuine, resold.",
    )
    assert Claim.objects.get(pk=claim.pk).status == Claim.Status.IN_REVIEW  # one listing still pending
    assert not Violation.objects.exists()
    assert "Genuine, resold." in Notification.objects.get(template="complaints/claim_decisions").body_text


@pytest.mark.django_db
def test_deciding_an_already_decided_item_names_who_and_changes_nothing(reviewer):
    other = make_staff(email="other@staff.example")
    claim = make_claim(listings=[ListingFactory(), ListingFactory()])
    first, second = claim.items.order_by("position")
    take_down(claim, [first], reviewer)

    with pytest.raises(InvalidTransition, match=r"reviewer@staff\.example"):
        services.claim_items_reject(
            claim_id=claim.pk, seen=seen(claim), item_ids=[first.pk, second.pk], reviewer=other, code="not_infringing"
        )

    assert ClaimItem.objects.get(pk=second.pk).status == "pending"
    assert Violation.objects.count() == 1


@pytest.mark.django_db
def test_reject_whole_claim(reviewer):
    claim = make_claim(listings=[ListingFactory(), ListingFactory()])

    services.claim_reject(
        claim_id=claim.pk, seen=seen(claim), reviewer=reviewer, code="ownership_not_proven", note="Wrong owner"
    )

    assert set(claim.items.values_list("status", flat=True)) == {"rejected"}
    assert Claim.objects.get(pk=claim.pk).status == Claim.Status.DECIDED
    assert Listing.objects.filter(status="live").count() == 2


@pytest.mark.django_db
def test_take_shows_who_has_it(reviewer):
    claim = make_claim(listings=[ListingFactory()])
    other = make_staff()

    services.claim_take(claim_id=claim.pk, reviewer=reviewer)
    with pytest.raises(PortalError, match=r"reviewer@staff\.example has already taken"):
        services.claim_take(claim_id=claim.pk, reviewer=other)

    assert Claim.objects.get(pk=claim.pk).assigned_to == reviewer


@pytest.mark.django_db
def test_takedown_escalates_the_seller_only_once_the_window_closes(reviewer):
    seller = SellerFactory()
    claim = make_claim(listings=[ListingFactory(seller=seller), ListingFactory(seller=seller)])

    take_down(claim, reviewer=reviewer)
    seller.refresh_from_db()
    assert seller.standing == "good"  # pending: the seller can still answer

    due = claim.items.first().counter_notice_due_at
    establish_due(now=due + timedelta(minutes=1))
    seller.refresh_from_db()
    # Two counterfeits of one right, established together: one serious violation (6 points) — a warning.
    assert seller.standing == "warned"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_reviewers_deciding_the_same_item_at_once_make_one_decision():
    reviewers = [make_staff(), make_staff()]
    claim = make_claim(listings=[ListingFactory()])
    item = claim.items.get()
    errors = run_together(
        lambda: take_down(claim, [item], reviewers[0]),
        lambda: services.claim_items_reject(claim_id=claim.pk, seen=seen(claim), item_ids=[item.pk],
                                            reviewer=reviewers[1], code="other", note="no"),
        timeout=30,
    )  # fmt: skip
    outcomes = ["ok"] * (2 - len(errors)) + [
        exc.message if isinstance(exc, InvalidTransition) else repr(exc) for exc in errors
    ]

    assert sorted(o == "ok" for o in outcomes) == [False, True]
    assert any("already decided" in o for o in outcomes), outcomes
    assert Violation.objects.count() <= 1
    assert Notification.objects.filter(template="complaints/claim_decisions").count() == 1


@pytest.mark.django_db
def test_admin_review_page_and_batch_decisions(client):
    staff = UserFactory(is_staff=True, is_superuser=True, email="boss@staff.example")
    claim = make_claim(listings=[ListingFactory(title=f"Fake {n}") for n in range(3)])
    first, second, third = claim.items.order_by("position")
    client.force_login(staff)

    queue = client.get("/admin/complaints/claim/", follow=True).content.decode()
    page = client.get(f"/admin/complaints/claim/{claim.pk}/change/").content.decode()
    shown = {"seen": re.search(r'name="seen" value="([^"]+)"', page).group(1)}  # the version the page shows
    client.post(f"/admin/complaints/claim/{claim.pk}/decide/", {"decision": "take"})
    client.post(
        f"/admin/complaints/claim/{claim.pk}/decide/",
        {"decision": "take_down", "items": [first.pk, second.pk], **shown},
    )
    client.post(
        f"/admin/complaints/claim/{claim.pk}/decide/",
        {"decision": "reject_items", "items": [third.pk], "code": "not_infringing", "note": "Different logo", **shown},
    )
    again = client.post(
        f"/admin/complaints/claim/{claim.pk}/decide/",
        {"decision": "take_down", "items": [third.pk], **shown},
        follow=True,
    ).content.decode()

    assert claim.reference in queue
    assert "Fake 2" in page
    assert ">Take down</button>" in page
    assert list(claim.items.order_by("position").values_list("status", flat=True)) == ["removed", "removed", "rejected"]
    assert "already decided" in again
    assert Claim.objects.get(pk=claim.pk).assigned_to == staff


@pytest.mark.django_db
def test_service_levels_count_the_queue_and_the_24_hour_share(admin_client, reviewer):
    from datetime import timedelta

    from django.utils import timezone

    from complaints.selectors import review_service_levels

    claim = make_claim(listings=[ListingFactory(), ListingFactory()])
    late = make_claim(listings=[ListingFactory()])
    Claim.objects.filter(pk=late.pk).update(submitted_at=timezone.now() - timedelta(hours=30))
    take_down(claim, [claim.items.first()], reviewer)
    take_down(late, reviewer=reviewer)

    levels = review_service_levels()
    page = admin_client.get("/admin/complaints/claim/service-levels/").content.decode()

    assert (levels["queue_claims"], levels["queue_items"]) == (1, 1)
    assert (levels["decided_7d"], levels["decided_within_24h_7d"], levels["share_within_24h"]) == (2, 1, 50.0)
    assert "50.0 %" in page


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_decision_racing_a_withdrawal_ends_in_one_consistent_state(reviewer):
    claim = make_claim(listings=[ListingFactory(), ListingFactory()])
    holder_user = claim.complainant.user
    items = list(claim.items.all())
    errors = [
        exc.message if isinstance(exc, (InvalidTransition, PortalError)) else repr(exc)
        for exc in run_together(
            lambda: take_down(claim, items, reviewer),
            lambda: services.claim_withdraw(claim_id=claim.pk, user=holder_user),
            timeout=30,
        )
    ]

    claim.refresh_from_db()
    statuses = set(claim.items.values_list("status", flat=True))
    removed = Listing.objects.filter(status="removed").count()
    assert len(errors) == 1
    if statuses == {"withdrawn"}:  # the withdrawal came first: nothing was taken down
        assert (claim.status, removed, Violation.objects.count()) == ("withdrawn", 0, 0)
    else:  # the takedown came first: the decided claim could no longer be withdrawn
        assert (statuses, claim.status, removed, Violation.objects.count()) == ({"removed"}, "decided", 2, 2)


@pytest.mark.django_db
def test_rejected_listings_end_with_a_notice_to_the_seller_too(reviewer):
    seller = SellerFactory()
    claim = make_claim(listings=[ListingFactory(seller=seller, title="Genuine earbuds")])

    services.claim_items_reject(
        claim_id=claim.pk, seen=seen(claim), item_ids=[claim.items.get().pk], reviewer=reviewer, code="not_infringing"
    )

    notice = Notification.objects.get(recipient=seller.user)
    assert "rejected — no action" in notice.subject
    assert "Genuine earbuds" in notice.body_text


@pytest.mark.django_db
def test_claim_items_admin_search_by_listing_id_claim_number_or_store(admin_client):
    store = SellerFactory(store_name="Shenzhen Knockoffs")
    claim = make_claim(listings=[ListingFactory(seller=store, external_id="1601000000777"), ListingFactory()])

    by_id = admin_client.get("/admin/complaints/claimitem/", {"q": "1601000000777"}).content.decode()
    by_claim = admin_client.get("/admin/complaints/claimitem/", {"q": claim.reference}).content.decode()
    by_store = admin_client.get("/admin/complaints/claimitem/", {"q": "knockoffs"}).content.decode()

    assert by_id.count("1601000000777") >= 1
    assert f"{claim.reference}#2" not in by_id
    assert f"{claim.reference}#1" in by_claim
    assert f"{claim.reference}#2" in by_claim
    assert f"{claim.reference}#1" in by_store
    assert f"{claim.reference}#2" not in by_store


@pytest.mark.django_db
def test_the_queue_header_computes_service_levels_once_a_minute_and_in_one_statement(
    admin_client, reviewer, django_assert_num_queries
):
    from django.core.cache import cache

    from complaints.selectors import review_service_levels, review_service_levels_cached

    cache.clear()
    make_claim(listings=[ListingFactory(), ListingFactory()])
    with django_assert_num_queries(1):
        fresh = review_service_levels()
    first = review_service_levels_cached()
    make_claim(listings=[ListingFactory()])
    with django_assert_num_queries(0):
        again = review_service_levels_cached()

    assert (fresh["queue_claims"], fresh["queue_items"]) == (1, 2)
    assert again == first  # a minute's grace: the second claim shows on the next computation
    assert review_service_levels()["queue_claims"] == 2
    cache.clear()


@pytest.mark.django_db
def test_a_cache_that_is_down_does_not_fail_the_queue(admin_client, settings):
    from tests.faults import closed_port

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }  # Django's setting_changed handler swaps the cache handlers for these
    make_claim(listings=[ListingFactory()])

    page = admin_client.get("/admin/complaints/claim/?status__in=submitted,in_review")

    assert page.status_code == 200
    assert "1 claim (1 listing) waiting" in page.content.decode()


@pytest.mark.django_db
def test_the_queue_filters_by_reason_label_and_by_conflict_without_a_distinct(admin_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    listing = ListingFactory()
    first = make_claim(listings=[listing])
    conflicted = make_claim(listings=[listing, ListingFactory()])  # the same listing: a conflict on its item
    other_reason = make_claim(reason_code="tm_unauthorized_use")

    with CaptureQueriesContext(connection) as queries:
        page = admin_client.get("/admin/complaints/claim/?status__in=submitted,in_review&conflict=yes")
    by_reason = admin_client.get("/admin/complaints/claim/?status__in=submitted,in_review&reason_code=tm_counterfeit")

    html = page.content.decode()
    assert conflicted.reference in html
    assert first.reference not in html
    assert not any("DISTINCT" in q["sql"] for q in queries.captured_queries)
    assert "Counterfeit" in html  # the filter lists labels, not codes
    assert first.reference in by_reason.content.decode()
    assert other_reason.reference not in by_reason.content.decode()


@pytest.mark.django_db
def test_the_review_page_caps_conflicts_and_links_to_the_full_list(admin_client):
    listings = ListingFactory.create_batch(60)
    first = make_claim(listings=listings)
    second = make_claim(listings=listings)  # another rights holder names the same 60 listings

    page = admin_client.get(f"/admin/complaints/claim/{second.pk}/change/").content.decode()
    full = admin_client.get(f"/admin/complaints/claimitem/?conflicts_with={second.pk}").content.decode()

    assert page.count(f">{first.reference}</a>") == 50
    assert "Showing 50 of 60 conflicting listings" in page
    assert f"?conflicts_with={second.pk}" in page
    assert full.count('class="field-external_id"') == 60  # the other rights holder's 60 items, not this claim's


@pytest.mark.django_db
def test_the_queue_finds_a_claim_by_its_reference_as_displayed(admin_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    wanted, other = make_claim(), make_claim(listings=[ListingFactory(external_id="1600000000777")])
    queue = "/admin/complaints/claim/?status__in=submitted,in_review&q="

    with CaptureQueriesContext(connection) as queries:
        by_reference = admin_client.get(queue + wanted.reference).content.decode()
    by_listing = admin_client.get(queue + "1600000000777").content.decode()
    by_name = admin_client.get(queue + other.complainant.legal_name[:6]).content.decode()

    assert wanted.reference in by_reference
    assert other.reference not in by_reference
    assert other.reference in by_listing
    assert wanted.reference not in by_listing
    assert other.reference in by_name
    assert not any("DISTINCT" in q["sql"] for q in queries.captured_queries)
