"""The hot path's transaction: one or more bids on one auction, decided in order under one row lock.

A batch of k bids (see combiner.py for how concurrent bids become a batch) costs the same six statements
as one bid: the locking SELECT; one SELECT for the database clock plus each bidder's alias number and
suspension; INSERT the accepted bids; UPDATE the auction; INSERT the events; INSERT the Idempotency-Keys
(only when a request carried one). One commit, so one log flush, for the whole batch: on a hot lot that
flush, not Python, is what limits the bids per second (docs/BENCHMARKS.md).

Each bid is judged exactly as if it were alone, in arrival order, against the state the bids before it
left (the engine is the same pure function), and each gets its own result or error: a bid refused in a
batch (below the minimum, own vehicle, suspended, ended) stores nothing and does not disturb the others.
Broadcasts and notifications run after commit, in seq order.
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.selectors import (
    ELIGIBILITY_COLUMNS,
    NO_ACCOUNT,
    Eligibility,
    eligibility_from_columns,
    eligibility_sql,
)
from auctions import engine
from auctions.models import Auction, AuctionEvent, Bid, IdempotencyKey
from auctions.services import after_commit
from auctions.services.clock import db_now_sql, parse_db_time
from auctions.services.increments import increment_table
from auctions.services.results import BidRejected, BidResult, detached, rejection
from auctions.state import money_str, public_state
from core import metrics, tracing
from core.auth import AuthColumns, passes_user_checks
from core.errors import Conflict, DomainError, NotAllowed, NotFound
from core.sql import insert_rows, row_by_sql, row_instance, update_row

Outcome = BidResult | Exception

# What a batch changes on the auction row (written once per batch, in _Batch.write).
AUCTION_STATE_FIELDS = (
    "status",
    "current_price",
    "leader_id",
    "leader_max",
    "leader_seq",
    "leader_number",
    "runner_up_max",
    "bid_count",
    "bidder_count",
    "last_seq",
    "version",
    "reserve_met",
    "ends_at",
    "extended_count",
    "updated_at",
)


@dataclass(eq=False)
class BidRequest:
    """A bid whose amount was parsed before the lock. `bidder` is the user (anything with its `pk`); `token`,
    when given (the HTTP bid lane), is the request's validated access token: the API's authentication rules
    for its user (core.auth.check_user) are then checked under the lock, from the row the batch reads."""

    bidder: Any
    amount: Decimal
    ip: str | None = None
    user_agent: str = ""
    idempotency_key: str | None = None
    token: Any = None


class TokenUserRefused(Exception):
    """The token's user may not use the API (no such user, inactive, password changed): an authentication
    failure, answered by the API's authentication (401) rather than by the bid rules. Nothing is stored."""


class IdempotencyKeyInFlight(IntegrityError):
    """The same Idempotency-Key twice in one batch: the second is answered from the first (the API replays
    the stored response once the batch has committed, as it does for a key committed earlier)."""


class IdempotencyKeyStored(IntegrityError):
    """The bidder's Idempotency-Key is stored already (a retry, or a key reused for another request): no bid
    is placed; the API answers from what is stored (the first response, or 409 for another request)."""


class BidUnconfirmed(DomainError):
    """The batch's COMMIT failed (a lost connection, say): its bids may or may not be stored. Not retried, as
    a retry could store them twice; each bidder is told to look at the auction before bidding again."""

    status_code = 503
    code = "bid_unconfirmed"


def place_batch(
    auction_id: int,
    requests: list[BidRequest],
    *,
    now: datetime | None = None,
    more: Callable[[], list[BidRequest]] | None = None,
) -> list[Outcome]:
    """Decide `requests` in order; one result or exception per request. `more`, when given, is called once,
    as soon as the auction row is locked, for further requests decided in the same transaction after
    `requests` (the combiner's batch); the outcomes cover both. If the transaction fails before its commit (a
    database error, not a refused bid), each request is retried alone, so one cannot fail the others; if the
    commit itself fails, every request gets BidUnconfirmed."""
    intake = _Intake(requests, more)
    try:
        return run_batch(auction_id, intake, now=now)
    except DomainError as exc:  # the auction is missing, or the commit failed: the same answer for everyone
        return [detached(exc)] * len(intake.all())
    except Exception as exc:
        if len(intake.all()) == 1:
            return [exc]
        return [place_batch(auction_id, [request], now=now)[0] for request in intake.all()]


class _Intake:
    """The requests of one transaction: those given, then (once) those `more` adds."""

    def __init__(self, requests: list[BidRequest], more: Callable[[], list[BidRequest]] | None) -> None:
        self.requests, self._more = list(requests), more

    def all(self) -> list[BidRequest]:
        if self._more is not None:
            more, self._more = self._more, None
            self.requests += more()
        return self.requests


