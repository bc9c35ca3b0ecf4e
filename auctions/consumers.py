"""The live auction room at ws/auctions/<id>/ (thin: bids go through the same `bid_place` as HTTP).

Server -> client: connection_response, auction_joined, auction_left, new_bid, bid_update, status_changed,
timer_extended, auction_closed, user_typing, comment_posted, comment_hidden, pong, error.
Client -> server: join_auction, leave_auction, bid_placed {amount (or max_amount, max), request_id?}, typing,
ping. Bids follow auctions/bid_protocol.py, like the form and the API; every frame is admitted by the one
rate-limit rule (core/throttles.py).
Every room broadcast carries `seq` (the auction's bid sequence): a client that sees a gap, or
reconnects, fetches GET /api/auctions/<id> so a lost message never leaves a stale price. Messages that are
not bids (watchers, typing, comments) carry the latest `seq` their sender knew and never advance it: one
higher than the client's own means the client missed a bid.
Anyone may watch; bidding needs an eligible, logged-in user.
"""

import asyncio
import json
import logging
import time
import uuid
from typing import Any

import structlog
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from auctions import bid_protocol, realtime, room_fanout, room_snapshot
from auctions.room_fanout import RoomSocket
from auctions.services import bid_place_async
from core.errors import DomainError
from core.parsers import loads_json
from core.request_id import reset_request_id, set_request_id
from core.throttles import ALLOWED, admit_async, windows
from core.ws_frames import FRAMES_SEND

logger = logging.getLogger(__name__)

TYPING_EVERY_SECONDS = 2.0
WATCHERS_EVERY_SECONDS = 2.0
WATCHERS_MESSAGES_PER_SECOND = 100  # what a large room's watcher counts may cost its sockets, all together
WATCHERS_AT_MOST_EVERY_SECONDS = 30.0
_trailing: set["asyncio.Task[None]"] = set()  # watcher-count broadcasts waiting for their window (kept referenced)
_trailing_rooms: set[int] = set()  # rooms whose end-of-window count this process sends (no need to ask Redis)


def watchers_window(watchers: int) -> float:
    """Seconds between a room's watcher-count broadcasts: every 2 s for a room of up to 200, then longer as
    the room grows, so the counts cost its sockets about 100 messages a second in all (at most every 30 s).
    Each count goes to every socket in the room: with a fixed window, a crowd of 5,000 joining together made
    as many messages as the bids themselves (tests/load/bench_fanout.py); the count is a courtesy, the bids
    are the point."""
    return min(WATCHERS_AT_MOST_EVERY_SECONDS, max(WATCHERS_EVERY_SECONDS, watchers / WATCHERS_MESSAGES_PER_SECOND))


