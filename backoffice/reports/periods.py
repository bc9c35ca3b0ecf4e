"""Central-time days in SQL without the database's time-zone tables (MySQL images ship without them).

`local_day(field, start, end)` is `CAST(field + offset AS DATE)`, where the offset is the zone's UTC offset at
that moment, a CASE over the zone's transitions between `start` and `end` (two a year). Exact across DST,
portable to SQLite (`make run`), and sargable on `field`'s range filter."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Case, DateField, DateTimeField, DurationField, ExpressionWrapper, F, Value, When
from django.db.models.functions import Cast

GRAINS = ("day", "week", "month")


def _offset(zone: ZoneInfo, moment: datetime) -> timedelta:
    return moment.astimezone(zone).utcoffset() or timedelta(0)


def transitions(start: datetime, end: datetime) -> list[tuple[datetime, timedelta]]:
    """[(from when, offset)] covering [start, end). Memoized: every table of a report, and the same report asked
    again, reads the same span."""
    return list(_transitions(start, end, settings.TIME_ZONE))


STEP = timedelta(days=7)  # no zone changes its offset twice within a week


@lru_cache(maxsize=256)
def _transitions(start: datetime, end: datetime, zone_name: str) -> tuple[tuple[datetime, timedelta], ...]:
    """The offset is compared a week apart; a week whose offset changed is searched for the hour it changed
    (zones change on the hour) by halving: about a hundred zone lookups for two years instead of one a day."""
    zone = ZoneInfo(zone_name)
    spans = [(start, _offset(zone, start))]
    at = start
    while at < end:
        following = min(at + STEP, end)
        if _offset(zone, following) != spans[-1][1]:
            # Whole hours with offset(low) the current one and offset(high) the new one; the change is at high.
            low = at.replace(minute=0, second=0, microsecond=0)
            high = following.replace(minute=0, second=0, microsecond=0)
            if high < following:
                high += timedelta(hours=1)
            while high - low > timedelta(hours=1):
                middle = low + timedelta(hours=((high - low) // timedelta(hours=1)) // 2)
                if _offset(zone, middle) == spans[-1][1]:
                    low = middle
                else:
                    high = middle
            spans.append((high, _offset(zone, high)))
        at = following
    return tuple(spans)


def local_day(field: str, start: datetime, end: datetime) -> Cast:
    spans = transitions(start, end)
    offset: Any
    if len(spans) == 1:
        offset = Value(spans[0][1], output_field=DurationField())
    else:
        offset = Case(
            *[When(**{f"{field}__gte": since}, then=Value(delta)) for since, delta in reversed(spans[1:])],
            default=Value(spans[0][1]),
            output_field=DurationField(),
        )
    shifted = ExpressionWrapper(F(field) + offset, output_field=DateTimeField())
    return Cast(shifted, DateField())


def bucket(day: date, grain: str) -> date:
    if grain == "week":
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    return day


def bucket_label(start: date, grain: str) -> str:
    if grain == "month":
        return f"{start:%b %Y}"
    if grain == "week":
        return f"Week of {start:%b} {start.day}, {start.year}"
    return f"{start:%a %b} {start.day}, {start.year}"


@dataclass(frozen=True)
class Range:
    """[start, end) in UTC for the local dates first..last (inclusive)."""

    first: date
    last: date

    @property
    def start(self) -> datetime:
        zone = ZoneInfo(settings.TIME_ZONE)
        return datetime(self.first.year, self.first.month, self.first.day, tzinfo=zone).astimezone(UTC)

    @property
    def end(self) -> datetime:
        zone = ZoneInfo(settings.TIME_ZONE)
        after = self.last + timedelta(days=1)
        return datetime(after.year, after.month, after.day, tzinfo=zone).astimezone(UTC)
