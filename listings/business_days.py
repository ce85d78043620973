"""Business-day arithmetic in a site's time zone — the one place deadlines are computed.

A business day is a weekday that is not one of the site's holidays. ``add_business_days`` keeps the local
wall-clock time: a notice sent on Tuesday 10:00 with 3 business days is due Friday 10:00 (site time). A start on a
weekend or holiday counts from the beginning (00:00) of the next business day, so nobody loses time to a notice
that arrived while the office was closed.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .models import Holiday, Site

WEEKEND = frozenset({5, 6})  # Saturday, Sunday


def holidays_between(site: Site, first: date, last: date) -> frozenset[date]:
    return frozenset(Holiday.objects.filter(site=site, on__range=(first, last)).values_list("on", flat=True))


def is_business_day(day: date, holidays: frozenset[date]) -> bool:
    return day.weekday() not in WEEKEND and day not in holidays


def add_business_days_local(start: datetime, days: int, holidays: frozenset[date]) -> datetime:
    """Pure arithmetic on a datetime already in the site's zone; ``holidays`` must cover the span."""
    if days < 0:
        raise ValueError("days must be zero or more")
    tz = start.tzinfo
    day, wall = start.date(), start.timetz().replace(tzinfo=None)
    if not is_business_day(day, holidays):
        while not is_business_day(day, holidays):
            day += timedelta(days=1)
        wall = time(0, 0)
    remaining = days
    while remaining:
        day += timedelta(days=1)
        if is_business_day(day, holidays):
            remaining -= 1
    # zoneinfo resolves a wall time that falls in a DST gap or overlap by its fold rule; both are well defined.
    return datetime.combine(day, wall, tzinfo=tz)


def add_business_days(start_at: datetime, days: int, *, site: Site) -> datetime:
    """The moment ``days`` business days after ``start_at`` on ``site``, as an aware datetime (site zone)."""
    if start_at.tzinfo is None:
        raise ValueError("start_at must be timezone-aware")
    tz = ZoneInfo(site.timezone)
    local = start_at.astimezone(tz)
    # Weekends alone at most stretch N business days to ~1.4 N calendar days; pad generously for holiday runs
    # (e.g. a week-long national holiday) and widen if the span still is not covered.
    span = days * 2 + 21
    while True:
        holidays = holidays_between(site, local.date(), local.date() + timedelta(days=span))
        result = add_business_days_local(local, days, holidays)
        if result.date() <= local.date() + timedelta(days=span):
            return result
        span *= 2
