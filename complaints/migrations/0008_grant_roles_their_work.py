"""Each staff role gets exactly the permissions its work needs, now that counter-notices, policy activation,
take-overs and reversals have permissions of their own.

Reviewer: reads the queues and decides identities, rights, authorizations, claims and disputed counter-notices.
Supervisor: a reviewer who also takes over claims, reverses removals, approves terminations, imposes discretionary
actions, decides appeals, edits and activates penalty policies and keeps the holiday calendars.
Auditor: reads everything staff can read, decides nothing. A staff account in no group can do nothing.
"""

import importlib

from django.contrib.auth.management import create_permissions
from django.db import migrations

READ = [
    ("complaints", m)
    for m in ("claim", "claimitem", "complainant", "ipright", "authorization", "rightdocument", "counternotice")
] + [("enforcement", m) for m in ("policy", "policystep", "violation", "action", "appeal", "pendingtermination")] + [
    ("listings", m) for m in ("listing", "seller", "site", "holiday", "listingsnapshot")
] + [("audit", "auditevent"), ("notifications", "notification"), ("documents", "document")]
REVIEWER_WORK = [
    ("complaints", f"change_{m}") for m in ("claim", "complainant", "ipright", "authorization", "counternotice")
]
SUPERVISOR_WORK = [
    ("complaints", "reassign_claim"),
    ("complaints", "reverse_removal"),
    ("enforcement", "add_action"),
    ("enforcement", "change_action"),
    ("enforcement", "change_appeal"),
    ("enforcement", "add_policy"),
    ("enforcement", "change_policy"),
    ("enforcement", "activate_policy"),
    ("enforcement", "add_policystep"),
    ("enforcement", "change_policystep"),
    ("enforcement", "delete_policystep"),
    ("listings", "add_holiday"),
    ("listings", "change_holiday"),
]


def _permissions(apps, pairs):
    Permission = apps.get_model("auth", "Permission")
    found = []
    for app_label, codename in pairs:
        permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
        if permission is None:
            raise LookupError(f"Permission {app_label}.{codename} does not exist.")
        found.append(permission)
    return found


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    read = _permissions(apps, [(app, f"view_{model}") for app, model in READ])
    reviewer = read + _permissions(apps, REVIEWER_WORK)
    supervisor = reviewer + _permissions(apps, SUPERVISOR_WORK)
    for name, permissions in (("Reviewer", reviewer), ("Supervisor", supervisor), ("Auditor", read)):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(permissions)


def restore_previous(apps, schema_editor):
    importlib.import_module("complaints.migrations.0004_staff_roles").create_roles(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0007_add_staff_permissions"),
        ("enforcement", "0005_add_staff_permissions"),
    ]
    operations = [migrations.RunPython(grant, restore_previous)]
