"""The audit trail is append-only in the database too: on PostgreSQL, triggers refuse UPDATE and DELETE of audit rows,
whoever sends them (raw SQL, a shell, another service with the same credentials), not only the ORM.

TRUNCATE is deliberately not refused: Django's ``flush`` (used by the test suite between transactional tests and by
``manage.py flush``) empties every table with one TRUNCATE statement, which a BEFORE TRUNCATE trigger would break.
Other databases (SQLite for development) rely on the ORM's refusal alone.
"""

from django.db import migrations

FUNCTION = "audit_refuse_change"
TRIGGERS = {
    "audit_refuse_update": "BEFORE UPDATE",
    "audit_refuse_delete": "BEFORE DELETE",
}
TABLE = "audit_auditevent"

CREATE_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only: % on % is refused', TG_OP, TG_TABLE_NAME;
END;
$$;
"""


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE_FUNCTION, params=None)  # the % in RAISE are not parameters
    for name, when in TRIGGERS.items():
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {TABLE}")
        schema_editor.execute(f"CREATE TRIGGER {name} {when} ON {TABLE} FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()")


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in TRIGGERS:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {TABLE}")
    schema_editor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(create_triggers, drop_triggers, elidable=False)]
