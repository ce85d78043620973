import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from complaints import services
from complaints.models import Claim, ClaimItem, IPRight
from ipp_portal.audit.models import AuditEvent
from ipp_portal.errors import InvalidTransition, NotPermitted, PortalError
from ipp_portal.notifications.models import Notification
from listings.models import Site
from tests.factories import ListingFactory, UserFactory, make_claim, make_complainant, make_right, make_staff, seen

pytestmark = pytest.mark.django_db


@pytest.fixture
def alibaba():
    return Site.objects.get(code="alibaba")


@pytest.fixture
def holder():
    return make_complainant()


def test_submit_creates_claim_items_receipt_and_audit(holder):
    listings = ListingFactory.create_batch(3)

    claim = make_claim(holder, listings=listings, ip="203.0.113.7")

    assert claim.status == Claim.Status.SUBMITTED
    assert claim.reference == f"IPP-{claim.submitted_at.year}-{claim.pk:06d}"
    assert [i.listing for i in claim.items.order_by("position")] == listings
    assert {i.seller_id for i in claim.items.all()} == {listing.seller_id for listing in listings}
    assert len(claim.signer_ip_hash) == 64
    assert "203.0.113.7" not in claim.signer_ip_hash
    assert AuditEvent.objects.get(verb="claim.submitted").data == {"items": 3, "conflicts": 0}
    receipt = Notification.objects.get(recipient=holder.user, template="complaints/claim_received")
    assert claim.reference in receipt.subject


def test_same_token_twice_creates_one_claim(holder):
    listing = ListingFactory()
    token = uuid.uuid4()
    right = make_right(holder)

    first = make_claim(holder, listings=[listing], right=right, token=token)
    second = make_claim(holder, listings=[listing], right=right, token=token)

    assert first.pk == second.pk
    assert Claim.objects.count() == 1
    assert ClaimItem.objects.count() == 1
    assert Notification.objects.filter(template="complaints/claim_received").count() == 1


def test_unfileable_lines_block_submission_and_nothing_is_saved(holder):
    listing = ListingFactory()

    with pytest.raises(services.LinksNotFileable) as excinfo:
        make_claim(holder, links_text="\n".join([listing.url, "https://evil.example/x", listing.url]))

    assert [line.result for line in excinfo.value.lines] == ["ok", "not_a_link", "duplicate"]
    assert "2 of the 3 lines" in excinfo.value.message
    assert not Claim.objects.exists()
    assert not AuditEvent.objects.filter(verb="claim.submitted").exists()


def test_more_than_the_maximum_links_is_refused(holder, settings):
    settings.CLAIM_MAX_LINKS = 2
    listings = ListingFactory.create_batch(3)

    with pytest.raises(services.TooManyLinks, match="at most 2 links; this one has 3"):
        make_claim(holder, listings=listings)
    assert not Claim.objects.exists()


def test_unsworn_claim_is_refused(holder):
    with pytest.raises(PortalError, match="Tick every statement"):
        make_claim(holder, statements={**dict.fromkeys(services.claims.STATEMENTS, True), "agrees_to_indemnify": False})
    assert not Claim.objects.exists()


@pytest.mark.parametrize(("right_status", "code"), [("rejected", "right_rejected"), ("expired", "right_expired")])
def test_right_that_cannot_back_a_claim_is_refused(holder, right_status, code):
    right = make_right(holder, status=right_status)

    with pytest.raises(NotPermitted) as excinfo:
        make_claim(holder, right=right)

    assert excinfo.value.code == code
    assert not Claim.objects.exists()


def test_agent_without_authorization_for_the_site_is_refused():
    agent = make_complainant(role="law_firm")

    with pytest.raises(NotPermitted, match="no verified authorization"):
        make_claim(agent)
    assert not Claim.objects.exists()


def test_claim_on_a_pending_right_waits_and_goes_out_when_the_right_is_verified(holder):
    right = make_right(holder, status="pending")
    reviewer = make_staff()

    claim = make_claim(holder, right=right)
    assert (claim.status, claim.submitted_at) == (Claim.Status.WAITING_FOR_RIGHT, None)

    services.ip_right_verify(right_id=right.pk, seen=seen(right), reviewer=reviewer)

    claim.refresh_from_db()
    assert claim.status == Claim.Status.SUBMITTED
    assert claim.submitted_at is not None
    subjects = list(Notification.objects.filter(template="complaints/claim_received").values_list("subject", flat=True))
    assert len(subjects) == 2
    assert any("waiting" in s for s in subjects)


@pytest.mark.postgres
def test_submit_query_count_does_not_depend_on_link_count():
    # PostgreSQL takes a batch in one INSERT (SQLite splits bulk inserts by its bound-parameter limit).
    def queries(n: int) -> tuple[int, int]:
        complainant = make_complainant()
        right = make_right(complainant)
        listings = ListingFactory.create_batch(n)
        with CaptureQueriesContext(connection) as ctx:
            make_claim(complainant, listings=listings, right=right)
        inserts = sum(q["sql"].startswith("INSERT") for q in ctx.captured_queries)
        return len(ctx.captured_queries), inserts

    queries(1)  # warm the content-type cache, which the audit trail fills on first use
    few, many = queries(3), queries(300)

    assert few == many
    assert many[1] <= 3 + 1  # claim, items in one batch, audit event, outbox row: ≤ 3 + ⌈n/1000⌉ + the receipt


