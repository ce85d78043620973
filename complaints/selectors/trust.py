"""Reads of the trusted programme: membership now, and the memberships waiting for a supervisor."""

from ..models import Trust


def trusted_complainant_on(complainant_id: int, site_id: int) -> bool:
    """Whether the complainant is a member on the site now (admitted, or flagged and still waiting for review)."""
    return Trust.objects.filter(complainant_id=complainant_id, site_id=site_id, status__in=Trust.TRUSTED).exists()


def trusted_sites(complainant_id: int) -> list[str]:
    """The names of the sites where the complainant is a member."""
    return list(
        Trust.objects.filter(complainant_id=complainant_id, status__in=Trust.TRUSTED)
        .order_by("site__name")
        .values_list("site__name", flat=True)
    )
