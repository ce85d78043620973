"""A list filter that offers a fixed set of values by their labels. Django's default for a field without choices
(AllValuesFieldListFilter) runs a DISTINCT over the whole table on every list page and offers the raw codes
("reinstate", "complaints/counter_notice_received"); this one costs no query and says what each value means."""

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from django.contrib import admin

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise  # a lazy translation, as the stubs name it


def fixed_choices_filter(
    field: str, title: "str | _StrPromise", choices: Iterable[tuple[str, str]] | Callable[[], Iterable[tuple[str, str]]]
) -> type[admin.SimpleListFilter]:
    """A SimpleListFilter on ``field`` (exact match) offering ``choices`` (value, label), or a callable returning
    them when the list page is shown."""

    class FixedChoicesFilter(admin.SimpleListFilter):
        parameter_name = field

        def lookups(self, request, model_admin):
            return list(choices() if callable(choices) else choices)

        def queryset(self, request, queryset):
            value = self.value()
            return queryset.filter(**{field: value}) if value else queryset

    FixedChoicesFilter.title = title
    FixedChoicesFilter.__name__ = FixedChoicesFilter.__qualname__ = f"{field.title().replace('_', '')}Filter"
    return FixedChoicesFilter
