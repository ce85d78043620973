"""The anchor policies of both sites (the enforcement rules published for each site, linked from policy §3 of docs/ipr-policy.md)."""

from django.db import migrations

ALIBABA_CLAUSE = "alibaba.com IPR penalty rules"
ALIEXPRESS_CLAUSE = "aliexpress.com IPR penalty rules"

POINTS_LADDER = [
    (6, "warning", None, False, "6 points: warning"),
    (12, "posting_restriction", 7, False, "12 points: posting restricted for 7 days"),
    (24, "posting_restriction", 14, False, "24 points: posting restricted for 14 days"),
    (36, "posting_restriction", 21, True, "36 points: posting restricted for 21 days and all listings removed"),
    (48, "termination", None, True, "48 points: membership terminated"),
]

POLICIES = {
    "alibaba": {
        "fields": {
            "general_points": 2,
            "serious_points": 6,
            "daily_general_cap": 6,
            "strike_window_days": 0,
            "notes": "Points ledger; general infringements established on one day count at most 6 points; three "
            "serious (counterfeit) infringements terminate. Per-violation points are not published: 2 general, "
            "6 serious (project default).",
        },
        "steps": [("points", *rung[:4], f"{ALIBABA_CLAUSE} — {rung[4]}") for rung in POINTS_LADDER]
        + [("serious", 3, "termination", None, True, f"{ALIBABA_CLAUSE} — three serious infringements: termination")],
    },
    "aliexpress": {
        "fields": {
            "general_points": 2,
            "serious_points": 0,
            "daily_general_cap": 6,
            "strike_window_days": 3,
            "notes": "Serious infringements (counterfeits) are strikes; all established within 3 days count as one. "
            "General infringements use the points ladder.",
        },
        "steps": [
            ("strikes", 1, "suspension", 1, False, f"{ALIEXPRESS_CLAUSE} — strike 1: store frozen for 1 day"),
            ("strikes", 2, "suspension", 7, False, f"{ALIEXPRESS_CLAUSE} — strike 2: store frozen for 7 days"),
            ("strikes", 3, "termination", None, True, f"{ALIEXPRESS_CLAUSE} — strike 3: account closed"),
        ]
        + [("points", *rung[:4], f"{ALIEXPRESS_CLAUSE} — {rung[4]}") for rung in POINTS_LADDER],
    },
}


def seed(apps, schema_editor):
    Site = apps.get_model("listings", "Site")
    Policy = apps.get_model("enforcement", "Policy")
    PolicyStep = apps.get_model("enforcement", "PolicyStep")
    for code, spec in POLICIES.items():
        site = Site.objects.filter(code=code).first()
        if site is None or Policy.objects.filter(site=site).exists():
            continue
        policy = Policy.objects.create(site=site, version=1, is_current=True, **spec["fields"])
        PolicyStep.objects.bulk_create(
            PolicyStep(
                policy=policy, measure=measure, threshold=threshold, action=action, duration_days=days,
                removes_all_listings=removes, clause=clause,
            )
            for measure, threshold, action, days, removes, clause in spec["steps"]
        )


def unseed(apps, schema_editor):
    Policy = apps.get_model("enforcement", "Policy")
    Policy.objects.filter(version=1, violations__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("enforcement", "0001_create_ledger"), ("listings", "0002_seed_marketplace_sites")]
    operations = [migrations.RunPython(seed, unseed)]
