import pytest
from django.contrib.auth.models import Group

from complaints import services
from complaints.models import ClaimItem
from complaints.seen import seen_token
from enforcement import services as enforcement_services
from enforcement.models import Action
from tests.factories import SellerFactory, UserFactory, make_claim

pytestmark = pytest.mark.django_db


def staff(role):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


def test_roles_exist_with_their_permissions():
    reviewer, supervisor, auditor = (Group.objects.get(name=n) for n in ("Reviewer", "Supervisor", "Auditor"))
    codes = {g.name: set(g.permissions.values_list("codename", flat=True)) for g in (reviewer, supervisor, auditor)}

    assert "change_claim" in codes["Reviewer"]
    assert "change_action" not in codes["Reviewer"]
    assert {"change_action", "change_appeal", "add_action"} <= codes["Supervisor"]
    assert all(code.startswith("view_") for code in codes["Auditor"])


def test_reviewer_decides_but_only_a_supervisor_approves_a_termination(client):
    claim = make_claim()
    seller = SellerFactory()
    termination = enforcement_services.action_impose(
        seller=seller, kind="termination", reason="Court order", ground="Policy §3", actor=staff("Supervisor")
    )
    reviewer, auditor = staff("Reviewer"), staff("Auditor")

    client.force_login(auditor)
    assert client.get(f"/admin/complaints/claim/{claim.pk}/change/").status_code == 200
    assert client.post(f"/admin/complaints/claim/{claim.pk}/decide/", {"decision": "take"}).status_code == 403
    client.force_login(reviewer)
    client.post(
        f"/admin/complaints/claim/{claim.pk}/decide/",
        {"decision": "take_down", "items": [claim.items.get().pk], "seen": seen_token(claim)},
    )
    denied = client.post(f"/admin/enforcement/action/{termination.pk}/decide/", {"decision": "approve"})
    client.force_login(staff("Supervisor"))
    client.post(f"/admin/enforcement/action/{termination.pk}/decide/", {"decision": "approve"})

    assert ClaimItem.objects.get().status == "removed"
    assert denied.status_code == 403
    assert Action.objects.get(pk=termination.pk).status == "active"


def test_every_role_opens_the_counter_notice_queue_and_only_deciders_decide(client):
    from tests.factories import make_staff

    for role, decides in (("Reviewer", True), ("Supervisor", True), ("Auditor", False)):
        user = make_staff(role)
        client.force_login(user)
        queue = client.get("/admin/complaints/counternotice/", follow=True)
        assert queue.status_code == 200, role
        assert user.has_perm("complaints.change_counternotice") is decides


def test_only_a_supervisor_takes_over_a_claim_another_reviewer_has_taken():
    from ipp_portal.errors import NotPermitted
    from tests.factories import make_staff

    claim = make_claim()
    first, second, supervisor = make_staff(), make_staff(), make_staff("Supervisor")
    services.claim_take(claim_id=claim.pk, reviewer=first)

    with pytest.raises(NotPermitted, match="only a supervisor"):
        services.claim_take(claim_id=claim.pk, reviewer=second, force=True)
    services.claim_take(claim_id=claim.pk, reviewer=supervisor, force=True)

    claim.refresh_from_db()
    assert claim.assigned_to == supervisor


def test_services_refuse_staff_without_the_permission_whatever_calls_them():
    from enforcement.models import Policy
    from ipp_portal.errors import NotPermitted
    from tests.factories import make_staff

    policy = Policy.objects.get(site__code="alibaba", is_current=True)
    draft = enforcement_services.policy_new_version(policy_id=policy.pk, actor=make_staff("Supervisor"))

    for actor in (make_staff("Reviewer"), make_staff("Auditor"), UserFactory(is_staff=True)):
        with pytest.raises(NotPermitted):
            enforcement_services.policy_activate(policy_id=draft.pk, actor=actor)
        with pytest.raises(NotPermitted):
            enforcement_services.policy_new_version(policy_id=policy.pk, actor=actor)
    enforcement_services.policy_activate(policy_id=draft.pk, actor=make_staff("Supervisor"))

    assert Policy.objects.get(site__code="alibaba", is_current=True) == draft


def test_an_auditor_cannot_make_a_policy_current_through_the_admin_action(client):
    from enforcement.models import Policy
    from tests.factories import make_staff

    current = Policy.objects.get(site__code="alibaba", is_current=True)
    draft = enforcement_services.policy_new_version(policy_id=current.pk, actor=make_staff("Supervisor"))
    client.force_login(make_staff("Auditor"))

    client.post("/admin/enforcement/policy/", {"action": "make_current", "_selected_action": [draft.pk], "index": "0"})

    assert Policy.objects.get(site__code="alibaba", is_current=True) == current