@pytest.mark.unaudited_status_setup
def test_withdraw_claim_withdraws_pending_items_only(holder):
    claim = make_claim(holder, listings=ListingFactory.create_batch(2))
    decided = claim.items.first()
    ClaimItem.objects.filter(pk=decided.pk).update(status=ClaimItem.Status.REMOVED)

    services.claim_withdraw(claim_id=claim.pk, user=holder.user)

    claim.refresh_from_db()
    assert claim.status == Claim.Status.DECIDED
    assert sorted(claim.items.values_list("status", flat=True)) == ["removed", "withdrawn"]
    assert AuditEvent.objects.get(verb="claim.withdrawn").data == {"items": 1}


def test_withdraw_single_items_and_the_claim_follows(holder):
    claim = make_claim(holder, listings=ListingFactory.create_batch(2))
    first, second = claim.items.order_by("position")

    services.claim_item_withdraw(item_id=first.pk, user=holder.user)
    assert Claim.objects.get(pk=claim.pk).status == Claim.Status.SUBMITTED
    services.claim_item_withdraw(item_id=second.pk, user=holder.user)

    assert Claim.objects.get(pk=claim.pk).status == Claim.Status.WITHDRAWN
    with pytest.raises(InvalidTransition, match="already decided"):
        services.claim_item_withdraw(item_id=first.pk, user=holder.user)


def test_someone_else_cannot_withdraw(holder):
    claim = make_claim(holder)
    intruder = UserFactory()

    with pytest.raises(Claim.DoesNotExist):
        services.claim_withdraw(claim_id=claim.pk, user=intruder)
    with pytest.raises(ClaimItem.DoesNotExist):
        services.claim_item_withdraw(item_id=claim.items.get().pk, user=intruder)
    assert Claim.objects.get(pk=claim.pk).status == Claim.Status.SUBMITTED


@pytest.mark.unaudited_status_setup
def test_withdrawing_a_claim_under_review_tells_the_reviewer(holder):
    reviewer = make_staff()
    claim = make_claim(holder)
    Claim.objects.filter(pk=claim.pk).update(status=Claim.Status.IN_REVIEW, assigned_to=reviewer)

    services.claim_withdraw(claim_id=claim.pk, user=holder.user)

    assert Notification.objects.get(recipient=reviewer).subject == f"{claim.reference}: withdrew the claim"


def test_needs_info_round_trip_keeps_history(holder):
    reviewer = make_staff()
    claim = make_claim(holder, explanation="Fake ACME earbuds: wrong logo, no serial number.")

    services.claim_request_info(claim_id=claim.pk, reviewer=reviewer, message="Please add the test-buy report.")
    with pytest.raises(PortalError, match="Answer the question"):
        services.claim_provide_info(claim_id=claim.pk, user=holder.user, answer=" ")
    services.claim_provide_info(claim_id=claim.pk, user=holder.user, answer="Report attached; order 123.")

    claim.refresh_from_db()
    assert claim.status == Claim.Status.SUBMITTED
    assert "Report attached; order 123." in claim.explanation
    assert claim.explanation.startswith("Fake ACME earbuds")
    verbs = list(AuditEvent.objects.filter(target_id=str(claim.pk)).order_by("id").values_list("verb", flat=True))
    assert verbs == ["claim.submitted", "claim.info_requested", "claim.info_provided"]
    assert Notification.objects.filter(recipient=holder.user, template="complaints/claim_needs_info").count() == 1


def test_drafts_save_partial_input_and_can_be_deleted(holder, alibaba):
    draft = services.claim_save_draft(complainant=holder, site=alibaba, links_text="half a list", explanation="")
    draft = services.claim_save_draft(complainant=holder, claim_id=draft.pk, explanation="More")

    assert (draft.status, draft.links_text, draft.explanation) == ("draft", "half a list", "More")
    services.claim_draft_delete(claim_id=draft.pk, user=holder.user)
    assert not Claim.objects.exists()


def test_submitting_a_draft_turns_it_into_the_claim(holder, alibaba):
    listing = ListingFactory()
    draft = services.claim_save_draft(complainant=holder, site=alibaba, links_text=listing.url)

    claim = make_claim(holder, listings=[listing], claim_id=draft.pk)

    assert claim.pk == draft.pk
    assert Claim.objects.get().status == Claim.Status.SUBMITTED
    with pytest.raises(InvalidTransition):
        services.claim_save_draft(complainant=holder, claim_id=claim.pk, explanation="late edit")


@pytest.mark.unaudited_status_setup
def test_expired_right_after_filing_does_not_touch_filed_claims(holder):
    right = make_right(holder)
    claim = make_claim(holder, right=right)
    IPRight.objects.filter(pk=right.pk).update(status="expired")

    assert Claim.objects.get(pk=claim.pk).status == Claim.Status.SUBMITTED


def test_withdrawal_ends_with_a_notice_to_the_seller_too(holder):
    from tests.factories import SellerFactory

    seller = SellerFactory()
    claim = make_claim(holder, listings=[ListingFactory(seller=seller, title="Earbuds")])

    services.claim_withdraw(claim_id=claim.pk, user=holder.user)

    notice = Notification.objects.get(recipient=seller.user)
    assert "withdrawn — no action" in notice.subject
    assert "Earbuds" in notice.body_text
