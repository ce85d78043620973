import io

import pytest
from django.core.management import call_command

from complaints.models import Complainant, IPRight
from complaints.selectors import filing_gate
from ipp_portal.accounts.models import User
from ipp_portal.documents.models import Document
from listings.models import Listing, Seller, Site

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent_and_gives_a_complainant_who_may_file():
    call_command("seed_demo", stdout=io.StringIO())
    counts = [m.objects.count() for m in (User, Seller, Listing, Complainant, IPRight, Document)]
    out = io.StringIO()

    call_command("seed_demo", stdout=out)

    assert [m.objects.count() for m in (User, Seller, Listing, Complainant, IPRight, Document)] == counts
    assert counts[:3] == [7, 4, 11]
    assert "reviewer@demo.example" in out.getvalue()
    # The demo's staff are members of their role's group, not superusers: the demo shows what each role sees.
    for email, role in (("reviewer", "Reviewer"), ("supervisor", "Supervisor"), ("auditor", "Auditor")):
        staff = User.objects.get(email=f"{email}@demo.example")
        assert (staff.is_staff, staff.is_superuser, list(staff.groups.values_list("name", flat=True))) == (
            True,
            False,
            [role],
        )
    brand = Complainant.objects.get(user__email="brand@demo.example")
    right = IPRight.objects.get(registered_by=brand)
    assert filing_gate(complainant=brand, site=Site.objects.get(code="alibaba"), right=right).allowed
