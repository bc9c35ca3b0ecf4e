"""Bids from live rooms, gathered per auction (gather.py) and decided by `bid_place_many`."""

from typing import Any

from auctions.gather import Gatherer
from auctions.services import bid_place_many
from auctions.services.bid_batch import Outcome

_rooms = Gatherer(bid_place_many)


async def place(auction_id: int, bidder: Any, amount: Any, ip: str | None, agent: str) -> Outcome:
    """The bid's outcome: a BidResult, or the exception (a DomainError when refused) to report."""
    outcome: Outcome = await _rooms.submit(auction_id, (bidder, amount, ip, agent))
    return outcome
