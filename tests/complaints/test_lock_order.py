"""Staff batches that touch the same sellers at once: one global lock order, and a bounded retry on conflicts."""

import logging

import pytest

from complaints import services
from complaints.models import ClaimItem
from enforcement.models import Action, Violation
from ipp_portal.audit.models import AuditEvent
from ipp_portal.notifications.models import Notification
from listings.models import Listing, ListingSnapshot
from tests.factories import ListingFactory, SellerFactory, make_claim, make_complainant, make_staff, seen
from tests.threads import run_together

SELLERS = 6
LISTINGS_PER_SELLER = 2
ROUNDS = 5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_takedowns_reaching_shared_sellers_in_opposite_order_both_succeed(caplog):
    caplog.set_level(logging.WARNING, logger="ipp_portal.transactions")
    for round_ in range(ROUNDS):
        sellers = [SellerFactory(store_name=f"Round {round_} store {n}") for n in range(SELLERS)]
        # One claim's items reach the sellers first to last, the other's last to first.
        claims = [
            make_claim(
                make_complainant(legal_name=name),
                listings=[ListingFactory(seller=s) for s in order for _ in range(LISTINGS_PER_SELLER)],
            )
            for order, name in ((sellers, "Acme Brands Ltd."), (sellers[::-1], "Globex Marks plc"))
        ]
        reviewers = [make_staff(), make_staff()]
        decisions = [
            {"claim_id": c.pk, "item_ids": list(c.items.values_list("pk", flat=True)), "seen": seen(c), "reviewer": r}
            for c, r in zip(claims, reviewers, strict=True)
        ]

        errors = run_together(*(lambda d=d: services.claim_items_take_down(**d) for d in decisions))

        assert errors == [], f"round {round_}: {errors!r}"
        per_claim = SELLERS * LISTINGS_PER_SELLER
        for claim in claims:
            assert set(claim.items.values_list("status", flat=True)) == {ClaimItem.Status.REMOVED}
            assert ListingSnapshot.objects.filter(listing__claim_items__claim=claim).count() == per_claim
            assert AuditEvent.objects.filter(verb="claim_item.removed", target_id__in=[
                str(pk) for pk in claim.items.values_list("pk", flat=True)
            ]).count() == per_claim  # fmt: skip
        assert not Listing.objects.filter(seller__in=sellers).exclude(status=Listing.Status.REMOVED).exists()
        for seller in sellers:
            assert Violation.objects.filter(seller=seller).count() == 2 * LISTINGS_PER_SELLER
            rungs = list(Action.objects.filter(seller=seller).values_list("trigger_measure", "trigger_threshold"))
            assert sorted(rungs) == sorted(set(rungs)), f"duplicate actions for {seller}: {rungs}"
            notices = Notification.objects.filter(recipient=seller.user, template="complaints/takedown_notice")
            assert notices.count() == 2  # one per seller per batch
    # The lock order alone keeps the two batches apart: no transaction had to be retried.
    assert [r.getMessage() for r in caplog.records if r.name == "ipp_portal.transactions"] == []
