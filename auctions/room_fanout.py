"""Live rooms, per process: one subscriber per room, and each broadcast written to the room's sockets in one loop.

A room broadcast is encoded once and published once (`realtime.room_send_many`). It used to reach each socket
through the socket's own channel: the pub/sub layer put it on one queue per socket, and each socket's task woke,
decoded it, dispatched it and sent it; for a process holding 2,500 of a hot lot's watchers, 2,500 queue puts,
task wake-ups and decodes per bid. Here a process holds one channel per room (`RoomFanout`), in the room's
group and in the groups of the signed-in users it holds sockets of in that room; a message is decoded once,
and its frame goes to each socket's ASGI send in one loop (`RoomSocket.offer`), with each socket's rules as
plain checks:

- seq order across processes: a broadcast more than one ahead of what the socket has seen waits for the ones
  before it (auctions/room_order.py), as it always did;
- a socket's own bid: the `bid_update` its user's group gets for a bid this socket placed (and was answered
  on) is not sent again; typing is not echoed to the typist;
- while a socket handles one of its own frames (joining, a bid), its broadcasts wait and follow in order after
  it: the joiner gets the room's state before any broadcast, a bidder its answer before the echo is judged;
- a slow socket: a write that has to wait (its buffer is full) is finished in a task of its own, its later
  frames queue behind it (at most BACKLOG_LIMIT) and the other sockets are written on; past that the socket
  is closed (1013, try again later) and its page reconnects and catches up by seq. (A reply of the socket's
  own, such as a `pong`, may then pass broadcasts queued for it; none is lost or doubled.)

Public Channels APIs only: the layer's `new_channel`, `receive`, `group_add`, `group_discard`, `group_send`.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from channels.layers import get_channel_layer

from auctions import realtime
from auctions.room_order import RoomOrder
from core import eager

logger = logging.getLogger(__name__)

Event = dict[str, Any]
Send = Callable[[dict[str, Any]], Coroutine[Any, Any, None]]

BACKLOG_LIMIT = 500  # frames a socket may have waiting (after its own buffer) before it is closed as too slow
LINGER_SECONDS = 30.0  # an empty room keeps its subscription this long (pages reload, watchers come back)
CLOSE_TOO_SLOW = 1013
FORWARDED = frozenset({"room.event", "room.typing"})


class RoomSocket:
    """One socket's part of its room's fan-out: the seq it has seen, the bids it placed, its writes in order."""

    def __init__(self, send: Send, *, key: str, user_id: int | None) -> None:
        self.send = send
        self.key = key  # unique across processes: typing's sender, the watcher count's member
        self.user_id = user_id
        self.seq = 0  # the latest bid sequence this socket has seen (join snapshot, own bids, broadcasts)
        self.placed_bid_ids: set[int] = set()
        self.room: RoomFanout | None = None
        self.gone = False
        self._paused: list[tuple[Event, bool]] | None = None  # (broadcast, already through the seq order)
        self._order: RoomOrder | None = None
        self._backlog: deque[dict[str, Any]] | None = None  # frames behind a write that had to wait
        self._writer: asyncio.Task[None] | None = None

    # --- the socket's own frames ------------------------------------------------------------------
    def pause(self) -> None:
        """Broadcasts wait (in order) until `resume`: the socket is handling a frame of its own."""
        if self._paused is None:
            self._paused = []

    def resume(self) -> None:
        held, self._paused = self._paused, None
        for event, ordered in held or ():
            if ordered:
                self._ordered(event)
            else:
                self.offer(event)

    def _hold(self, event: Event, *, ordered: bool) -> None:
        assert self._paused is not None
        self._paused.append((event, ordered))
        if len(self._paused) > BACKLOG_LIMIT:
            self._too_slow()

    # --- broadcasts -----------------------------------------------------------------------------
    def offer(self, event: Event) -> None:
        """A broadcast for this socket (with its frame, `event["frame"]`): written now, or queued in order."""
        if self.gone:
            return
        if self._paused is not None:
            self._hold(event, ordered=False)
            return
        if event["type"] == "room.typing":
            if event.get("sender") != self.key:
                self._write(event["frame"])
            return
        seq = event.get("seq")
        if self._order is not None or (isinstance(seq, int) and seq > self.seq + 1):
            if self._order is None:
                self._order = RoomOrder(self._ordered, lambda: self.seq)
            self._order.admit(event)
            return
        self._accept(event)

    def _ordered(self, event: Event) -> None:
        """A broadcast the seq order let through (at once, or when its wait ran out)."""
        if self._paused is not None:  # the wait can run out while the socket handles a frame of its own
            self._hold(event, ordered=True)
            return
        self._accept(event)

    def _accept(self, event: Event) -> None:
        seq = event.get("seq")
        if isinstance(seq, int) and seq > self.seq:
            self.seq = seq
        if event.get("bid_id") in self.placed_bid_ids:
            return  # this socket already answered its own bid
        self._write(event["frame"])

    def _write(self, frame: dict[str, Any]) -> None:
        if self._backlog is not None:
            self._backlog.append(frame)
            if len(self._backlog) > BACKLOG_LIMIT:
                self._too_slow()
            return
        try:
            rest = eager.start(self.send(frame))
        except Exception:  # noqa: BLE001 - the socket closed under us; its disconnect removes it
            self.discard()
            return
        if rest is not None:  # its buffer is full: the rest of this write, and the next ones, in a task
            self._backlog = deque()
            self._writer = asyncio.ensure_future(self._drain(rest))

    async def _drain(self, rest: Awaitable[None]) -> None:
        try:
            await rest
            while self._backlog:
                await self.send(self._backlog.popleft())
        except Exception:  # noqa: BLE001 - the socket closed under us
            self.gone = True
            if self.room is not None:
                self.room.remove(self)
        finally:
            self._backlog = None
            self._writer = None

    async def drained(self) -> None:
        """Wait until every frame queued behind a write that had to wait is written (or the socket is gone)."""
        if self._writer is not None:
            await asyncio.gather(self._writer, return_exceptions=True)

    @property
    def waiting(self) -> int:
        """Frames queued for this socket: held while it handles a frame, or behind a write that had to wait."""
        return len(self._paused or ()) + len(self._backlog or ())

    def _too_slow(self) -> None:
        """Too far behind: no more broadcasts; the socket is closed after what it is being written now, and its
        page reconnects and catches up by seq."""
        logger.warning("room socket too slow, closing it", extra={"auction_id": getattr(self.room, "auction_id", None)})
        self.leave()
        self.gone = True
        self._paused = None
        close = {"type": "websocket.close", "code": CLOSE_TOO_SLOW}
        if self._backlog is not None:
            self._backlog.clear()
            self._backlog.append(close)
        else:
            self._write(close)

    # --- leaving --------------------------------------------------------------------------------
    def leave(self) -> None:
        """Out of its room: no more broadcasts, none of those held while it handles its frame; what is being
        written, and queued behind that, still is."""
        if self.room is not None:
            self.room.remove(self)
        if self._paused:
            self._paused.clear()
        if self._order is not None:
            self._order.discard()
            self._order = None

    def discard(self) -> None:
        """The socket is gone: out of its room, nothing more written."""
        self.gone = True
        self.leave()
        self._paused = None
        if self._writer is not None:
            self._writer.cancel()


class RoomFanout:
    """One room's subscriber in this process: the room's group and its sockets' users' groups, one channel."""

    def __init__(self, layer: Any, auction_id: int) -> None:
        self.layer = layer
        self.auction_id = auction_id
        self.group = realtime.room_group(auction_id)
        self.sockets: dict[RoomSocket, None] = {}  # ordered: sockets are written in the order they joined
        self.by_user: dict[int, dict[RoomSocket, None]] = {}
        self.user_groups: dict[str, int] = {}  # group name -> user id
        self.channel = ""
        self.started: asyncio.Future[None] = asyncio.ensure_future(self._start())
        self.closing: asyncio.Future[None] | None = None
        self._receiver: asyncio.Task[None] | None = None
        self._linger: asyncio.TimerHandle | None = None

    async def _start(self) -> None:
        self.channel = await self.layer.new_channel()
        await self.layer.group_add(self.group, self.channel)
        self._receiver = asyncio.ensure_future(self._receive())

    async def _receive(self) -> None:
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except Exception:  # never seen; a room that stopped receiving would go quiet without a word
                logger.exception("room fan-out could not receive", extra={"auction_id": self.auction_id})
                await asyncio.sleep(1)
                continue
            try:
                self.deliver(message)
            except Exception:
                logger.exception("room broadcast not delivered", extra={"auction_id": self.auction_id})

    def deliver(self, message: Event) -> None:
        """Hand a message from the layer to the sockets it is for, in this process."""
        kind = message.get("type")
        text = message.get("text")
        if kind not in FORWARDED or not isinstance(text, str):
            return
        group = message.get("group") or self._group_of_previous_release(message)
        if group == self.group:
            targets: dict[RoomSocket, None] | None = self.sockets
        else:
            user_id = self.user_groups.get(group or "")
            targets = self.by_user.get(user_id) if user_id is not None else None
        if not targets:
            return
        message["frame"] = {"type": "websocket.send", "text": text}  # one ASGI message for every socket
        for socket in tuple(targets):
            socket.offer(message)

    def _group_of_previous_release(self, message: Event) -> str | None:
        """A message without `group` comes from a process of the previous release (a rolling deploy): a room
        broadcast, unless it is a `bid_update`, which only ever goes to a user's group; that one, whose user
        is not known, is not delivered (the bidder's own socket was answered directly)."""
        if message.get("type") == "room.event" and message["text"].startswith('{"type":"bid_update"'):
            return None
        return self.group

    # --- sockets --------------------------------------------------------------------------------
    def add(self, socket: RoomSocket) -> None:
        if self._linger is not None:
            self._linger.cancel()
            self._linger = None
        socket.room = self
        self.sockets[socket] = None
        if socket.user_id is not None:
            self.by_user.setdefault(socket.user_id, {})[socket] = None

    async def add_user(self, user_id: int) -> None:
        """Subscribe to the user's group in this room (kept until the room closes: a user's sockets come and
        go, and a group left and joined again at once can end unsubscribed in the pub/sub layer)."""
        group = realtime.user_room_group(self.auction_id, user_id)
        self.user_groups[group] = user_id
        await self.layer.group_add(group, self.channel)  # every joiner waits for it: done before its state read

    def remove(self, socket: RoomSocket) -> None:
        if socket in self.sockets:
            del self.sockets[socket]
            socket.room = None
            if socket.user_id is not None:
                same_user = self.by_user.get(socket.user_id, {})
                same_user.pop(socket, None)
                if not same_user:
                    self.by_user.pop(socket.user_id, None)
        if not self.sockets and self._linger is None and self.closing is None:
            self._linger = asyncio.get_running_loop().call_later(LINGER_SECONDS, self._close_if_empty)

    def _close_if_empty(self) -> None:
        self._linger = None
        if not self.sockets and self.closing is None:
            self.closing = asyncio.ensure_future(self._close())

    async def _close(self) -> None:
        try:
            if self._receiver is not None:
                self._receiver.cancel()  # the layer's receive leaves the channel
                await asyncio.gather(self._receiver, return_exceptions=True)
            if self.channel:
                for group in (self.group, *self.user_groups):
                    await self.layer.group_discard(group, self.channel)
        except Exception:  # noqa: BLE001 - a room that could not unsubscribe only costs Redis a few messages
            logger.warning("room fan-out did not close cleanly", exc_info=True)
        finally:
            rooms = _rooms.get(asyncio.get_running_loop(), {})
            if rooms.get(self.auction_id) is self:
                del rooms[self.auction_id]


# Rooms of this process, per event loop (the server has one; tests run several, one after another).
_rooms: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, RoomFanout]] = weakref.WeakKeyDictionary()


