"""Room broadcasts handed to one socket in `seq` order, whichever process published them.

Bids on one auction are decided in several web processes; each publishes its batch's broadcasts after its
own commit. The commits are in seq order (the auction row lock), the publishes need not be: process A
commits seqs 7-8, process B then commits 9-10 and publishes first, and every watcher would read 9, 10, 7, 8
(tests/scale/test_scale.py saw it). The live room therefore holds a broadcast that is more than one ahead of
the last seq this socket saw until the missing ones arrive, at most `wait` seconds (about the time between
two processes' after-commit publishes: milliseconds); then it hands over what it holds, in order, and the
client sees the gap and fetches the state, as it does for any lost message (docs/auctions.md).

A broadcast without a seq, or at most one ahead, goes out at once, followed by any held ones it unblocks.
Forwarding never waits (auctions/room_fanout.py writes the frame, or queues it behind a slow socket's), so
neither does this.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Callable
from typing import Any

Event = dict[str, Any]

REORDER_WAIT_SECONDS = 0.3


class RoomOrder:
    def __init__(
        self, forward: Callable[[Event], None], last: Callable[[], int], wait: float = REORDER_WAIT_SECONDS
    ) -> None:
        self.forward, self.last, self.wait = forward, last, wait
        self._held: list[tuple[int, int, Event]] = []
        self._arrival = itertools.count()
        self._timer: asyncio.TimerHandle | None = None

    @property
    def holding(self) -> int:
        return len(self._held)

    def admit(self, event: Event) -> None:
        """Forward `event` now, or hold it until the broadcasts before it have arrived."""
        seq = event.get("seq")
        if isinstance(seq, int) and seq > self.last() + 1:
            heapq.heappush(self._held, (seq, next(self._arrival), event))
            if self._timer is None:
                self._timer = asyncio.get_running_loop().call_later(self.wait, self._expire)
            return
        self.forward(event)
        while self._held and self._held[0][0] <= self.last() + 1:
            self.forward(heapq.heappop(self._held)[2])
        if not self._held:
            self._cancel_timer()

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _expire(self) -> None:
        self._timer = None
        self.flush()

    def flush(self) -> None:
        """Forward everything held, in seq order (the gap stays: the client refetches)."""
        self._cancel_timer()
        while self._held:
            self.forward(heapq.heappop(self._held)[2])

    def discard(self) -> None:
        """The socket is gone: drop what is held and the timer."""
        self._cancel_timer()
        self._held.clear()
