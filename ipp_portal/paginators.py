"""Admin paginator that never counts a whole large table: PostgreSQL's planner estimate stands in when the list
is unfiltered (an exact COUNT over millions of rows costs seconds)."""

from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property

EXACT_BELOW = 50_000


class EstimatedCountPaginator(Paginator):
    @cached_property
    def count(self):
        queryset = self.object_list
        if (
            isinstance(queryset, QuerySet)
            and not queryset.query.where
            and connections[queryset.db].vendor == "postgresql"
        ):
            with connections[queryset.db].cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [queryset.model._meta.db_table]
                )
                row = cursor.fetchone()
            if row and row[0] >= EXACT_BELOW:
                return int(row[0])
        return super().count
