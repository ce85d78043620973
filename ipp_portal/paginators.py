"""Admin paginators that never count a large list: PostgreSQL's planner estimate stands in (an exact COUNT over
millions of rows, or over a hundred thousand open claims, costs seconds or grows with the table)."""

import json

from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property

EXACT_BELOW = 50_000


class EstimatedCountPaginator(Paginator):
    """The table's estimate (pg_class.reltuples) when the list is unfiltered and large; an exact count otherwise."""

    exact_below = EXACT_BELOW

    @cached_property
    def count(self):
        queryset = self.object_list
        if isinstance(queryset, QuerySet) and connections[queryset.db].vendor == "postgresql":
            estimate = self.estimate(queryset)
            if estimate is not None and estimate >= self.exact_below:
                return estimate
        return super().count

    def estimate(self, queryset: QuerySet) -> int | None:
        if queryset.query.where:
            return None
        with connections[queryset.db].cursor() as cursor:
            cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [queryset.model._meta.db_table])
            row = cursor.fetchone()
        return int(row[0]) if row else None


class PlannedCountPaginator(EstimatedCountPaginator):
    """Also for a filtered list (the review queue always is: its open claims): the planner's estimate of the
    rows the list's query returns, read from EXPLAIN (no rows are read); below ``exact_below`` rows, an exact
    count. One query at any size above that, instead of a COUNT that grows with the open claims."""

    def estimate(self, queryset: QuerySet) -> int | None:
        sql, params = queryset.order_by().query.sql_with_params()
        with connections[queryset.db].cursor() as cursor:
            cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
            plan = cursor.fetchone()[0]
        if isinstance(plan, str):
            plan = json.loads(plan)
        return int(plan[0]["Plan"]["Plan Rows"])
