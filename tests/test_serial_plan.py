"""``serial_plan`` turns parallel query plans off for its block only, inside or outside a transaction."""

import pytest
from django.db import connection, transaction

from ipp_portal.transactions import serial_plan

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def workers() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_parallel_workers_per_gather")
        return cursor.fetchone()[0]


def test_parallel_workers_are_off_in_the_block_and_back_after_it():
    before = workers()
    assert before != "0"

    with serial_plan():
        inside = workers()
    after_alone = workers()
    with transaction.atomic():
        with serial_plan():
            nested = workers()
        after_nested = workers()

    assert (inside, nested) == ("0", "0")
    assert after_alone == after_nested == before