def room_layer() -> Any:
    return get_channel_layer(realtime.ROOM_LAYER)


async def join(auction_id: int, socket: RoomSocket) -> None:
    """Put `socket` in its room's fan-out; returns once this process is subscribed to the room (and to the
    socket's user's group), so a state read after it misses no broadcast. A socket joining pauses first if
    it must get something (its state) before any broadcast."""
    rooms = _rooms.setdefault(asyncio.get_running_loop(), {})
    room = rooms.get(auction_id)
    while room is not None and room.closing is not None:  # closing an empty room: wait, then start anew
        await asyncio.shield(room.closing)
        room = rooms.get(auction_id)
    if room is None:
        room = rooms[auction_id] = RoomFanout(room_layer(), auction_id)
    room.add(socket)
    try:
        await asyncio.shield(room.started)
        if socket.user_id is not None:
            await room.add_user(socket.user_id)
    except Exception:
        room.remove(socket)
        if rooms.get(auction_id) is room and room.started.done() and room.started.exception() is not None:
            del rooms[auction_id]  # the next joiner tries again
        raise


def rooms_here() -> dict[int, RoomFanout]:
    """This process' rooms (on this event loop), by auction id: tests and diagnostics."""
    return _rooms.get(asyncio.get_running_loop(), {})


async def send_to_room(auction_id: int, message: Event) -> None:
    """Send a message (type `room.event` or `room.typing`, with `text`) to every socket in the room, in every
    process."""
    group = realtime.room_group(auction_id)
    await room_layer().group_send(group, {**message, "group": group})
