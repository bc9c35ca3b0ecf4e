"""Placing a bid: the hot path. One short transaction around the auction row's lock.

While the lock is held, at most six statements run: the locking SELECT, one SELECT for the
database clock (plus the bidder's alias number and suspension), INSERT bid, UPDATE auction,
INSERT event(s), and INSERT idempotency key (only when the API passed one). Eligibility and
the increment table are read before the lock; broadcasts and notifications run after commit.
"""

import functools
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection, transaction

from accounts.selectors import bidding_eligibility
from auctions import engine
from auctions.models import Auction, AuctionEvent, Bid, IdempotencyKey
from auctions.services import after_commit
from auctions.services.clock import db_now_sql, parse_db_time
from auctions.services.increments import increment_table
from auctions.state import money_str, public_state
from core import metrics
from core.errors import Conflict, DomainError, NotAllowed, NotFound
from core.money import MoneyError, parse_amount


class BidRejected(DomainError):
    """The engine or a rule refused the bid; `code` says which, `details` carries the minimum."""

    status_code = 400


@dataclass
class BidResult:
    bid: Bid
    auction: Auction
    leading: bool
    previous_leader_id: int | None
    previous_leader_max: Decimal | None
    extended: bool
    started: bool
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def outcome(self) -> str:
        return "leading" if self.leading else "outbid"

    def as_dict(self) -> dict[str, Any]:
        """The API's response body for this bid (also stored for Idempotency-Key replays)."""
        return {
            "bid": {
                "id": self.bid.pk,
                "auction_id": self.auction.pk,
                "seq": self.bid.seq,
                "max_amount": money_str(self.bid.max_amount),
                "resulting_price": money_str(self.bid.resulting_price),
                "placed_at": self.bid.placed_at.isoformat(),
                "bidder_alias": self.bid.alias,
            },
            "result": self.outcome,
            "leading": self.leading,
            "extended": self.extended,
            "auction": self.state,
        }

    @property
    def message(self) -> str:
        if self.leading:
            return f"Bid accepted. You are the high bidder at ${self.auction.display_price:,.2f}."
        return f"Bid accepted, but another bidder's max is higher: the price is now ${self.auction.display_price:,.2f}."


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
    eligibility = bidding_eligibility(user)
    if eligibility.ok:
        return
    missing = [{"code": r.code, "label": r.label, "url": r.url} for r in eligibility.missing]
    code = "suspended" if "suspended" in eligibility.codes else "not_eligible"
    raise NotAllowed(eligibility.message, code=code, details={"missing": missing})


def _lock_and_clock(auction_id: int, bidder_id: int) -> tuple[Auction, datetime, int | None, bool]:
    """Lock the auction row, then read (after the lock is granted) the database clock, the bidder's
    alias number in this auction if they bid before, and whether they are suspended: two statements."""
    auction = next(iter(Auction.objects.raw(_lock_sql(connection.vendor), [auction_id])), None)
    if auction is None:
        raise NotFound("Auction not found.", code="auction_not_found")
    bid_table = Bid._meta.db_table
    from accounts.models import User

    user_table = User._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {db_now_sql()}, "  # noqa: S608 - table names from models, values parameterised
            f"(SELECT bidder_number FROM {bid_table} WHERE auction_id = %s AND bidder_id = %s LIMIT 1), "
            f"(SELECT suspended_at FROM {user_table} WHERE id = %s)",
            [auction_id, bidder_id, bidder_id],
        )
        now_raw, prior_number, suspended_at = cursor.fetchone()
    return auction, parse_db_time(now_raw), prior_number, suspended_at is not None


