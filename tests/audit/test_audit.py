import pytest
from django.db import transaction

from ipp_portal.audit.models import AppendOnlyError, AuditEvent
from ipp_portal.audit.services import record
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_record_writes_actor_target_and_states():
    user = UserFactory()
    with transaction.atomic():
        event = record(actor=user, verb="user.signed_up", target=user, before="a", after="b", data={"n": 1})

    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.actor, stored.actor_label, stored.verb) == (user, user.email, "user.signed_up")
    assert (stored.target, stored.from_state, stored.to_state, stored.data) == (user, "a", "b", {"n": 1})


def test_record_without_actor_is_the_system():
    with transaction.atomic():
        event = record(actor=None, verb="action.ended")
    assert (event.actor, event.actor_label, event.target_label) == (None, "system", "")


def test_existing_events_cannot_be_changed_or_deleted_through_the_orm():
    with transaction.atomic():
        event = record(actor=None, verb="action.ended")

    event.verb = "tampered"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(verb="tampered")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).verb == "action.ended"


@pytest.mark.django_db(transaction=True)
def test_record_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError, match="inside the transaction"):
        record(actor=None, verb="action.ended")
    assert not AuditEvent.objects.exists()


def test_admin_shows_events_read_only(admin_client):
    with transaction.atomic():
        event = record(actor=None, verb="action.ended")

    listing = admin_client.get("/admin/audit/auditevent/")
    change = admin_client.post(f"/admin/audit/auditevent/{event.pk}/change/", {"verb": "x"})
    delete = admin_client.post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"})

    assert listing.status_code == 200
    assert b"action.ended" in listing.content
    assert change.status_code == 403
    assert delete.status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).verb == "action.ended"


@pytest.mark.django_db
def test_a_verb_that_is_not_in_the_list_is_refused():
    from django.db import transaction

    from ipp_portal.audit.models import AuditEvent

    with transaction.atomic(), pytest.raises(ValueError, match="not a valid Verb"):
        record(actor=None, verb="claim.decidd")

    assert not AuditEvent.objects.exists()


def test_a_portal_error_says_its_code_message_and_field_the_way_an_api_answers():
    from ipp_portal.errors import PortalError

    assert PortalError("Give the reason.", code="reason_required", field="reason").as_dict() == {
        "code": "reason_required",
        "detail": "Give the reason.",
        "field": "reason",
    }
    assert PortalError("No.").as_dict() == {"code": "portal_error", "detail": "No."}
