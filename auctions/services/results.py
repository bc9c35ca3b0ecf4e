"""What placing a bid answers: the result of an accepted bid, or why it was refused."""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from auctions import engine
from auctions.models import Auction, Bid
from auctions.state import money_str, my_status_label
from core import idempotency
from core.errors import DomainError


class BidRejected(DomainError):
    """The engine or a rule refused the bid; `code` says which, `details` carries the minimum."""

    status_code = 400


def detached(exc: DomainError) -> DomainError:
    """A refusal kept as an outcome (not raised), without its traceback.

    performance: the traceback holds the frames that raised it, one of which holds the list of outcomes,
    which holds the exception: a reference cycle per refused bid that only the garbage collector frees. On a
    hot lot most bids are refused (the price moved), and those cycles, with every frame of the thread's
    stack, were almost all of a daphne's garbage: each collection freed ~45,000 objects in 25-95 ms,
    stalling the batch that ran it (and, through the row lock, the other process's): most of the p99."""
    exc.__traceback__ = None
    return exc


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

    def update(self) -> dict[str, Any]:
        """The live room's `bid_update` for this bid, to the bidder's sockets."""
        return {
            "type": "bid_update",
            "auction_id": self.auction.pk,
            "seq": self.bid.seq,
            "status": "accepted",
            "result": self.outcome,
            "leading": self.leading,
            "bid_id": self.bid.pk,
            "your_max": money_str(self.bid.max_amount),
            "price": self.state.get("price"),
            "minimum_next_bid": self.state.get("minimum_next_bid"),
            "message": self.message,
            "my_status": self.outcome,
            "my_status_label": my_status_label(self.outcome),
        }

    def answer(self) -> idempotency.Answer:
        """The API's answer to this bid (201 and its body), also stored with its Idempotency-Key."""
        return idempotency.Answer(201, {"message": self.message, "data": self.as_dict()})

    @property
    def message(self) -> str:
        if self.leading:
            return f"Bid accepted. You are the high bidder at ${self.auction.display_price:,.2f}."
        return f"Bid accepted, but another bidder's max is higher: the price is now ${self.auction.display_price:,.2f}."


def rejection(outcome: engine.BidOutcome) -> BidRejected:
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
