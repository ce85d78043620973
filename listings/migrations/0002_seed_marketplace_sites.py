"""The two sites the policy covers (policy §1 of docs/ipr-policy.md): www.alibaba.com and www.aliexpress.com."""

from django.db import migrations

SITES = [
    ("alibaba", "alibaba.com", "alibaba.com", "Asia/Shanghai"),
    ("aliexpress", "aliexpress.com", "aliexpress.com", "Asia/Shanghai"),
]


def add_sites(apps, schema_editor):
    Site = apps.get_model("listings", "Site")
    for code, name, domain, tz in SITES:
        Site.objects.update_or_create(code=code, defaults={"name": name, "domain": domain, "timezone": tz})


def remove_sites(apps, schema_editor):
    Site = apps.get_model("listings", "Site")
    Site.objects.filter(code__in=[code for code, *_ in SITES], sellers__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("listings", "0001_initial")]
    operations = [migrations.RunPython(add_sites, remove_sites)]
