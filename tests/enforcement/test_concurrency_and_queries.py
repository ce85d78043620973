from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from enforcement import services
from enforcement.models import Action, Violation
from enforcement.selectors import standing_for
from listings.models import Site
from tests.factories import SellerFactory
from tests.threads import run_together


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_violations_recorded_concurrently_give_exact_points_and_one_action_per_rung():
    seller = SellerFactory(site=Site.objects.get(code="alibaba"))
    errors = run_together(
        *(
            lambda n=n: services.violation_record(seller=seller, severity="serious", reference=f"T{n}")
            for n in range(8)
        ),
        timeout=60,
    )

    assert errors == []
    assert Violation.objects.filter(seller=seller).count() == 8
    assert standing_for(seller).points == 48
    rungs = list(Action.objects.filter(seller=seller).values_list("trigger_measure", "trigger_threshold"))
    assert sorted(rungs) == sorted(set(rungs))  # exactly one action per rung crossed
    # Four serious violations terminate first; 48 points later adds no second termination for the same store.
    assert ("serious", 4) in rungs
    assert ("points", 48) not in rungs
    assert Action.objects.filter(seller=seller, kind="termination").count() == 1


@pytest.mark.django_db
def test_standing_for_query_count_does_not_grow_with_the_ledger():
    site = Site.objects.get(code="alibaba")

    def queries(n: int) -> int:
        seller = SellerFactory(site=site)
        policy_id = site.policies.get(is_current=True).pk
        now = timezone.now()
        Violation.objects.bulk_create(
            Violation(seller=seller, policy_id=policy_id, severity="general", points=2, reference=f"B{i}",
                      status="established", occurred_at=now, established_at=now, decision=i + 1,
                      expires_at=now + timedelta(days=365))
            for i in range(n)
        )  # fmt: skip
        with CaptureQueriesContext(connection) as ctx:
            standing_for(seller)
        return len(ctx.captured_queries)

    queries(1)
    assert queries(5) == queries(500)
