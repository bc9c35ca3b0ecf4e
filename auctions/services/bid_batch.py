"""The hot path's transaction: one or more bids on one auction, decided in order under one row lock.

A batch of k bids (see combiner.py for how concurrent bids become a batch) costs the same six statements
as one bid: the locking SELECT; one SELECT for the database clock plus each bidder's alias number and
suspension; INSERT the accepted bids; UPDATE the auction; INSERT the events; INSERT the Idempotency-Keys
(only when a request carried one). One commit, so one log flush, for the whole batch: on a hot lot that
flush, not Python, is what limits the bids per second (docs/BENCHMARKS.md).

Each bid is judged exactly as if it were alone, in arrival order, against the state the bids before it
left (the engine is the same pure function), and each gets its own result or error: a bid refused in a
batch (below the minimum, own vehicle, suspended, ended) stores nothing and does not disturb the others.
Idempotency-Keys follow core/idempotency.py's rules: a stored key's request places nothing and gets the
stored answer (or KeyReused), read in the bidders' statement; an accepted bid's key is stored with it; the
same key twice in one batch is answered from the first bid. A key another transaction stores meanwhile
fails the batch's INSERT, and the bids are retried one by one, which then find it.
Broadcasts and notifications run after commit, in seq order.
"""

import functools
import json
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
from auctions.models import Auction, AuctionEvent, Bid
from auctions.services import after_commit
from auctions.services.clock import db_now_sql, parse_db_time
from auctions.services.increments import increment_table
from auctions.services.results import BidRejected, BidResult, detached, rejection
from auctions.state import money_str, public_state
from core import idempotency, metrics, tracing
from core.auth import AccountRule, account_refusal
from core.errors import Conflict, DomainError, NotAllowed, NotFound
from core.models import IdempotencyKey
from core.sql import insert_rows, row_by_sql, row_instance, update_row

Outcome = BidResult | idempotency.Replay | Exception

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
    """A bid whose amount was parsed before the lock. `bidder` is the user (anything with its `pk`); `account`,
    when given (the HTTP bid lane), is what the request's access token asks of its user, as plain values: the
    API's rules for that user (core.auth.account_refusal) are then checked under the lock, on the row the batch
    reads anyway."""

    bidder: Any
    amount: Decimal
    ip: str | None = None
    user_agent: str = ""
    idempotency_key: str | None = None  # parsed by core.idempotency.parse_key
    account: AccountRule | None = None

    def fingerprint(self, auction_id: int) -> str:
        return idempotency.fingerprint("bid", auction_id, f"{self.amount:.2f}")


class TokenUserRefused(Exception):
    """The token's user may not use the API (no such user, inactive, password changed): an authentication
    failure, answered by the API's authentication (401) rather than by the bid rules. Nothing is stored."""

    def __init__(self, refusal: Exception) -> None:
        super().__init__(str(refusal))
        self.refusal = refusal


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
    _key_retry: bool = False,
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
        alone = intake.all()
        if len(alone) > 1:
            return [place_batch(auction_id, [request], now=now)[0] for request in alone]
        if isinstance(exc, IntegrityError) and alone[0].idempotency_key and not _key_retry:
            # its Idempotency-Key was stored meanwhile by another auction's batch: once more, to find it
            return place_batch(auction_id, alone, now=now, _key_retry=True)
        return [exc]


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
            echoes: list[tuple[int, BidResult]] = []  # the same key again in this batch: the first bid's answer
            for index, request in enumerate(requests):
                if request.account is not None:
                    is_active, password = accounts.get(request.bidder.pk, (None, None))
                    if refusal := account_refusal(is_active, password, request.account.password_stamp):
                        outcomes[index] = TokenUserRefused(refusal)
                        continue
                key = (request.bidder.pk, request.idempotency_key or "")
                try:
                    if request.idempotency_key and key in stored_keys:  # a retry (or a reused key): no bid
                        outcomes[index] = idempotency.stored_answer(stored_keys[key], request.fingerprint(auction_id))
                        continue
                    if request.idempotency_key and key in batch.keyed:
                        first = batch.keyed[key]
                        if first.fingerprint(auction_id) != request.fingerprint(auction_id):
                            raise idempotency.KeyReused(idempotency.REUSED_MESSAGE)
                        echoes.append((index, batch.results[batch.requests.index(first)]))
                        continue
                    outcomes[index] = batch.apply(request, eligibility[request.bidder.pk])
                except DomainError as exc:
                    outcomes[index] = detached(exc)
            if batch.results:
                batch.write()
                for index, result in echoes:  # answered once the first bid has its id
                    answer = result.answer()
                    outcomes[index] = idempotency.Replay(answer.status, answer.body)
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


