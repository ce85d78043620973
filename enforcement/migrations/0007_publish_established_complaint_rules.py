"""The next version of both sites' policies, as published: complaints by one rights holder on one right established
within 3 days count as one violation; a suspension or termination follows only a warning sent in an earlier
decision; on alibaba.com membership ends at 48 points, four serious violations, or three under one right.

A new version (never an edit of one that judged violations): earlier violations keep the version they were judged
under. A site whose current version is not the seeded first one is left alone (its staff made their own). On a site
whose ledger already has violations the new version is created but not made current, so that the upgrade itself
changes nobody's standing: staff make it current when they decide to (Policies → "Make current")."""

from django.db import migrations

ALIBABA_CLAUSE = "alibaba.com IPR penalty rules"

CHANGES = {
    "alibaba": {
        "notes": "Points ledger; a complaint counts once established (no counter-notice in time, or the counter-notice "
        "failed). General infringements established on one day count at most 6 points. Complaints by one rights "
        "holder on one right established within 3 days count as one. Termination: 48 points, four serious "
        "(counterfeit) infringements, or three under one right. Per-violation points are not published: 2 general, "
        "6 serious (project default).",
        "drop": [("serious", 3)],
        "add": [
            ("serious", 4, f"{ALIBABA_CLAUSE} — four serious infringements: termination"),
            ("serious_per_right", 3, f"{ALIBABA_CLAUSE} — three serious infringements of one right: termination"),
        ],
    },
    "aliexpress": {
        "notes": "A complaint counts once established (no counter-notice in time, or the counter-notice failed). "
        "Serious infringements (counterfeits) are strikes; all established within 3 days count as one. Complaints by "
        "one rights holder on one right established within 3 days count as one. General infringements use the "
        "points ladder.",
        "drop": [],
        "add": [],
    },
}


def publish(apps, schema_editor):
    Site = apps.get_model("listings", "Site")
    Policy = apps.get_model("enforcement", "Policy")
    PolicyStep = apps.get_model("enforcement", "PolicyStep")
    Violation = apps.get_model("enforcement", "Violation")
    own = {"id", "version", "is_current", "created_at", "created_by"}
    for code, change in CHANGES.items():
        site = Site.objects.filter(code=code).first()
        current = Policy.objects.filter(site=site, is_current=True).first() if site else None
        if current is None or current.version != 1:
            continue
        fields = {f.attname: getattr(current, f.attname) for f in Policy._meta.concrete_fields if f.name not in own}
        fields.update(notes=change["notes"], aggregation_window_days=3, requires_prior_warning=True)
        in_use = Violation.objects.filter(policy__site=site).exists()
        if not in_use:
            current.is_current = False
            current.save(update_fields=["is_current"])
        new = Policy.objects.create(version=2, is_current=not in_use, **fields)
        steps = [
            PolicyStep(policy=new, measure=s.measure, threshold=s.threshold, action=s.action,
                       duration_days=s.duration_days, removes_all_listings=s.removes_all_listings, clause=s.clause)
            for s in current.steps.all()
            if (s.measure, s.threshold) not in change["drop"]
        ]  # fmt: skip
        steps += [
            PolicyStep(policy=new, measure=measure, threshold=threshold, action="termination", duration_days=None,
                       removes_all_listings=True, clause=clause)
            for measure, threshold, clause in change["add"]
        ]  # fmt: skip
        PolicyStep.objects.bulk_create(steps)


def unpublish(apps, schema_editor):
    Policy = apps.get_model("enforcement", "Policy")
    for new in Policy.objects.filter(version=2, is_current=True, violations__isnull=True):
        site_id = new.site_id
        new.delete()
        Policy.objects.filter(site_id=site_id, version=1).update(is_current=True)


class Migration(migrations.Migration):
    dependencies = [("enforcement", "0006_violations_are_pending_until_established")]
    operations = [migrations.RunPython(publish, unpublish)]
