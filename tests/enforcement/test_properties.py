"""Property tests of the ledger: the standing kept incrementally equals the standing of the same surviving ledger
built from scratch, and nobody is suspended or terminated by the machine without a prior warning (DSA Art. 23)."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from enforcement import services
from enforcement.ledger import measures_at, rows_for, rules_for
from enforcement.models import Action, ActionKind, Violation
from enforcement.selectors import policy_current, standing_for
from listings.models import Seller, Site
from tests.factories import SellerFactory

pytestmark = pytest.mark.django_db

record_event = st.tuples(st.just("record"), st.sampled_from(["general", "serious"]), st.integers(0, 400))
withdraw_event = st.tuples(st.just("withdraw"), st.integers(0, 30), st.just(0))
events = st.lists(st.one_of(record_event, record_event, withdraw_event), min_size=1, max_size=14)
sites = st.sampled_from(["alibaba", "aliexpress"])


class Rollback(Exception):
    pass


def _summary(seller: Seller, at):
    seller.refresh_from_db()
    standing = standing_for(seller, at=at)
    kinds = sorted(a.kind for a in Action.objects.filter(seller=seller) if a.is_in_force_at(at))
    return {
        "points": standing.points,
        "strikes": standing.strikes,
        "stored": seller.standing,
        "until": seller.standing_until.replace(second=0, microsecond=0) if seller.standing_until else None,
        "in_force": kinds,
    }


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(site_code=sites, script=events, later=st.sampled_from([0, 2, 10, 30, 400]))
def test_incremental_standing_equals_from_scratch(site_code, script, later):
    try:
        with transaction.atomic():
            site = Site.objects.get(code=site_code)
            now = timezone.now().replace(second=0, microsecond=0)
            incremental, scratch = SellerFactory(site=site), SellerFactory(site=site)
            recorded = []
            for kind, a, b in script:
                if kind == "record":
                    recorded.append(
                        services.violation_record(
                            seller=incremental,
                            severity=a,
                            reference=f"R{len(recorded)}",
                            occurred_at=now - timedelta(days=b),
                        )
                    )
                elif recorded:
                    services.violation_withdraw(violation=recorded[a % len(recorded)], reason="counter-notice")
            for violation in recorded:
                violation.refresh_from_db()
            # The surviving ledger, replayed in ledger order on a fresh store (order matters: a first action is a
            # warning, DSA Art. 23).
            for violation in (v for v in recorded if v.withdrawn_at is None):
                services.violation_record(
                    seller=scratch, severity=violation.severity, reference=violation.reference,
                    occurred_at=violation.occurred_at,
                )  # fmt: skip
            at = now + timedelta(days=later, minutes=5)
            services.standings_sweep(at=at)

            left, right = _summary(incremental, at), _summary(scratch, at)
            # The database's sums (standing_for) agree with the Python arithmetic the services use.
            policy = policy_current(site)
            python = measures_at(rows_for(Violation.objects.filter(seller=incremental)), rules_for(policy, site), at)
            assert (python.points, python.strikes) == (left["points"], left["strikes"])
            assert left["points"] == right["points"]
            assert left["strikes"] == right["strikes"]
            assert left["stored"] == right["stored"]
            assert left["in_force"] == right["in_force"]

            for seller in (incremental, scratch):
                history = list(Action.objects.filter(seller=seller).order_by("id"))
                for i, action in enumerate(history):
                    if action.is_automated and action.kind in (ActionKind.SUSPENSION, ActionKind.TERMINATION):
                        assert any(
                            earlier.kind in (ActionKind.WARNING, ActionKind.POSTING_RESTRICTION)
                            for earlier in history[:i]
                        ), f"{action} without a prior warning"
            raise Rollback
    except Rollback:
        pass
