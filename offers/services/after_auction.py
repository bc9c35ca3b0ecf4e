"""Offers after an auction without a sale (OFFERS.md "After an auction without a sale").

- The seller's counter to the high bid during the 24-hour reserve decision (`offer_counter_high_bid`).
- The high bidder's one best offer in the same 24 hours (`offer_best_offer`).
- The second-chance offer to the runner-up after the winner did not pay (`offer_second_chance`).

Each opens a thread with no further counters: the other side accepts or declines (threads.py).
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from auctions.models import Auction
from auctions.selectors import runner_up
from auctions.services import check_eligible, parse_bid_amount
from auctions.services.closing import auction_decision_by_offer
from core import idempotency
from core.errors import Conflict, NotAllowed, NotFound
from core.idempotency import Replay
from offers import rules
from offers.models import OfferThread, Side
from offers.services.effects import Effects
from offers.services.ending import end_stale
from offers.services.locking import Locked, lock_for_offers, lock_open_threads
from offers.services.once import run_once
from offers.services.threads import OfferResult, open_thread

K = OfferThread.Kind


@dataclass(frozen=True)
class PendingDecision:
    """A reserve-not-met auction inside the seller's 24 hours, with what the counter and best offer need."""

    auction: Auction
    high_bidder_id: int
    high_bid: Decimal
    reserve: Decimal
    deadline: datetime


def _pending_decision(locked: Locked, auction_id: int) -> PendingDecision:
    auction = locked.auction
    if auction is None or auction.pk != auction_id or not auction.awaiting_decision:
        raise Conflict("This auction is not waiting for the seller's decision.", code="no_decision_pending")
    if auction.decision_deadline is not None and locked.now >= auction.decision_deadline:
        raise Conflict("The 24 hours to decide have passed.", code="decision_expired")
    if (
        auction.leader_id is None
        or auction.current_price is None
        or auction.reserve_price is None
        or auction.decision_deadline is None
    ):
        raise Conflict("This auction has no high bid to answer.", code="no_decision_pending")
    return PendingDecision(
        auction, auction.leader_id, auction.current_price, auction.reserve_price, auction.decision_deadline
    )


def _vehicle_of(auction_id: int) -> int:
    vehicle_id = Auction.objects.filter(pk=auction_id).values_list("vehicle_id", flat=True).first()
    if vehicle_id is None:
        raise NotFound("Auction not found.", code="auction_not_found")
    return int(vehicle_id)


def _clear_stale(locked: Locked, fx: Effects, buyer_id: int) -> OfferThread | None:
    """The buyer's open thread on the vehicle once time or a sale ended the stale ones, if any is left."""
    for thread in lock_open_threads(locked.vehicle.pk):
        if thread.buyer_id == buyer_id and end_stale(locked, thread, fx) is None:
            return thread
    return None


def offer_counter_high_bid(
    *, auction_id: int, seller: Any, amount: Decimal | str, idempotency_key: str | None = None
) -> OfferResult | Replay:
    """Reserve not met: the seller counters the high bid with an amount above it and at most the reserve. The
    auction's decision becomes "countered" (it ends unsold); the high bidder has 24 hours to accept or decline."""
    value = parse_bid_amount(amount)
    vehicle_id = _vehicle_of(auction_id)

    def work(fx: Effects) -> OfferResult:
        locked = lock_for_offers(vehicle_id)
        pending = _pending_decision(locked, auction_id)
        auction = pending.auction
        if getattr(seller, "pk", None) != auction.seller_id:
            raise NotAllowed("Only the seller can counter the high bid.", code="not_seller")
        if seller.suspended_at is not None:
            raise NotAllowed("Your account is suspended; contact support.", code="suspended")
        rules.check_reserve_counter(value, high_bid=pending.high_bid, reserve=pending.reserve)
        if _clear_stale(locked, fx, pending.high_bidder_id) is not None:
            raise Conflict(
                "The high bidder sent you a best offer: accept or decline it first.", code="best_offer_pending"
            )
        auction_decision_by_offer(auction_id=auction.pk, actor=seller, decision=Auction.Decision.COUNTERED)
        thread = open_thread(
            locked,
            fx,
            kind=K.RESERVE_COUNTER,
            auction_id=auction.pk,
            buyer_id=pending.high_bidder_id,
            seller_id=auction.seller_id,
            side=Side.SELLER,
            author=seller,
            amount=value,
            expires_at=locked.now + rules.RESERVE_COUNTER_WINDOW,
            max_counters=0,
        )
        fx.notify(
            thread.buyer_id,
            "offer_countered",
            thread,
            amount=value,
            who="The seller",
            expires=thread.expires_at.isoformat(),
        )
        return OfferResult(
            thread=thread,
            outcome="made",
            message=f"Your counter of ${value:,.2f} is with the high bidder, who has 24 hours to accept or decline.",
        )

    keyed = idempotency.keyed(seller, idempotency_key, "offer.reserve_counter", auction_id, value)
    return run_once(keyed, status=201, actor=seller, work=work)  # type: ignore[no-any-return]