@functools.cache
def _lock_sql(vendor: str) -> str:
    """`select_for_update().get(pk=…)` as plain SQL, composed once per process (the ORM spent longer building
    the query on every bid than the database spends running it). Same statement, same row lock."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in Auction._meta.concrete_fields)
    pk = quote(str(Auction._meta.pk.column))  # type: ignore[union-attr]
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""  # SQLite (`make run`) has none
    return f"SELECT {columns} FROM {quote(Auction._meta.db_table)} WHERE {pk} = %s{lock}"  # noqa: S608


def _refuse_unless_open(auction: Auction, now: datetime) -> None:
    if auction.status == Auction.Status.CANCELLED:
        raise Conflict("This auction was cancelled.", code="auction_cancelled")
    if auction.status == Auction.Status.ENDED or now >= auction.ends_at:
        raise Conflict("This auction has ended.", code="auction_ended")
    if now < auction.starts_at:
        raise Conflict("This auction has not started yet.", code="auction_not_started")


def _rejection(outcome: engine.BidOutcome) -> BidRejected:
    minimum = outcome.minimum
    if outcome.rejection is engine.Rejection.NOT_ABOVE_OWN_MAX:
        return BidRejected(
            f"You are already the high bidder with a max of ${minimum:,.2f}; a new max must be higher.",
            code="not_above_own_max",
            details={"your_max": money_str(minimum)},
        )
    return BidRejected(
        f"Your max must be at least the minimum next bid, ${minimum:,.2f}.",
        code="below_minimum",
        details={"minimum_bid": money_str(minimum)},
    )


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
    amount = parse_bid_amount(max_amount)
    check_eligible(bidder)
    increments = increment_table()

    with transaction.atomic(durable=True):
        auction, db_time, prior_number, suspended = _lock_and_clock(auction_id, bidder.pk)
        now = now or db_time
        if suspended:
            raise NotAllowed("Your account is suspended; contact support.", code="suspended")
        if auction.seller_id == bidder.pk:
            raise NotAllowed("You cannot bid on your own vehicle.", code="own_vehicle")
        _refuse_unless_open(auction, now)

        terms = auction.terms(increments)
        outcome = engine.resolve_bid(terms, auction.state(), bidder_id=bidder.pk, max_amount=amount)
        if not outcome.accepted:
            raise _rejection(outcome)
        state = outcome.state
        assert state.current_price is not None
        assert state.leader_max is not None

        # The public alias: kept when this bidder bid before, otherwise the next number.
        if bidder.pk == auction.leader_id and auction.leader_number:
            number = auction.leader_number
        elif prior_number:
            number = prior_number
        else:
            auction.bidder_count += 1
            number = auction.bidder_count
        leading = state.leader_id == bidder.pk

        bid = Bid(
            auction_id=auction.pk,
            seq=state.last_seq,
            bidder_id=bidder.pk,
            bidder_number=number,
            max_amount=amount,
            resulting_price=state.current_price,
            leading_after=leading,
            placed_at=now,
            ip_address=ip or None,
            user_agent=(user_agent or "")[:300],
        )
        bid.save(force_insert=True)

        from_status = auction.status
        started = from_status == Auction.Status.SCHEDULED
        new_end = engine.extended_end(terms, ends_at=auction.ends_at, accepted_at=now)
        extended = new_end > auction.ends_at
        previous_leader_id = auction.leader_id
        previous_leader_max = auction.leader_max
        if leading and previous_leader_id != bidder.pk:
            auction.leader_number = number
        auction.status = Auction.Status.LIVE
        auction.current_price = state.current_price
        auction.leader_id = state.leader_id
        auction.leader_max = state.leader_max
        auction.leader_seq = state.leader_seq
        auction.runner_up_max = state.runner_up_max
        auction.bid_count = state.bid_count
        auction.last_seq = state.last_seq
        auction.version += 1
        auction.reserve_met = engine.reserve_status(terms, state) is engine.ReserveStatus.MET
        old_end = auction.ends_at
        if extended:
            auction.ends_at = new_end
            auction.extended_count += 1
        Auction.objects.filter(pk=auction.pk).update(
            status=auction.status,
            current_price=auction.current_price,
            leader_id=auction.leader_id,
            leader_max=auction.leader_max,
            leader_seq=auction.leader_seq,
            leader_number=auction.leader_number,
            runner_up_max=auction.runner_up_max,
            bid_count=auction.bid_count,
            bidder_count=auction.bidder_count,
            last_seq=auction.last_seq,
            version=auction.version,
            reserve_met=auction.reserve_met,
            ends_at=auction.ends_at,
            extended_count=auction.extended_count,
            updated_at=now,
        )

        events = [
            AuctionEvent(
                auction_id=auction.pk,
                kind=AuctionEvent.Kind.BID_ACCEPTED,
                actor_id=bidder.pk,
                seq=bid.seq,
                created_at=now,
                data={"price": money_str(state.current_price), "leader_changed": outcome.leader_changed},
            )
        ]
        if started:
            events.insert(
                0,
                AuctionEvent(
                    auction_id=auction.pk,
                    kind=AuctionEvent.Kind.STARTED,
                    from_status=from_status,
                    to_status=Auction.Status.LIVE,
                    seq=bid.seq,
                    created_at=now,
                ),
            )
        if extended:
            events.append(
                AuctionEvent(
                    auction_id=auction.pk,
                    kind=AuctionEvent.Kind.EXTENDED,
                    actor_id=bidder.pk,
                    seq=bid.seq,
                    created_at=now,
                    data={"from": old_end.isoformat(), "to": new_end.isoformat(), "count": auction.extended_count},
                )
            )
        AuctionEvent.objects.bulk_create(events)

        result = BidResult(
            bid=bid,
            auction=auction,
            leading=leading,
            previous_leader_id=previous_leader_id,
            previous_leader_max=previous_leader_max,
            extended=extended,
            started=started,
            state=public_state(auction, increments),
        )
        if idempotency_key:
            IdempotencyKey.objects.create(
                user_id=bidder.pk,
                key=idempotency_key,
                fingerprint=IdempotencyKey.fingerprint_for(auction_id=auction.pk, amount=amount, kind="bid"),
                response_status=201,
                response_body={"message": result.message, "data": result.as_dict()},
            )
        transaction.on_commit(lambda: after_commit.bid_accepted(result))
    return result


def soft_close_deadline(auction: Auction) -> datetime:
    """When the soft-close window opens for this auction."""
    return auction.ends_at - timedelta(seconds=auction.soft_close_window_seconds)
