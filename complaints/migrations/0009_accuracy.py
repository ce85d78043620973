"""The complainant's accuracy record and the trusted programme.

1. ``ClaimItem.reinstated_via``: how a reinstated listing came back. Backfill, best effort: a reinstatement left its
   reason in ``decision_reason`` (nothing changes a reinstated item afterwards), so the reason's wording says how;
   an item whose wording is not recognised is read from its counter-notices (accepted: the rights holder accepted;
   decided to reinstate by nobody: silence; by staff: staff after the counter-notice), and otherwise left blank
   (counted as reinstated, but in none of the accuracy figures).
2. The trusted programme: ``TrustCriteria`` seeded for both sites (90 days, at least 20 decided items, takedown rate
   at least 90 %, at most 5 % of takedowns lost to counter-notices), ``Trust`` memberships, and ``Claim.is_trusted``
   with the queue's index (trusted first, then oldest, over the claims the queue shows).
3. Roles: Supervisors decide memberships (``decide_trust``) and edit the criteria; every role reads both.
"""

import django.db.models.deletion
from django.contrib.auth.management import create_permissions
import ipp_portal.transitions
from django.conf import settings
from django.db import migrations, models

BY_WORDING = [
    ("The rights holder accepted the counter-notice.", "counter_notice_accepted"),
    ("The rights holder did not answer the counter-notice in time.", "silence"),
    ("Staff decision:", "staff_after_counter_notice"),
    ("Supervisor decision:", "supervisor"),
    ("The rights holder retracted the takedown.", "retraction"),
]


def backfill(apps, schema_editor):
    ClaimItem = apps.get_model("complaints", "ClaimItem")
    reinstated = ClaimItem.objects.filter(status="reinstated", reinstated_via="")
    for wording, via in BY_WORDING:
        reinstated.filter(decision_reason__startswith=wording).update(reinstated_via=via)
    unknown = ClaimItem.objects.filter(status="reinstated", reinstated_via="")
    unknown.filter(counter_notices__status="accepted").update(reinstated_via="counter_notice_accepted")
    unknown.filter(
        counter_notices__status="decided", counter_notices__decision="reinstate", counter_notices__decided_by=None
    ).update(reinstated_via="silence")
    unknown.filter(counter_notices__status="decided", counter_notices__decision="reinstate").update(
        reinstated_via="staff_after_counter_notice"
    )


def seed_criteria(apps, schema_editor):
    Site = apps.get_model("listings", "Site")
    TrustCriteria = apps.get_model("complaints", "TrustCriteria")
    for site in Site.objects.filter(code__in=["alibaba", "aliexpress"]):
        TrustCriteria.objects.get_or_create(
            site=site,
            defaults={"window_days": 90, "min_items": 20, "min_takedown_rate": "0.900",
                      "max_counter_notice_loss_share": "0.050"},
        )  # fmt: skip


ROLE_GRANTS = {
    "Reviewer": ["view_trust", "view_trustcriteria"],
    "Auditor": ["view_trust", "view_trustcriteria"],
    "Supervisor": ["view_trust", "view_trustcriteria", "decide_trust", "change_trustcriteria"],
}


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ROLE_GRANTS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*Permission.objects.filter(content_type__app_label="complaints", codename__in=codenames))


def ungrant(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    codenames = {c for names in ROLE_GRANTS.values() for c in names}
    for group in Group.objects.filter(name__in=ROLE_GRANTS):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="complaints", codename__in=codenames)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0008_grant_roles_their_work"),
        ("documents", "0001_create_document"),
        ("listings", "0003_add_listing_snapshot"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Trust",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("proposed", "Proposed: meets the bar, waiting for a supervisor"),
                            ("declined", "Proposal declined"),
                            ("admitted", "Trusted"),
                            ("flagged", "Trusted, below the bar: waiting for a supervisor"),
                            ("revoked", "Revoked"),
                        ],
                        default="proposed",
                        max_length=10,
                    ),
                ),
                (
                    "figures",
                    models.JSONField(
                        blank=True, default=dict, help_text="The figures when last proposed or flagged."
                    ),
                ),
                ("proposed_at", models.DateTimeField(blank=True, null=True)),
                ("flagged_at", models.DateTimeField(blank=True, null=True)),
                ("decided_at", models.DateTimeField(blank=True, null=True)),
                ("reason", models.TextField(blank=True, help_text="The supervisor's statement of reasons.")),
            ],
            options={
                "verbose_name": "trusted programme membership",
                "permissions": [("decide_trust", "Can admit complainants to the trusted programme and revoke them")],
            },
            bases=(ipp_portal.transitions.TransitionMixin, models.Model),
        ),
        migrations.CreateModel(
            name="TrustCriteria",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("window_days", models.PositiveSmallIntegerField(default=90)),
                (
                    "min_items",
                    models.PositiveIntegerField(default=20, help_text="Decided items in the window, at least."),
                ),
                (
                    "min_takedown_rate",
                    models.DecimalField(
                        decimal_places=3,
                        default=0.9,
                        help_text="Taken down / decided, at least (0.900 = 90 %).",
                        max_digits=4,
                    ),
                ),
                (
                    "max_counter_notice_loss_share",
                    models.DecimalField(
                        decimal_places=3,
                        default=0.05,
                        help_text="Share of takedowns lost to counter-notices, at most (0.050 = 5 %).",
                        max_digits=4,
                    ),
                ),
            ],
            options={
                "verbose_name": "trusted programme criteria",
                "verbose_name_plural": "trusted programme criteria",
            },
        ),
        migrations.AddField(
            model_name="claim",
            name="is_trusted",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.AddField(
            model_name="claimitem",
            name="reinstated_via",
            field=models.CharField(
                blank=True,
                choices=[
                    ("counter_notice_accepted", "The rights holder accepted the counter-notice"),
                    ("staff_after_counter_notice", "Staff reinstated after a counter-notice"),
                    ("silence", "The rights holder did not answer the counter-notice"),
                    ("supervisor", "A supervisor reversed the removal"),
                    ("retraction", "The rights holder retracted the takedown"),
                ],
                max_length=30,
            ),
        ),
        migrations.AddIndex(
            model_name="claim",
            index=models.Index(
                models.OrderBy(models.F("is_trusted"), descending=True),
                models.F("submitted_at"),
                models.F("id"),
                condition=models.Q(("status__in", ["submitted", "in_review"])),
                name="claim_trusted_queue_idx",
            ),
        ),
        migrations.AddField(
            model_name="trust",
            name="complainant",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="trusts", to="complaints.complainant"
            ),
        ),
        migrations.AddField(
            model_name="trust",
            name="decided_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="trust",
            name="site",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="listings.site"),
        ),
        migrations.AddField(
            model_name="trustcriteria",
            name="site",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.PROTECT, related_name="trust_criteria", to="listings.site"
            ),
        ),
        migrations.AddIndex(
            model_name="trust",
            index=models.Index(fields=["status", "site"], name="trust_status_idx"),
        ),
        migrations.AddConstraint(
            model_name="trust",
            constraint=models.UniqueConstraint(fields=("complainant", "site"), name="trust_one_per_site"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.RunPython(seed_criteria, migrations.RunPython.noop),
        migrations.RunPython(grant, ungrant),
    ]
