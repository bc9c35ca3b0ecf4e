"""Time left as the live countdown writes it (static/js/site.js `formatRemaining`), rendered by the server so a
countdown shows a value at once instead of a placeholder until the script's first tick."""

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.dateparse import parse_datetime

register = template.Library()


def format_remaining(seconds: float) -> str:
    """`formatRemaining` in Python: "Ended", "2d 3h 4m", "3h 4m 5s" or "4m 05s"."""
    if seconds <= 0:
        return "Ended"
    s = int(seconds)
    days, hours, minutes, secs = s // 86400, (s % 86400) // 3600, (s % 3600) // 60, s % 60
    if days > 0:
        return f"{days}d {hours}h {minutes}m"
    if hours > 0:
        return f"{hours}h {minutes}m {secs}s"
    return f"{minutes}m {secs:02d}s"


@register.filter
def time_left(ends_at: datetime | str | None) -> str:
    """{{ auction.ends_at|time_left }}: an aware datetime or its ISO text; empty for nothing."""
    if not ends_at:
        return ""
    when = parse_datetime(ends_at) if isinstance(ends_at, str) else ends_at
    if when is None:
        return ""
    return format_remaining((when - timezone.now()).total_seconds())
