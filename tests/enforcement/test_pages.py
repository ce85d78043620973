import pytest

from enforcement import services
from enforcement.models import Action, Appeal, Policy
from listings.models import Seller
from tests.factories import SellerFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_standing_page_shows_points_violations_and_what_comes_next(client):
    seller = SellerFactory()
    services.violation_record(seller=seller, severity="serious", reference="IPP-2026-000042#1")
    client.force_login(seller.user)

    html = client.get("/seller/standing/").content.decode()

    assert "IPP-2026-000042#1" in html
    assert "Active points</dt><dd>6" in html
    assert "Warning" in html
    assert "Posting restriction for 7 days (active points reach 12)" in html  # one more serious violation


def test_action_page_has_the_statement_of_reasons_and_appeal_form(client):
    seller = SellerFactory()
    services.violation_record(seller=seller, severity="serious", reference="R1")
    action = Action.objects.get(seller=seller)
    client.force_login(seller.user)

    page = client.get(f"/seller/standing/actions/{action.pk}/").content.decode()
    client.post(f"/seller/standing/actions/{action.pk}/appeal/", {"statement": "These were genuine goods."})

    for fragment in ("Statement of reasons", "Scope", "Ground", "Redress", "automated means"):
        assert fragment in page
    assert f'href="/policy/alibaba/v{action.step.policy.version}/"' in page  # the rules it was judged under
    assert Appeal.objects.get().statement == "These were genuine goods."


def test_another_sellers_action_is_not_found(client):
    seller = SellerFactory()
    services.violation_record(seller=seller, severity="serious", reference="R1")
    action = Action.objects.get(seller=seller)
    client.force_login(UserFactory())

    assert client.get(f"/seller/standing/actions/{action.pk}/").status_code == 404
    assert client.post(f"/seller/standing/actions/{action.pk}/appeal/", {"statement": "x"}).status_code == 404
    assert not Appeal.objects.exists()


def test_admin_impose_and_second_approval(client):
    seller = SellerFactory()
    first = UserFactory(is_staff=True, is_superuser=True, email="a@staff.example")
    second = UserFactory(is_staff=True, is_superuser=True, email="b@staff.example")
    client.force_login(first)

    client.post(
        f"/admin/listings/seller/{seller.pk}/impose/",
        {"kind": "termination", "ground": "Policy §3", "reason": "Court order in case 123"},
    )
    action = Action.objects.get(seller=seller)
    refused = client.post(f"/admin/enforcement/action/{action.pk}/decide/", {"decision": "approve"}, follow=True)
    client.force_login(second)
    queue = client.get("/admin/enforcement/pendingtermination/").content.decode()
    client.post(f"/admin/enforcement/action/{action.pk}/decide/", {"decision": "approve"})

    assert "second staff member" in refused.content.decode()
    assert str(seller.store_name) in queue
    assert Action.objects.get(pk=action.pk).status == "active"
    assert Seller.objects.get(pk=seller.pk).standing == "terminated"


def test_admin_decides_an_appeal(admin_client):
    seller = SellerFactory()
    violation = services.violation_record(seller=seller, severity="serious", reference="R1")
    action = Action.objects.get(seller=seller)
    appeal = services.appeal_file(action_id=action.pk, user=seller.user, statement="Genuine goods")

    queue = admin_client.get("/admin/enforcement/appeal/", follow=True).content.decode()
    admin_client.post(
        f"/admin/enforcement/appeal/{appeal.pk}/change/",
        {"outcome": "overturned", "reason": "Invoices prove it.", "withdraw": [violation.pk]},
    )

    assert str(action) in queue
    assert Appeal.objects.get().status == "overturned"
    assert Action.objects.get(pk=action.pk).status == "overturned"


def test_policy_versions_locked_copied_validated_and_activated(admin_client):
    current = Policy.objects.get(site__code="alibaba", is_current=True)

    locked = admin_client.get(f"/admin/enforcement/policy/{current.pk}/change/").content.decode()
    admin_client.post("/admin/enforcement/policy/", {"action": "copy_as_new_version", "_selected_action": [current.pk]})
    draft = Policy.objects.get(site__code="alibaba", version=current.version + 1)
    draft.steps.filter(threshold=12).update(duration_days=None)  # a restriction with no duration
    bad = admin_client.post(
        "/admin/enforcement/policy/", {"action": "make_current", "_selected_action": [draft.pk]}, follow=True
    ).content.decode()
    draft.steps.filter(threshold=12).update(duration_days=10)
    admin_client.post("/admin/enforcement/policy/", {"action": "make_current", "_selected_action": [draft.pk]})

    assert 'name="general_points"' not in locked
    assert "needs a duration" in bad
    assert Policy.objects.get(site__code="alibaba", is_current=True).version == draft.version
    seller = SellerFactory()
    violation = services.violation_record(seller=seller, severity="general", reference="R1")
    assert violation.policy.version == draft.version
