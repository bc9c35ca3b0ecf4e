"""The bid protocol: what a bid request is and how its outcome is told, written once for every door (the
site's form, `auctions.views.bid_submit`; the API, `auctions.apis.bids` and its lane `fast_lane`; the live
room, `auctions.consumers`). Each door is transport only and takes the same steps in the same order:
1. who (nobody: `LOGIN_REQUIRED`); 2. admission, core/throttles.py's one rule (over it: `throttled(wait)`);
3. `read`: the amount (the first of `amount`, `max_amount`, `max`, in the one amount grammar) and the
Idempotency-Key (core/idempotency.py); 4. the service, whose outcome `tell` turns into one `Told` (status,
body, headers, code, message), rendered as JSON, a page message (`Told.level`) or a `bid_update`
(`socket_reply`). So a bid refused at any door carries the same code and message
(auctions/tests/test_bid_protocol.py compares them).
"""

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from auctions.services.bidding import parse_bid_amount
from auctions.services.results import BidResult
from core import idempotency
from core.api import SERVER_ERROR, database_down_answer, error_body
from core.errors import DomainError

logger = logging.getLogger(__name__)

AMOUNT_FIELDS = ("amount", "max_amount", "max")
LOGIN_MESSAGE = "Log in to bid."


class LoginRequired(DomainError):
    status_code = 401
    code = "not_authenticated"


class Throttled(DomainError):
    status_code = 429
    code = "throttled"


LOGIN_REQUIRED = LoginRequired(LOGIN_MESSAGE)


def throttled(wait: float | None) -> Throttled:
    """Over the rate limit: the words DRF uses for its 429, the seconds to wait in details."""
    from rest_framework.exceptions import Throttled as DrfThrottled

    seconds = math.ceil(wait) if wait is not None else None
    return Throttled(str(DrfThrottled(wait=seconds).detail), details={"retry_after_seconds": seconds or 0})


@dataclass(frozen=True)
class BidAsk:
    """A bid request as read at a door: the max amount (parsed) and the Idempotency-Key (parsed, or None)."""

    amount: Decimal
    idempotency_key: str | None = None


def read(fields: Any, key: str | bytes | None = None) -> BidAsk:
    """The bid in a request's fields (a JSON object, form data, a socket frame) and its Idempotency-Key header.
    Raises DomainError: 400 `invalid_amount` (missing, or not the amount grammar) or `invalid_idempotency_key`."""
    raw = (
        next((fields[name] for name in AMOUNT_FIELDS if name in fields), None) if isinstance(fields, Mapping) else None
    )
    return BidAsk(parse_bid_amount(raw), idempotency.parse_key(key))


@dataclass(frozen=True)
class Told:
    """A bid's outcome as every door tells it."""

    status: int  # HTTP status
    code: str  # "accepted", "replayed", or the error code
    message: str  # what the bidder reads
    body: dict[str, Any]  # the API's JSON body
    headers: dict[str, str] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    result: BidResult | None = None

    @property
    def accepted(self) -> bool:
        return self.status < 300

    @property
    def level(self) -> str:
        """The page message's level: success when leading, warning when accepted but outbid, error when not."""
        if self.result is not None:
            return "success" if self.result.leading else "warning"
        return "info" if self.accepted else "error"


def tell(outcome: object) -> Told:
    """The Told for a service outcome: a BidResult, a Replay, a DomainError, or another exception (the
    database down is a 503 `unavailable` with Retry-After; anything else a 500 `server_error`, logged)."""
    if isinstance(outcome, BidResult):
        answer = outcome.answer()
        return Told(answer.status, "accepted", outcome.message, answer.body, result=outcome)
    if isinstance(outcome, idempotency.Replay):
        message = str(outcome.body.get("message") or outcome.body.get("error") or "")
        return Told(outcome.status, "replayed", message, outcome.body, {idempotency.REPLAYED_HEADER: "true"})
    if isinstance(outcome, DomainError):
        headers = {"Retry-After": str(outcome.details["retry_after_seconds"])} if isinstance(outcome, Throttled) else {}
        body = error_body(outcome.message, outcome.details, code=outcome.code)
        return Told(outcome.status_code, outcome.code, outcome.message, body, headers, outcome.details)
    if isinstance(outcome, BaseException) and (down := database_down_answer(outcome)) is not None:
        body, headers = down
        return Told(503, "unavailable", body["error"], body, headers)
    logger.error("bid failed", exc_info=outcome if isinstance(outcome, BaseException) else None)
    return Told(500, "server_error", SERVER_ERROR, error_body(SERVER_ERROR, code="server_error"))


def socket_reply(told: Told, request_id: Any, auction_id: int) -> dict[str, Any]:
    """The `bid_update` frame the live room sends the bidder."""
    if told.result is not None:
        return {**told.result.update(), "request_id": request_id}
    return {
        "type": "bid_update",
        "auction_id": auction_id,
        "request_id": request_id,
        "status": "rejected",
        "code": told.code,
        "error": told.message,
        "details": told.details,
    }
