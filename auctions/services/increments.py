"""The staff-editable increment table, read outside the auction lock and cached briefly per process."""

import time
from decimal import Decimal

from auctions import engine
from auctions.models import IncrementTier

CACHE_SECONDS = 30.0
_cache: dict[str, tuple[float, tuple[tuple[Decimal, Decimal], ...]]] = {}


def increment_table() -> engine.IncrementTable:
    """The table as (from price, increment) rows; BIDDING.md's defaults if staff emptied it."""
    cached = _cache.get("table")
    if cached and time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1]
    rows = tuple(IncrementTier.objects.order_by("from_price").values_list("from_price", "increment"))
    if not rows or rows[0][0] > 0:
        rows = engine.DEFAULT_INCREMENTS if not rows else ((Decimal("0"), rows[0][1]), *rows)
    _cache["table"] = (time.monotonic(), rows)
    return rows


def increment_table_clear_cache() -> None:
    """Call after staff change the table so this process sees it at once (others within CACHE_SECONDS)."""
    _cache.clear()
