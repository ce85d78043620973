from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from listings.business_days import add_business_days, add_business_days_local, is_business_day
from listings.models import Holiday, Site

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.django_db
def test_three_business_days_from_tuesday_is_friday_same_local_time():
    site = Site.objects.get(code="alibaba")
    tuesday = datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)

    assert add_business_days(tuesday, 3, site=site) == datetime(2026, 12, 4, 10, 0, tzinfo=SHANGHAI)


@pytest.mark.django_db
def test_weekend_is_skipped():
    site = Site.objects.get(code="alibaba")
    thursday = datetime(2026, 12, 3, 9, 30, tzinfo=SHANGHAI)

    assert add_business_days(thursday, 3, site=site) == datetime(2026, 12, 8, 9, 30, tzinfo=SHANGHAI)


@pytest.mark.django_db
def test_holidays_of_that_site_only_are_skipped():
    alibaba, aliexpress = Site.objects.get(code="alibaba"), Site.objects.get(code="aliexpress")
    Holiday.objects.create(site=alibaba, on=date(2026, 12, 2), name="Test holiday")
    monday = datetime(2026, 11, 30, 12, 0, tzinfo=SHANGHAI)

    assert add_business_days(monday, 2, site=alibaba) == datetime(2026, 12, 3, 12, 0, tzinfo=SHANGHAI)
    assert add_business_days(monday, 2, site=aliexpress) == datetime(2026, 12, 2, 12, 0, tzinfo=SHANGHAI)


@pytest.mark.django_db
def test_a_long_holiday_run_beyond_the_first_lookup_window_is_honoured():
    site = Site.objects.get(code="alibaba")
    first = date(2026, 12, 1)
    Holiday.objects.bulk_create(
        Holiday(site=site, on=first + timedelta(days=n), name="Long closure") for n in range(60)
    )
    start = datetime(2026, 11, 30, 8, 0, tzinfo=SHANGHAI)

    result = add_business_days(start, 1, site=site)

    # Closed 1 Dec to Fri 29 Jan inclusive; the next weekday is Monday 1 Feb.
    assert result == datetime(2027, 2, 1, 8, 0, tzinfo=SHANGHAI)


@pytest.mark.django_db
def test_start_on_a_weekend_counts_from_the_next_business_morning():
    site = Site.objects.get(code="alibaba")
    saturday = datetime(2026, 12, 5, 22, 0, tzinfo=SHANGHAI)

    assert add_business_days(saturday, 3, site=site) == datetime(2026, 12, 10, 0, 0, tzinfo=SHANGHAI)


@pytest.mark.django_db
def test_utc_input_is_counted_in_the_site_zone():
    site = Site.objects.get(code="alibaba")
    # Friday 20:00 UTC is already Saturday 04:00 in Shanghai: the count starts Monday 00:00 there.
    friday_utc = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)

    assert add_business_days(friday_utc, 1, site=site) == datetime(2026, 12, 8, 0, 0, tzinfo=SHANGHAI)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        add_business_days(datetime(2026, 12, 1), 3, site=Site(code="x", timezone="UTC"))  # noqa: DTZ001


holiday_sets = st.frozensets(st.dates(date(2026, 1, 1), date(2027, 12, 31)), max_size=40)
# Hypothesis takes naive bounds and attaches the zone itself.
starts = st.datetimes(datetime(2026, 1, 1), datetime(2027, 6, 30), timezones=st.just(SHANGHAI))  # noqa: DTZ001


@settings(max_examples=300, deadline=None)
@given(start=starts, days=st.integers(0, 30), holidays=holiday_sets)
def test_property_result_is_business_day_and_counts_exactly(start, days, holidays):
    result = add_business_days_local(start, days, holidays)

    assert result >= start or (not is_business_day(start.date(), holidays) and result.date() >= start.date())
    assert is_business_day(result.date(), holidays)
    counted = sum(
        is_business_day(start.date() + timedelta(days=n), holidays)
        for n in range(1, (result.date() - start.date()).days + 1)
    )
    if is_business_day(start.date(), holidays):
        assert counted == days
        assert result.timetz() == start.timetz()
    else:
        assert counted == days + 1  # the first business day after the start is day zero


@settings(max_examples=200, deadline=None)
@given(start=starts, a=st.integers(0, 15), b=st.integers(0, 15), holidays=holiday_sets)
def test_property_adding_in_two_steps_equals_adding_once(start, a, b, holidays):
    once = add_business_days_local(start, a + b, holidays)
    twice = add_business_days_local(add_business_days_local(start, a, holidays), b, holidays)

    assert once == twice


@settings(max_examples=200, deadline=None)
@given(start=starts, days=st.integers(0, 20), holidays=holiday_sets)
def test_property_more_days_is_never_earlier(start, days, holidays):
    assert add_business_days_local(start, days + 1, holidays) > add_business_days_local(start, days, holidays)
