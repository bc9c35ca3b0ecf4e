"""The live room's join snapshot, read once for many joiners (per web process).

A socket joining a room subscribes to the room's group, then reads the auction's state: every bid or
change committed before that read is in the snapshot, every later one reaches the socket as a broadcast
(its `seq` tells the client what the snapshot already held). Read alone, each join costs its process one
database read on the one database thread every socket shares (channels' `database_sync_to_async`); a
thousand watchers arriving together (a hot lot, or a process' watchers reconnecting after it died) queue
behind each other for it (docs/SCALING.md, "first wall").

Here the anonymous joiners of one auction share reads: a joiner waits for the next read that has not
started yet, or queues one. A read therefore always starts after every one of its joiners subscribed, so
each gets a state at least as new as its own read would have given: nothing a joiner could miss is lost,
and a herd of N joins costs about one read per database round trip instead of N. A signed-in joiner sees
their own state too (leading, outbid, their max) and reads alone, as before.
"""

from __future__ import annotations

import asyncio
from typing import Any

from channels.db import database_sync_to_async


def _read_public(auction_id: int) -> dict[str, Any] | None:
    from auctions.selectors import auction_detail
    from core.errors import DomainError

    try:
        return auction_detail(auction_id, user=None)
    except DomainError:
        return None


def _read_for(auction_id: int, user: Any) -> dict[str, Any] | None:
    from auctions.selectors import auction_detail
    from core.errors import DomainError

    try:
        return auction_detail(auction_id, user=user)
    except DomainError:
        return None


class _Read:
    """One shared read: `started` flips (on the database thread) just before the query is sent."""

    def __init__(self, auction_id: int) -> None:
        self.auction_id = auction_id
        self.started = False
        self.readers = 0
        self.task: asyncio.Task[dict[str, Any] | None] = asyncio.ensure_future(self._run())

    async def _run(self) -> dict[str, Any] | None:
        return await database_sync_to_async(self._read)()

    def _read(self) -> dict[str, Any] | None:
        self.started = True
        return _read_public(self.auction_id)

    def forget(self, _: object = None) -> None:
        if _waiting.get(self.auction_id) is self:
            del _waiting[self.auction_id]


_waiting: dict[int, _Read] = {}  # auction id -> the read not started yet that new joiners share


async def public_snapshot(auction_id: int) -> dict[str, Any] | None:
    """The auction's state as an anonymous viewer sees it (None: no such auction), read after this call
    began; concurrent callers for one auction share reads. Call it after subscribing to the room."""
    read = _waiting.get(auction_id)
    if read is None or read.started or read.task.done():
        read = _Read(auction_id)
        _waiting[auction_id] = read
        read.task.add_done_callback(read.forget)
    read.readers += 1
    state = await asyncio.shield(read.task)
    return None if state is None else {**state, "viewer": dict(state["viewer"])}


async def snapshot_for(auction_id: int, user: Any) -> dict[str, Any] | None:
    """The join snapshot for this socket's user: shared reads for anonymous viewers, its own otherwise."""
    if user is None or not getattr(user, "is_authenticated", False):
        return await public_snapshot(auction_id)
    return await database_sync_to_async(_read_for)(auction_id, user)
