"""A complainant whose listings keep being found not infringing is formally warned, then cannot file on the site
(the claim form says why and until when), reads the statement of reasons, and appeals; another supervisor overturns
the suspension, and filing is open again."""

import re

import pytest
from playwright.sync_api import expect

from complaints import services
from complaints.models import AbuseRules, ComplainantAppeal, ComplainantSanction
from listings.models import Site
from tests.e2e.browser import sign_in
from tests.factories import ListingFactory, SellerFactory, make_claim, make_complainant, make_right, make_staff, seen

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _unfounded(holder, right, reviewer, n):
    seller = SellerFactory(store_name="Genuine Goods Co.")
    for k in range(n):
        claim = make_claim(holder, right=right, listings=[ListingFactory(seller=seller, title=f"Plain mug {k}")])
        services.claim_items_reject(
            claim_id=claim.pk, item_ids=[claim.items.get().pk], reviewer=reviewer, code="not_infringing",
            seen=seen(claim), note="No mark appears on the product.",
        )  # fmt: skip


def test_warned_then_suspended_then_appeals(live_server, page, shot):
    alibaba = Site.objects.get(code="alibaba")
    AbuseRules.objects.filter(site=alibaba).update(warning_after=3, suspend_after=2)
    holder = make_complainant(legal_name="Overeager Brands Ltd.")
    right = make_right(holder, title="OVEREAGER")
    reviewer = make_staff("Reviewer")
    _unfounded(holder, right, reviewer, 3)
    services.complainant_sanctions_sweep()

    sign_in(page, live_server.url, holder.user.email)
    page.goto(f"{live_server.url}/rights/")
    warnings = page.get_by_role("region", name="Warnings and suspensions")
    expect(warnings).to_contain_text("Formal warning on alibaba.com")
    shot("60-home-warned")
    warnings.get_by_role("link", name=re.compile("Formal warning")).click()
    expect(page.get_by_text("DSA Art. 23(2) and policy §4")).to_be_visible()
    expect(
        page.get_by_text(re.compile("3 listings you named in claims on alibaba.com were manifestly unfounded"))
    ).to_be_visible()
    shot("61-warning-statement")

    _unfounded(holder, right, reviewer, 2)
    services.complainant_sanctions_sweep()
    suspension = ComplainantSanction.objects.get(complainant=holder, kind="suspension")

    page.goto(f"{live_server.url}/rights/claims/new/")
    expect(page.get_by_role("alert").filter(has_text="is suspended until")).to_be_visible()
    page.get_by_label("Marketplace").select_option(label="alibaba.com")
    page.get_by_label("The right infringed").select_option(index=0)
    page.get_by_label("Reason").select_option(label="Counterfeit goods")
    page.get_by_label("Listing links, one per line").fill(ListingFactory().url)
    page.get_by_label("Explanation").fill("Fake mugs.")
    page.get_by_label(re.compile("good-faith belief")).check()
    page.get_by_label("The information in this claim is accurate.").check()
    page.get_by_label(re.compile("Under penalty of perjury")).check()
    page.get_by_label(re.compile("indemnify")).check()
    page.get_by_label("Signature: type your full name").fill("Olive Eager")
    page.get_by_role("button", name="Submit the claim").click()
    expect(page.get_by_text(re.compile("Filing on alibaba.com is suspended until")).first).to_be_visible()
    shot("62-claim-refused")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot("63-claim-refused-390")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.goto(f"{live_server.url}/rights/")
    expect(page.get_by_role("region", name="Warnings and suspensions")).to_contain_text("you cannot file new claims")
    page.get_by_role("link", name="Suspension of filing on alibaba.com").click()
    page.get_by_label("Why should this decision be changed?").fill(
        "Our new trainee filed these by mistake; we now check every listing before filing."
    )
    shot("64-suspension-appeal-form")
    page.get_by_role("button", name="File the appeal").click()
    expect(page.get_by_text("Your appeal is filed.")).to_be_visible()
    shot("65-appeal-filed")
    appeal = ComplainantAppeal.objects.get(sanction=suspension)

    decider = make_staff("Supervisor")
    sign_in(page, live_server.url, decider.email, admin=True)
    page.goto(f"{live_server.url}/admin/complaints/complainantappeal/{appeal.pk}/change/")
    page.get_by_label("Outcome").select_option("overturned")
    page.get_by_label("Reason (the complainant reads it)").fill("A one-off error, now corrected.")
    shot("66-admin-decide")
    page.get_by_role("button", name="Decide").click()
    expect(page.get_by_text("Appeal decided; the complainant has been told.")).to_be_visible()

    sign_in(page, live_server.url, holder.user.email)
    page.goto(f"{live_server.url}/rights/claims/new/")
    expect(page.get_by_text("is suspended until")).to_have_count(0)
    page.goto(f"{live_server.url}/rights/sanctions/{suspension.pk}/")
    expect(page.get_by_text("Overturned on appeal").first).to_be_visible()
    shot("67-overturned")
