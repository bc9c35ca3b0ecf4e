"""The database clock: bids and closes are timed by the database, never by a client or app server."""

from datetime import UTC, datetime

from django.db import connection
from django.utils import timezone


def db_now_sql() -> str:
    """An SQL expression for the database's current UTC time with microseconds. Execute it with a params
    list (possibly empty): the SQLite form escapes `%` for Django's parameter substitution."""
    if connection.vendor == "mysql":
        return "UTC_TIMESTAMP(6)"
    return "STRFTIME('%%Y-%%m-%%d %%H:%%M:%%f', 'now')"


def parse_db_time(value: object) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if timezone.is_naive(value) else value
    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)


def db_now() -> datetime:
    """One round trip: the database's clock (UTC, aware)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {db_now_sql()}", [])  # noqa: S608 - a constant expression
        row = cursor.fetchone()
    return parse_db_time(row[0])
