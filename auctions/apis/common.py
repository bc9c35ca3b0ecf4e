"""Helpers shared by the auctions API modules."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils.dateparse import parse_datetime
from rest_framework import serializers
from rest_framework.request import Request

from core.errors import DomainError
from core.money import MoneyError, parse_amount

BID_TAGS = ["bids"]
AUCTION_TAGS = ["auctions"]

MessageData = serializers.DictField(help_text='{"message": ..., "data": {...}}')


def client_ip(request: Any) -> str | None:
    """The bidder's address, recorded on each bid: the connection's, whichever door the bid came in by (pages,
    API, bid lane, live room). Behind a load balancer daphne runs with `--proxy-headers` (Dockerfile), which
    sets it from the first X-Forwarded-For entry: the balancer must overwrite that header (docs/auctions.md).
    The app never reads the header itself."""
    return request.META.get("REMOTE_ADDR") or None


def user_agent(request: Any) -> str:
    return str(request.META.get("HTTP_USER_AGENT", ""))[:300]


def query_amount(request: Request, name: str) -> Decimal | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        return parse_amount(raw, field=name)
    except MoneyError as exc:
        raise DomainError(str(exc), code="invalid_filter", details={name: [str(exc)]}) from exc


def query_datetime(request: Request, name: str) -> datetime | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    value = parse_datetime(raw.replace(" ", "+"))
    if value is None:
        raise DomainError(f"{name} must be an ISO date-time.", code="invalid_filter", details={name: ["Invalid."]})
    return value