@tracing.traced("auction.bid_batch")
def run_batch(auction_id: int, intake: _Intake, *, now: datetime | None = None) -> list[Outcome]:
    increments = increment_table()
    decided = False
    try:
        with transaction.atomic(durable=True):
            auction = _lock(auction_id)
            requests = intake.all()
            if not requests:  # nothing was waiting after all
                return []
            metrics.bid_batch_size.observe(len(requests))
            outcomes: list[Outcome | None] = [None] * len(requests)
            bidder_ids = list(dict.fromkeys(request.bidder.pk for request in requests))
            keyed = list(dict.fromkeys((r.bidder.pk, r.idempotency_key) for r in requests if r.idempotency_key))
            db_time, numbers, accounts, eligibility, stored_keys = _read_clock_and_bidders(
                auction_id, bidder_ids, keyed
            )
            now = now or db_time
            batch = _Batch(auction, now, increments, numbers)
            keys_seen: set[tuple[int, str]] = set()
            for index, request in enumerate(requests):
                key = (request.bidder.pk, request.idempotency_key or "")
                if request.idempotency_key and key in keys_seen:
                    outcomes[index] = IdempotencyKeyInFlight("Idempotency-Key already in this batch")
                    continue
                if request.token is not None and not passes_user_checks(accounts.get(request.bidder.pk), request.token):
                    outcomes[index] = TokenUserRefused()
                    continue
                if request.idempotency_key and stored_keys.taken(request):
                    outcomes[index] = IdempotencyKeyStored("Idempotency-Key already stored")
                    continue
                try:
                    outcomes[index] = batch.apply(request, eligibility[request.bidder.pk])
                except DomainError as exc:
                    outcomes[index] = detached(exc)
                    continue
                if request.idempotency_key:
                    keys_seen.add(key)
            if batch.results:
                batch.write()
                results = list(batch.results)
                # robust: were it to raise, the batch (committed) would look failed and be retried bid by bid
                transaction.on_commit(lambda: after_commit.bids_accepted(results), robust=True)
            decided = True  # what fails from here on is the COMMIT
    except DomainError:
        raise
    except Exception as exc:
        if decided:  # the COMMIT failed: the bids may be stored
            raise BidUnconfirmed("Your bid could not be confirmed. Look at the auction before you bid again.") from exc
        raise
    return [outcome for outcome in outcomes if outcome is not None]


def refuse_unless_eligible(eligibility: Eligibility) -> None:
    """Rule 6 and "Eligibility": a clear 403 listing what the bidder still has to do."""
    if eligibility.ok:
        return
    missing = [{"code": r.code, "label": r.label, "url": r.url} for r in eligibility.missing]
    code = "suspended" if "suspended" in eligibility.codes else "not_eligible"
    raise NotAllowed(eligibility.message, code=code, details={"missing": missing})


def _lock(auction_id: int) -> Auction:
    auction = row_instance(Auction, row_by_sql(Auction, for_update=True, vendor=connection.vendor), [auction_id])
    if auction is None:
        raise NotFound("Auction not found.", code="auction_not_found")
    return auction


@dataclass(frozen=True)
class StoredKeys:
    """The batch's (bidder, Idempotency-Key) pairs stored as sent; and the bidders the database matched a stored
    key of only by its collation (another case, say), which cannot be told apart here."""

    exact: set[tuple[int, str]]
    unsure: set[int]

    def taken(self, request: BidRequest) -> bool:
        """Place nothing for this request: its key is stored, or may be and no exact look-up was made before
        (the HTTP bid lane's requests; the DRF view looked its key up, and a conflict at the INSERT sends it
        back there)."""
        pair = (request.bidder.pk, request.idempotency_key)
        return pair in self.exact or (request.token is not None and request.bidder.pk in self.unsure)


