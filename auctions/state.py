"""The public picture of an auction: what the page, the API and every broadcast show. Never the reserve amount."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from auctions import engine
from auctions.models import Auction


def money_str(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def winner_alias(auction: Auction) -> str | None:
    if auction.winner_id is None:
        return None
    if auction.winner_id == auction.leader_id and auction.leader_number:
        return f"Bidder {auction.leader_number}"
    return "Buy-now buyer"


MY_STATUS_LABELS = {
    "leading": "You're the high bidder",
    "outbid": "Outbid — bid again",
    "won": "You won",
    "lost": "You lost",
    "high_bidder": "High bidder — the seller is deciding",
    "seller": "Your auction",
    "anonymous": "Not logged in",
    "not_bid": "Not bid yet",
}


def my_status_label(status: str) -> str:
    """The words for a viewer's status (the page, the API and live updates all show these)."""
    return MY_STATUS_LABELS.get(status, status)


def status_label(auction: Auction) -> str:
    """The words for the auction's status, as the page, the API and every broadcast show them."""
    if auction.status == Auction.Status.LIVE:
        return "Live"
    if auction.status == Auction.Status.SCHEDULED:
        return "Scheduled"
    if auction.status == Auction.Status.CANCELLED:
        return "Cancelled"
    if auction.awaiting_decision:
        return "Ended — seller deciding"
    if auction.outcome == Auction.Outcome.SOLD and auction.final_price is not None:
        return f"Sold for ${auction.final_price:,.2f}"
    return "Ended — not sold"


def price_caption(auction: Auction, my_status: str | None = None) -> str:
    """The words above the price, for everyone (`public_state`) or for one viewer (`viewer_state`, with their
    `my_status`): the sale once sold ("Sold for", and "Winning bid" to the winner; "Sold — bought now"), the
    high bid once ended unsold, else the current or the starting bid. The page, the API and the live room all
    show these words (auction_room.js has none of its own)."""
    if auction.outcome == Auction.Outcome.SOLD and auction.final_price is not None:
        if auction.sold_via_buy_now:
            return "Sold — bought now"
        return "Winning bid" if my_status == "won" else "Sold for"
    if auction.status in (Auction.Status.ENDED, Auction.Status.CANCELLED) and auction.bid_count:
        return "High bid"
    return "Current bid" if auction.bid_count else "Starting bid"


def extended_label(extended_count: int) -> str | None:
    """The badge beside the time left once a late bid extended the auction ("Extended ×2"); None before."""
    return f"Extended ×{extended_count}" if extended_count else None


def public_state(auction: Auction, increments: engine.IncrementTable) -> dict[str, Any]:
    """The auction as everyone may see it. `seq` is the bid sequence clients use to detect gaps."""
    terms = auction.terms(increments)
    state = auction.state()
    reserve = engine.reserve_status(terms, state)
    open_ = auction.is_open
    buy_now = open_ and engine.buy_now_available(terms, state)
    return {
        "auction_id": auction.pk,
        "vehicle_id": auction.vehicle_id,
        "seq": auction.last_seq,
        "version": auction.version,
        "status": str(auction.status),
        "status_label": status_label(auction),
        "outcome": str(auction.outcome),
        "price": money_str(auction.display_price),
        "current_price": money_str(auction.current_price),
        "starting_price": money_str(auction.starting_price),
        "minimum_next_bid": money_str(engine.minimum_next_bid(terms, state)) if open_ else None,
        "confirm_above": money_str(auction.confirmation_threshold),
        "bid_count": auction.bid_count,
        "bidder_count": auction.bidder_count,
        "leader_alias": f"Bidder {auction.leader_number}" if auction.leader_id and auction.leader_number else None,
        "reserve_status": reserve.value,
        # a sale settles the reserve question: "Reserve not met" beside a bought-now sale misled buyers
        "reserve_label": "Sold" if auction.outcome == Auction.Outcome.SOLD else engine.RESERVE_LABELS[reserve],
        "price_caption": price_caption(auction),
        "buy_now_available": buy_now,
        "buy_now_price": money_str(auction.buy_now_price) if buy_now else None,
        "starts_at": iso(auction.starts_at),
        "ends_at": iso(auction.ends_at),
        "extended_count": auction.extended_count,
        "extended_label": extended_label(auction.extended_count),
        "winner_alias": winner_alias(auction),
        "final_price": money_str(auction.final_price),
        "seller_decision": str(auction.seller_decision),
        "decision_deadline": iso(auction.decision_deadline),
    }


def viewer_state(auction: Auction, user: Any, increments: engine.IncrementTable) -> dict[str, Any]:
    """What only this viewer sees: leading / outbid / not bid, won / lost, and their own max."""
    if user is None or not getattr(user, "is_authenticated", False):
        return _viewer("anonymous", None, is_seller=False, auction=auction)
    if auction.seller_id == user.pk:
        return _viewer("seller", None, is_seller=True, auction=auction)
    from auctions.models import Bid

    my_max = (
        Bid.objects.filter(auction=auction, bidder=user, voided_at__isnull=True)
        .order_by("-seq")
        .values_list("max_amount", flat=True)
        .first()
    )
    if auction.status == Auction.Status.ENDED and auction.outcome == Auction.Outcome.SOLD:
        status = "won" if auction.winner_id == user.pk else ("lost" if my_max is not None else "not_bid")
    elif auction.status == Auction.Status.ENDED or auction.status == Auction.Status.CANCELLED:
        status = "lost" if my_max is not None else "not_bid"
        if auction.awaiting_decision and auction.leader_id == user.pk:
            status = "high_bidder"
    elif my_max is None:
        status = "not_bid"
    else:
        status = "leading" if auction.leader_id == user.pk else "outbid"
    return _viewer(status, money_str(my_max), is_seller=False, auction=auction)


def outcome_message(auction: Auction, status: str) -> str | None:
    """The close in words for this viewer, announced to them when the auction ends ("You won at $X");
    None while the auction is open."""
    if auction.status in (Auction.Status.LIVE, Auction.Status.SCHEDULED):
        return None
    price = auction.final_price if auction.final_price is not None else auction.display_price
    if auction.status == Auction.Status.CANCELLED:
        return "The auction was cancelled."
    if status == "won":
        return f"You won at ${price:,.2f}."
    if status == "high_bidder":
        return f"The auction ended with you as the high bidder at ${price:,.2f}. The reserve was not met: the seller is deciding."
    if status == "lost":
        return f"You were outbid; the auction ended at ${price:,.2f}."
    return f"The auction has ended: {status_label(auction)}."


def _viewer(status: str, my_max: str | None, *, is_seller: bool, auction: Auction | None = None) -> dict[str, Any]:
    return {
        "my_status": status,
        "my_status_label": my_status_label(status),
        "my_max": my_max,
        "is_seller": is_seller,
        "outcome_message": outcome_message(auction, status) if auction is not None else None,
        # the caption above the price as this viewer reads it ("Winning bid" for the winner)
        "price_caption": price_caption(auction, status) if auction is not None else None,
    }
