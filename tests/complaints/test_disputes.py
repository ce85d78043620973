import uuid
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from complaints import services
from complaints.models import ClaimItem, CounterNotice
from enforcement.models import Action, Policy, Violation
from ipp_portal.errors import DeadlinePassed, InvalidTransition, NotPermitted, PortalError
from ipp_portal.notifications.models import Notification
from listings.models import Listing, Seller
from tests.factories import (
    SWORN_COUNTER_NOTICE,
    ListingFactory,
    SellerFactory,
    UserFactory,
    file_counter_notice,
    make_claim,
    make_complainant,
    make_document,
    make_removed,
    make_right,
    make_staff,
    take_down,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer():
    return make_staff(email="reviewer@staff.example")


@pytest.fixture
def removed(reviewer):
    """A seller with two listings taken down under one claim."""
    seller = SellerFactory(store_name="Bright Audio")
    holder = make_complainant()
    claim, items = make_removed(holder, seller=seller, count=2, reviewer=reviewer, explanation="Fakes")
    return seller, holder, claim, items


def test_counter_notice_then_acceptance_reinstates_and_withdraws_violations(removed):
    seller, holder, _claim, items = removed
    # Two counterfeits taken down: pending violations, nothing imposed while the seller can answer.
    assert Seller.objects.get(pk=seller.pk).standing == "good"
    assert set(Violation.objects.values_list("status", flat=True)) == {"pending"}

    notice = file_counter_notice(seller, items)
    assert set(ClaimItem.objects.values_list("status", flat=True)) == {"disputed"}
    assert (
        Notification.objects.filter(recipient=holder.user, template="complaints/counter_notice_received").count() == 1
    )
    assert set(Violation.objects.values_list("establishes_at", flat=True)) == {None}  # waits for the outcome
    services.counter_notice_accept(notice_id=notice.pk, user=holder.user)

    assert set(ClaimItem.objects.values_list("status", flat=True)) == {"reinstated"}
    assert set(Listing.objects.values_list("status", flat=True)) == {"reinstated"}
    assert set(Violation.objects.values_list("status", flat=True)) == {"withdrawn"}
    assert not Action.objects.exists()  # nothing was ever applied
    assert Seller.objects.get(pk=seller.pk).standing == "good"


def test_rejection_goes_to_staff_who_uphold_and_a_second_counter_notice_is_allowed(removed, reviewer):
    seller, holder, _claim, items = removed
    notice = file_counter_notice(seller, items[:1])

    with pytest.raises(PortalError, match="reasons"):
        services.counter_notice_reject(notice_id=notice.pk, user=holder.user, answer=" ")
    services.counter_notice_reject(notice_id=notice.pk, user=holder.user, answer="Serial numbers are fake.")
    assert ClaimItem.objects.get(pk=items[0].pk).status == "staff_review"
    services.counter_notice_decide(notice_id=notice.pk, reviewer=reviewer, outcome="uphold", reason="Fake serials.")

    item = ClaimItem.objects.get(pk=items[0].pk)
    assert item.status == "upheld"
    second = file_counter_notice(seller, [item], statement="New invoice attached.")
    assert second.round == 2
    assert ClaimItem.objects.get(pk=item.pk).status == "disputed"


@pytest.mark.unaudited_status_setup
def test_late_fourth_and_foreign_counter_notices_are_refused(removed):
    seller, _holder, _claim, items = removed
    # Both windows closed: the first (3 business days) and the further chances' (27 business days).
    ClaimItem.objects.filter(pk=items[0].pk).update(
        counter_notice_due_at=timezone.now() - timedelta(days=30),
        further_counter_notice_due_at=timezone.now() - timedelta(minutes=1),
    )

    with pytest.raises(DeadlinePassed, match="closed"):
        file_counter_notice(seller, items[:1])
    with pytest.raises(ClaimItem.DoesNotExist):
        services.counter_notice_file(
            user=UserFactory(), item_ids=[items[1].pk], reason="other", statement="x", ip="1", token=uuid.uuid4(),
            **SWORN_COUNTER_NOTICE,
        )  # fmt: skip
    ClaimItem.objects.filter(pk=items[1].pk).update(status="upheld", counter_notice_count=3)
    with pytest.raises(InvalidTransition, match="all 3 counter-notice chances"):
        file_counter_notice(seller, items[1:])
    assert not CounterNotice.objects.exists()


def test_unsworn_counter_notice_is_refused(removed):
    seller, _, _, items = removed

    with pytest.raises(PortalError, match="Tick both statements"):
        file_counter_notice(seller, items, consents_to_jurisdiction=False)
    assert not CounterNotice.objects.exists()


def test_silence_goes_to_staff_and_the_sweep_is_idempotent(removed):
    seller, holder, _claim, items = removed
    notice = file_counter_notice(seller, items)
    later = notice.answer_due_at + timedelta(minutes=1)

    assert services.counter_notices_sweep_due(now=later) == 1
    assert services.counter_notices_sweep_due(now=later) == 0

    assert CounterNotice.objects.get(pk=notice.pk).status == "no_answer"
    assert set(ClaimItem.objects.values_list("status", flat=True)) == {"staff_review"}
    with pytest.raises(InvalidTransition):
        services.counter_notice_accept(notice_id=notice.pk, user=holder.user)


def test_silence_reinstates_where_the_site_policy_says_so(removed):
    seller, _holder, _claim, items = removed
    Policy.objects.filter(site__code="alibaba", is_current=True).update(reinstate_on_silence=True)
    notice = file_counter_notice(seller, items)

    services.counter_notices_sweep_due(now=notice.answer_due_at + timedelta(seconds=1))

    assert set(ClaimItem.objects.values_list("status", flat=True)) == {"reinstated"}


def test_answer_deadline_counts_business_days(removed):
    seller, _, _, items = removed

    notice = file_counter_notice(seller, items)

    local = timezone.localtime(notice.answer_due_at, seller.site.tzinfo)
    assert local.weekday() < 5
    assert notice.answer_due_at - notice.signed_at >= timedelta(days=3)


def test_retraction_reinstates_and_withdraws(removed):
    seller, holder, _claim, items = removed

    services.claim_item_retract(item_id=items[0].pk, user=holder.user, reason="Settled with the seller.")

    item = ClaimItem.objects.get(pk=items[0].pk)
    assert item.status == "reinstated"
    assert item.listing.status == "reinstated"
    assert item.violation.withdrawn_at is not None
    with pytest.raises(ClaimItem.DoesNotExist):
        services.claim_item_retract(item_id=items[1].pk, user=seller.user)


def test_only_a_supervisor_reinstates_an_upheld_removal(removed, reviewer):
    seller, holder, _claim, items = removed
    notice = file_counter_notice(seller, items[:1])
    services.counter_notice_reject(notice_id=notice.pk, user=holder.user, answer="No")
    services.counter_notice_decide(notice_id=notice.pk, reviewer=reviewer, outcome="uphold", reason="Fake")
    supervisor = make_staff("Supervisor")
    supervisor.groups.add(Group.objects.get(name="Supervisor"))

    with pytest.raises(NotPermitted):
        services.claim_item_reinstate_upheld(item_id=items[0].pk, supervisor=reviewer, reason="x")
    services.claim_item_reinstate_upheld(item_id=items[0].pk, supervisor=supervisor, reason="New evidence")

    assert ClaimItem.objects.get(pk=items[0].pk).status == "reinstated"


def test_shared_documents_are_visible_to_the_rights_holder_and_no_one_else(client, removed):
    seller, holder, _claim, items = removed
    shared, private = make_document(seller.user, "invoice.pdf"), make_document(seller.user, "private.pdf")
    file_counter_notice(seller, items, documents=[shared, private], shared_documents=[shared])

    client.force_login(holder.user)
    assert client.get(f"/rights/documents/{shared.pk}/").status_code == 200
    assert client.get(f"/rights/documents/{private.pk}/").status_code == 404
    client.force_login(UserFactory())
    assert client.get(f"/rights/documents/{shared.pk}/").status_code == 404


def test_seller_notices_page_and_counter_notice_form(client, removed):
    seller, _holder, claim, items = removed
    client.force_login(seller.user)

    page = client.get("/seller/notices/").content.decode()
    form = client.get(f"/seller/notices/claims/{claim.pk}/counter-notice/").content.decode()
    response = client.post(
        f"/seller/notices/claims/{claim.pk}/counter-notice/",
        {"items": [items[0].pk], "reason": "genuine_goods", "statement": "Genuine.", "states_good_faith_mistake": "on",
         "consents_to_jurisdiction": "on", "signature_name": "Lin Wei", "token": str(uuid.uuid4())},
    )  # fmt: skip

    assert claim.complainant.contact_email in page
    assert "Counter-notice by" in page
    assert "Listings you dispute" in form
    assert " checked" not in form  # no listing, statement or sharing starts ticked
    assert response.status_code == 302
    assert ClaimItem.objects.get(pk=items[0].pk).status == "disputed"
    client.force_login(UserFactory())
    assert client.get(f"/seller/notices/claims/{claim.pk}/counter-notice/").status_code == 404


def test_sweep_query_count_per_batch_does_not_depend_on_the_batch_size(reviewer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def sweep(n: int) -> int:
        notices = []
        for _ in range(n):
            seller = SellerFactory()
            _claim, items = make_removed(
                seller=seller, reviewer=reviewer, reason_code="tm_unauthorized_use", explanation="x"
            )
            notices.append(file_counter_notice(seller, items))
        later = max(n.answer_due_at for n in notices) + timedelta(minutes=1)
        with CaptureQueriesContext(connection) as ctx:
            assert services.counter_notices_sweep_due(now=later) == n
        return len(ctx.captured_queries)

    sweep(1)  # warm the content-type cache
    assert sweep(2) == sweep(12)
    assert set(CounterNotice.objects.values_list("status", flat=True)) == {"no_answer"}


def test_supervisor_reverses_a_takedown_directly(removed):
    _seller, _holder, _claim, items = removed
    supervisor = make_staff("Supervisor")
    supervisor.groups.add(Group.objects.get(name="Supervisor"))

    services.claim_item_reinstate_upheld(item_id=items[0].pk, supervisor=supervisor, reason="Reviewer error")

    item = ClaimItem.objects.get(pk=items[0].pk)
    assert (item.status, item.listing.status) == ("reinstated", "reinstated")
    assert "Supervisor decision: Reviewer error" in item.decision_reason


def test_seller_and_complainant_see_the_same_history_each_limited(removed):
    from complaints.selectors import claim_timeline

    seller, _holder, claim, items = removed
    file_counter_notice(seller, items[:1])

    seller_view = [(e["what"], e["item"]) for e in claim_timeline(claim, seller=seller)]
    holder_view = [(e["what"], e["item"]) for e in claim_timeline(claim)]

    assert ("Listing removed", str(items[0])) in seller_view
    assert ("The seller sent a counter-notice", str(items[0])) in seller_view
    assert all(entry in holder_view for entry in seller_view)
    assert ("Submitted", "") in holder_view
    assert ("Submitted", "") not in seller_view


def test_rights_holder_retracts_from_the_claim_page(client, removed):
    _, holder, claim, items = removed
    client.force_login(holder.user)

    page = client.get(f"/rights/claims/{claim.pk}/").content.decode()
    asked = client.post(f"/rights/claims/{claim.pk}/items/retract/", {"item": items[0].pk}).content.decode()
    status_when_asked = ClaimItem.objects.get(pk=items[0].pk).status
    client.post(
        f"/rights/claims/{claim.pk}/items/retract/", {"item": items[0].pk, "reason": "Settled.", "confirmed": "yes"}
    )

    assert "Retract the takedown" in page
    assert "goes back on sale" in asked
    assert f'name="item" value="{items[0].pk}"' in asked
    assert status_when_asked == "removed"
    assert ClaimItem.objects.get(pk=items[0].pk).status == "reinstated"
    assert "Settled." in ClaimItem.objects.get(pk=items[0].pk).decision_reason
    client.force_login(UserFactory())
    for confirmed in ("", "yes"):
        answer = client.post(f"/rights/claims/{claim.pk}/items/retract/", {"item": items[1].pk, "confirmed": confirmed})
        assert answer.status_code == 404


def test_accepting_a_counter_notice_asks_first_and_says_what_will_happen(client, removed):
    seller, holder, _claim, items = removed
    notice = file_counter_notice(seller, items[:1])
    client.force_login(holder.user)

    asked = client.post(f"/rights/counter-notices/{notice.pk}/", {"decision": "accept"}).content.decode()
    status_when_asked = CounterNotice.objects.get(pk=notice.pk).status
    client.post(f"/rights/counter-notices/{notice.pk}/", {"decision": "accept", "confirmed": "yes"})

    assert "Accept and reinstate the listings" in asked
    assert items[0].listing.title in asked
    assert status_when_asked == "awaiting_answer"
    assert CounterNotice.objects.get(pk=notice.pk).status == "accepted"


def test_seller_does_not_see_a_claim_that_has_not_gone_out(client):
    seller = SellerFactory(store_name="Bright Audio")
    holder = make_complainant(phone="+44 20 7946 0999")
    listing = ListingFactory(seller=seller)
    claim = make_claim(
        holder, listings=[listing], right=make_right(holder, status="pending"), explanation="Secret plans"
    )
    client.force_login(seller.user)

    page = client.get("/seller/notices/").content.decode()
    form = client.get(f"/seller/notices/claims/{claim.pk}/counter-notice/")
    services.claim_withdraw(claim_id=claim.pk, user=holder.user)

    assert claim.status == "waiting_for_right"
    assert "Secret plans" not in page
    assert "+44 20 7946 0999" not in page
    assert form.status_code == 404
    assert not Notification.objects.filter(recipient=seller.user).exists()


def test_document_downloads_are_audited_and_need_the_documents_permission(client):
    from ipp_portal.audit.models import AuditEvent

    seller = SellerFactory()
    document = make_document(seller.user, "invoice.pdf")
    auditor = make_staff("Auditor")

    client.force_login(UserFactory(is_staff=True))
    refused = client.get(f"/rights/documents/{document.pk}/")
    client.force_login(auditor)
    allowed = client.get(f"/rights/documents/{document.pk}/")

    assert refused.status_code == 404
    assert allowed.status_code == 200
    event = AuditEvent.objects.get(verb="document.downloaded")
    assert (event.actor, event.target_id, event.data) == (auditor, str(document.pk), {"as_staff": True})


def _notices_with_claims(count: int):
    """One person's stores, each with a listing taken down (one store each, so no rung removes the others)."""
    user = UserFactory()
    for _ in range(count):
        make_removed(seller=SellerFactory(user=user))
    return user


def test_the_sellers_notices_page_runs_the_same_queries_for_2_and_for_12_claims(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for size in (2, 12):
        client.force_login(_notices_with_claims(size))
        with CaptureQueriesContext(connection) as queries:
            page = client.get("/seller/notices/")
        assert page.status_code == 200
        assert page.content.decode().count("Listing removed") >= size
        counts.append(len(queries))

    assert counts[0] == counts[1]


def test_the_sellers_notices_page_shows_50_claims_a_page_with_the_same_queries_at_10_and_at_120_claims(client):
    """A busy seller's page is paginated (no silent cap: every claim is on some page) and costs the same queries
    on a page of 10 claims as on the first of three pages of 120."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for size in (10, 120):
        client.force_login(_notices_with_claims(size))
        with CaptureQueriesContext(connection) as queries:
            first = client.get("/seller/notices/")
        counts.append(len(queries))
        shown = first.content.decode().count('class="card"')
        assert shown == min(size, 50)
        pages = [client.get(f"/seller/notices/?page={n}").content.decode() for n in (2, 3)]
        if size == 120:
            assert [page.count('class="card"') for page in pages] == [50, 20]
            assert "Page 3 of 3" in pages[1]

    assert counts[0] == counts[1]


def test_the_sellers_notices_put_the_claim_with_the_nearest_open_deadline_first(client):
    user = UserFactory()
    soon, later, closed = (make_claim(listings=[ListingFactory(seller=SellerFactory(user=user))]) for _ in range(3))
    for claim in (soon, later, closed):
        take_down(claim)
    now = timezone.now()
    ClaimItem.objects.filter(claim=soon).update(counter_notice_due_at=now + timedelta(days=1))
    ClaimItem.objects.filter(claim=later).update(counter_notice_due_at=now + timedelta(days=5))
    ClaimItem.objects.filter(claim=closed).update(
        counter_notice_due_at=now - timedelta(days=1), further_counter_notice_due_at=now - timedelta(hours=1)
    )
    client.force_login(user)

    page = client.get("/seller/notices/").content.decode()

    order = [page.index(claim.reference) for claim in (soon, later, closed)]
    assert order == sorted(order)


def test_the_counter_notice_form_reports_every_problem_in_one_round(client, removed):
    seller, _holder, claim, items = removed
    client.force_login(seller.user)

    response = client.post(
        f"/seller/notices/claims/{claim.pk}/counter-notice/",
        {"items": [items[0].pk], "reason": "genuine_goods", "statement": "", "token": str(uuid.uuid4())},
    )
    html = response.content.decode()

    assert response.status_code == 200
    summary = html.split("data-error-summary>")[1].split("</div>")[0]
    for field in ("statement", "states_good_faith_mistake", "consents_to_jurisdiction", "signature_name"):
        assert f'href="#id_{field}"' in summary
    assert ClaimItem.objects.get(pk=items[0].pk).status == "removed"
    assert not CounterNotice.objects.exists()


def test_rejecting_without_reasons_is_an_error_at_the_reasons_beside_the_other_problems(client, removed):
    seller, holder, _claim, items = removed
    notice = file_counter_notice(seller, items[:1])
    client.force_login(holder.user)
    url = f"/rights/counter-notices/{notice.pk}/"

    page = client.get(url).content.decode()
    html = client.post(url, {"decision": "reject", "answer": " ", "documents": ["x"]}).content.decode()

    label = page.split('<label for="id_answer">')[1].split("</label>")[0]
    assert "(required to reject)" in label
    assert "(optional)" not in label
    summary = html.split("data-error-summary>")[1].split("</div>")[0]
    assert 'href="#id_answer"' in summary
    assert "Give your reasons" in summary
    assert 'href="#id_documents"' in summary
    assert CounterNotice.objects.get(pk=notice.pk).status == "awaiting_answer"
