"""The rights holder's allow-list of authorised resellers (issue 14): declaring and ending entries, the link check's
flag, the sworn confirmation claim_submit requires, and the entry shown beside a counter-notice."""

import uuid
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from complaints import services
from complaints.errors import Code
from complaints.link_check import check_links, split_lines
from complaints.models import AuthorisedSeller, Claim, IPRight
from ipp_portal.audit.models import AuditEvent
from ipp_portal.audit.verbs import Verb
from ipp_portal.errors import NotPermitted, PortalError
from listings.models import Site
from tests.factories import (
    ListingFactory,
    SellerFactory,
    file_counter_notice,
    make_claim,
    make_complainant,
    make_document,
    make_right,
    make_staff,
    seen,
    take_down,
)

pytestmark = pytest.mark.django_db

MARCH_3 = date(2026, 3, 3)


@pytest.fixture
def alibaba():
    return Site.objects.get(code="alibaba")


@pytest.fixture
def holder():
    return make_complainant()


@pytest.fixture
def right(holder):
    return make_right(holder)


def declare(holder, right, seller, **fields):
    fields.setdefault("authorised_from", MARCH_3)
    return services.authorised_seller_declare(user=holder.user, right_id=right.pk, seller=seller, **fields)


def submit(holder, right, listings, **fields):
    return make_claim(holder, right=right, listings=listings, **fields)


def test_the_link_check_flags_listings_of_an_authorised_seller(alibaba, holder, right):
    reseller, other = SellerFactory(store_name="ACME Official"), SellerFactory(store_name="Fakes Ltd")
    mine, theirs = ListingFactory(seller=reseller), ListingFactory(seller=other)
    declare(holder, right, reseller)

    lines = check_links(split_lines(f"{mine.url}\n{theirs.url}"), site=alibaba, complainant=holder, right=right)

    assert lines[0].authorised_seller is not None
    assert "Authorised by you since 3 Mar 2026" in lines[0].authorisation_message
    assert lines[1].authorised_seller is None
    assert lines[1].authorisation_message == ""
    assert all(line.is_fileable for line in lines)
    # Another right of the same holder: the seller is not authorised under it.
    other_right = make_right(holder, registration_number="UK00001112223")
    again = check_links(split_lines(mine.url), site=alibaba, complainant=holder, right=other_right)
    assert again[0].authorised_seller is None


def test_submit_without_the_confirmation_is_refused_with_a_stable_code(holder, right):
    reseller = SellerFactory()
    listing = ListingFactory(seller=reseller)
    declare(holder, right, reseller)

    with pytest.raises(services.AuthorisedSellersNotConfirmed) as refused:
        submit(holder, right, [listing])

    assert refused.value.code == Code.AUTHORISED_SELLER_NOT_CONFIRMED == "authorised_seller_not_confirmed"
    assert refused.value.field == "states_authorisation_ended"
    assert refused.value.lines[0].authorised_seller is not None
    assert not Claim.objects.exists()


def test_submit_with_the_confirmation_is_filed_recorded_and_ends_the_entry(holder, right):
    reseller = SellerFactory()
    listing, other = ListingFactory(seller=reseller), ListingFactory()
    entry = declare(holder, right, reseller)
    ended = timezone.localdate() - timedelta(days=2)

    claim = submit(holder, right, [listing, other], states_authorisation_ended=True, authorisation_ended_on=ended)

    assert claim.status == Claim.Status.SUBMITTED
    assert claim.states_authorisation_ended is True
    items = list(claim.items.order_by("position"))
    assert items[0].authorised_seller_id == entry.pk
    assert items[1].authorised_seller_id is None
    entry.refresh_from_db()
    assert entry.ended_on == ended
    assert entry.ended_by_claim_id == claim.pk
    assert entry.ended_by == holder.user
    event = AuditEvent.objects.get(verb=Verb.AUTHORISED_SELLER_ENDED)
    assert event.data["claim"] == claim.pk
    assert event.data["ended_on"] == ended.isoformat()
    # Ended: the next claim naming the seller's listings is not flagged.
    again = submit(holder, right, [ListingFactory(seller=reseller)])
    assert not again.states_authorisation_ended


def test_the_confirmed_end_day_cannot_be_in_the_future(holder, right):
    reseller = SellerFactory()
    declare(holder, right, reseller)

    with pytest.raises(PortalError) as refused:
        submit(holder, right, [ListingFactory(seller=reseller)], states_authorisation_ended=True,
               authorisation_ended_on=timezone.localdate() + timedelta(days=1))  # fmt: skip

    assert refused.value.code == Code.ENDED_ON_INVALID
    assert refused.value.field == "authorisation_ended_on"
    assert not Claim.objects.exists()


