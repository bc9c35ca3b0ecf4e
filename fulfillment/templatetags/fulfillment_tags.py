"""Template helpers of the order page: times in Central with the viewer's local time beside them."""

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()


@register.filter
def central(value: datetime | None) -> SafeString | str:
    """`<time>` in Central time ("Thu Nov 5, 3:00 PM CST"); static/js/order_page.js adds the viewer's own time
    when their clock is in another zone."""
    if not value:
        return ""
    local = timezone.localtime(value)
    text = f"{local:%a %b} {local.day}, {local:%I:%M %p %Z}".replace(" 0", " ")
    return format_html('<time datetime="{}" data-local-time>{}</time>', value.isoformat(), text)
