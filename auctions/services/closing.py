"""Closing auctions exactly once, and the seller's decision when the reserve was not met.

A close locks the due auction (SKIP LOCKED, so several workers share a burst without waiting on each
other), claims it with a conditional UPDATE, writes the event and updates the vehicle; the closer takes due
auctions a batch at a time and closes each batch in bulk in one transaction (`_close_batch`), falling back to
one savepoint per auction if the batch fails. A worker killed mid-close rolls back; the auctions are still due
and the next run closes them.
"""

import logging
import time
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import F

from auctions import engine
from auctions.models import Auction, AuctionEvent
from auctions.services import after_commit
from auctions.services.clock import db_now
from auctions.services.increments import increment_table
from auctions.services.lifecycle import event, event_row, is_staff, lock_auction
from auctions.services.voiding import SUSPENDED_REASON, ineligible_bids, void_bids_locked
from auctions.state import money_str
from core import metrics
from core.errors import Conflict, NotAllowed

logger = logging.getLogger(__name__)

DECISION_WINDOW = timedelta(hours=24)
OPEN_STATUSES = [Auction.Status.LIVE, Auction.Status.SCHEDULED]


def _close_changes(auction: Auction, now: datetime, increments: Any) -> tuple[engine.CloseOutcome, dict[str, Any]]:
    """How this due auction closes: its outcome and the columns the claim sets (the one rule, both paths)."""
    terms = auction.terms(increments)
    outcome = engine.close_outcome(terms, auction.state())
    changes: dict[str, Any] = {
        "status": Auction.Status.ENDED,
        "outcome": outcome.value,
        "closed_at": now,
        "reserve_met": engine.reserve_status(terms, auction.state()) is engine.ReserveStatus.MET,
        "updated_at": now,
    }
    if outcome is engine.CloseOutcome.SOLD:
        changes.update(winner_id=auction.leader_id, final_price=auction.current_price, sold_at=now)
    elif outcome is engine.CloseOutcome.RESERVE_NOT_MET:
        changes.update(decision_deadline=now + DECISION_WINDOW)
    return outcome, changes


def _closed(auction: Auction, outcome: engine.CloseOutcome, changes: dict[str, Any]) -> AuctionEvent:
    """After the claim: the auction object as stored, and its `closed` event (unsaved). Its metrics are counted
    when the close commits (`_count_closes`)."""
    from_status = auction.status
    for name, value in changes.items():
        setattr(auction, name, value)
    auction.version += 1
    return event_row(
        auction,
        AuctionEvent.Kind.CLOSED,
        from_status=from_status,
        outcome=outcome.value,
        price=money_str(auction.current_price),
        bid_count=auction.bid_count,
    )


def _count_closes(auctions: list[Auction]) -> None:
    """`auction_closed_total` and `auction_close_lag_seconds` (ends_at → closed_at, both by the database clock)
    for closes that committed: registered with `transaction.on_commit` inside the close's own (save)point, so a
    batch that rolls back and closes its auctions again one at a time counts each once."""
    for auction in auctions:
        metrics.auctions_closed_total.labels(outcome=auction.outcome).inc()
        if auction.closed_at and auction.ends_at:
            metrics.close_lag_seconds.observe(max(0.0, (auction.closed_at - auction.ends_at).total_seconds()))


def _vehicle_message(auction: Auction, outcome: engine.CloseOutcome) -> str:
    if outcome is engine.CloseOutcome.SOLD:
        return f"Sold at auction {auction.pk}"
    return f"Auction {auction.pk} ended without bids"


def _void_ineligible_bids(auctions: list[Auction]) -> None:
    """A suspended or deactivated bidder never wins: their bids on these due auctions go before the outcome is
    decided (one read for all of them). Precondition: the caller holds the auctions' locks."""
    bids: dict[int, list[Any]] = {}
    for bid in ineligible_bids(*(a.pk for a in auctions)).select_for_update().order_by("auction_id", "seq"):
        bids.setdefault(bid.auction_id, []).append(bid)
    for auction in auctions:
        if auction.pk in bids:
            void_bids_locked(auction, bids[auction.pk], actor=None, reason=SUSPENDED_REASON)


