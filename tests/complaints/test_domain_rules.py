"""The domain rules hold at the services, for any caller: a future API calls the services directly and must not
be able to skip a rule the browser form enforces. Each refusal carries a stable code and, where the rule is about
one field, the name of that field."""

import uuid
from dataclasses import FrozenInstanceError
from datetime import date, timedelta

import pytest
from django.utils import timezone

from complaints import services
from complaints.models import Authorization, Claim, ClaimItem, CounterNotice, IPRight
from ipp_portal.audit.models import AuditEvent
from ipp_portal.errors import DeadlinePassed, InvalidTransition, PortalError
from listings.models import Site
from tests.factories import (
    ListingFactory,
    SellerFactory,
    file_counter_notice,
    make_complainant,
    make_document,
    make_removed,
    make_right,
    make_staff,
)

pytestmark = pytest.mark.django_db

STATEMENTS = {
    "states_good_faith": True,
    "states_accuracy": True,
    "states_authority_under_perjury": True,
    "agrees_to_indemnify": True,
}


def _submit(complainant, right, reason_code):
    return services.claim_submit(
        complainant=complainant, user=complainant.user, token=uuid.uuid4(), right=right,
        site=Site.objects.get(code="alibaba"), reason_code=reason_code, explanation="Fakes.",
        links_text=ListingFactory().url, signature_name="Ada Lovelace", ip="203.0.113.7", statements=STATEMENTS,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "reason_code", "code"),
    [
        ("trademark", "no_such_reason", "bad_reason"),
        ("trademark", "", "reason_required"),
        ("trademark", "cr_copied_images", "reason_not_for_right"),
        ("patent", "tm_counterfeit", "reason_not_for_right"),
    ],
)
def test_claim_with_an_unknown_or_unfitting_reason_files_nothing(kind, reason_code, code):
    holder = make_complainant()
    right = make_right(holder, kind=kind)

    with pytest.raises(PortalError) as excinfo:
        _submit(holder, right, reason_code)

    assert (excinfo.value.code, excinfo.value.field) == (code, "reason_code")
    assert not Claim.objects.exists()
    assert not ClaimItem.objects.exists()
    assert not AuditEvent.objects.filter(verb__startswith="claim.").exists()


def test_the_refusal_of_an_unfitting_reason_names_the_reasons_that_fit():
    holder = make_complainant()

    with pytest.raises(PortalError, match="is not a reason for a trademark") as excinfo:
        _submit(holder, make_right(holder), "cr_copied_images")

    assert "Counterfeit goods" in excinfo.value.message


TRADEMARK = {
    "kind": "trademark", "title": "ACME", "mark_type": "word", "registration_number": "UK00003123456",
    "jurisdiction": "GB", "nice_classes": [9, 25], "owner_name": "Acme Brands Ltd.", "registered_on": date(2020, 1, 1),
    "expires_on": date(2035, 1, 1),
}  # fmt: skip
PATENT = {**TRADEMARK, "kind": "patent", "mark_type": "", "nice_classes": [], "patent_type": "invention"}
DESIGN = {**TRADEMARK, "kind": "design", "mark_type": "", "nice_classes": []}
COPYRIGHT = {**TRADEMARK, "kind": "copyright", "mark_type": "", "nice_classes": [], "work_type": "image"}


def _register(fields, role="certificate"):
    complainant = make_complainant()
    return services.ip_right_register(
        complainant=complainant, documents=[(make_document(complainant.user), role)], **fields
    )


@pytest.mark.parametrize(
    ("fields", "missing"),
    [
        (TRADEMARK, "mark_type"),
        (TRADEMARK, "registration_number"),
        (TRADEMARK, "nice_classes"),
        (TRADEMARK, "expires_on"),
        (PATENT, "patent_type"),
        (PATENT, "registration_number"),
        (PATENT, "expires_on"),
        (DESIGN, "registration_number"),
        (DESIGN, "expires_on"),
        (COPYRIGHT, "work_type"),
    ],
)
def test_right_without_a_field_its_kind_requires_is_refused(fields, missing):
    empty = [] if missing == "nice_classes" else None if missing == "expires_on" else ""

    with pytest.raises(PortalError, match="Required for a") as excinfo:
        _register({**fields, missing: empty})

    assert (excinfo.value.code, excinfo.value.field) == (f"{missing}_required", missing)
    assert not IPRight.objects.exists()


def test_right_of_each_kind_with_its_fields_is_registered():
    for fields in (TRADEMARK, PATENT, DESIGN, COPYRIGHT):
        assert _register(fields).status == "pending"


@pytest.mark.parametrize(
    ("dates", "code", "field"),
    [
        ({"registered_on": "tomorrow", "expires_on": date(2040, 1, 1)}, "registered_on_in_future", "registered_on"),
        ({"registered_on": date(2020, 1, 1), "expires_on": date(2019, 6, 1)}, "expires_on_passed", "expires_on"),
        ({"registered_on": date(2020, 1, 1), "expires_on": "yesterday"}, "expires_on_passed", "expires_on"),
        ({"registered_on": "today", "expires_on": "today"}, "expires_on_before_registered_on", "expires_on"),
    ],
)
def test_right_with_impossible_dates_is_refused(dates, code, field):
    today = timezone.localdate()
    named = {"today": today, "tomorrow": today + timedelta(days=1), "yesterday": today - timedelta(days=1)}
    dates = {name: named.get(value, value) for name, value in dates.items()}

    with pytest.raises(PortalError) as excinfo:
        _register({**TRADEMARK, **dates})

    assert (excinfo.value.code, excinfo.value.field) == (code, field)
    assert not IPRight.objects.exists()


