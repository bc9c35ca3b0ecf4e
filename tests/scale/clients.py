"""The people of the scale test, as asyncio clients talking to the balancer only: bidders (HTTP, keep-alive,
an Idempotency-Key per bid, retried with the same key when the answer was lost) and watchers (a live room
each, reconnecting when the connection drops and catching up by `seq` from the bid history).
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tests.load.loadgen import _read_response, increment


@dataclass
class Ack:
    """An acknowledged bid: the 201 the bidder got back."""

    key: str
    seq: int
    max_amount: Decimal
    served_by: str
    sent_at: float


@dataclass
class BidderTally:
    acks: list[Ack] = field(default_factory=list)
    refused: int = 0
    # answers that were neither 201 nor a refusal, and connections that broke: (when, what)
    failures: list[tuple[float, str]] = field(default_factory=list)
    served_by: list[tuple[float, str]] = field(default_factory=list)  # (when sent, which process answered)


class Ladder:
    """Rising maxima shared by all bidders, two increments apart, so most bids are accepted."""

    def __init__(self, start: Decimal = Decimal("5000")) -> None:
        self.value = start

    def next(self) -> Decimal:
        self.value += 2 * increment(self.value)
        return self.value


async def _http(
    port: int, request: bytes, conn: list[Any]
) -> tuple[int, dict[str, str], bytes]:  # conn: [reader, writer] reused (keep-alive) or opened
    if not conn:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        conn.extend([reader, writer])
    reader, writer = conn
    writer.write(request)
    await writer.drain()
    head_and_body = await _read_with_headers(reader)
    return head_and_body


async def _read_with_headers(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
    if "content-length" in headers:
        return status, headers, await reader.readexactly(int(headers["content-length"]))
    # chunked: hand the rest to the load generator's reader, which knows the framing
    _, body = await _read_response(_Prefixed(head, reader))  # type: ignore[arg-type]
    return status, headers, body


class _Prefixed:
    """A reader that first replays an already-read head (for `_read_response`)."""

    def __init__(self, head: bytes, reader: asyncio.StreamReader) -> None:
        self.buffer, self.reader = head, reader

    async def readuntil(self, separator: bytes) -> bytes:
        if self.buffer:
            data, self.buffer = self.buffer, b""
            return data
        return await self.reader.readuntil(separator)

    async def readexactly(self, n: int) -> bytes:
        return await self.reader.readexactly(n)


async def bidder(
    *, port: int, token: str, auction_id: int, ladder: Ladder, stop: asyncio.Event, tally: BidderTally, pause: float
) -> None:
    """Bid until `stop`; every bid carries a fresh Idempotency-Key, resent unchanged until it is answered."""
    conn: list[Any] = []
    while not stop.is_set():
        amount = ladder.next()
        key = uuid.uuid4().hex
        body = json.dumps({"amount": str(amount)}).encode()
        request = (
            f"POST /api/auctions/{auction_id}/bid HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\nIdempotency-Key: {key}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        for _attempt in range(20):  # the same key until the bid is answered (a retry is never a second bid)
            sent = time.monotonic()
            try:
                status, headers, payload = await asyncio.wait_for(_http(port, request, conn), 30)
            except (TimeoutError, OSError, asyncio.IncompleteReadError) as exc:
                tally.failures.append((sent, f"connection: {type(exc).__name__}"))
                _close(conn)
                await asyncio.sleep(0.1)
                continue
            served = headers.get("x-served-by", "?")
            tally.served_by.append((sent, served))
            if headers.get("connection", "").lower() == "close":
                _close(conn)
            if status == 201:
                bid = json.loads(payload)["data"]["bid"]
                tally.acks.append(Ack(key, int(bid["seq"]), Decimal(bid["max_amount"]), served, sent))
                break
            if status in (400, 409):
                tally.refused += 1
                break
            tally.failures.append((sent, f"{status} from {served}"))
            await asyncio.sleep(0.1)
        await asyncio.sleep(pause)
    _close(conn)


def _close(conn: list[Any]) -> None:
    if conn:
        conn[1].close()
        conn.clear()


@dataclass
class Watcher:
    """A live room's client. `live` is every new_bid seq as it arrived on a socket; `processed` the seqs the
    client applied, live or caught up from the history, in the order it applied them."""

    index: int
    live: list[int] = field(default_factory=list)
    processed: list[int] = field(default_factory=list)
    servers: list[str] = field(default_factory=list)  # the process behind each connection, in order
    reconnects: int = 0
    caught_up: int = 0
    joined: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def last(self) -> int:
        return self.processed[-1] if self.processed else 0

    def apply(self, seq: int) -> None:
        if seq == self.last + 1:
            self.processed.append(seq)


async def catch_up(port: int, auction_id: int, watcher: Watcher, upto: int) -> None:
    """Fetch the bids after the watcher's last seq (the public history, newest first, 100 a page)."""
    missing: dict[int, bool] = {}
    page = 1
    while watcher.last < upto:
        path = f"/api/bids/auction/{auction_id}?page_size=100&page={page}"
        request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
        conn: list[Any] = []
        try:
            status, _, payload = await _http(port, request, conn)
        finally:
            _close(conn)
        if status != 200:
            await asyncio.sleep(0.2)
            continue
        data = json.loads(payload)
        for row in data["results"]:
            missing[int(row["seq"])] = True
        oldest = min((int(r["seq"]) for r in data["results"]), default=0)
        if oldest <= watcher.last + 1 or not data.get("next"):
            for seq in sorted(s for s in missing if s > watcher.last):
                watcher.apply(seq)
                watcher.caught_up += 1
            page = 1
            missing.clear()
            if watcher.last < upto:
                await asyncio.sleep(0.1)
        else:
            page += 1


async def watch(*, port: int, auction_id: int, watcher: Watcher, stop: asyncio.Event) -> None:
    """Stay in the room until `stop`, reconnecting through the balancer whenever the socket drops."""
    import websockets

    url = f"ws://127.0.0.1:{port}/ws/auctions/{auction_id}/"
    while not stop.is_set():
        try:
            async with websockets.connect(url, origin="http://127.0.0.1", max_queue=None, open_timeout=30) as ws:
                watcher.servers.append(ws.response.headers.get("X-Served-By", "?"))
                reader = asyncio.ensure_future(_room(ws, port, auction_id, watcher))
                stopper = asyncio.ensure_future(stop.wait())
                await asyncio.wait([reader, stopper], return_when=asyncio.FIRST_COMPLETED)
                for task in (reader, stopper):
                    task.cancel()
                await asyncio.gather(reader, stopper, return_exceptions=True)
                if stop.is_set():
                    return
        except (TimeoutError, OSError, websockets.exceptions.WebSocketException):
            pass
        watcher.reconnects += 1
        await asyncio.sleep(0.05)


async def _room(ws: Any, port: int, auction_id: int, watcher: Watcher) -> None:
    async for raw in ws:
        message = json.loads(raw)
        kind = message.get("type")
        if kind == "auction_joined" and "state" in message:
            watcher.joined.set()
            current = int(message.get("seq") or message["state"].get("last_seq") or 0)
            if current > watcher.last:  # joined (again) after bids it has not seen
                await catch_up(port, auction_id, watcher, current)
        elif kind == "new_bid":
            seq = int(message["seq"])
            watcher.live.append(seq)
            if seq > watcher.last + 1:  # a gap: the missed bids come from the history
                await catch_up(port, auction_id, watcher, seq - 1)
            watcher.apply(seq)
