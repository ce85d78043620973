"""Litigation holds (policy §3): while a hold covers a listing — directly, through its store, or through a claim
naming it — no path reinstates it, each refusal says which hold and which case, and nothing else changes."""

from datetime import timedelta

import pytest

from complaints import services
from complaints.errors import Code
from complaints.models import ClaimItem, CounterNotice, LitigationHold
from enforcement.models import Policy
from ipp_portal.audit.models import AuditEvent
from ipp_portal.errors import NotPermitted, PortalError
from ipp_portal.notifications.models import Notification
from listings.models import Listing
from listings.services import listings_reinstate
from tests.factories import (
    ListingFactory,
    SellerFactory,
    file_counter_notice,
    make_claim,
    make_complainant,
    make_staff,
    take_down,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def supervisor():
    return make_staff("Supervisor")


@pytest.fixture
def removed(supervisor):
    """A seller with two listings taken down under one claim."""
    seller = SellerFactory(store_name="Bright Audio")
    holder = make_complainant()
    claim = make_claim(holder, listings=[ListingFactory(seller=seller) for _ in range(2)], explanation="Fakes")
    items = list(claim.items.order_by("position"))
    take_down(claim, items, make_staff())
    return seller, holder, claim, [ClaimItem.objects.get(pk=i.pk) for i in items]


def hold(supervisor, **target):
    return services.litigation_hold_place(
        actor=supervisor, reason="The rights holder sued the seller.", court="High Court of Justice",
        case_reference="IL-2026-000123", **target,
    )  # fmt: skip


def snapshot():
    """Everything a refused reinstatement must leave as it was."""
    return (
        sorted(Listing.objects.values_list("pk", "status")),
        sorted(ClaimItem.objects.values_list("pk", "status")),
        sorted(CounterNotice.objects.values_list("pk", "status")),
        AuditEvent.objects.count(),
        Notification.objects.count(),
    )


def assert_held(exc_info):
    assert exc_info.value.code == Code.HELD == "held"
    assert "IL-2026-000123" in exc_info.value.message
    assert "High Court of Justice" in exc_info.value.message


def test_accepting_a_counter_notice_is_refused_whole_while_the_listing_is_held(removed, supervisor):
    seller, holder, _claim, items = removed
    notice = file_counter_notice(seller, items)
    hold(supervisor, listing_id=items[0].listing_id)
    before = snapshot()
    with pytest.raises(PortalError) as exc_info:
        services.counter_notice_accept(notice_id=notice.pk, user=holder.user)
    assert_held(exc_info)
    assert "the listing " in exc_info.value.message
    assert snapshot() == before
    assert CounterNotice.objects.get(pk=notice.pk).status == "awaiting_answer"  # the rights holder may still reject


def test_silence_sends_a_held_notice_to_staff_instead_of_reinstating(removed, supervisor):
    seller, _holder, _claim, items = removed
    Policy.objects.filter(site__code="alibaba", is_current=True).update(reinstate_on_silence=True)
    held_notice = file_counter_notice(seller, items[:1])
    free_seller = SellerFactory()
    other_claim = make_claim(listings=[ListingFactory(seller=free_seller)])
    take_down(other_claim)
    free_notice = file_counter_notice(free_seller, list(other_claim.items.all()))
    hold(supervisor, seller_id=seller.pk)

    later = max(held_notice.answer_due_at, free_notice.answer_due_at) + timedelta(seconds=1)
    assert services.counter_notices_sweep_due(now=later) == 2
    assert services.counter_notices_sweep_due(now=later) == 0  # does not loop

    assert CounterNotice.objects.get(pk=held_notice.pk).status == "no_answer"
    assert ClaimItem.objects.get(pk=items[0].pk).status == "staff_review"
    assert Listing.objects.get(pk=items[0].listing_id).status == "removed"
    assert AuditEvent.objects.filter(verb="litigation_hold.sent_to_staff", target_id=str(held_notice.pk)).exists()
    # The notice without a hold is reinstated by silence as before.
    assert CounterNotice.objects.get(pk=free_notice.pk).status == "decided"
    assert Listing.objects.get(pk=other_claim.items.get().listing_id).status == "reinstated"


def test_staff_deciding_reinstate_is_refused_while_held(removed, supervisor):
    seller, holder, claim, items = removed
    notice = file_counter_notice(seller, items)
    services.counter_notice_reject(notice_id=notice.pk, user=holder.user, answer="Fake serials.")
    hold(supervisor, claim_id=claim.pk)
    before = snapshot()
    with pytest.raises(PortalError) as exc_info:
        services.counter_notice_decide(notice_id=notice.pk, reviewer=supervisor, outcome="reinstate", reason="Fine.")
    assert_held(exc_info)
    assert claim.reference in exc_info.value.message
    assert snapshot() == before
    # Upholding is not a reinstatement: staff may still decide that.
    services.counter_notice_decide(notice_id=notice.pk, reviewer=supervisor, outcome="uphold", reason="Fake.")
    assert set(ClaimItem.objects.values_list("status", flat=True)) == {"upheld"}


def test_a_supervisor_reversing_a_removal_is_refused_while_held(removed, supervisor):
    seller, _holder, _claim, items = removed
    hold(supervisor, seller_id=seller.pk)
    before = snapshot()
    with pytest.raises(PortalError) as exc_info:
        services.claim_item_reinstate_upheld(item_id=items[0].pk, supervisor=supervisor, reason="Mistake.")
    assert_held(exc_info)
    assert "Bright Audio" in exc_info.value.message
    assert snapshot() == before


def test_a_retraction_is_refused_while_held(removed, supervisor):
    seller, holder, _claim, items = removed
    file_counter_notice(seller, items[:1])
    hold(supervisor, listing_id=items[0].listing_id)
    before = snapshot()
    with pytest.raises(PortalError) as exc_info:
        services.claim_item_retract(item_id=items[0].pk, user=holder.user, reason="Settled.")
    assert_held(exc_info)
    assert snapshot() == before


def test_listings_reinstate_itself_refuses_a_held_listing(removed, supervisor):
    _seller, _holder, _claim, items = removed
    hold(supervisor, listing_id=items[1].listing_id)
    before = snapshot()
    with pytest.raises(PortalError) as exc_info:
        listings_reinstate(listing_ids=[items[0].listing_id, items[1].listing_id], actor=supervisor, reason="x")
    assert_held(exc_info)
    assert snapshot() == before


def test_store_and_claim_holds_cover_their_listings_and_only_them(removed, supervisor):
    seller, _holder, claim, items = removed
    other_listing = ListingFactory(seller=seller)  # same store, not in the claim
    stranger = ListingFactory()
    from complaints.selectors.holds import held_listing_ids

    ids = {items[0].listing_id, items[1].listing_id, other_listing.pk, stranger.pk}
    claim_hold = hold(supervisor, claim_id=claim.pk)
    assert held_listing_ids(ids) == {items[0].listing_id, items[1].listing_id}
    services.litigation_hold_lift(actor=supervisor, hold_id=claim_hold.pk, reason="Case settled.")
    assert held_listing_ids(ids) == set()
    hold(supervisor, seller_id=seller.pk)
    assert held_listing_ids(ids) == {items[0].listing_id, items[1].listing_id, other_listing.pk}


def test_lifting_allows_reinstatement_again(removed, supervisor):
    _seller, holder, _claim, items = removed
    placed = hold(supervisor, listing_id=items[0].listing_id)
    with pytest.raises(PortalError):
        services.claim_item_retract(item_id=items[0].pk, user=holder.user)
    services.litigation_hold_lift(actor=supervisor, hold_id=placed.pk, reason="The court dismissed the case.")
    assert Listing.objects.get(pk=items[0].listing_id).status == "removed"  # lifting reinstates nothing by itself
    services.claim_item_retract(item_id=items[0].pk, user=holder.user)
    assert Listing.objects.get(pk=items[0].listing_id).status == "reinstated"
    with pytest.raises(PortalError) as exc_info:
        services.litigation_hold_lift(actor=supervisor, hold_id=placed.pk, reason="Again.")
    assert exc_info.value.code == Code.HOLD_LIFTED


def test_placing_and_lifting_are_audited_and_notified(removed, supervisor):
    seller, holder, claim, _items = removed
    placed = hold(supervisor, claim_id=claim.pk)
    event = AuditEvent.objects.get(verb="litigation_hold.placed", target_id=str(placed.pk))
    assert event.actor_id == supervisor.pk
    assert event.data["case_reference"] == "IL-2026-000123"
    assert event.data["court"] == "High Court of Justice"
    to_seller = Notification.objects.get(recipient=seller.user, template="complaints/litigation_hold_placed")
    assert to_seller.context["for_seller"] is True
    assert Notification.objects.filter(recipient=holder.user, template="complaints/litigation_hold_placed").exists()

    services.litigation_hold_lift(actor=supervisor, hold_id=placed.pk, reason="Settled.")
    lifted = AuditEvent.objects.get(verb="litigation_hold.lifted", target_id=str(placed.pk))
    assert (lifted.data["reason"], lifted.from_state, lifted.to_state) == ("Settled.", "active", "lifted")
    assert Notification.objects.filter(recipient=seller.user, template="complaints/litigation_hold_lifted").exists()
    assert Notification.objects.filter(recipient=holder.user, template="complaints/litigation_hold_lifted").exists()


def test_a_store_hold_tells_the_seller_only(supervisor):
    seller = SellerFactory()
    placed = hold(supervisor, seller_id=seller.pk)
    assert list(Notification.objects.values_list("recipient", flat=True)) == [seller.user_id]
    assert placed.scope == "store"


def test_only_a_supervisor_places_or_lifts_and_court_and_case_are_required(removed, supervisor):
    seller, *_ = removed
    for role in ("Reviewer", "Auditor"):
        with pytest.raises(NotPermitted):
            hold(make_staff(role), seller_id=seller.pk)
    with pytest.raises(PortalError) as exc_info:
        services.litigation_hold_place(
            actor=supervisor, reason="Sued.", court="Court", case_reference=" ", seller_id=seller.pk
        )
    assert (exc_info.value.code, exc_info.value.field) == (Code.CASE_REQUIRED, "case_reference")
    with pytest.raises(PortalError) as exc_info:
        services.litigation_hold_place(
            actor=supervisor, reason="Sued.", court="", case_reference="X-1", seller_id=seller.pk
        )
    assert exc_info.value.code == Code.COURT_REQUIRED
    with pytest.raises(PortalError) as exc_info:
        services.litigation_hold_place(actor=supervisor, reason="Sued.", court="C", case_reference="X-1")
    assert exc_info.value.code == Code.HOLD_TARGET
    placed = hold(supervisor, seller_id=seller.pk)
    with pytest.raises(NotPermitted):
        services.litigation_hold_lift(actor=make_staff("Reviewer"), hold_id=placed.pk, reason="x")
    assert LitigationHold.objects.get(pk=placed.pk).is_active


# --- Pages ----------------------------------------------------------------------------------------------------------


def test_staff_place_a_hold_from_the_admin_form_and_a_missing_case_reference_stays_at_the_field(
    client, removed, supervisor
):
    seller, *_ = removed
    client.force_login(supervisor)
    form = client.get(f"/admin/complaints/litigationhold/add/?seller={seller.pk}")
    assert form.status_code == 200
    data = {"seller": seller.pk, "court": "High Court of Justice", "case_reference": "", "reason": "Sued."}
    refused = client.post("/admin/complaints/litigationhold/add/", data)
    assert refused.status_code == 200
    body = refused.content.decode()
    assert "This field is required." in body
    assert "Place a litigation hold" in body
    assert not LitigationHold.objects.exists()
    both = client.post(
        "/admin/complaints/litigationhold/add/", {**data, "case_reference": "X-1", "listing": ListingFactory().pk}
    )
    assert "exactly one" in both.content.decode()
    placed = client.post("/admin/complaints/litigationhold/add/", {**data, "case_reference": "IL-2026-000123"})
    assert placed.status_code == 302
    hold_ = LitigationHold.objects.get()
    assert (hold_.seller_id, hold_.placed_by_id, hold_.case_reference) == (seller.pk, supervisor.pk, "IL-2026-000123")
    assert AuditEvent.objects.filter(verb="litigation_hold.placed", target_id=str(hold_.pk)).count() == 1


def test_lifting_from_the_admin_asks_first_then_lifts_by_post(client, removed, supervisor):
    seller, *_ = removed
    placed = hold(supervisor, seller_id=seller.pk)
    client.force_login(supervisor)
    page = client.get(f"/admin/complaints/litigationhold/{placed.pk}/change/")
    assert f"/admin/complaints/litigationhold/{placed.pk}/lift/" in page.content.decode()
    asked = client.get(f"/admin/complaints/litigationhold/{placed.pk}/lift/")
    assert "Yes, lift the hold" in asked.content.decode()
    assert LitigationHold.objects.get(pk=placed.pk).is_active  # asking changes nothing
    no_reason = client.post(f"/admin/complaints/litigationhold/{placed.pk}/lift/", {"reason": " "})
    assert "Give the reason for lifting the hold." in no_reason.content.decode()
    assert LitigationHold.objects.get(pk=placed.pk).is_active
    done = client.post(f"/admin/complaints/litigationhold/{placed.pk}/lift/", {"reason": "Settled."})
    assert done.status_code == 302
    assert LitigationHold.objects.get(pk=placed.pk).lift_reason == "Settled."


def test_staff_see_holds_on_the_seller_listing_and_claim_pages_and_the_filtered_list(client, removed, supervisor):
    seller, _holder, claim, items = removed
    hold(supervisor, listing_id=items[0].listing_id)
    client.force_login(make_staff("Auditor"))
    for url in (
        f"/admin/listings/seller/{seller.pk}/change/",
        f"/admin/listings/listing/{items[0].listing_id}/change/",
        f"/admin/complaints/claim/{claim.pk}/change/",
        "/admin/complaints/litigationhold/?state=active&scope=listing",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "IL-2026-000123" in response.content.decode(), url
    lifted_only = client.get("/admin/complaints/litigationhold/?state=lifted")
    assert "IL-2026-000123" not in lifted_only.content.decode()
    other = client.get(f"/admin/listings/listing/{items[1].listing_id}/change/")
    assert "IL-2026-000123" not in other.content.decode()


def test_the_seller_reads_a_neutral_line_on_the_notices_and_listings_pages(client, removed, supervisor):
    seller, _holder, claim, _items = removed
    hold(supervisor, claim_id=claim.pk)
    client.force_login(seller.user)
    line = "A court case concerning these listings is pending"
    for url in ("/seller/notices/", "/seller/listings/"):
        body = client.get(url).content.decode()
        assert body.count(line) == 2, url  # both listings of the claim, nothing else
        assert "Sued" not in body  # the staff reason is not shown there