def test_ended_and_lapsed_entries_do_not_flag_but_stay_in_the_history(client, alibaba, holder, right):
    ended_seller, lapsed_seller, later_seller = SellerFactory(), SellerFactory(), SellerFactory()
    today = timezone.localdate()
    ended = declare(holder, right, ended_seller, note="Distribution agreement DA-7")
    services.authorised_seller_end(user=holder.user, entry_id=ended.pk, reason="Agreement terminated")
    declare(holder, right, lapsed_seller, authorised_until=today - timedelta(days=1))
    declare(holder, right, later_seller, authorised_from=today + timedelta(days=10))
    listings = [ListingFactory(seller=s) for s in (ended_seller, lapsed_seller, later_seller)]

    lines = check_links(split_lines("\n".join(x.url for x in listings)), site=alibaba, complainant=holder, right=right)

    assert [line.authorised_seller for line in lines] == [None, None, None]
    assert AuthorisedSeller.objects.count() == 3  # never deleted
    client.force_login(holder.user)
    page = client.get(f"/rights/rights/{right.pk}/").content.decode()
    assert ended_seller.store_name in page
    assert "Agreement terminated" in page
    assert "Distribution agreement DA-7" in page
    assert page.count("Ended") >= 2
    assert "Starts later" in page


def test_an_agent_cannot_declare_for_rights_outside_their_authorization(alibaba):
    agent = make_complainant(role="vendor", legal_name="Brand Guard")
    covered = make_right(agent, registration_number="UK00004440001")
    outside = make_right(agent, registration_number="UK00004440002")
    letter = make_document(agent.user, "letter.pdf")
    authorization = services.authorization_register(
        agent=agent, rights=[covered], sites=[alibaba], letter=letter, owner_name="Owner Ltd",
        valid_from=date(2026, 1, 1), valid_until=date(2030, 1, 1),
    )  # fmt: skip
    services.authorization_verify(authorization_id=authorization.pk, reviewer=make_staff(), seen=seen(authorization))
    seller = SellerFactory()

    with pytest.raises(NotPermitted) as refused:
        services.authorised_seller_declare(user=agent.user, right_id=outside.pk, seller=seller, authorised_from=MARCH_3)
    entry = services.authorised_seller_declare(
        user=agent.user, right_id=covered.pk, seller=seller, authorised_from=MARCH_3
    )

    assert refused.value.code == Code.NO_AUTHORIZATION
    assert AuthorisedSeller.objects.get() == entry


def test_nobody_declares_for_someone_elses_right_or_an_unverified_one(holder, right):
    other = make_complainant(legal_name="Other Brand")
    pending = make_right(holder, status="pending", registration_number="UK00009990001")
    seller = SellerFactory()

    with pytest.raises(IPRight.DoesNotExist):
        services.authorised_seller_declare(user=other.user, right_id=right.pk, seller=seller, authorised_from=MARCH_3)
    with pytest.raises(NotPermitted) as unverified:
        declare(holder, pending, seller)

    assert unverified.value.code == Code.RIGHT_PENDING
    assert not AuthorisedSeller.objects.exists()


def test_overlapping_entries_for_one_seller_are_refused(holder, right):
    seller = SellerFactory()
    declare(holder, right, seller)

    with pytest.raises(PortalError) as refused:
        declare(holder, right, seller, authorised_from=MARCH_3 + timedelta(days=30))

    assert refused.value.code == Code.ALREADY_AUTHORISED


def test_the_link_check_query_count_does_not_grow_with_the_allow_list(alibaba, holder, right):
    listings = ListingFactory.create_batch(3)
    declare(holder, right, listings[0].seller)

    def queries() -> int:
        text = "\n".join(x.url for x in listings)
        with CaptureQueriesContext(connection) as ctx:
            lines = check_links(split_lines(text), site=alibaba, complainant=holder, right=right)
        assert lines[0].authorised_seller is not None
        return len(ctx.captured_queries)

    few = queries()
    for _ in range(40):
        declare(holder, right, SellerFactory())
    for listing in listings[1:]:
        declare(holder, right, listing.seller)
    many = queries()

    assert few == many == 5  # listings; open claims (with parallel plans off: set, read, reset); the allow-list


def test_the_claim_form_flags_refuses_keeping_everything_then_files_with_the_confirmation(client, holder, right):
    reseller = SellerFactory(store_name="ACME Official")
    listing = ListingFactory(seller=reseller)
    declare(holder, right, reseller)
    client.force_login(holder.user)
    data = {
        "site": Site.objects.get(code="alibaba").pk, "right": right.pk, "reason_code": "tm_counterfeit",
        "links": listing.url, "explanation": "Grey imports after the agreement ended.",
        "order_numbers": "ORDER-123", "states_good_faith": "on", "states_accuracy": "on",
        "states_authority_under_perjury": "on", "agrees_to_indemnify": "on", "signature_name": "Ada Lovelace",
        "token": str(uuid.uuid4()),
    }  # fmt: skip

    checked = client.post("/rights/claims/new/", {**data, "action": "check"}).content.decode()
    refused = client.post("/rights/claims/new/", {**data, "action": "submit"})
    page = refused.content.decode()

    assert "Authorised by you since 3 Mar 2026" in checked
    assert 'name="states_authorisation_ended"' in checked
    assert refused.status_code == 200
    assert not Claim.objects.exists()
    assert "which you declared authorised" in page
    for kept in ("Grey imports after the agreement ended.", "ORDER-123", "Ada Lovelace", listing.url):
        assert kept in page

    filed = client.post(
        "/rights/claims/new/",
        {**data, "action": "submit", "states_authorisation_ended": "on", "authorisation_ended_on": "2026-06-01"},
    )

    claim = Claim.objects.get()
    assert filed.status_code == 302
    assert claim.states_authorisation_ended
    assert AuthorisedSeller.objects.get().ended_on == date(2026, 6, 1)


