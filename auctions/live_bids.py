"""Bids from live rooms, gathered per auction: while one batch is being decided (in a worker thread), the
bids that arrive in this process's event loop wait together and go as the next batch, in one hop to the
database thread (`bid_place_many`), instead of one hop and one transaction each. Arrival order is kept."""

import asyncio
import weakref
from typing import Any

from channels.db import database_sync_to_async

from auctions.services import bid_place_many
from auctions.services.bid_batch import Outcome

Bid = tuple[Any, Any, str | None, str]  # bidder, amount as sent, ip, user agent


class _LoopState:
    def __init__(self) -> None:
        self.pending: dict[int, list[tuple[Bid, asyncio.Future[Outcome]]]] = {}
        self.draining: dict[int, asyncio.Task[None]] = {}


_states: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopState]" = weakref.WeakKeyDictionary()


async def place(auction_id: int, bidder: Any, amount: Any, ip: str | None, agent: str) -> Outcome:
    """The bid's outcome: a BidResult, or the exception (a DomainError when refused) to report."""
    loop = asyncio.get_running_loop()
    state = _states.get(loop)
    if state is None:
        state = _states[loop] = _LoopState()
    future: asyncio.Future[Outcome] = loop.create_future()
    state.pending.setdefault(auction_id, []).append(((bidder, amount, ip, agent), future))
    if auction_id not in state.draining:
        state.draining[auction_id] = asyncio.ensure_future(_drain(state, auction_id))
    return await future


async def _drain(state: _LoopState, auction_id: int) -> None:
    try:
        while batch := state.pending.pop(auction_id, None):
            try:
                outcomes = await database_sync_to_async(bid_place_many)(auction_id, [bid for bid, _ in batch])
            except Exception as exc:  # noqa: BLE001 - each waiting socket reports it
                outcomes = [exc] * len(batch)
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                if not future.done():  # the socket may have gone
                    future.set_result(outcome)
    finally:
        state.draining.pop(auction_id, None)