class AuctionConsumer(AsyncJsonWebsocketConsumer):
    # No channel of its own (Channels gives none for an alias that is not configured): the room's broadcasts
    # reach the socket through its process' fan-out (auctions/room_fanout.py), one subscriber per room.
    channel_layer_alias = "auction-room-sockets-have-no-channel"
    auction_id: int
    socket: RoomSocket
    joined: bool = False
    _refresher: "asyncio.Task[None] | None" = None
    _last_typing: float = 0.0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        user = scope.get("user")
        signed_in = user is not None and user.is_authenticated
        # room frames go to the stack's outer `send` (core/ws_frames.py): the wrappers in between only pass them on
        frames_send = scope.get(FRAMES_SEND, send)
        self.socket = RoomSocket(
            frames_send, key=f"room-socket.{uuid.uuid4().hex}", user_id=user.pk if signed_in else None
        )
        await super().__call__(scope, receive, send)

    @property
    def seq(self) -> int:
        """The latest bid sequence this socket has seen (join snapshot, its own bids, room broadcasts)."""
        return self.socket.seq

    @classmethod
    async def decode_json(cls, text_data: str) -> Any:
        return loads_json(text_data)  # amounts stay exact; nesting bounded (a hostile frame is an error, not a crash)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        """Every frame is a request: a request id on its log lines, and (pings, the keep-alive, aside) admitted
        by the one rule every door uses (core/throttles.py; a bid counts in `bids` too). A frame that is not JSON text gets an error;
        the socket stays open (channels would close it, 1011)."""
        request_id = uuid.uuid4().hex
        token = set_request_id(request_id)
        try:
            with structlog.contextvars.bound_contextvars(request_id=request_id):
                try:
                    content = await self.decode_json(text_data) if text_data else None
                except ValueError:
                    content = None
                kind = content.get("type") if isinstance(content, dict) else None
                admission = ALLOWED  # a ping (the page's keep-alive, no work) is never refused
                if kind != "ping":
                    user_id = self.user.pk if self.authenticated else None
                    scope = "bids" if kind == "bid_placed" else None
                    admission = await admit_async(windows(user_id=user_id, address=self.address, scope=scope))
                if not admission.allowed:
                    await self.refuse(content, bid_protocol.throttled(admission.wait))
                elif content is None:
                    await self.send_json({"type": "error", "code": "invalid_json", "error": "Send JSON text messages."})
                else:
                    await self.receive_json(content, **kwargs)
        finally:
            reset_request_id(token)

    async def refuse(self, content: Any, error: DomainError) -> None:
        """A refused frame: a bid gets its `bid_update`, anything else an `error`."""
        if isinstance(content, dict) and content.get("type") == "bid_placed":
            told = bid_protocol.tell(error)
            await self.send_json(bid_protocol.socket_reply(told, content.get("request_id"), self.auction_id))
            return
        await self.send_json({"type": "error", "code": error.code, "error": error.message, "details": error.details})

    @property
    def address(self) -> str | None:
        """The connection's address, recorded with a bid, as every door records it."""
        client = self.scope.get("client") or [None]
        return client[0] or None

    @classmethod
    async def encode_json(cls, content: Any) -> str:
        return json.dumps(content, cls=DjangoJSONEncoder, separators=(",", ":"))

    @property
    def user(self) -> Any:
        return self.scope.get("user")

    @property
    def authenticated(self) -> bool:
        return bool(self.user is not None and self.user.is_authenticated)

    async def connect(self) -> None:
        """Accept, subscribe to the room, read its state (auctions/room_snapshot.py: anonymous joiners share
        reads; no other database read), then connection_response and auction_joined. No such auction: an
        error and close 4404."""
        self.auction_id = int(self.scope["url_route"]["kwargs"]["auction_id"])
        await self.accept()
        await self._subscribe()
        state = await room_snapshot.snapshot_for(self.auction_id, self.user)
        if state is None:
            await self._unsubscribe()
            await self.send_json({"type": "error", "code": "auction_not_found", "error": "Auction not found."})
            await self.close(code=4404)
            return
        await self.send_json(
            {
                "type": "connection_response",
                "auction_id": self.auction_id,
                "server_time": timezone.now().isoformat(),
                "authenticated": self.authenticated,
                "user_id": self.user.pk if self.authenticated else None,
            }
        )
        await self.join(state)

    async def disconnect(self, code: int) -> None:
        self.socket.discard()
        if self.joined:
            await self.leave(reply=False)

    # --- joining and leaving -------------------------------------------------------------
    async def _subscribe(self) -> None:
        """In the room's fan-out: its broadcasts, and its user's, from when this returns (held while the socket
        handles a frame of its own: `dispatch`)."""
        await room_fanout.join(self.auction_id, self.socket)

    async def _unsubscribe(self) -> None:
        self.socket.leave()

    async def join(self, state: dict[str, Any] | None = None) -> None:
        """Join the room (again): subscribed first, then the state read after it (`state`, when `connect`
        has just read it after subscribing), so no broadcast falls between the two."""
        if not self.joined:
            if state is None:
                await self._subscribe()
            self.joined = True
            self._refresher = asyncio.ensure_future(self._keep_counted())
        watchers = await realtime.watcher_touch(self.auction_id, self.socket.key)
        if state is None:
            state = await room_snapshot.snapshot_for(self.auction_id, self.user)
        else:
            state = {**state, "watchers": watchers}
        self.socket.seq = max(self.socket.seq, state["seq"] if state else 0)
        await self.send_json(
            {
                "type": "auction_joined",
                "you": True,
                "auction_id": self.auction_id,
                "seq": self.seq,
                "state": state,
                "watchers": watchers,
                "server_time": timezone.now().isoformat(),
            }
        )
        await self._announce_watchers("auction_joined", watchers)

    async def leave(self, *, reply: bool = True) -> None:
        await self._unsubscribe()
        self.joined = False
        if self._refresher is not None:
            self._refresher.cancel()
            self._refresher = None
        watchers = await realtime.watcher_leave(self.auction_id, self.socket.key)
        if reply:
            await self.send_json(
                {
                    "type": "auction_left",
                    "you": True,
                    "auction_id": self.auction_id,
                    "watchers": watchers,
                    "seq": self.seq,
                }
            )
        await self._announce_watchers("auction_left", watchers)

    async def _announce_watchers(self, kind: str, watchers: int) -> None:
        """The room's watcher count, coalesced to one broadcast per room and window (`watchers_window`): the
        first change in a window is sent at once, and one more broadcast at the window's end carries the
        count the later joins and leaves left."""
        if self.auction_id in _trailing_rooms:
            return  # this process sends the room's count at the window's end: it will include this change
        seconds = watchers_window(watchers)
        when = await realtime.watcher_announcement(self.auction_id, seconds)
        if when == "now":
            await self._send_watchers(kind, watchers)
        elif when == "later":
            _trailing_rooms.add(self.auction_id)
            task = asyncio.ensure_future(self._send_watchers_later(kind, seconds))
            _trailing.add(task)
            task.add_done_callback(_trailing.discard)

    async def _send_watchers_later(self, kind: str, seconds: float) -> None:
        try:
            await asyncio.sleep(seconds)
        finally:
            _trailing_rooms.discard(self.auction_id)
        await self._send_watchers(kind, await realtime.watcher_count_async(self.auction_id))

    async def _send_watchers(self, kind: str, watchers: int) -> None:
        payload = {"type": kind, "auction_id": self.auction_id, "watchers": watchers, "seq": self.seq}
        await room_fanout.send_to_room(self.auction_id, {"type": "room.event", "text": realtime.encode(payload)})

    async def _keep_counted(self) -> None:
        while True:
            await asyncio.sleep(realtime.WATCHER_REFRESH_SECONDS)
            await realtime.watcher_touch(self.auction_id, self.socket.key)

    # --- client messages ------------------------------------------------------------------
    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "ping":
            await self.send_json(
                {"type": "pong", "server_time": timezone.now().isoformat(), "sent": content.get("sent")}
            )
            if self.joined:
                await realtime.watcher_touch(self.auction_id, self.socket.key)
        elif kind == "join_auction":
            await self.join()
        elif kind == "leave_auction":
            if self.joined:
                await self.leave()
        elif kind == "bid_placed":
            await self.place_bid(content)
        elif kind == "typing":
            await self.typing()
        else:
            await self.send_json({"type": "error", "code": "unknown_type", "error": "Unknown message type."})

    async def place_bid(self, content: dict[str, Any]) -> None:
        """A `bid_placed` frame (admitted already): bid_protocol reads it and tells the outcome."""
        outcome: object
        if not self.authenticated:
            outcome = bid_protocol.LOGIN_REQUIRED
        else:
            try:
                ask = bid_protocol.read(content)
            except DomainError as exc:
                outcome = exc
            else:
                headers = dict(self.scope.get("headers") or [])
                agent = headers.get(b"user-agent", b"").decode(errors="replace")
                outcome = await bid_place_async(self.auction_id, self.user, ask.amount, self.address, agent)
        told = bid_protocol.tell(outcome)
        if told.result is not None:
            self.socket.placed_bid_ids.add(told.result.bid.pk)
            self.socket.seq = max(self.socket.seq, told.result.bid.seq)
        await self.send_json(bid_protocol.socket_reply(told, content.get("request_id"), self.auction_id))

    async def typing(self) -> None:
        now = time.monotonic()
        if not self.authenticated or now - self._last_typing < TYPING_EVERY_SECONDS:
            return
        self._last_typing = now
        name = getattr(self.user, "display_name", "") or "Someone"
        await room_fanout.send_to_room(
            self.auction_id,
            {
                "type": "room.typing",
                "sender": self.socket.key,
                "text": realtime.encode(
                    {"type": "user_typing", "auction_id": self.auction_id, "name": name, "seq": self.seq}
                ),
            },
        )

    # --- dispatch ------------------------------------------------------------------------------
    async def dispatch(self, message: dict[str, Any]) -> None:
        """The client's frames skip channels' per-message hop to the sync thread to close stale database
        connections (on a hot lot it was a tenth of a bid's cost): everything that touches the database goes
        through `database_sync_to_async` (or `bid_place_async`, which uses it), which closes stale connections
        itself. While the socket handles a frame (or its connect), its room's broadcasts wait, in order, and
        follow it (room_fanout.RoomSocket.pause): the joiner's state comes first, a bid's answer before its echo
        is judged. Room broadcasts never come here: the room's fan-out writes them (auctions/room_fanout.py)."""
        kind = message.get("type")
        if kind == "websocket.receive":
            self.socket.pause()
            try:
                await self.websocket_receive(message)
            finally:
                self.socket.resume()
            return
        if kind == "websocket.connect":  # the join's reads close stale connections themselves (see above)
            self.socket.pause()
            try:
                await self.websocket_connect(message)
            finally:
                self.socket.resume()
            return
        if kind == "websocket.disconnect":  # Redis only: leaving the room and the watcher count
            await self.websocket_disconnect(message)
            return
        await super().dispatch(message)
