"""Concurrent replays of one claim form: every one of them leads to the claim the token created."""

import threading

import pytest
from django.db import connection
from django.test import Client

from complaints.models import Claim, ClaimItem
from tests.complaints.test_claim_views import form_data
from tests.factories import ListingFactory, make_complainant
from tests.threads import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("round_", range(3))
def test_concurrent_posts_of_one_token_all_lead_to_the_one_claim(round_):
    holder = make_complainant()
    data = form_data(holder, [listing.url for listing in ListingFactory.create_batch(60)])
    threads, results, errors = 16, [], []
    barrier = threading.Barrier(threads)

    def post():
        try:
            client = Client()
            client.force_login(holder.user)
            barrier.wait(timeout=10)
            response = client.post("/rights/claims/new/", data)
            results.append((response.status_code, response.get("Location", "")))
        except Exception as exc:  # reported below; a thread must not die silently
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=post) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)

    claim = Claim.objects.get()
    assert errors == []
    assert sorted(results) == [(302, f"/rights/claims/{claim.pk}/receipt/")] * threads
    assert ClaimItem.objects.count() == 60


def test_two_concurrent_claims_naming_one_listing_do_not_both_pass_the_check():
    from complaints import services
    from tests.factories import make_claim, make_right

    holder = make_complainant()
    right = make_right(holder)
    links = "\n".join(listing.url for listing in ListingFactory.create_batch(60))
    outcomes: list = []

    def submit():
        make_claim(holder, links_text=links, right=right, explanation="Fakes")
        outcomes.append("filed")

    errors = run_together(submit, submit, timeout=60)
    outcomes += [
        {line.result for line in exc.lines} if isinstance(exc, services.LinksNotFileable) else exc for exc in errors
    ]

    assert sorted(outcomes, key=str) == ["filed", {"open_claim"}]
    assert Claim.objects.count() == 1
