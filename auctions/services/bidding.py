"""Placing a bid: the hot path. One short transaction around the auction row's lock.

Before the lock, in the caller: the amount is parsed. Then the bid joins this process's other bids on the
same auction (combiner.py) and is decided in one transaction with them (bid_batch.py): at most six
statements under the lock per transaction, whatever the number of bids in it (the locking SELECT, one
SELECT for the database clock and each bidder's alias number and eligibility, INSERT bids, UPDATE auction,
INSERT events, INSERT Idempotency-Keys when the API passed one). Broadcasts and notifications run after
commit. `bid_place` is for threads (views, tasks, commands); `bid_place_async` for the event loop (live
rooms and the HTTP bid lane), which waits for its batch without a thread of its own.
"""

import time
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection

from accounts.selectors import bidding_eligibility
from auctions.models import Auction
from auctions.services.bid_batch import BidRequest, Outcome, place_batch, refuse_unless_eligible
from auctions.services.combiner import Combiner
from auctions.services.results import BidRejected, BidResult, detached
from core import idempotency, metrics
from core.auth import AccountRule
from core.errors import DomainError
from core.money import AMOUNT_FORM, MoneyError, parse_amount


def _place_taken(auction_id: int, take: Any) -> list[Outcome]:
    """The combiner's batch: every request is taken once the row lock is held."""
    return place_batch(auction_id, [], more=take)


_combiner = Combiner(_place_taken)


def parse_bid_amount(raw: object) -> Decimal:
    """User input -> Decimal, or a clear 400: non-numeric, negative, zero, more than two decimals."""
    try:
        return parse_amount(raw, field="amount")
    except MoneyError as exc:
        raise BidRejected(amount_sentence(raw), code="invalid_amount", details={"amount": [str(exc)]}) from exc


def amount_sentence(raw: object) -> str:
    """Why a max bid's text is not an amount, as a sentence the bidder reads (the grammar's own words in
    `details`); the accepted form is core.money's."""
    if raw is None or raw == "":
        return "Your max bid is required: enter an amount like 5250 or 5250.00."
    try:
        parse_amount(raw, field="amount", allow_zero=True)
    except MoneyError:
        return f"Your max bid must be {AMOUNT_FORM}."
    return "Your max bid must be greater than zero."


def check_eligible(user: Any) -> None:
    """Rule 6 and "Eligibility", for changes outside the bid batch (buy now); a bid's batch reads the same
    columns under the lock."""
    refuse_unless_eligible(bidding_eligibility(user))


def bid_place(
    *,
    auction_id: int,
    bidder: Any,
    max_amount: Decimal | str,
    ip: str | None = None,
    user_agent: str = "",
    now: datetime | None = None,
    idempotency_key: str | None = None,
) -> BidResult | idempotency.Replay:
    """Place a max bid (proxy bidding, BIDDING.md). Raises a DomainError subclass with a clear
    message and nothing stored when refused. With an `idempotency_key` (core/idempotency.py's rules), a retry
    gets the first answer (a Replay) and places nothing. `now` replaces the database clock (tests only)."""
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
    if isinstance(result, BidResult):
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
) -> BidResult | idempotency.Replay:
    _refuse_inside_a_transaction()
    amount = parse_bid_amount(max_amount)
    request = BidRequest(bidder, amount, ip, user_agent, idempotency.parse_key(idempotency_key))
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


async def bid_place_async(
    auction_id: int,
    bidder: Any,
    amount: Any,
    ip: str | None,
    user_agent: str,
    account: AccountRule | None = None,
    key: str | None = None,
) -> Outcome:
    """`bid_place` for the event loop (a live room's bid, the HTTP bid lane), with the amount as sent: the
    same checks and rules; the outcome (a BidResult, or the exception — a DomainError when refused) is
    returned, not raised. With an `account` rule (the lane: what the request's access token asks of its user),
    the API's rules for the user are checked under the lock too: TokenUserRefused when they fail. With an Idempotency-Key `key`, a retry's
    outcome is the stored first answer (a Replay) or KeyReused: nothing is placed."""
    started_at = time.perf_counter()
    outcome: Outcome
    try:
        key = idempotency.parse_key(key)
        request = BidRequest(bidder, parse_bid_amount(amount), ip, user_agent, idempotency_key=key, account=account)
    except DomainError as exc:
        outcome = detached(exc)
    else:
        (outcome,) = await _combiner.submit_async(auction_id, [request])
    if isinstance(outcome, DomainError):
        metrics.bids_total.labels(outcome=outcome.code).inc()
    elif isinstance(outcome, BidResult):
        metrics.bids_total.labels(outcome="accepted").inc()
    metrics.bid_seconds.observe(time.perf_counter() - started_at)
    return outcome


def soft_close_deadline(auction: Auction) -> datetime:
    """When the soft-close window opens for this auction."""
    return auction.ends_at - timedelta(seconds=auction.soft_close_window_seconds)
