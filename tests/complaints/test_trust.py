"""The trusted programme: the sweep proposes and flags, a supervisor admits and revokes (audited, told with reasons),
trusted claims go first in the queue, and a trusted claim's waiting listings come down in one decision."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from complaints import services
from complaints.models import Claim, ClaimItem, Trust, TrustCriteria
from complaints.tasks import sweep_trusted_programme
from ipp_portal.audit.models import AuditEvent
from ipp_portal.errors import NotPermitted, PortalError
from ipp_portal.notifications.models import Notification
from listings.models import Site
from tests.factories import (
    ListingFactory,
    SellerFactory,
    file_counter_notice,
    make_claim,
    make_complainant,
    make_staff,
    seen,
    take_down,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer():
    return make_staff(email="reviewer@staff.example")


@pytest.fixture
def supervisor():
    return make_staff("Supervisor", email="supervisor@staff.example")


@pytest.fixture
def criteria():
    """The seeded bar, made small for the tests: 4 decided items, 75 % taken down, at most 25 % lost."""
    criteria = TrustCriteria.objects.get(site__code="alibaba")
    criteria.min_items, criteria.min_takedown_rate, criteria.max_counter_notice_loss_share = 4, Decimal("0.75"), 0.25
    criteria.save()
    return criteria


def test_migration_seeds_the_bar_for_both_sites_and_grants_supervisors():
    seeded = {c.site.code: c for c in TrustCriteria.objects.select_related("site")}
    assert set(seeded) == {"alibaba", "aliexpress"}
    for c in seeded.values():
        assert (c.window_days, c.min_items) == (90, 20)
        assert (c.min_takedown_rate, c.max_counter_notice_loss_share) == (Decimal("0.900"), Decimal("0.050"))
    assert make_staff("Supervisor").has_perm("complaints.decide_trust")
    assert not make_staff("Reviewer").has_perm("complaints.decide_trust")
    assert make_staff("Auditor").has_perm("complaints.view_trust")
    assert Group.objects.get(name="Supervisor").permissions.filter(codename="change_trustcriteria").exists()


def _record(holder, reviewer, *, taken: int, rejected: int = 0):
    claim = make_claim(holder, listings=[ListingFactory(seller=SellerFactory()) for _ in range(taken + rejected)])
    items = list(claim.items.order_by("position"))
    take_down(claim, items[:taken], reviewer)
    if rejected:
        services.claim_items_reject(
            claim_id=claim.pk, item_ids=[i.pk for i in items[taken:]], reviewer=reviewer, code="not_infringing",
            seen=seen(claim), note="x",
        )  # fmt: skip
    return claim


def _trust(holder, site="alibaba"):
    return Trust.objects.get(complainant=holder, site__code=site)


def test_sweep_proposes_eligible_complainants_once(criteria, reviewer):
    good, thin, poor = make_complainant(), make_complainant(), make_complainant()
    _record(good, reviewer, taken=4)
    _record(thin, reviewer, taken=3)  # too few decisions
    _record(poor, reviewer, taken=3, rejected=2)  # 60 % taken down

    result = services.trust_sweep()

    assert (result.proposed, result.flagged) == (1, 0)
    trust = _trust(good)
    assert trust.status == Trust.Status.PROPOSED
    assert trust.figures["items_decided"] == 4
    assert trust.figures["takedown_rate"] == 1.0
    assert not Trust.objects.filter(complainant__in=[thin, poor]).exists()
    assert AuditEvent.objects.filter(verb="trust.proposed", target_id=str(trust.pk)).count() == 1
    # Idempotent: the proposal waits for a supervisor.
    assert services.trust_sweep() == services.trust.SweepResult(0, 0)
    assert Trust.objects.count() == 1


def test_supervisor_admits_with_reasons_and_open_claims_go_first(criteria, reviewer, supervisor):
    holder = make_complainant()
    _record(holder, reviewer, taken=4)
    open_before = make_claim(holder)
    services.trust_sweep()
    trust = _trust(holder)

    with pytest.raises(NotPermitted):
        services.trust_admit(trust_id=trust.pk, supervisor=reviewer, reason="Accurate.")
    with pytest.raises(PortalError, match="reason"):
        services.trust_admit(trust_id=trust.pk, supervisor=supervisor, reason=" ")
    services.trust_admit(trust_id=trust.pk, supervisor=supervisor, reason="Four of four taken down.")

    trust.refresh_from_db()
    assert (trust.status, trust.decided_by, trust.reason) == ("admitted", supervisor, "Four of four taken down.")
    assert AuditEvent.objects.filter(verb="trust.admitted", target_id=str(trust.pk), actor=supervisor).exists()
    notice = Notification.objects.get(recipient=holder.user, template="complaints/trust_admitted")
    assert notice.context["reason"] == "Four of four taken down."
    assert Claim.objects.get(pk=open_before.pk).is_trusted
    assert make_claim(holder).is_trusted  # set at submission
    aliexpress = Site.objects.get(code="aliexpress")
    elsewhere = make_claim(holder, site=aliexpress, listings=[ListingFactory(seller=SellerFactory(site=aliexpress))])
    assert not elsewhere.is_trusted  # membership is per site


def _admitted(holder, reviewer, supervisor):
    _record(holder, reviewer, taken=4)
    services.trust_sweep()
    return services.trust_admit(trust_id=_trust(holder).pk, supervisor=supervisor, reason="Accurate.")


def test_member_below_the_bar_is_flagged_not_dropped(criteria, reviewer, supervisor):
    holder = make_complainant()
    claim = _admitted(holder, reviewer, supervisor)
    claim = Claim.objects.filter(complainant=holder).first()
    # Two of the four takedowns lost to counter-notices: 50 % > 25 %.
    for item in list(ClaimItem.objects.filter(claim=claim).order_by("position"))[:2]:
        notice = file_counter_notice(item.seller, [item])
        services.counter_notice_accept(notice_id=notice.pk, user=holder.user)

    assert services.trust_sweep().flagged == 1
    trust = _trust(holder)
    assert trust.status == Trust.Status.FLAGGED
    assert trust.is_trusted
    assert trust.figures["counter_notice_loss_share"] == 0.5
    assert AuditEvent.objects.filter(verb="trust.flagged", target_id=str(trust.pk)).exists()
    assert make_claim(holder).is_trusted  # still trusted until a supervisor decides
    assert services.trust_sweep().flagged == 0  # the flag waits


def test_revocation_tells_the_complainant_why_and_how_to_appeal(criteria, reviewer, supervisor):
    holder = make_complainant()
    trust = _admitted(holder, reviewer, supervisor)
    waiting = make_claim(holder)
    assert waiting.is_trusted

    services.trust_revoke(trust_id=trust.pk, supervisor=supervisor, reason="Two takedowns lost in a week.")

    trust.refresh_from_db()
    assert trust.status == Trust.Status.REVOKED
    assert not trust.is_trusted
    assert not Claim.objects.get(pk=waiting.pk).is_trusted
    assert AuditEvent.objects.filter(verb="trust.revoked", target_id=str(trust.pk), actor=supervisor).exists()
    notice = Notification.objects.get(recipient=holder.user, template="complaints/trust_revoked")
    from django.template.loader import render_to_string

    text = render_to_string("notifications/complaints/trust_revoked.txt", notice.context)
    assert "Two takedowns lost in a week." in text
    assert "How to appeal" in text
    # Not proposed again while the revocation is recent.
    assert services.trust_sweep().proposed == 0


def test_queue_lists_trusted_claims_first_then_oldest(client, criteria, reviewer, supervisor):
    ordinary, member = make_complainant(), make_complainant()
    _admitted(member, reviewer, supervisor)
    old = make_claim(ordinary)
    newer = make_claim(ordinary)
    trusted = make_claim(member)
    Claim.objects.filter(pk=old.pk).update(submitted_at=timezone.now() - timedelta(days=2))
    client.force_login(reviewer)

    response = client.get("/admin/complaints/claim/?status__in=submitted,in_review")

    rows = [c.pk for c in response.context["cl"].result_list]
    assert rows[:3] == [trusted.pk, old.pk, newer.pk]
    assert b"trusted-mark" in response.content
    assert "taken down" in response.content.decode()  # the accuracy column


def test_queue_ordering_is_served_by_the_partial_index():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off; SET enable_bitmapscan = off")
        cursor.execute(
            "EXPLAIN SELECT id FROM complaints_claim WHERE status IN ('submitted', 'in_review') "
            "ORDER BY is_trusted DESC, submitted_at ASC, id ASC LIMIT 100"
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET enable_seqscan; RESET enable_bitmapscan")
    assert "claim_trusted_queue_idx" in plan
    assert "Sort" not in plan


def test_trusted_claim_is_taken_down_in_one_action(client, criteria, reviewer, supervisor):
    member = make_complainant()
    _admitted(member, reviewer, supervisor)
    claim = make_claim(member, listings=[ListingFactory() for _ in range(3)])
    client.force_login(reviewer)
    page = client.get(f"/admin/complaints/claim/{claim.pk}/change/")
    assert b"take-down-all" in page.content
    assert b"complainant-accuracy" in page.content
    token = page.context["seen"]
    url = f"/admin/complaints/claim/{claim.pk}/decide/"

    client.post(url, {"decision": "take_down_all", "seen": token})  # not confirmed: nothing happens
    assert set(claim.items.values_list("status", flat=True)) == {"pending"}
    client.post(url, {"decision": "take_down_all", "confirm_all": "1", "seen": token})

    assert set(claim.items.values_list("status", flat=True)) == {"removed"}
    assert AuditEvent.objects.filter(verb="claim_item.removed", actor=reviewer).count() == 3 + 4


def test_one_action_is_refused_for_an_ordinary_claim(reviewer):
    claim = make_claim(make_complainant())
    with pytest.raises(PortalError) as excinfo:
        services.claim_take_down_all_pending(claim_id=claim.pk, reviewer=reviewer, seen=seen(claim))
    assert excinfo.value.code == "not_trusted"
    assert set(claim.items.values_list("status", flat=True)) == {"pending"}


def test_beat_runs_the_sweep_daily(criteria, reviewer):
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["sweep-trusted-programme"]
    assert entry["task"] == "complaints.sweep_trusted_programme"
    holder = make_complainant()
    _record(holder, reviewer, taken=4)

    assert sweep_trusted_programme.apply().get() == {"proposed": 1, "flagged": 0}
    assert _trust(holder).status == Trust.Status.PROPOSED


def test_supervisor_decides_in_the_admin(client, criteria, reviewer, supervisor):
    holder = make_complainant()
    _record(holder, reviewer, taken=4)
    services.trust_sweep()
    trust = _trust(holder)
    url = f"/admin/complaints/trust/{trust.pk}/decide/"

    client.force_login(reviewer)
    assert client.post(url, {"decision": "admit", "reason": "x"}).status_code == 403
    client.force_login(supervisor)
    assert b"Statement of reasons" in client.get(f"/admin/complaints/trust/{trust.pk}/change/").content
    client.post(url, {"decision": "admit", "reason": "Accurate for 90 days."})
    assert _trust(holder).status == Trust.Status.ADMITTED


def test_right_holder_sees_their_accuracy(client, reviewer):
    holder = make_complainant()
    _record(holder, reviewer, taken=3, rejected=1)
    client.force_login(holder.user)
    body = client.get("/rights/claims/").content.decode()
    assert "Your accuracy" in body
    assert "75 %" in body
    assert "How it is used" in body
