"""Template helpers for vehicle pages: money, media URLs, watchlist hearts, the home page's rows."""

from decimal import Decimal
from typing import Any

from django import template
from django.core.files.storage import default_storage

from core.money import format_usd
from vehicles import selectors

register = template.Library()


@register.filter
def usd(value: Decimal | None) -> str:
    return format_usd(value) if value is not None else "—"


@register.filter
def media_url(name: str) -> str:
    return default_storage.url(name) if name else ""


@register.filter
def is_in(value: Any, container: Any) -> bool:
    return bool(container) and value in container


@register.filter
def miles(value: int | None) -> str:
    return f"{value:,} mi" if value is not None else "—"


@register.simple_tag(takes_context=True)
def home_vehicle_rows(context: dict[str, Any]) -> dict[str, Any]:
    """Rows for the home page: auctions ending soonest, then the newest approved vehicles."""
    ending = selectors.ending_soon(limit=4)
    newest = [v for v in selectors.newly_listed(limit=8) if v not in ending][:4]
    user = context.get("user")
    ids = [v.pk for v in (*ending, *newest)]
    return {"ending": ending, "newest": newest, "favorite_ids": selectors.favorite_vehicle_ids(user, ids)}