def test_pages_add_and_end_an_entry(client, holder, right):
    seller = SellerFactory(store_name="ACME Official", member_id="acme-official")
    client.force_login(holder.user)

    added = client.post(f"/rights/rights/{right.pk}/resellers/new/", {
        "site": seller.site_id, "seller": "acme-official", "authorised_from": "2026-03-03", "note": "DA-7",
    })  # fmt: skip
    entry = AuthorisedSeller.objects.get()
    asked = client.get(f"/rights/rights/{right.pk}/resellers/{entry.pk}/end/")
    ended = client.post(f"/rights/rights/{right.pk}/resellers/{entry.pk}/end/", {"reason": "Agreement ended"})

    assert added.status_code == 302
    assert entry.seller == seller
    assert asked.status_code == 200
    assert "End the authorisation of ACME Official?" in asked.content.decode()
    entry.refresh_from_db()
    assert asked.status_code == 200
    assert ended.status_code == 302
    assert entry.ended_on == timezone.localdate()
    assert entry.end_reason == "Agreement ended"
    assert AuditEvent.objects.filter(verb=Verb.AUTHORISED_SELLER_DECLARED).count() == 1
    again = client.post(f"/rights/rights/{right.pk}/resellers/{entry.pk}/end/", {})
    assert again.status_code == 200
    assert "already ended" in again.content.decode()


def test_a_store_is_found_by_a_link_to_one_of_its_listings(client, holder, right):
    listing = ListingFactory()
    client.force_login(holder.user)

    response = client.post(f"/rights/rights/{right.pk}/resellers/new/", {
        "site": listing.site_id, "seller": listing.url, "authorised_from": "2026-03-03",
    })  # fmt: skip
    unknown = client.post(f"/rights/rights/{right.pk}/resellers/new/", {
        "site": listing.site_id, "seller": "nobody-here", "authorised_from": "2026-03-03", "note": "kept",
    })  # fmt: skip

    assert response.status_code == 302
    assert AuthorisedSeller.objects.get().seller == listing.seller
    assert unknown.status_code == 200
    assert "nobody-here" in unknown.content.decode()
    assert "No store on" in unknown.content.decode()


def test_counter_notice_answer_and_staff_pages_show_the_entry(client, holder, right):
    reseller = SellerFactory(store_name="ACME Official")
    listing = ListingFactory(seller=reseller)
    entry = declare(holder, right, reseller, note="DA-7")
    claim = submit(holder, right, [listing], states_authorisation_ended=True)
    take_down(claim)
    notice = file_counter_notice(reseller, list(claim.items.all()), reason="authorized_reseller")
    entry.refresh_from_db()

    client.force_login(holder.user)
    page = client.get(f"/rights/counter-notices/{notice.pk}/").content.decode()
    reviewer = make_staff("Reviewer")
    client.force_login(reviewer)
    staff_page = client.get(f"/admin/complaints/counternotice/{notice.pk}/change/").content.decode()
    review_page = client.get(f"/admin/complaints/claim/{claim.pk}/change/").content.decode()

    for shown in (page, staff_page):
        assert 'id="reseller-history"' in shown
        assert "3 Mar 2026" in shown
        assert "DA-7" in shown
        assert f"ended on {entry.ended_on:%-d %b %Y}" in shown
        assert claim.reference in shown
    assert "Allow-listed by the complainant for this right since 3 Mar 2026" in review_page
    assert "the complainant swore the authorisation ended" in review_page


def test_a_counter_notice_for_another_reason_shows_no_history(client, holder, right):
    listing = ListingFactory()
    claim = submit(holder, right, [listing])
    take_down(claim)
    notice = file_counter_notice(listing.seller, list(claim.items.all()), reason="genuine_goods")

    client.force_login(holder.user)
    page = client.get(f"/rights/counter-notices/{notice.pk}/").content.decode()

    assert 'id="reseller-history"' not in page


def test_an_unknown_store_and_a_bad_date_are_said_in_the_same_round(client, holder, right):
    listing = ListingFactory()
    client.force_login(holder.user)

    html = client.post(f"/rights/rights/{right.pk}/resellers/new/", {
        "site": listing.site_id, "seller": "nobody-here", "authorised_from": "not a date",
    }).content.decode()  # fmt: skip

    summary = html.split("data-error-summary>")[1].split("</div>")[0]
    assert 'href="#id_seller"' in summary
    assert "No store on" in summary
    assert 'href="#id_authorised_from"' in summary
    assert not AuthorisedSeller.objects.exists()