def _close_locked(auction: Auction, now: datetime) -> bool:
    """Precondition: the caller holds this auction's lock inside a transaction."""
    from vehicles.services import vehicle_mark_sold, vehicle_mark_unlisted

    if auction.status not in OPEN_STATUSES or auction.ends_at > now:
        return False
    _void_ineligible_bids([auction])
    outcome, changes = _close_changes(auction, now, increment_table())
    # The claim: only one closer can move this row out of an open status.
    claimed = Auction.objects.filter(pk=auction.pk, status__in=OPEN_STATUSES, ends_at__lte=now).update(
        version=F("version") + 1, **changes
    )
    if claimed != 1:
        return False
    _closed(auction, outcome, changes).save()
    if outcome is engine.CloseOutcome.SOLD:
        vehicle_mark_sold(vehicle_id=auction.vehicle_id, message=_vehicle_message(auction, outcome))
    elif outcome is engine.CloseOutcome.UNSOLD:
        vehicle_mark_unlisted(vehicle_id=auction.vehicle_id, message=_vehicle_message(auction, outcome))
    transaction.on_commit(partial(_count_closes, [auction]))
    transaction.on_commit(lambda: after_commit.auction_closed(auction))
    return True


class _ClaimLost(Exception):
    """A batch's claim did not move every auction it locked: the batch rolls back and closes one at a time."""


def _close_batch(auctions: list[Auction], now: datetime) -> int:
    """Close these due auctions together. Precondition: the caller locked them inside its transaction.

    performance: a fixed number of statements per batch, whatever its size: the claims (one conditional
    UPDATE per kind of close: sold, reserve not met with or without the reserve met, unsold; the winner and
    final price are copied from each row's leader and current price by the statement), one insert of the
    `closed` events, the vehicles' one locking read, UPDATE per new status and insert of their events; after
    the commit, one hand-off of every broadcast and one task each for the batch's orders and notices
    (`after_commit.auctions_closed`). Raises `_ClaimLost` if a claim moved fewer rows than it locked."""
    from vehicles.services import vehicles_mark_ended

    increments = increment_table()
    _void_ineligible_bids([a for a in auctions if a.status in OPEN_STATUSES and a.ends_at <= now])
    kinds: dict[tuple[str, bool], list[tuple[Auction, engine.CloseOutcome, dict[str, Any]]]] = {}
    for auction in auctions:
        if auction.status in OPEN_STATUSES and auction.ends_at <= now:
            outcome, changes = _close_changes(auction, now, increments)
            kinds.setdefault((outcome.value, changes["reserve_met"]), []).append((auction, outcome, changes))
    events: list[AuctionEvent] = []
    sold: dict[int, str] = {}
    unlisted: dict[int, str] = {}
    for members in kinds.values():
        _, outcome, changes = members[0]
        shared = {name: value for name, value in changes.items() if name not in ("winner_id", "final_price")}
        if outcome is engine.CloseOutcome.SOLD:
            shared.update(winner_id=F("leader_id"), final_price=F("current_price"))
        ids = [auction.pk for auction, _, _ in members]
        claimed = Auction.objects.filter(pk__in=ids, status__in=OPEN_STATUSES, ends_at__lte=now).update(
            version=F("version") + 1, **shared
        )
        if claimed != len(ids):
            raise _ClaimLost(f"claimed {claimed} of {len(ids)}")
        for auction, outcome, changes in members:
            events.append(_closed(auction, outcome, changes))
            if outcome is engine.CloseOutcome.SOLD:
                sold[auction.vehicle_id] = _vehicle_message(auction, outcome)
            elif outcome is engine.CloseOutcome.UNSOLD:
                unlisted[auction.vehicle_id] = _vehicle_message(auction, outcome)
    AuctionEvent.objects.bulk_create(events)
    vehicles_mark_ended(sold=sold, unlisted=unlisted)
    closed = [auction for members in kinds.values() for auction, _, _ in members]
    transaction.on_commit(partial(_count_closes, closed))
    transaction.on_commit(lambda: after_commit.auctions_closed(closed))
    return len(closed)


