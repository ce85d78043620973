"""The check behind every test (tests/conftest.py): a status changed by any code path without its audit row is
found, and one changed through ``transition`` is not."""

import pytest
from django.db import connection

from complaints.models import Claim
from ipp_portal.transitions import transition, transition_many
from listings.models import Listing
from tests.conftest import status_history_mark, unaudited_status_changes
from tests.factories import ListingFactory, make_claim, make_staff

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.mark.unaudited_status_setup
def test_a_status_changed_behind_the_audit_trails_back_is_found():
    listing = ListingFactory()
    mark = status_history_mark()

    Listing.objects.filter(pk=listing.pk).update(status=Listing.Status.REMOVED)

    assert unaudited_status_changes(mark) == [
        f"listings_listing {listing.pk}: live → removed (audit rows to removed: none)"
    ]


def test_transition_and_transition_many_audit_each_object_with_its_own_previous_state():
    reviewer = make_staff()
    claim = make_claim(listings=ListingFactory.create_batch(2))
    live, reinstated = (item.listing for item in claim.items.order_by("position"))
    transition_many([reinstated], Listing.Status.REMOVED, actor=reviewer, verb="listing.removed")
    transition_many([reinstated], Listing.Status.REINSTATED, actor=reviewer, verb="listing.reinstated")
    mark = status_history_mark()

    transition_many([live, reinstated], Listing.Status.REMOVED, actor=reviewer, verb="listing.removed")
    transition(claim, Claim.Status.IN_REVIEW, actor=reviewer, verb="claim.in_review")

    assert unaudited_status_changes(mark) == []
    with connection.cursor() as cursor:
        cursor.execute("SELECT tbl, old, new FROM test_status_history WHERE id > %s ORDER BY id", [mark])
        assert cursor.fetchall() == [
            ("listings_listing", "live", "removed"),
            ("listings_listing", "reinstated", "removed"),
            ("complaints_claim", "submitted", "in_review"),
        ]
