"""How a reinstated listing came back (``ClaimItem.reinstated_via``), for the complainant's accuracy record.

Backfill, best effort: a reinstatement left its reason in ``decision_reason`` (nothing changes a reinstated item
afterwards), so the reason's wording says how; an item whose wording is not recognised is read from its
counter-notices (accepted: the rights holder accepted; decided to reinstate by nobody: silence; by staff: staff after
the counter-notice), and otherwise left blank (counted as reinstated, but in none of the accuracy figures)."""

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


class Migration(migrations.Migration):
    dependencies = [("complaints", "0008_grant_roles_their_work")]

    operations = [
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
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
