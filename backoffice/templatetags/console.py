"""Template helpers of the staff console: times in Central with the viewer's local time beside them
(static/js/console.js fills it in), dollars."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import format_html

register = template.Library()


@register.filter
def central(value: datetime | None) -> str:
    """<time> in America/Chicago; console.js adds "(your time …)" when the viewer's zone differs."""
    if value is None:
        return "—"
    local = timezone.localtime(value)
    hour = local.strftime("%I").lstrip("0")
    text = f"{local:%b} {local.day}, {local.year} {hour}:{local:%M %p %Z}"
    return format_html('<time datetime="{}" data-local-time>{}</time>', value.isoformat(), text)


@register.filter
def central_iso(value: str | None) -> str:
    """An ISO time kept in JSON evidence, shown like `central`."""
    from django.utils.dateparse import parse_datetime

    moment = parse_datetime(value) if isinstance(value, str) else None
    return central(moment) if moment is not None else (value or "—")


@register.filter
def dollars(value: Any) -> str:
    if value is None or value == "":
        return "—"
    amount = Decimal(str(value))
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"


@register.filter
def get_item(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key) if isinstance(mapping, dict) else None
