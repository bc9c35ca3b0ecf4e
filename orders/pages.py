"""How the apps above orders add to its pages without orders importing them (settings, like the vehicle
page's VEHICLE_PAGE_PANELS).

- ORDER_PAGE_SECTIONS: dotted callables `(request, order) -> OrderPageSections | None`. The order page shows
  their `next_action` (instead of its own sentence), their `main` and `side` HTML blocks, and merges their
  `timeline` entries into its own; `hide_buyer_price` hides the buyer's price lines from a seller (who sees
  their proceeds instead).
- SELLER_NET_PROVIDER: a dotted callable `(orders) -> {order id: object with net, status, status_label}` for
  "My sales"; "" for none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.module_loading import import_string
from django.utils.safestring import SafeString


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    message: str
    kind: str = ""
    track: str = ""


@dataclass
class OrderPageSections:
    next_action: SafeString | str = ""
    main: list[SafeString] = field(default_factory=list)
    side: list[SafeString] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)
    hide_buyer_price: bool = False


@cache
def _callables(paths: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(import_string(path) for path in paths)


def order_page_sections(request: HttpRequest, order: Any) -> OrderPageSections:
    """Every section the apps above add to this order's page, gathered into one."""
    gathered = OrderPageSections()
    for provider in _callables(tuple(getattr(settings, "ORDER_PAGE_SECTIONS", ()))):
        sections = provider(request, order)
        if sections is None:
            continue
        gathered.next_action = sections.next_action or gathered.next_action
        gathered.main += sections.main
        gathered.side += sections.side
        gathered.timeline += sections.timeline
        gathered.hide_buyer_price = gathered.hide_buyer_price or sections.hide_buyer_price
    return gathered


def seller_nets(orders: list[Any]) -> dict[int, Any]:
    path = getattr(settings, "SELLER_NET_PROVIDER", "")
    return import_string(path)(orders) if path else {}
