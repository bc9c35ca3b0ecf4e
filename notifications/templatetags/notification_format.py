"""Filters for notification text: context values arrive as plain strings, so each filter accepts anything."""

from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

register = template.Library()


@register.filter
def usd(value: Any) -> str:
    """ "12500" or Decimal("12500") -> "$12,500.00"; anything not a number is shown as given; missing -> ""."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value).replace(",", "").replace("$", "").strip())
    except InvalidOperation:
        return str(value)
    if not amount.is_finite():
        return str(value)
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"


@register.filter
def when(value: Any) -> str:
    """An ISO date/time -> "Nov 3, 2026 4:15 PM CST" in the site's time zone; other text is shown as given."""
    if value is None or value == "":
        return ""
    moment: datetime | date | None
    if isinstance(value, datetime | date):
        moment = value
    else:
        text = str(value).strip()
        try:
            # a bare date stays a date (datetime.fromisoformat would read "2026-11-06" as midnight UTC)
            moment = parse_date(text) if len(text) == 10 else parse_datetime(text)
        except ValueError:
            moment = None
        if moment is None:
            return text
    if isinstance(moment, datetime):
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment, UTC)
        local = timezone.localtime(moment)
        hour = local.strftime("%I").lstrip("0")
        return f"{local:%b} {local.day}, {local.year} {hour}:{local:%M %p %Z}"
    return f"{moment:%b} {moment.day}, {moment.year}"


@register.filter
def words(value: Any) -> str:
    """A machine status ("picked_up") as words ("picked up")."""
    return "" if value is None else str(value).replace("_", " ").strip()