def offer_best_offer(
    *, auction_id: int, buyer: Any, amount: Decimal | str, idempotency_key: str | None = None
) -> OfferResult | Replay:
    """Reserve not met: the high bidder sends one best offer above their high bid; the seller accepts or declines
    it before the 24-hour decision ends (the thread expires with the decision)."""
    value = parse_bid_amount(amount)
    vehicle_id = _vehicle_of(auction_id)

    def work(fx: Effects) -> OfferResult:
        locked = lock_for_offers(vehicle_id)
        pending = _pending_decision(locked, auction_id)
        auction = pending.auction
        if getattr(buyer, "pk", None) != pending.high_bidder_id:
            raise NotAllowed("Only the high bidder can send a best offer.", code="not_high_bidder")
        check_eligible(buyer)
        rules.check_best_offer(value, high_bid=pending.high_bid)
        if OfferThread.objects.filter(auction=auction, kind=K.BEST_OFFER, buyer=buyer).exists():
            raise Conflict("You have already sent your one best offer.", code="best_offer_used")
        if _clear_stale(locked, fx, buyer.pk) is not None:
            raise Conflict("You already have an open offer on this vehicle.", code="offer_open")
        thread = open_thread(
            locked,
            fx,
            kind=K.BEST_OFFER,
            auction_id=auction.pk,
            buyer_id=buyer.pk,
            seller_id=auction.seller_id,
            side=Side.BUYER,
            author=buyer,
            amount=value,
            expires_at=pending.deadline,
            max_counters=0,
        )
        fx.notify(
            thread.seller_id,
            "offer_received",
            thread,
            amount=value,
            buyer="The high bidder",
            expires=thread.expires_at.isoformat(),
        )
        return OfferResult(
            thread=thread,
            outcome="made",
            message=f"Your best offer of ${value:,.2f} is with the seller, who decides before the 24 hours end.",
        )

    keyed = idempotency.keyed(buyer, idempotency_key, "offer.best_offer", auction_id, value)
    return run_once(keyed, status=201, actor=buyer, work=work)  # type: ignore[no-any-return]


def offer_second_chance(*, auction_id: int, seller: Any, idempotency_key: str | None = None) -> OfferResult | Replay:
    """The winner did not pay: the seller offers the vehicle to the runner-up at the runner-up's max; they have
    48 hours to accept (an order follows, as for any accepted offer) or decline. Once per auction.

    Precondition: the caller (orders) established that the sale's order was cancelled because its buyer did
    not pay; this app cannot see orders.
    """
    auction = Auction.objects.won().filter(pk=auction_id).first()
    if auction is None:
        raise Conflict("This auction did not end in a sale.", code="no_sale")

    def work(fx: Effects) -> OfferResult:
        locked = lock_for_offers(auction.vehicle_id)
        if getattr(seller, "pk", None) != auction.seller_id:
            raise NotAllowed("Only the seller can make a second-chance offer.", code="not_seller")
        if OfferThread.objects.filter(auction=auction, kind=K.SECOND_CHANCE).exists():
            raise Conflict("A second-chance offer was already made for this auction.", code="second_chance_used")
        found = runner_up(auction)
        if found is None:
            raise Conflict("Nobody else bid in this auction, so there is no runner-up.", code="no_runner_up")
        buyer_id, max_amount = found
        if _clear_stale(locked, fx, buyer_id) is not None:
            raise Conflict("The runner-up already has an open offer on this vehicle.", code="offer_open")
        thread = open_thread(
            locked,
            fx,
            kind=K.SECOND_CHANCE,
            auction_id=auction.pk,
            buyer_id=buyer_id,
            seller_id=auction.seller_id,
            side=Side.SELLER,
            author=seller,
            amount=max_amount,
            expires_at=locked.now + rules.SECOND_CHANCE_WINDOW,
            max_counters=0,
        )
        fx.notify(buyer_id, "offer_second_chance", thread, amount=max_amount, expires=thread.expires_at.isoformat())
        return OfferResult(
            thread=thread,
            outcome="made",
            message=f"The runner-up is offered the vehicle at their max bid of ${max_amount:,.2f} and has 48 "
            "hours to accept.",
        )

    keyed = idempotency.keyed(seller, idempotency_key, "offer.second_chance", auction_id)
    return run_once(keyed, status=201, actor=seller, work=work)  # type: ignore[no-any-return]
