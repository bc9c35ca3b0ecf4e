"""Buy now and lowering the reserve: changes to a live auction other than a bid (voids are in voiding.py)."""

from decimal import Decimal
from typing import Any

from django.db import transaction

from auctions import engine
from auctions.models import Auction, AuctionEvent
from auctions.services import after_commit
from auctions.services.bidding import check_eligible, parse_bid_amount
from auctions.services.clock import db_now
from auctions.services.increments import increment_table
from auctions.services.lifecycle import event, is_staff, lock_auction
from core.errors import Conflict, DomainError, NotAllowed


def auction_buy_now(
    *, auction_id: int, buyer: Any, expected_price: Decimal, ip: str | None = None, user_agent: str = ""
) -> Auction:
    """Buy at the buy-now price: the auction ends at once with the buyer as winner (outcome sold).

    `expected_price` is the buy-now price the buyer confirmed (the page's confirmation, the API client's
    echo); a different price under the lock is a Conflict `price_changed` (details: the current price), so
    a stale page never buys at a price its buyer did not see."""
    from vehicles.services import vehicle_mark_sold

    increments = increment_table()
    with transaction.atomic(durable=True):
        auction = lock_auction(auction_id)
        now = db_now()
        if auction.seller_id == buyer.pk:  # rule 6's order: before "verify your identity"
            raise NotAllowed("You cannot buy your own vehicle.", code="own_vehicle")
        check_eligible(buyer)
        if not auction.accepts_bids(now):
            raise Conflict("This auction is not open.", code="auction_ended")
        terms = auction.terms(increments)
        if not engine.buy_now_available(terms, auction.state()):
            raise Conflict("Buy now is no longer available on this auction.", code="buy_now_unavailable")
        if auction.buy_now_price != expected_price:
            raise Conflict(
                f"The buy-now price is now ${auction.buy_now_price:,.2f}, not ${expected_price:,.2f}: "
                "review the new total and confirm again.",
                code="price_changed",
                details={"buy_now_price": f"{auction.buy_now_price:.2f}", "expected_price": f"{expected_price:.2f}"},
            )
        previous_leader_id = auction.leader_id
        from_status = auction.status
        auction.status = Auction.Status.ENDED
        auction.outcome = Auction.Outcome.SOLD
        auction.winner_id = buyer.pk
        auction.final_price = auction.buy_now_price
        auction.sold_via_buy_now = True
        auction.closed_at = now
        auction.sold_at = now
        auction.version += 1
        auction.save(
            update_fields=[
                "status",
                "outcome",
                "winner",
                "final_price",
                "sold_via_buy_now",
                "closed_at",
                "sold_at",
                "version",
                "updated_at",
            ]
        )
        event(
            auction,
            AuctionEvent.Kind.BUY_NOW,
            actor=buyer,
            from_status=from_status,
            price=auction.buy_now_price,
            ip=ip or "",
            user_agent=(user_agent or "")[:300],
        )
        event(auction, AuctionEvent.Kind.CLOSED, from_status=from_status, outcome="sold", via="buy_now")
        vehicle_mark_sold(vehicle_id=auction.vehicle_id, actor=buyer, message=f"Bought now (auction {auction.pk})")
        transaction.on_commit(
            lambda: after_commit.auction_closed(auction, change="bought_now", previous_leader_id=previous_leader_id)
        )
    return auction


def auction_lower_reserve(*, auction_id: int, actor: Any, reserve_price: Decimal | str) -> Auction:
    """The seller lowers (never raises) an unmet reserve; the reserve jump applies at once."""
    new_reserve = parse_bid_amount(reserve_price)
    increments = increment_table()
    with transaction.atomic(durable=True):
        auction = lock_auction(auction_id)
        if actor is None or not (actor.pk == auction.seller_id or is_staff(actor)):
            raise NotAllowed("Only the seller can change the reserve.", code="not_seller")
        if not auction.is_open:
            raise Conflict("The auction is over.", code="auction_ended")
        if auction.reserve_price is None:
            raise Conflict("This auction has no reserve.", code="no_reserve")
        terms = auction.terms(increments)
        if engine.reserve_status(terms, auction.state()) is engine.ReserveStatus.MET:
            raise Conflict("The reserve is already met.", code="reserve_met")
        if new_reserve >= auction.reserve_price:
            raise DomainError("You can only lower the reserve.", code="reserve_not_lower")
        if new_reserve < auction.starting_price:
            raise DomainError("The reserve cannot be below the starting price.", code="reserve_below_start")
        old = auction.reserve_price
        auction.reserve_price = new_reserve
        terms = auction.terms(increments)
        auction.set_state(engine.apply_reserve_change(terms, auction.state()), terms)  # only the price moves
        auction.version += 1
        auction.save(update_fields=["reserve_price", "current_price", "reserve_met", "version", "updated_at"])
        event(
            auction,
            AuctionEvent.Kind.RESERVE_LOWERED,
            actor=actor,
            from_status=auction.status,
            old=old,
            new=new_reserve,
        )
        transaction.on_commit(lambda: after_commit.state_changed(auction, "reserve_lowered"))
    return auction
