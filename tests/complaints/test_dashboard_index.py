"""The complainant's dashboard (newest claims first, a page at a time) is served by an index, not by sorting all of
the complainant's claims."""

import pytest
from django.db import connection

from complaints.selectors import claim_list_for_complainant
from tests.factories import make_claim, make_complainant

pytestmark = pytest.mark.django_db


def test_the_dashboard_query_walks_the_complainant_newest_first_index():
    complainant = make_complainant()
    for _ in range(3):
        make_claim(complainant)
    sql, params = claim_list_for_complainant(complainant)[:20].query.sql_with_params()

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # tiny test tables: make the planner show its index choice
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "claim_complainant_newest_idx" in plan
    assert "Sort" not in plan