def test_right_expiring_before_its_registration_is_refused_even_on_correction():
    """A correction may keep an expiry date that has passed (it is checked when staff verify), but never one
    before the registration date."""
    complainant = make_complainant()
    right = make_right(complainant, status="rejected")

    with pytest.raises(PortalError, match="must come after the registration date") as excinfo:
        services.ip_right_resubmit(right_id=right.pk, user=complainant.user, expires_on=date(2019, 1, 1))

    assert (excinfo.value.code, excinfo.value.field) == ("expires_on_before_registered_on", "expires_on")
    assert IPRight.objects.get(pk=right.pk).status == "rejected"


def test_unregistered_copyright_work_needs_a_signed_statement():
    unregistered = {**COPYRIGHT, "registration_number": "", "expires_on": None}

    with pytest.raises(PortalError, match="signed copyright claim statement") as excinfo:
        _register(unregistered, role="certificate")

    assert (excinfo.value.code, excinfo.value.field) == ("copyright_statement_required", "document_role")
    assert not IPRight.objects.exists()
    assert _register(unregistered, role="copyright_statement").status == "pending"


def _authorize(valid_from, valid_until):
    agent = make_complainant(role="law_firm")
    return services.authorization_register(
        agent=agent, rights=[make_right(agent)], sites=[Site.objects.get(code="alibaba")],
        letter=make_document(agent.user, "letter.pdf"), owner_name="Acme Brands Ltd.", valid_from=valid_from,
        valid_until=valid_until,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("valid_from", "valid_until", "code", "message"),
    [
        (10, 5, "valid_until_before_valid_from", "must come after its start"),
        (-30, -1, "valid_until_passed", "already ended"),
    ],
)
def test_authorization_with_impossible_validity_is_refused(valid_from, valid_until, code, message):
    today = timezone.localdate()

    with pytest.raises(PortalError, match=message) as excinfo:
        _authorize(today + timedelta(days=valid_from), today + timedelta(days=valid_until))

    assert (excinfo.value.code, excinfo.value.field) == (code, "valid_until")
    assert not Authorization.objects.exists()


@pytest.fixture
def removed():
    seller = SellerFactory(store_name="Bright Audio")
    _claim, items = make_removed(seller=seller, count=2)
    return seller, items


def test_counter_notice_window_is_a_small_answer_with_a_code(removed):
    from complaints.selectors import counter_notice_window_for

    _seller, items = removed
    now = timezone.now()

    open_window = counter_notice_window_for(items[0], now)
    # The first window closing uses up that chance only: the further ones stay open until their own deadline.
    second_chance = counter_notice_window_for(items[0], items[0].counter_notice_due_at + timedelta(seconds=1))
    closed = counter_notice_window_for(items[0], items[0].further_counter_notice_due_at + timedelta(seconds=1))

    assert (open_window.allowed, open_window.code, open_window.message) == (True, "ok", "")
    assert (second_chance.allowed, second_chance.code) == (True, "ok")
    assert (closed.allowed, closed.code) == (False, "deadline_passed")
    assert "closed on" in closed.message
    with pytest.raises(FrozenInstanceError):
        closed.allowed = True  # type: ignore[misc]


def test_counter_notice_refusal_is_chosen_by_the_windows_code(removed):
    seller, items = removed
    ClaimItem.objects.filter(pk=items[0].pk).update(
        counter_notice_due_at=timezone.now() - timedelta(days=30),
        further_counter_notice_due_at=timezone.now() - timedelta(minutes=1),
    )
    # The second listing's removal is upheld after a counter-notice, and every counter-notice the policy allows
    # is used up.
    notice = file_counter_notice(seller, items[1:])
    services.counter_notice_reject(notice_id=notice.pk, user=notice.claim.complainant.user, answer="Fakes.")
    services.counter_notice_decide(notice_id=notice.pk, reviewer=make_staff(), outcome="uphold", reason="Fakes.")
    ClaimItem.objects.filter(pk=items[1].pk).update(counter_notice_count=99)

    with pytest.raises(DeadlinePassed) as closed:
        file_counter_notice(seller, items[:1])
    with pytest.raises(InvalidTransition) as used_up:
        file_counter_notice(seller, items[1:])

    assert closed.value.code == "deadline_passed"
    assert not isinstance(used_up.value, DeadlinePassed)
    assert used_up.value.code == "counter_notice_limit"
    assert CounterNotice.objects.get() == notice


def test_one_code_per_meaning():
    from complaints.errors import Code

    assert "no_reason" not in Code.values
    assert "no_reasons" not in Code.values
    assert len(set(Code.values)) == len(Code.values)
    assert {"reason_required", "bad_reason", "reason_not_for_right", "statement_required"} <= set(Code.values)


def test_services_and_the_filing_gate_raise_only_listed_codes():
    """A code spelled out as a string in a service would slip past the enum; the filing gate's refusals become
    errors of claim_submit, so they are listed too."""
    import inspect
    import re

    from complaints import selectors
    from complaints.errors import Code
    from complaints.services import claims, disputes, review, vault

    for module in (claims, disputes, review, vault):
        assert not re.search(r'\bcode\s*=\s*"', inspect.getsource(module)), module.__name__
    gate_codes = set(re.findall(r'FilingGate\(\s*False,\s*"(\w+)"', inspect.getsource(selectors.filing_gate)))
    assert gate_codes
    assert gate_codes <= set(Code.values)