def _read_clock_and_bidders(
    auction_id: int, bidder_ids: list[int], keys: list[tuple[int, str]]
) -> tuple[datetime, dict[int, int], dict[int, AuthColumns], dict[int, Eligibility], StoredKeys]:
    """After the lock is granted, in one statement: the database clock and, for each bidder, their alias
    number in this auction (if they bid before), what authentication reads of the account, and their
    eligibility to bid (accounts' SQL); and what is stored of the requests' Idempotency-Keys."""
    asked = list(dict.fromkeys(key for _, key in keys))
    sql, eligibility_params = _clock_and_bidders_sql(connection.vendor, len(bidder_ids), len(asked))
    with connection.cursor() as cursor:
        cursor.execute(sql, [auction_id, *eligibility_params, *bidder_ids, *asked])
        rows = cursor.fetchall()
    numbers: dict[int, int] = {}
    accounts: dict[int, AuthColumns] = {}
    eligibility: dict[int, Eligibility] = {}
    stored_by_bidder: dict[int, set[str]] = {}
    today = timezone.localdate()
    key_column = 5 + ELIGIBILITY_COLUMNS
    for row in rows:
        bidder_id, number = row[1], row[2]
        if bidder_id is None:
            continue
        if number:
            numbers[bidder_id] = int(number)
        accounts[bidder_id] = AuthColumns(bool(row[3]), row[4])
        eligibility[bidder_id] = eligibility_from_columns(row[5:key_column], today)
        if keys and row[key_column] is not None:
            stored_by_bidder.setdefault(bidder_id, set()).add(row[key_column])
    for bidder_id in bidder_ids:  # a bidder whose account is gone
        eligibility.setdefault(bidder_id, eligibility_from_columns(NO_ACCOUNT, today))
    as_sent = set(asked)
    unsure = {bidder for bidder, found in stored_by_bidder.items() if not found <= as_sent}
    stored = {(bidder, key) for bidder, key in keys if key in stored_by_bidder.get(bidder, ())}
    return parse_db_time(rows[0][0]), numbers, accounts, eligibility, StoredKeys(stored, unsure)


@functools.lru_cache(maxsize=512)
def _clock_and_bidders_sql(vendor: str, count: int, keys: int) -> tuple[str, tuple[Any, ...]]:
    """One row per bidder (at least one row, for the clock, even if no bidder is found): the clock, the
    bidder's id, alias number here, `is_active` and `password`, eligibility columns; with `keys`, one more
    column: a stored Idempotency-Key of the bidder's among the batch's (a bidder with several has a row for
    each). And eligibility's parameters. Parameters in all: the auction id, eligibility's, the bidder ids,
    then the `keys` distinct keys."""
    from accounts.models import User

    columns, joins, eligibility_params = eligibility_sql("u")
    user_table = connection.ops.quote_name(User._meta.db_table)
    user_pk = f"u.{connection.ops.quote_name(str(User._meta.pk.column))}"  # type: ignore[union-attr]
    account = ", ".join(
        f"u.{connection.ops.quote_name(str(User._meta.get_field(name).column))}"  # type: ignore[union-attr]
        for name in AuthColumns._fields
    )
    bids = connection.ops.quote_name(Bid._meta.db_table)
    placeholders = ", ".join(["%s"] * count)
    key_column, key_join = _stored_keys_sql(user_pk, keys) if keys else ("", "")
    sql = (
        f"SELECT {db_now_sql()}, {user_pk}, "  # noqa: S608 - names from models, values parameterised
        f"(SELECT b.bidder_number FROM {bids} b WHERE b.auction_id = %s AND b.bidder_id = {user_pk} LIMIT 1), "
        f"{account}, {columns}{key_column} FROM (SELECT 1 AS one) clock "
        f"LEFT JOIN {user_table} u ON {user_pk} IN ({placeholders}) {joins}{key_join}"
    )
    return sql, tuple(eligibility_params)


def _stored_keys_sql(user_pk: str, keys: int) -> tuple[str, str]:
    """The column and the LEFT JOIN (by the unique index on user and key) for the bidders' stored keys among
    `keys` parameters."""
    table = connection.ops.quote_name(IdempotencyKey._meta.db_table)
    user, key = (
        connection.ops.quote_name(str(IdempotencyKey._meta.get_field(name).column))  # type: ignore[union-attr]
        for name in ("user", "key")
    )
    placeholders = ", ".join(["%s"] * keys)
    return f", k.{key}", f" LEFT JOIN {table} k ON k.{user} = {user_pk} AND k.{key} IN ({placeholders})"


def _refuse_unless_open(auction: Auction, now: datetime) -> None:
    if auction.status == Auction.Status.CANCELLED:
        raise Conflict("This auction was cancelled.", code="auction_cancelled")
    if auction.status == Auction.Status.ENDED or now >= auction.ends_at:
        raise Conflict("This auction has ended.", code="auction_ended")
    if now < auction.starts_at:
        raise Conflict("This auction has not started yet.", code="auction_not_started")


def _frozen(auction: Auction) -> Auction:
    """A copy of the auction as it is now (each result keeps the state its own bid left)."""
    copy = Auction.__new__(Auction)
    copy.__dict__.update(auction.__dict__)
    return copy


