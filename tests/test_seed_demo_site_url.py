"""seed_demo prints the admin address of the site it seeded, the one `make run` serves on."""

import io

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_seed_demo_prints_the_admin_address_of_the_site(settings):
    settings.SITE_URL = "http://127.0.0.1:8123"
    out = io.StringIO()

    call_command("seed_demo", stdout=out)

    assert "http://127.0.0.1:8123/admin/" in out.getvalue()
    assert ":8000" not in out.getvalue()