def _read_clock_and_bidders(
    auction_id: int, bidder_ids: list[int], keys: list[tuple[int, str]]
) -> tuple[
    datetime, dict[int, int], dict[int, tuple[bool, str]], dict[int, Eligibility], dict[tuple[int, str], IdempotencyKey]
]:
    """After the lock is granted, in one statement: the database clock and, for each bidder, their alias
    number in this auction (if they bid before), what authentication reads of the account, and their
    eligibility to bid (accounts' SQL); and the stored rows of the requests' Idempotency-Keys."""
    asked = list(dict.fromkeys(key for _, key in keys))
    sql, eligibility_params = _clock_and_bidders_sql(connection.vendor, len(bidder_ids), len(asked))
    with connection.cursor() as cursor:
        cursor.execute(sql, [auction_id, *eligibility_params, *bidder_ids, *asked])
        rows = cursor.fetchall()
    numbers: dict[int, int] = {}
    accounts: dict[int, tuple[bool, str]] = {}
    eligibility: dict[int, Eligibility] = {}
    stored: dict[tuple[int, str], IdempotencyKey] = {}
    today = timezone.localdate()
    key_column = 5 + ELIGIBILITY_COLUMNS
    for row in rows:
        bidder_id, number = row[1], row[2]
        if bidder_id is None:
            continue
        if number:
            numbers[bidder_id] = int(number)
        accounts[bidder_id] = (bool(row[3]), row[4])
        eligibility[bidder_id] = eligibility_from_columns(row[5:key_column], today)
        if keys and row[key_column] is not None:
            key, fingerprint, status, body = row[key_column : key_column + 4]
            if isinstance(body, str | bytes):  # MariaDB returns JSON as text
                body = json.loads(body)
            stored[(bidder_id, key)] = IdempotencyKey(
                user_id=bidder_id, key=key, fingerprint=fingerprint, response_status=status, response_body=body
            )
    for bidder_id in bidder_ids:  # a bidder whose account is gone
        eligibility.setdefault(bidder_id, eligibility_from_columns(NO_ACCOUNT, today))
    return parse_db_time(rows[0][0]), numbers, accounts, eligibility, stored


@functools.lru_cache(maxsize=512)
def _clock_and_bidders_sql(vendor: str, count: int, keys: int) -> tuple[str, tuple[Any, ...]]:
    """One row per bidder (at least one row, for the clock, even if no bidder is found): the clock, the
    bidder's id, alias number here, `is_active` and `password`, eligibility columns; with `keys`, four more
    columns: a stored Idempotency-Key of the bidder's among the batch's, its fingerprint and stored answer (a
    bidder with several has a row for each). And eligibility's parameters. Parameters in all: the auction id, eligibility's, the bidder ids,
    then the `keys` distinct keys."""
    from accounts.models import User

    columns, joins, eligibility_params = eligibility_sql("u")
    user_table = connection.ops.quote_name(User._meta.db_table)
    user_pk = f"u.{connection.ops.quote_name(str(User._meta.pk.column))}"  # type: ignore[union-attr]
    account = ", ".join(
        f"u.{connection.ops.quote_name(str(User._meta.get_field(name).column))}"  # type: ignore[union-attr]
        for name in ("is_active", "password")
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
    """The columns and the LEFT JOIN (by the unique index on user and key) for the bidders' stored keys among
    `keys` parameters."""
    table = connection.ops.quote_name(IdempotencyKey._meta.db_table)
    user, key, fingerprint, status, body = (
        connection.ops.quote_name(str(IdempotencyKey._meta.get_field(name).column))  # type: ignore[union-attr]
        for name in ("user", "key", "fingerprint", "response_status", "response_body")
    )
    placeholders = ", ".join(["%s"] * keys)
    columns = f", k.{key}, k.{fingerprint}, k.{status}, k.{body}"
    return columns, f" LEFT JOIN {table} k ON k.{user} = {user_pk} AND k.{key} IN ({placeholders})"


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
        self.requests: list[BidRequest] = []  # the accepted ones, as `results`
        self.keyed: dict[tuple[int, str], BidRequest] = {}  # accepted requests by (bidder, Idempotency-Key)
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
        self.requests.append(request)
        if request.idempotency_key:
            self.keyed[(bidder_id, request.idempotency_key)] = request
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
        keys = []
        for result, request in zip(self.results, self.requests, strict=True):
            if request.idempotency_key:
                answer = result.answer()  # now that the bid has its id
                keys.append(
                    IdempotencyKey(
                        user_id=request.bidder.pk,
                        key=request.idempotency_key,
                        fingerprint=request.fingerprint(auction.pk),
                        response_status=answer.status,
                        response_body=answer.body,
                    )
                )
        insert_rows(keys)


__all__ = [
    "BidRejected",
    "BidRequest",
    "BidUnconfirmed",
    "Outcome",
    "TokenUserRefused",
    "place_batch",
    "refuse_unless_eligible",
]
