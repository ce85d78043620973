"""Litigation holds (policy §3): the table, and the Supervisor role may place and lift them."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models


HOLD_WORK = ("add_litigationhold", "change_litigationhold")


def grant(apps, schema_editor):
    """Supervisors place and lift litigation holds (policy §3); every role that reads the queues reads them."""
    app_config = apps.get_app_config("complaints")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = {p.codename: p for p in Permission.objects.filter(content_type__app_label="complaints",
                                                               codename__endswith="_litigationhold")}  # fmt: skip
    for name in ("Reviewer", "Supervisor", "Auditor"):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(perms["view_litigationhold"])
    supervisor = Group.objects.get(name="Supervisor")
    supervisor.permissions.add(*(perms[codename] for codename in HOLD_WORK))


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=("Reviewer", "Supervisor", "Auditor")):
        group.permissions.remove(*Permission.objects.filter(codename__endswith="_litigationhold"))


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0009_accuracy"),
        ("listings", "0003_add_listing_snapshot"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="LitigationHold",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("court", models.CharField(max_length=200)),
                ("case_reference", models.CharField(max_length=100)),
                ("reason", models.TextField()),
                ("placed_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("lifted_at", models.DateTimeField(blank=True, null=True)),
                ("lift_reason", models.TextField(blank=True)),
                (
                    "claim",
                    models.ForeignKey(
                        blank=True,
                        help_text="Every listing the claim names.",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="holds",
                        to="complaints.claim",
                    ),
                ),
                (
                    "lifted_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "listing",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="listings.listing",
                    ),
                ),
                (
                    "placed_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
                (
                    "seller",
                    models.ForeignKey(
                        blank=True,
                        help_text="Every listing of this store.",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="listings.seller",
                    ),
                ),
            ],
            options={
                "verbose_name": "litigation hold",
                "ordering": ["-placed_at", "-id"],
                "indexes": [
                    models.Index(
                        condition=models.Q(("lifted_at__isnull", True)), fields=["seller"], name="hold_seller_idx"
                    ),
                    models.Index(
                        condition=models.Q(("lifted_at__isnull", True)), fields=["listing"], name="hold_listing_idx"
                    ),
                    models.Index(
                        condition=models.Q(("lifted_at__isnull", True)), fields=["claim"], name="hold_claim_idx"
                    ),
                ],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("claim__isnull", True), ("listing__isnull", True), ("seller__isnull", False)),
                            models.Q(("claim__isnull", True), ("listing__isnull", False), ("seller__isnull", True)),
                            models.Q(("claim__isnull", False), ("listing__isnull", True), ("seller__isnull", True)),
                            _connector="OR",
                        ),
                        name="complaints_hold_one_target",
                    )
                ],
            },
        ),
        migrations.RunPython(grant, revoke),
    ]
