"""Placing a bid: the hot path. One short transaction around the auction row's lock.

Before the lock, in the caller's thread: the amount is parsed and the bidder's eligibility read. Then the
bid joins this process's other bids on the same auction (combiner.py) and is decided in one transaction
with them (bid_batch.py): at most six statements under the lock per transaction, whatever the number of
bids in it (the locking SELECT, one SELECT for the database clock, alias numbers and suspension, INSERT
bids, UPDATE auction, INSERT events, INSERT Idempotency-Keys when the API passed one). Broadcasts and
notifications run after commit.
"""

import time
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection

from accounts.selectors import Eligibility, bidding_eligibility, bidding_eligibility_many
from auctions.models import Auction
from auctions.services.bid_batch import BidRequest, Outcome, place_batch
from auctions.services.combiner import Combiner
from auctions.services.results import BidRejected, BidResult, detached
from core import metrics
from core.errors import DomainError, NotAllowed
from core.money import MoneyError, parse_amount

_combiner = Combiner(place_batch)


def parse_bid_amount(raw: object) -> Decimal:
    """User input -> Decimal, or a clear 400: non-numeric, negative, zero, more than two decimals."""
    try:
        return parse_amount(raw, field="amount")
    except MoneyError as exc:
        raise BidRejected(str(exc), code="invalid_amount", details={"amount": [str(exc)]}) from exc
    except TypeError as exc:
        raise BidRejected("amount must be a number, like 5250 or 5250.00", code="invalid_amount") from exc


def check_eligible(user: Any) -> None:
    """Rule 6 and "Eligibility": read before the lock; the lock re-checks suspension cheaply."""
    _raise_unless_eligible(bidding_eligibility(user))


def _raise_unless_eligible(eligibility: Eligibility) -> None:
    if eligibility.ok:
        return
    missing = [{"code": r.code, "label": r.label, "url": r.url} for r in eligibility.missing]
    code = "suspended" if "suspended" in eligibility.codes else "not_eligible"
    raise NotAllowed(eligibility.message, code=code, details={"missing": missing})


def bid_place(
    *,
    auction_id: int,
    bidder: Any,
    max_amount: Decimal | str,
    ip: str | None = None,
    user_agent: str = "",
    now: datetime | None = None,
    idempotency_key: str | None = None,
) -> BidResult:
    """Place a max bid (proxy bidding, BIDDING.md). Raises a DomainError subclass with a clear
    message and nothing stored when refused. `now` replaces the database clock (tests only)."""
    started_at = time.perf_counter()
    try:
        result = _bid_place(
            auction_id=auction_id,
            bidder=bidder,
            max_amount=max_amount,
            ip=ip,
            user_agent=user_agent,
            now=now,
            idempotency_key=idempotency_key,
        )
    except DomainError as exc:
        metrics.bids_total.labels(outcome=exc.code).inc()
        raise
    metrics.bids_total.labels(outcome="accepted").inc()
    metrics.bid_seconds.observe(time.perf_counter() - started_at)
    return result


def _bid_place(
    *,
    auction_id: int,
    bidder: Any,
    max_amount: Decimal | str,
    ip: str | None,
    user_agent: str,
    now: datetime | None,
    idempotency_key: str | None,
) -> BidResult:
    _refuse_inside_a_transaction()
    amount = parse_bid_amount(max_amount)
    check_eligible(bidder)
    request = BidRequest(bidder, amount, ip, user_agent, idempotency_key)
    if now is not None:  # a test's clock: decided alone
        (outcome,) = place_batch(auction_id, [request], now=now)
    else:
        (outcome,) = _combiner.submit(auction_id, [request])
    if isinstance(outcome, Exception):
        try:
            raise outcome
        finally:
            del outcome  # the raised traceback holds this frame: no cycle back to the exception
    return outcome


def _refuse_inside_a_transaction() -> None:
    """A bid commits on its own (possibly in another thread's transaction, see combiner.py): the caller's
    transaction could not undo it, so calling from inside one is a bug — as `atomic(durable=True)` says."""
    blocks = connection.atomic_blocks
    if blocks and not getattr(blocks[-1], "_from_testcase", False):  # pytest-django's own atomic is fine
        raise RuntimeError("Bids commit on their own: place them outside any transaction.")


def bid_place_many(auction_id: int, bids: list[tuple[Any, Any, str | None, str]]) -> list[Outcome]:
    """Several bids (bidder, amount as sent, ip, user agent) on one auction, e.g. a live room's burst: the
    same checks and rules as `bid_place`, eligibility read in one query, one outcome (result or error) each."""
    _refuse_inside_a_transaction()
    started_at = time.perf_counter()
    outcomes: list[Outcome | None] = [None] * len(bids)
    eligibility = bidding_eligibility_many([bidder for bidder, _, _, _ in bids])
    requests: list[tuple[int, BidRequest]] = []
    for index, (bidder, raw, ip, agent) in enumerate(bids):
        try:
            amount = parse_bid_amount(raw)
            _raise_unless_eligible(eligibility[bidder.pk])
        except DomainError as exc:
            outcomes[index] = detached(exc)
            continue
        requests.append((index, BidRequest(bidder, amount, ip, agent)))
    if requests:
        decided = _combiner.submit(auction_id, [request for _, request in requests])
        for (index, _), decision in zip(requests, decided, strict=True):
            outcomes[index] = decision
    for counted in outcomes:
        if isinstance(counted, DomainError):
            metrics.bids_total.labels(outcome=counted.code).inc()
        elif isinstance(counted, BidResult):
            metrics.bids_total.labels(outcome="accepted").inc()
    metrics.bid_seconds.observe(time.perf_counter() - started_at)
    return [outcome for outcome in outcomes if outcome is not None]


def soft_close_deadline(auction: Auction) -> datetime:
    """When the soft-close window opens for this auction."""
    return auction.ends_at - timedelta(seconds=auction.soft_close_window_seconds)
