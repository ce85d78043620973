"""A marketplace is a Site row and a module in listings/marketplaces/: neither is any use without the other."""

from django.core import checks
from django.db import DatabaseError


@checks.register(checks.Tags.database)
def every_site_has_a_marketplace(app_configs, databases=None, **kwargs):
    """Run by ``manage.py check --database default`` (and before migrations are applied, it finds nothing)."""
    from .marketplaces import REGISTRY
    from .models import Site

    if not databases:
        return []
    errors = []
    for alias in databases:
        try:
            codes = list(Site.objects.using(alias).values_list("code", flat=True))
        except DatabaseError:
            continue  # no tables yet: the migrations have not run
        errors += [
            checks.Error(
                f"The site “{code}” has no marketplace module.",
                hint="Add a module to listings/marketplaces/ that registers a Marketplace with this code.",
                obj="listings.Site",
                id="listings.E001",
            )
            for code in codes
            if code not in REGISTRY
        ]
    return errors
