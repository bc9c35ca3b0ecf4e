"""Async callers' work for the same auction, gathered into batches: what arrives in one turn of the event loop
goes as one call instead of one call each, sent at once (batches from later turns do not wait for it to be
answered). Arrival order is kept within a batch.

Used by the HTTP bid lane (apis/fast_lane.py) to count the throttles of the requests that arrived together
in one Redis round trip; their bids then go to the combiner (services/combiner.py) one by one.

performance: this used to send the next batch only once the last one was answered, so a request that
arrived meanwhile waited for a round trip that was not its own before its own.
"""

import asyncio
import weakref
from collections.abc import Awaitable, Callable
from typing import Any


class _LoopState:
    def __init__(self) -> None:
        self.pending: dict[int, list[tuple[Any, asyncio.Future[Any]]]] = {}
        self.running: set[asyncio.Task[None]] = set()  # referenced until done (asyncio keeps weak ones)


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
        batch = state.pending.get(auction_id)
        if batch is None:  # the first this turn: the batch goes once the callers ready this turn have joined
            batch = state.pending[auction_id] = []
            loop.call_soon(self._send, state, auction_id)
        batch.append((item, future))
        return await future

    def _send(self, state: _LoopState, auction_id: int) -> None:
        task = asyncio.ensure_future(self._answer(auction_id, state.pending.pop(auction_id)))
        state.running.add(task)
        task.add_done_callback(state.running.discard)

    async def _answer(self, auction_id: int, batch: list[tuple[Any, "asyncio.Future[Any]"]]) -> None:
        try:
            outcomes = await self._run(auction_id, [item for item, _ in batch])
        except Exception as exc:  # noqa: BLE001 - each waiting caller reports it
            outcomes = [exc] * len(batch)
        for (_, future), outcome in zip(batch, outcomes, strict=True):
            if not future.done():  # the caller may have gone
                future.set_result(outcome)
