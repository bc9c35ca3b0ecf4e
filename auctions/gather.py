"""Async callers' work for the same auction, gathered into batches: while one batch is being worked on,
what arrives in this event loop waits together and goes as the next batch, in one call instead of one
each. Arrival order is kept.

Used by the HTTP bid lane (apis/fast_lane.py) to count the throttles of the requests that arrived together
in one Redis round trip; their bids then go to the combiner (services/combiner.py) one by one."""

import asyncio
import weakref
from collections.abc import Awaitable, Callable
from typing import Any


class _LoopState:
    def __init__(self) -> None:
        self.pending: dict[int, list[tuple[Any, asyncio.Future[Any]]]] = {}
        self.draining: dict[int, asyncio.Task[None]] = {}


class Gatherer:
    def __init__(self, run: Callable[[int, list[Any]], Awaitable[list[Any]]]) -> None:
        """`await run(auction_id, items)` returns one outcome per item; if it raises, every item's outcome is
        the exception."""
        self._run = run
        self._states: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopState] = weakref.WeakKeyDictionary()

    async def submit(self, auction_id: int, item: Any) -> Any:
        loop = asyncio.get_running_loop()
        state = self._states.get(loop)
        if state is None:
            state = self._states[loop] = _LoopState()
        future: asyncio.Future[Any] = loop.create_future()
        state.pending.setdefault(auction_id, []).append((item, future))
        if auction_id not in state.draining:
            state.draining[auction_id] = asyncio.ensure_future(self._drain(state, auction_id))
        return await future

    async def _drain(self, state: _LoopState, auction_id: int) -> None:
        try:
            while batch := state.pending.pop(auction_id, None):
                try:
                    outcomes = await self._run(auction_id, [item for item, _ in batch])
                except Exception as exc:  # noqa: BLE001 - each waiting caller reports it
                    outcomes = [exc] * len(batch)
                for (_, future), outcome in zip(batch, outcomes, strict=True):
                    if not future.done():  # the caller may have gone
                        future.set_result(outcome)
        finally:
            state.draining.pop(auction_id, None)