def auction_close(*, auction_id: int, now: datetime | None = None) -> bool:
    """Close this auction if it is due (by the database clock, or `now` in tests). True if this call closed it."""
    with transaction.atomic(durable=True):
        auction = lock_auction(auction_id)
        return _close_locked(auction, now or db_now())


def auction_close_due(*, limit: int = 5000, time_budget: float = 50.0, batch: int | None = None) -> int:
    """Close every due auction; safe with any number of concurrent callers.

    performance: due auctions are taken `batch` at a time (settings.AUCTION_CLOSE_BATCH) with one
    `SELECT … FOR UPDATE SKIP LOCKED` and closed in bulk in one transaction (`_close_batch`: a fixed number of
    statements per batch, one commit, one after-commit hand-off; 1.9 statements and ~2 ms of CPU per close
    against 8.6 and ~12 ms one at a time, tests/load/bench_close.py). If the batch fails it rolls back and its
    auctions close one at a time, each in its own savepoint: an auction that fails rolls back alone and is left
    for later; the rest commit. Concurrent callers take disjoint batches (SKIP LOCKED). A worker killed
    mid-batch rolls the batch back; those auctions are still due and the next run closes them.
    """
    from django.conf import settings

    size = max(1, batch or getattr(settings, "AUCTION_CLOSE_BATCH", 100))
    closed = 0
    failed: set[int] = set()
    deadline = time.monotonic() + time_budget
    while closed < limit and time.monotonic() < deadline:
        with transaction.atomic(durable=True):
            now = db_now()
            auctions = list(
                Auction.objects.due_to_close(now)
                .exclude(pk__in=failed)
                .select_for_update(skip_locked=True)
                .order_by("ends_at", "pk")[: min(size, limit - closed)]
            )
            if not auctions:
                break
            try:
                with transaction.atomic():
                    closed += _close_batch(auctions, now)
                continue
            except Exception:  # noqa: BLE001 - the batch rolled back: its auctions close one at a time below
                logger.warning("closing a batch failed; closing its auctions one at a time", exc_info=True)
            # as stored (the batch changed the objects before it rolled back); still locked by this transaction
            auctions = list(Auction.objects.filter(pk__in=[a.pk for a in auctions]).order_by("ends_at", "pk"))
            for auction in auctions:
                try:
                    with transaction.atomic():
                        closed += _close_locked(auction, now)
                except Exception:  # noqa: BLE001 - one bad auction must not stop the others closing
                    logger.exception("closing auction failed", extra={"auction_id": auction.pk})
                    failed.add(auction.pk)
    # SKIP LOCKED passes over an auction whose row a bid holds at that instant; on a hot lot that can be
    # every instant. Whatever is still due now is closed waiting for the lock (a refused late bid holds it
    # for a millisecond). A concurrent closer that got there first makes this a no-op.
    now = db_now()
    for auction_id in Auction.objects.due_to_close(now).exclude(pk__in=failed).values_list("pk", flat=True)[:limit]:
        if time.monotonic() >= deadline:
            break
        try:
            closed += auction_close(auction_id=auction_id)
        except Exception:  # noqa: BLE001
            logger.exception("closing auction failed", extra={"auction_id": auction_id})
    return closed


def auction_seller_decide(*, auction_id: int, actor: Any, accept: bool) -> Auction:
    """Reserve not met: the seller accepts the high bid (sold) or declines (unsold) within 24 hours."""
    from vehicles.services import vehicle_mark_sold, vehicle_mark_unlisted

    with transaction.atomic(durable=True):
        auction = lock_auction(auction_id)
        if actor is None or not (is_staff(actor) or actor.pk == auction.seller_id):
            raise NotAllowed("Only the seller can decide on the high bid.", code="not_seller")
        if not auction.awaiting_decision:
            raise Conflict("This auction is not waiting for your decision.", code="no_decision_pending")
        now = db_now()
        if auction.decision_deadline and now >= auction.decision_deadline:
            raise Conflict("The 24 hours to decide have passed.", code="decision_expired")
        auction.seller_decision = Auction.Decision.ACCEPTED if accept else Auction.Decision.DECLINED
        if accept:
            auction.outcome = Auction.Outcome.SOLD
            auction.winner_id = auction.leader_id
            auction.final_price = auction.current_price
            auction.sold_at = now
        else:
            auction.outcome = Auction.Outcome.UNSOLD
        auction.version += 1
        auction.save(
            update_fields=["seller_decision", "outcome", "winner", "final_price", "sold_at", "version", "updated_at"]
        )
        event(auction, AuctionEvent.Kind.SELLER_DECISION, actor=actor, from_status=Auction.Status.ENDED, accept=accept)
        if accept:
            vehicle_mark_sold(vehicle_id=auction.vehicle_id, actor=actor, message="Seller accepted the high bid")
        else:
            vehicle_mark_unlisted(vehicle_id=auction.vehicle_id, actor=actor, message="Seller declined the high bid")
        transaction.on_commit(lambda: after_commit.decision_made(auction))
    return auction


