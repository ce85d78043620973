"""The audit trail is append-only in PostgreSQL itself: raw SQL cannot change or delete a row (triggers from
migration audit 0002), while inserts go through."""

import pytest
from django.db import InternalError, connection, transaction

from ipp_portal.audit.models import AuditEvent
from ipp_portal.audit.services import record

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture
def event():
    with transaction.atomic():
        return record(actor=None, verb="action.ended", data={"n": 1})


def raw(sql: str, params=()):
    # A savepoint per statement: the refused one rolls back alone and the test's transaction stays usable.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def test_raw_update_is_refused_and_the_row_is_unchanged(event):
    with pytest.raises(InternalError, match="append-only"):
        raw("UPDATE audit_auditevent SET verb = %s WHERE id = %s", ["tampered", event.pk])
    with pytest.raises(InternalError, match="append-only"):
        raw("UPDATE audit_auditevent SET data = '{}'::jsonb")
    assert AuditEvent.objects.get(pk=event.pk).verb == "action.ended"
    assert AuditEvent.objects.get(pk=event.pk).data == {"n": 1}


def test_raw_delete_is_refused_and_the_row_stays(event):
    with pytest.raises(InternalError, match="append-only"):
        raw("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    with pytest.raises(InternalError, match="append-only"):
        raw("DELETE FROM audit_auditevent")
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_inserts_still_work(event):
    inserted = raw(
        "INSERT INTO audit_auditevent (actor_label, verb, target_id, target_label, from_state, to_state, data,"
        " created_at) VALUES ('system', 'system.raw', '', '', '', '', '{}'::jsonb, now())"
    )
    assert inserted == 1
    assert AuditEvent.objects.filter(verb="system.raw").count() == 1
    with transaction.atomic():
        record(actor=None, verb="action.lifted")
    assert AuditEvent.objects.count() == 3


def test_the_triggers_are_installed():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_auditevent'::regclass AND NOT tgisinternal"
        )
        names = {row[0] for row in cursor.fetchall()}
    assert {"audit_refuse_update", "audit_refuse_delete"} <= names
