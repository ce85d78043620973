"""The public policy pages: the IPR policy text and each site's enforcement rules, generated from its versions."""

import re

import pytest
from django.utils import timezone

from enforcement import services
from enforcement.models import Policy, PolicyStep
from enforcement.policy_rules import FIELD_LABELS, compared_fields
from enforcement.policy_text import render
from tests.factories import SellerFactory, UserFactory, make_removed, site

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user():
    return UserFactory(is_staff=True, is_superuser=True, email="policy.admin@staff.example")


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def new_version(admin_user, **changes) -> Policy:
    current = Policy.objects.get(site=site("alibaba"), is_current=True)
    draft = services.policy_new_version(policy_id=current.pk, actor=admin_user)
    Policy.objects.filter(pk=draft.pk).update(**changes)
    services.policy_activate(policy_id=draft.pk, actor=admin_user)
    return Policy.objects.get(pk=draft.pk)


def test_policy_text_is_public_with_contents_and_links_to_each_sites_rules(client):
    response = client.get("/policy/")

    html = response.content.decode()
    assert response.status_code == 200
    assert '<a href="#section-3">3. Repeat violations' in html
    assert '<h2 id="section-3">' in html
    assert 'href="/policy/alibaba/">enforcement actions for www.alibaba.com</a>' in html
    assert 'href="/policy/aliexpress/"' in html
    assert "Proof of intellectual property ownership" in html


def test_policy_text_escapes_what_the_file_says():
    text = render('# T\n\n## 1. A <b>\n\nSay "<script>x</script>" & go.\n\n- one <i>\n- two')

    assert "<script>" not in text.html
    assert "&lt;script&gt;" in text.html
    assert '<h2 id="section-1">1. A &lt;b&gt;</h2>' in text.html
    assert "<li>one &lt;i&gt;</li><li>two</li>" in text.html
    assert [s.anchor for s in text.sections] == ["section-1"]
    assert text.title == "T"


def test_site_rules_need_no_sign_in_and_show_the_current_versions_numbers(client):
    policy = Policy.objects.get(site=site("alibaba"), is_current=True)

    response = client.get("/policy/alibaba/")

    page = text_of(response.content.decode())
    assert response.status_code == 200
    assert f"Version {policy.version}: in force since" in page
    assert f"A general infringement adds {policy.general_points} points." in page
    assert f"adds {policy.serious_points} points" in page
    assert f"count at most {policy.daily_general_cap} points in all" in page
    assert f"within {policy.aggregation_window_days} days of the first count as one" in page
    assert f"expires {policy.expiry_days} days after it was established" in page
    assert f"within {policy.counter_notice_business_days} business days of the takedown notice" in page
    assert f"within {policy.answer_business_days} business days" in page
    assert f"within {policy.appeal_days} days of it" in page
    for step in policy.steps.all():
        assert f"{step.get_measure_display()} reach {step.threshold}" in page
        if step.duration_days:
            assert f"{step.get_action_display()} for {step.duration_days} days" in page


def test_a_new_version_changes_the_page_and_the_old_one_keeps_its_dates_and_numbers(client, admin_user):
    old = Policy.objects.get(site=site("alibaba"), is_current=True)

    new = new_version(admin_user, general_points=3, daily_general_cap=9, counter_notice_business_days=5)
    PolicyStep.objects.filter(policy=new, measure="points", threshold=12).update(duration_days=10)

    current = text_of(client.get("/policy/alibaba/").content.decode())
    earlier = text_of(client.get(f"/policy/alibaba/v{old.version}/").content.decode())
    assert "A general infringement adds 3 points." in current
    assert "count at most 9 points in all" in current
    assert "within 5 business days of the takedown notice" in current
    assert "Posting restriction for 10 days" in current
    assert f"A general infringement adds {old.general_points} points." in earlier
    assert "Posting restriction for 7 days" in earlier
    activated = timezone.localtime(new_activation_time(new), site("alibaba").tzinfo)
    assert f"until {activated:%-d %B %Y, %H:%M}" in earlier
    assert f"The rules in force now are version {new.version}." in earlier


def new_activation_time(policy: Policy):
    from ipp_portal.audit.models import AuditEvent

    return AuditEvent.objects.filter(verb="policy.activated", target_id=str(policy.pk)).get().created_at


def test_the_diff_names_each_changed_field_and_rung(client, admin_user):
    old = Policy.objects.get(site=site("alibaba"), is_current=True)
    new = new_version(admin_user, expiry_days=180, requires_prior_warning=not old.requires_prior_warning)
    PolicyStep.objects.filter(policy=new, measure="points", threshold=12).update(duration_days=10)

    html = client.get("/policy/alibaba/").content.decode()

    changes = html.split('id="changes"')[1].split('id="versions"')[0]
    rows = [text_of(row) for row in re.findall(r"<tr><td.*?</tr>", changes, flags=re.S)]
    assert rows == [
        "A warning must come before a suspension or termination "
        + ("yes no" if old.requires_prior_warning else "no yes"),
        f"Days until a violation expires {old.expiry_days} 180",
        "Rung: active points reach 12 Posting restriction for 7 days — "
        + old.steps.get(measure="points", threshold=12).clause
        + " Posting restriction for 10 days — "
        + old.steps.get(measure="points", threshold=12).clause,
    ]
    assert "General points" not in changes
    assert "Points for a general violation" not in changes


