"""Staff roles as permission groups: reviewers decide items and ask for information; supervisors also approve
terminations, decide appeals, impose discretionary actions and edit policies; auditors only read."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

APPS = ["accounts", "audit", "notifications", "documents", "listings", "enforcement", "complaints"]
READ = [
    ("complaints", m) for m in ("claim", "claimitem", "complainant", "ipright", "authorization", "rightdocument")
] + [("enforcement", m) for m in ("policy", "policystep", "violation", "action", "appeal", "pendingtermination")] + [
    ("listings", m) for m in ("listing", "seller", "site", "holiday", "listingsnapshot")
] + [("audit", "auditevent"), ("notifications", "notification"), ("documents", "document")]
REVIEWER_CHANGE = [("complaints", m) for m in ("claim", "claimitem", "complainant", "ipright", "authorization")]
SUPERVISOR_EXTRA = [
    ("change", "enforcement", "action"),
    ("add", "enforcement", "action"),
    ("change", "enforcement", "appeal"),
    ("change", "enforcement", "policy"),
    ("change", "enforcement", "policystep"),
    ("add", "enforcement", "policystep"),
    ("delete", "enforcement", "policystep"),
    ("change", "listings", "holiday"),
    ("add", "listings", "holiday"),
]


def create_roles(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def perms(triples):
        found = []
        for action, app_label, model in triples:
            found += list(
                Permission.objects.filter(content_type__app_label=app_label, codename=f"{action}_{model}")
            )
        return found

    read = perms([("view", app, model) for app, model in READ])
    reviewer = read + perms([("change", app, model) for app, model in REVIEWER_CHANGE])
    supervisor = reviewer + perms(SUPERVISOR_EXTRA)
    for name, permissions in (("Reviewer", reviewer), ("Supervisor", supervisor), ("Auditor", read)):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(permissions)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Reviewer", "Supervisor", "Auditor"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0003_add_review_decisions"),
        ("enforcement", "0003_add_pending_termination_queue"),
        ("listings", "0003_add_listing_snapshot"),
        ("audit", "0001_initial"),
        ("notifications", "0001_initial"),
        ("documents", "0001_create_document"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]
    operations = [migrations.RunPython(create_roles, remove_roles)]
