"""Pages show each complainant's last accuracy snapshot (one query whatever the history); the refresh writes the
same figures a fresh computation gives, and a complainant not yet refreshed is computed on the spot."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from complaints import services
from complaints.models import AccuracySnapshot
from complaints.selectors.accuracy import complainant_accuracy, complainant_accuracy_shown
from tests.factories import ListingFactory, make_claim, make_complainant, take_down

pytestmark = pytest.mark.django_db


def history(complainant, claims):
    for _ in range(claims):
        take_down(make_claim(complainant, listings=[ListingFactory(), ListingFactory()]))


def test_the_refresh_stores_what_a_fresh_computation_gives_and_pages_read_it():
    busy, new = make_complainant(), make_complainant()
    history(busy, 3)

    assert services.accuracy_snapshots_refresh() == 1  # the complainant with filed claims
    history(new, 1)  # filed after the refresh: no snapshot yet

    shown = complainant_accuracy_shown([busy.pk, new.pk])
    fresh = complainant_accuracy([busy.pk, new.pk])
    assert shown[busy.pk].as_of == AccuracySnapshot.objects.get(complainant=busy).computed_at
    assert (shown[busy.pk].recent, shown[busy.pk].all_time) == (fresh[busy.pk].recent, fresh[busy.pk].all_time)
    assert shown[busy.pk].all_time.items_taken_down == 6
    assert shown[new.pk].as_of is None  # computed on the spot
    assert shown[new.pk].all_time == fresh[new.pk].all_time
    assert services.accuracy_snapshots_refresh() == 2  # idempotent: one row per complainant, updated
    assert AccuracySnapshot.objects.count() == 2


def test_reading_snapshots_is_one_query_whatever_the_history():
    small, large = make_complainant(), make_complainant()
    history(small, 1)
    history(large, 6)
    services.accuracy_snapshots_refresh()

    def queries(pk):
        with CaptureQueriesContext(connection) as ctx:
            complainant_accuracy_shown([pk])
        return len(ctx.captured_queries)

    assert queries(small.pk) == queries(large.pk) == 1