def test_every_compared_field_has_a_public_name():
    assert sorted(compared_fields()) == sorted(FIELD_LABELS)


def test_drafts_and_unknown_versions_are_not_published(client, admin_user):
    current = Policy.objects.get(site=site("alibaba"), is_current=True)
    draft = services.policy_new_version(policy_id=current.pk, actor=admin_user)

    assert client.get(f"/policy/alibaba/v{draft.version}/").status_code == 404
    assert client.get("/policy/alibaba/v999/").status_code == 404
    assert client.get("/policy/nowhere/").status_code == 404
    assert f"/policy/alibaba/v{draft.version}/" not in client.get("/policy/alibaba/").content.decode()


def test_policy_pages_refuse_post_and_show_no_personal_data(client, admin_user):
    new_version(admin_user, general_points=4)
    seller = SellerFactory(store_name="Private Store Name")
    services.violation_record(seller=seller, severity="serious", reference="IPP-2026-000777#1")

    for url in ("/policy/", "/policy/alibaba/", "/policy/alibaba/v1/", "/policy/aliexpress/"):
        html = client.get(url).content.decode()
        for private in (admin_user.email, seller.user.email, "Private Store Name", "IPP-2026-000777"):
            assert private not in html, (url, private)
        assert "@" not in text_of(html)
        assert client.post(url).status_code == 405


def test_the_version_page_costs_the_same_queries_however_many_versions(client, admin_user, django_assert_num_queries):
    client.get("/policy/alibaba/")  # warm what is cached per process
    with django_assert_num_queries(4):
        client.get("/policy/alibaba/v1/")
    for points in range(3, 9):
        new_version(admin_user, general_points=points)

    with django_assert_num_queries(4):
        html = client.get("/policy/alibaba/v1/").content.decode()
    assert html.count('href="/policy/alibaba/v') >= 7


def test_standing_links_each_violation_to_the_version_it_was_judged_under(client, admin_user):
    seller = SellerFactory()
    services.violation_record(seller=seller, severity="general", reference="R-OLD")
    old = Policy.objects.get(site=seller.site, is_current=True)
    new = new_version(admin_user, general_points=3)
    services.violation_record(seller=seller, severity="general", reference="R-NEW")
    client.force_login(seller.user)

    html = client.get("/seller/standing/").content.decode()

    old_row = html.split("R-OLD")[1].split("</tr>")[0]
    new_row = html.split("R-NEW")[1].split("</tr>")[0]
    assert f'href="/policy/alibaba/v{old.version}/"' in old_row
    assert f'href="/policy/alibaba/v{new.version}/"' in new_row
    assert 'href="/policy/alibaba/"' in html


def test_the_sellers_notices_link_each_removal_to_the_rules_it_is_judged_under(client):
    seller = SellerFactory()
    _claim, items = make_removed(seller=seller)
    violation = items[0].violation
    client.force_login(seller.user)

    html = client.get("/seller/notices/").content.decode()

    assert violation.policy.version == Policy.objects.get(site=seller.site, is_current=True).version
    row = html.split(items[0].listing.title)[1].split("</tr>")[0]
    assert f'href="/policy/alibaba/v{violation.policy.version}/"' in row


def test_the_takedown_notice_and_an_automated_actions_notice_link_the_rules_applied(admin_user):
    from ipp_portal.notifications.models import Notification

    seller = SellerFactory()
    make_removed(seller=seller)
    new = new_version(admin_user, general_points=3)
    services.violation_record(seller=seller, severity="serious", reference="R1")

    takedown = Notification.objects.get(recipient=seller.user, template="complaints/takedown_notice")
    action = Notification.objects.get(recipient=seller.user, template="enforcement/violations_established")
    old_rules, new_rules = f"/policy/alibaba/v{new.version - 1}/", f"/policy/alibaba/v{new.version}/"
    assert old_rules in takedown.body_text
    assert old_rules in takedown.body_html
    assert new_rules in action.body_text
    assert new_rules in action.body_html


def test_periods_follow_the_audit_trail_and_a_version_made_current_again_has_two():
    from datetime import UTC, datetime, timedelta
    from types import SimpleNamespace

    from enforcement.policy_rules import Activation, Period, policy_periods

    t = datetime(2026, 1, 1, tzinfo=UTC)
    v1, v2, v3, v4 = (
        SimpleNamespace(pk=10 + n, version=n, created_at=t + timedelta(days=n), is_current=n == 2) for n in range(1, 5)
    )  # v1 and v2 seeded by migrations; staff made v3 current, then v2 again; v4 is a draft
    activations = [Activation(t + timedelta(days=30), v3.pk, 2), Activation(t + timedelta(days=60), v2.pk, 3)]

    periods = policy_periods([v4, v3, v2, v1], activations)

    day = timedelta(days=1)
    assert periods == {
        v1.pk: [Period(t + day, t + 2 * day)],
        v2.pk: [Period(t + 2 * day, t + 30 * day), Period(t + 60 * day, None)],
        v3.pk: [Period(t + 30 * day, t + 60 * day)],
    }
