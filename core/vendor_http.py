"""HTTP for vendor adapters: bounded time, one error type, never called inside a transaction."""

from typing import Any

import requests
import structlog
from django.conf import settings
from django.db import connection

from core.errors import VendorUnavailable

logger = structlog.get_logger(__name__)


class VendorHttpError(VendorUnavailable):
    """The vendor answered with an error status. `payload` holds its parsed body when JSON."""

    def __init__(self, message: str, *, status: int, payload: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.payload = payload


def assert_outside_transaction(vendor: str) -> None:
    """Refuse a vendor call made while our code holds a transaction (a test case's own wrapping
    transaction, marked by Django as `_from_testcase`, does not count)."""
    if any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks):
        raise RuntimeError(f"{vendor} called inside a database transaction")


def request(
    vendor: str,
    method: str,
    url: str,
    *,
    timeout: float | None = None,
    session: requests.Session | None = None,
    **kwargs: Any,
) -> requests.Response:
    """Send one request; raise VendorUnavailable on network failure or timeout."""
    assert_outside_transaction(vendor)
    sender = session or requests
    try:
        response = sender.request(method, url, timeout=timeout or settings.VENDOR_HTTP_TIMEOUT, **kwargs)
    except requests.RequestException as exc:
        logger.warning("vendor.unreachable", vendor=vendor, url=url, error=str(exc))
        raise VendorUnavailable(f"{vendor} is not answering right now. Please try again in a minute.") from exc
    logger.info("vendor.response", vendor=vendor, method=method, url=url, status=response.status_code)
    return response
