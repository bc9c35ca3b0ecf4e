"""Template helpers for offer pages."""

import uuid

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag
def form_token() -> SafeString:
    """A hidden one-time token: the view passes it as the write's Idempotency-Key, so a double click or a
    resubmitted form gets the first answer instead of a second write."""
    return format_html('<input type="hidden" name="form_token" value="{}">', uuid.uuid4().hex)
