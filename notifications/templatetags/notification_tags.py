"""`{% unread_notification_count user as unread %}` for the navigation bell."""

from typing import Any

from django import template

from notifications.selectors import unread_count

register = template.Library()


@register.simple_tag
def unread_notification_count(user: Any) -> int:
    if user is None or not getattr(user, "is_authenticated", False):
        return 0
    return unread_count(user=user)