class _Batch:
    """The auction row in memory while the lock is held: bids are applied one by one, written once."""

    def __init__(self, auction: Auction, now: datetime, increments: engine.IncrementTable, numbers: dict) -> None:
        self.auction, self.now, self.increments, self.numbers = auction, now, increments, numbers
        self.terms = auction.terms(increments)
        self.results: list[BidResult] = []
        self.bids: list[Bid] = []
        self.events: list[AuctionEvent] = []
        self.keys: list[tuple[BidResult, str]] = []
        self.ends_at_before = auction.ends_at

    def apply(self, request: BidRequest, eligibility: Eligibility) -> BidResult:
        """Rule 6 first (own vehicle, then the bidder's eligibility, then the auction open), then the engine."""
        auction, now, bidder_id = self.auction, self.now, request.bidder.pk
        if auction.seller_id == bidder_id:
            raise NotAllowed("You cannot bid on your own vehicle.", code="own_vehicle")
        refuse_unless_eligible(eligibility)
        _refuse_unless_open(auction, now)
        outcome = engine.resolve_bid(self.terms, auction.state(), bidder_id=bidder_id, max_amount=request.amount)
        if not outcome.accepted:
            raise rejection(outcome)
        state = outcome.state
        assert state.current_price is not None
        assert state.leader_max is not None

        # The public alias: kept when this bidder bid before, otherwise the next number.
        if bidder_id == auction.leader_id and auction.leader_number:
            number = auction.leader_number
        elif bidder_id in self.numbers:
            number = self.numbers[bidder_id]
        else:
            auction.bidder_count += 1
            number = self.numbers[bidder_id] = auction.bidder_count
        leading = state.leader_id == bidder_id
        bid = Bid(
            auction_id=auction.pk,
            seq=state.last_seq,
            bidder_id=bidder_id,
            bidder_number=number,
            max_amount=request.amount,
            resulting_price=state.current_price,
            leading_after=leading,
            placed_at=now,
            ip_address=request.ip or None,
            user_agent=(request.user_agent or "")[:300],
        )
        from_status = auction.status
        started = from_status == Auction.Status.SCHEDULED
        new_end = engine.extended_end(self.terms, ends_at=auction.ends_at, accepted_at=now)
        extended = new_end > auction.ends_at
        previous_leader_id, previous_leader_max = auction.leader_id, auction.leader_max
        if leading and previous_leader_id != bidder_id:
            auction.leader_number = number
        auction.status = Auction.Status.LIVE
        auction.set_state(state, self.terms)
        auction.last_seq = state.last_seq
        auction.version += 1
        old_end = auction.ends_at
        if extended:
            auction.ends_at = new_end
            auction.extended_count += 1

        def event(kind: str, **fields: Any) -> None:
            self.events.append(AuctionEvent(auction_id=auction.pk, kind=kind, seq=bid.seq, created_at=now, **fields))

        if started:
            event(AuctionEvent.Kind.STARTED, from_status=from_status, to_status=Auction.Status.LIVE)
        event(
            AuctionEvent.Kind.BID_ACCEPTED,
            actor_id=bidder_id,
            data={"price": money_str(state.current_price), "leader_changed": outcome.leader_changed},
        )
        if extended:
            event(
                AuctionEvent.Kind.EXTENDED,
                actor_id=bidder_id,
                data={"from": old_end.isoformat(), "to": new_end.isoformat(), "count": auction.extended_count},
            )
        result = BidResult(
            bid=bid,
            auction=_frozen(auction),
            leading=leading,
            previous_leader_id=previous_leader_id,
            previous_leader_max=previous_leader_max,
            extended=extended,
            started=started,
            state=public_state(auction, self.increments),
        )
        self.bids.append(bid)
        self.results.append(result)
        if request.idempotency_key:
            self.keys.append((result, request.idempotency_key))
        return result

    def write(self) -> None:
        """The batch's writes: bids, the auction row, events, Idempotency-Keys (four statements at most)."""
        auction = self.auction
        insert_rows(self.bids)
        if self.bids[0].pk is None:  # MySQL before RETURNING: read the ids back, still under the lock
            ids = dict(Bid.objects.filter(auction_id=auction.pk, seq__gte=self.bids[0].seq).values_list("seq", "pk"))
            for bid in self.bids:
                bid.pk = ids[bid.seq]
        auction.updated_at = self.now
        update_row(auction, AUCTION_STATE_FIELDS)
        insert_rows(self.events)
        if self.keys:
            insert_rows(
                [
                    IdempotencyKey(
                        user_id=result.bid.bidder_id,
                        key=key,
                        fingerprint=IdempotencyKey.fingerprint_for(
                            auction_id=auction.pk, amount=result.bid.max_amount, kind="bid"
                        ),
                        response_status=201,
                        response_body={"message": result.message, "data": result.as_dict()},
                    )
                    for result, key in self.keys
                ]
            )


__all__ = [
    "BidRejected",
    "BidRequest",
    "BidUnconfirmed",
    "IdempotencyKeyInFlight",
    "IdempotencyKeyStored",
    "Outcome",
    "TokenUserRefused",
    "place_batch",
    "refuse_unless_eligible",
]