def auction_decision_expire(*, auction_id: int) -> bool:
    """No decision within 24 hours: the auction ends unsold. Claimed with a conditional UPDATE."""
    from vehicles.services import vehicle_mark_unlisted

    with transaction.atomic(durable=True):
        now = db_now()
        claimed = Auction.objects.filter(
            pk=auction_id,
            status=Auction.Status.ENDED,
            outcome=Auction.Outcome.RESERVE_NOT_MET,
            decision_deadline__lte=now,
        ).update(
            outcome=Auction.Outcome.UNSOLD,
            seller_decision=Auction.Decision.EXPIRED,
            version=F("version") + 1,
            updated_at=now,
        )
        if not claimed:
            return False
        auction = Auction.objects.get(pk=auction_id)
        event(auction, AuctionEvent.Kind.SELLER_DECISION, from_status=Auction.Status.ENDED, expired=True)
        vehicle_mark_unlisted(vehicle_id=auction.vehicle_id, message="No decision on the high bid within 24 hours")
        transaction.on_commit(lambda: after_commit.decision_made(auction))
    return True


def auction_expire_decisions(*, limit: int = 500) -> int:
    now = db_now()
    ids = list(
        Auction.objects.awaiting_seller_decision()
        .filter(decision_deadline__lte=now)
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for auction_id in ids if auction_decision_expire(auction_id=auction_id))


def auction_decision_by_offer(*, auction_id: int, actor: Any, decision: str) -> Auction:
    """Reserve not met, settled through the offers channel: the seller countered the high bid
    (`Decision.COUNTERED`) or accepted the high bidder's best offer (`Decision.BEST_OFFER`).

    Runs inside the caller's transaction (the offers app's), which locked this auction before the vehicle.
    The auction ends unsold here and is never a won auction: a sale that follows is the offer's. A counter
    puts the vehicle back on the market (offers may follow); after a best offer the caller marks it sold.
    Refuses like `auction_seller_decide` when no decision is pending or the 24 hours have passed.
    """
    from vehicles.services import vehicle_mark_unlisted

    if decision not in (Auction.Decision.COUNTERED, Auction.Decision.BEST_OFFER):
        raise ValueError(f"not an offer decision: {decision!r}")
    auction = lock_auction(auction_id)
    if actor is None or not (is_staff(actor) or actor.pk == auction.seller_id):
        raise NotAllowed("Only the seller can decide on the high bid.", code="not_seller")
    if not auction.awaiting_decision:
        raise Conflict("This auction is not waiting for your decision.", code="no_decision_pending")
    if auction.decision_deadline and db_now() >= auction.decision_deadline:
        raise Conflict("The 24 hours to decide have passed.", code="decision_expired")
    auction.seller_decision = decision
    auction.outcome = Auction.Outcome.UNSOLD
    auction.version += 1
    auction.save(update_fields=["seller_decision", "outcome", "version", "updated_at"])
    event(auction, AuctionEvent.Kind.SELLER_DECISION, actor=actor, from_status=Auction.Status.ENDED, decision=decision)
    if decision == Auction.Decision.COUNTERED:
        vehicle_mark_unlisted(vehicle_id=auction.vehicle_id, actor=actor, message="Seller countered the high bid")
    transaction.on_commit(lambda: after_commit.decision_made(auction))
    return auction
