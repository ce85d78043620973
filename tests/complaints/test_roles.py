import uuid

import pytest
from django.contrib.auth.models import Group

from complaints import services
from complaints.models import ClaimItem
from enforcement import services as enforcement_services
from enforcement.models import Action
from listings.models import Site
from tests.factories import ListingFactory, SellerFactory, UserFactory, make_complainant, make_right

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
    holder = make_complainant()
    claim = services.claim_submit(
        complainant=holder, user=holder.user, token=uuid.uuid4(), right=make_right(holder),
        site=Site.objects.get(code="alibaba"), reason_code="tm_counterfeit", explanation="x",
        links_text=ListingFactory().url, signature_name="A", ip="1.1.1.1",
        statements=dict.fromkeys(services.claims.STATEMENTS, True),
    )  # fmt: skip
    seller = SellerFactory()
    termination = enforcement_services.action_impose(
        seller=seller, kind="termination", reason="Court order", ground="Seed §3", actor=staff("Supervisor")
    )
    reviewer, auditor = staff("Reviewer"), staff("Auditor")

    client.force_login(auditor)
    assert client.get(f"/admin/complaints/claim/{claim.pk}/change/").status_code == 200
    assert client.post(f"/admin/complaints/claim/{claim.pk}/decide/", {"decision": "take"}).status_code == 403
    client.force_login(reviewer)
    client.post(
        f"/admin/complaints/claim/{claim.pk}/decide/", {"decision": "take_down", "items": [claim.items.get().pk]}
    )
    denied = client.post(f"/admin/enforcement/action/{termination.pk}/decide/", {"decision": "approve"})
    client.force_login(staff("Supervisor"))
    client.post(f"/admin/enforcement/action/{termination.pk}/decide/", {"decision": "approve"})

    assert ClaimItem.objects.get().status == "removed"
    assert denied.status_code == 403
    assert Action.objects.get(pk=termination.pk).status == "active"
