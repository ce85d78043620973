"""Upgrading a portal whose ledger already has violations changes nobody's standing: each existing violation is
established at its recorded time as its own decision, and the published rules arrive as a version staff make
current when they decide to."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from enforcement import services
from enforcement.models import Action, Policy, Violation
from listings.models import Seller

# The data migration gives existing rows their first status (the column is new): not a transition to audit.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), pytest.mark.unaudited_status_setup]

BEFORE = [("enforcement", "0005_add_staff_permissions")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_existing_violations_keep_counting_and_the_new_rules_wait_for_staff():
    old = migrate(BEFORE)
    try:
        Site, User = old.get_model("listings", "Site"), old.get_model("accounts", "User")
        OldSeller = old.get_model("listings", "Seller")
        OldPolicy, OldViolation = old.get_model("enforcement", "Policy"), old.get_model("enforcement", "Violation")
        OldAction = old.get_model("enforcement", "Action")
        site = Site.objects.get(code="alibaba")
        policy = OldPolicy.objects.get(site=site, is_current=True)
        user = User.objects.create(email="pearl@example.com")
        seller = OldSeller.objects.create(
            site=site, user=user, member_id="cn1000", store_name="Pearl River", standing="restricted"
        )
        now = timezone.now()
        times = [now - timedelta(days=3), now - timedelta(days=2)]
        for n, when in enumerate(times):  # two serious violations recorded by the old ledger: 12 points
            OldViolation.objects.create(seller=seller, policy=policy, severity="serious", points=6,
                                        reference=f"OLD-{n}", occurred_at=when,
                                        expires_at=when + timedelta(days=365))  # fmt: skip
        for kind, threshold, ends in (("warning", 6, None), ("posting_restriction", 12, now + timedelta(days=5))):
            OldAction.objects.create(seller=seller, kind=kind, status="active", starts_at=times[1], ends_at=ends,
                                     is_automated=True, trigger_measure="points", trigger_threshold=threshold,
                                     ground="g", facts="f", appeal_deadline=now + timedelta(days=180))  # fmt: skip
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    violations = list(Violation.objects.filter(seller_id=seller.pk).order_by("id"))
    assert [(v.status, v.established_at, v.decision, v.establishment) for v in violations] == [
        ("established", times[0], 1, "recorded"),
        ("established", times[1], 2, "recorded"),
    ]
    # The published rules are there as version 2, not current: the upgrade itself changes nobody's standing.
    assert Policy.objects.get(site__code="alibaba", is_current=True).version == 1
    assert Policy.objects.filter(site__code="alibaba", version=2, is_current=False, aggregation_window_days=3).exists()
    before = sorted(Action.objects.filter(seller_id=seller.pk).values_list("kind", "status", "cleared_at"))

    services.standings_sweep()  # the ledger recomputed under the upgraded code

    assert sorted(Action.objects.filter(seller_id=seller.pk).values_list("kind", "status", "cleared_at")) == before
    assert Seller.objects.get(pk=seller.pk).standing == "restricted"
