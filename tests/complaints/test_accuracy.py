"""The complainant's accuracy record against hand-computed fixtures, how reinstatements are recorded, and the number
of queries (one, whatever the history)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from complaints import services
from complaints.models import Authorization, ClaimItem
from complaints.selectors.accuracy import complainant_accuracy
from enforcement.models import Policy
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

V = ClaimItem.ReinstatedVia


@pytest.fixture
def reviewer():
    return make_staff(email="reviewer@staff.example")


@pytest.fixture
def supervisor():
    return make_staff("Supervisor", email="supervisor@staff.example")


def _items(claim):
    return list(ClaimItem.objects.filter(claim=claim).order_by("position"))


def _claim(complainant, n, **fields):
    seller = SellerFactory()
    return make_claim(complainant, listings=[ListingFactory(seller=seller) for _ in range(n)], **fields)


def _reject(claim, items, reviewer, code):
    services.claim_items_reject(
        claim_id=claim.pk, item_ids=[i.pk for i in items], reviewer=reviewer, code=code, seen=seen(claim), note="x"
    )


def _lost_by_acceptance(claim, item, holder):
    notice = file_counter_notice(item.seller, [ClaimItem.objects.get(pk=item.pk)])
    services.counter_notice_accept(notice_id=notice.pk, user=holder.user)


def _lost_by_staff(claim, item, holder, reviewer):
    notice = file_counter_notice(item.seller, [ClaimItem.objects.get(pk=item.pk)])
    services.counter_notice_reject(notice_id=notice.pk, user=holder.user, answer="They are fakes.")
    services.counter_notice_decide(notice_id=notice.pk, reviewer=reviewer, outcome="reinstate", reason="Invoices.")


def _age(claim, days):
    """Move a claim and its decisions ``days`` into the past (outside the 90-day window when over 90)."""
    then = timezone.now() - timedelta(days=days)
    type(claim).objects.filter(pk=claim.pk).update(submitted_at=then)
    ClaimItem.objects.filter(claim=claim).exclude(decided_at=None).update(decided_at=then)
    ClaimItem.objects.filter(claim=claim).exclude(withdrawn_at=None).update(withdrawn_at=then)


@pytest.fixture
def holder_history(reviewer, supervisor):
    """A right holder's record (hand-computed in the test):

    claim A (recent, 5 items): 1 removed, 1 lost by acceptance, 1 lost by staff decision, 1 retracted,
        1 rejected not_infringing;
    claim B (recent, 3 items): 1 withdrawn, 1 reversed by a supervisor, 1 rejected listing_not_found;
    claim C (recent, 2 items): the whole claim rejected identity_not_proven;
    claim D (200 days ago, 2 items): 1 removed, 1 lost by acceptance."""
    holder = make_complainant()
    right = make_right(holder)
    a = _claim(holder, 5, right=right)
    ai = _items(a)
    take_down(a, ai[:4], reviewer)
    _reject(a, ai[4:], reviewer, "not_infringing")
    _lost_by_acceptance(a, ai[1], holder)
    _lost_by_staff(a, ai[2], holder, reviewer)
    services.claim_item_retract(item_id=ai[3].pk, user=holder.user, reason="Settled.")

    b = _claim(holder, 3, right=right)
    bi = _items(b)
    services.claim_item_withdraw(item_id=bi[0].pk, user=holder.user)
    take_down(b, [bi[1]], reviewer)
    services.claim_item_reinstate_upheld(item_id=bi[1].pk, supervisor=supervisor, reason="Wrong listing.")
    _reject(b, [bi[2]], reviewer, "listing_not_found")

    c = _claim(holder, 2, right=right)
    services.claim_reject(claim_id=c.pk, reviewer=reviewer, code="identity_not_proven", seen=seen(c), note="x")

    d = _claim(holder, 2, right=right)
    di = _items(d)
    take_down(d, di, reviewer)
    _lost_by_acceptance(d, di[1], holder)
    _age(d, 200)
    return holder


def test_reinstatements_record_how_the_listing_came_back(holder_history):
    via = dict(
        ClaimItem.objects.filter(claim__complainant=holder_history, status="reinstated")
        .values_list("reinstated_via")
        .annotate(n=Count("pk"))
    )
    assert via == {V.COUNTER_NOTICE_ACCEPTED: 2, V.STAFF_AFTER_COUNTER_NOTICE: 1, V.RETRACTION: 1, V.SUPERVISOR: 1}


def test_silence_records_silence(reviewer):
    holder = make_complainant()
    claim = _claim(holder, 1)
    take_down(claim, reviewer=reviewer)
    Policy.objects.filter(site__code="alibaba", is_current=True).update(reinstate_on_silence=True)
    notice = file_counter_notice(_items(claim)[0].seller, _items(claim))
    services.counter_notices_sweep_due(now=notice.answer_due_at + timedelta(seconds=1))
    assert _items(claim)[0].reinstated_via == V.SILENCE
    assert complainant_accuracy([holder.pk])[holder.pk].all_time.reinstated_after_counter_notice == 1


def test_right_holder_figures_match_the_hand_count(holder_history):
    record = complainant_accuracy([holder_history.pk])[holder_history.pk]
    every, recent = record.all_time, record.recent

    assert (every.claims_filed, every.items_filed) == (4, 12)
    # Taken down: A 4, B 1, D 2. Rejected: A 1, B 1, C 2. Withdrawn: B 1.
    assert (every.items_taken_down, every.items_rejected, every.items_withdrawn) == (7, 4, 1)
    assert (every.reinstated_after_counter_notice, every.retractions, every.supervisor_reversals) == (3, 1, 1)
    assert every.rejected_by_item_code == {
        "not_infringing": 1, "listing_not_found": 1, "url_invalid": 0, "right_scope": 0, "other": 0,
    }  # fmt: skip
    assert every.rejected_by_claim_code == {
        "identity_not_proven": 2, "ownership_not_proven": 0, "authorization_missing": 0, "other": 0,
    }  # fmt: skip
    # Not infringing 1 + identity not proven 2 + lost to counter-notices 3.
    assert every.manifestly_unfounded == 6
    assert every.items_decided == 11
    assert every.takedown_rate == pytest.approx(7 / 11)
    assert every.counter_notice_loss_share == pytest.approx(3 / 7)

    # The last 90 days leave out claim D (2 taken down, 1 lost).
    assert (recent.claims_filed, recent.items_filed) == (3, 10)
    assert (recent.items_taken_down, recent.items_rejected, recent.items_withdrawn) == (5, 4, 1)
    assert recent.reinstated_after_counter_notice == 2
    assert recent.manifestly_unfounded == 5
    assert recent.takedown_rate == pytest.approx(5 / 9)
    assert recent.counter_notice_loss_share == pytest.approx(2 / 5)
    assert record.window_days == 90
    assert record.by_owner == {}


def _authorize(agent, right, reviewer, owner):
    today = timezone.localdate()
    authorization = services.authorization_register(
        agent=agent, rights=[right], sites=[Site.objects.get(code="alibaba")],
        letter=make_document(agent.user, "letter.pdf"), owner_name=owner,
        valid_from=today - timedelta(days=30), valid_until=today + timedelta(days=365),
    )  # fmt: skip
    services.authorization_verify(authorization_id=authorization.pk, seen=seen(authorization), reviewer=reviewer)
    return Authorization.objects.get(pk=authorization.pk)


def test_agent_record_is_broken_down_by_owner(reviewer):
    agent = make_complainant(role="law_firm", legal_name="Lex and Co LLP")
    acme = make_right(agent, owner_name="Acme Brands Ltd.", registration_number="UK001")
    zeta = make_right(agent, owner_name="Zeta Toys GmbH", registration_number="EU002", title="ZETA")
    _authorize(agent, acme, reviewer, "Acme Brands Ltd.")
    _authorize(agent, zeta, reviewer, "Zeta Toys GmbH")

    # Acme: 3 items, 2 taken down (1 lost by acceptance), 1 rejected not infringing.
    a = _claim(agent, 3, right=acme)
    ai = _items(a)
    take_down(a, ai[:2], reviewer)
    _reject(a, ai[2:], reviewer, "not_infringing")
    _lost_by_acceptance(a, ai[0], agent)
    # Zeta: two claims: one taken down in full (2 items), one rejected for ownership not proven (1 item), aged.
    z1 = _claim(agent, 2, right=zeta)
    take_down(z1, reviewer=reviewer)
    z2 = _claim(agent, 1, right=zeta)
    services.claim_reject(claim_id=z2.pk, reviewer=reviewer, code="ownership_not_proven", seen=seen(z2), note="x")
    _age(z2, 120)

    record = complainant_accuracy([agent.pk])[agent.pk]
    assert list(record.by_owner) == ["Acme Brands Ltd.", "Zeta Toys GmbH"]
    acme_all = record.by_owner["Acme Brands Ltd."].all_time
    zeta_all, zeta_recent = record.by_owner["Zeta Toys GmbH"].all_time, record.by_owner["Zeta Toys GmbH"].recent
    assert (acme_all.claims_filed, acme_all.items_taken_down, acme_all.items_rejected) == (1, 2, 1)
    assert (acme_all.reinstated_after_counter_notice, acme_all.manifestly_unfounded) == (1, 2)
    assert (zeta_all.claims_filed, zeta_all.items_taken_down, zeta_all.items_rejected) == (2, 2, 1)
    assert zeta_all.rejected_by_claim_code["ownership_not_proven"] == 1
    assert zeta_all.manifestly_unfounded == 1
    assert (zeta_recent.claims_filed, zeta_recent.items_rejected, zeta_recent.manifestly_unfounded) == (1, 0, 0)
    # The agent's totals are the sum of its owners.
    assert (record.all_time.claims_filed, record.all_time.items_filed) == (3, 6)
    assert (record.all_time.items_taken_down, record.all_time.manifestly_unfounded) == (4, 3)
    assert record.all_time.takedown_rate == pytest.approx(4 / 6)
    assert record.recent.takedown_rate == pytest.approx(4 / 5)


def test_nothing_filed_reads_as_zeros_and_drafts_do_not_count():
    quiet = make_complainant()
    record = complainant_accuracy([quiet.pk])[quiet.pk]
    assert record.all_time.items_filed == 0
    assert record.all_time.takedown_rate is None
    assert record.all_time.counter_notice_loss_share is None
    assert complainant_accuracy([]) == {}


def _queries(ids) -> int:
    with CaptureQueriesContext(connection) as ctx:
        complainant_accuracy(ids)
    return len(ctx.captured_queries)


def test_one_query_whatever_the_history(reviewer):
    holders = [make_complainant(), make_complainant()]
    for holder in holders:
        take_down(_claim(holder, 2), reviewer=reviewer)
    few = _queries([h.pk for h in holders])
    for holder in holders:
        for _ in range(5):
            claim = _claim(holder, 8)
            items = _items(claim)
            take_down(claim, items[:6], reviewer)
            _reject(claim, items[6:], reviewer, "not_infringing")
    holders.append(make_complainant())

    assert few == 1
    assert _queries([h.pk for h in holders]) == 1
    assert complainant_accuracy([holders[0].pk])[holders[0].pk].all_time.items_filed == 42
