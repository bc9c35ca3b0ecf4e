"""A lean live-room watcher for the fan-out benchmarks: the WebSocket client protocol by hand on asyncio.

The watcher clients share the machine's cores with the servers they measure (in production watchers are on
other machines), so every µs a client spends on a message is a µs the server does not get; the `websockets`
library (handshake, frame objects, a queue and a task wake-up per message) cost the bench's client processes
about as much CPU per delivered message as the web processes themselves. Here one `asyncio.Protocol` per
socket does the HTTP upgrade itself and reads the server's frames straight from each read:

- `FrameReader`: server-to-client frames (RFC 6455 §5): unmasked (a masked one is a protocol error), any of
  the three length forms, frames split across reads and several frames in one read, fragmented messages
  (control frames may come between the fragments);
- `RoomWatcher`: the handshake (101 and the `Sec-WebSocket-Accept` of its key checked), pings answered with
  masked pongs, a close answered and the socket closed; of each text frame only the type and the `seq` are
  read (the server encodes frames compactly, `type` first), and a `new_bid`'s time of arrival is taken when
  its frame has been parsed. Text frames are not checked to be UTF-8 (nothing here decodes them).

Every `new_bid` a socket reads after its `auction_joined` is counted once (`Receipts.arrivals`); a `seq` that
skips ahead of the socket's last one (the joined state's `seq`, then each `new_bid`'s) counts the bids it
skipped as missed, and one not above it as repeated.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import re
import time
from dataclasses import dataclass, field
from typing import cast

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
NEW_BID = b'{"type":"new_bid"'
JOINED = b'{"type":"auction_joined"'
SEQ = re.compile(rb'"seq":(\d+)')
MAX_MESSAGE = 16 * 1024 * 1024


class ProtocolError(Exception):
    """The server broke RFC 6455 (or sent more than a watcher takes)."""


class NotJoined(Exception):  # noqa: N818 - what the watcher is told, not an error of the code
    """The socket closed or failed before its `auction_joined`."""


class FrameReader:
    """Server-to-client WebSocket messages from a byte stream, fed as it is read."""

    __slots__ = ("_buffer", "_fragments", "_fragment_opcode")

    def __init__(self) -> None:
        self._buffer = b""
        self._fragments: list[bytes] = []
        self._fragment_opcode = 0

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        """The complete messages in what was read so far, as (opcode, payload): a fragmented message once,
        with its first frame's opcode, when its last fragment arrives; control frames as they come. An
        incomplete frame waits for the next read."""
        if self._buffer:
            data = self._buffer + data
            self._buffer = b""
        messages: list[tuple[int, bytes]] = []
        at, end = 0, len(data)
        while end - at >= 2:
            first, second = data[at], data[at + 1]
            if second & 0x80:
                raise ProtocolError("a masked frame from the server")
            if first & 0x70:
                raise ProtocolError("reserved bits set (no extension was negotiated)")
            length, head = second & 0x7F, 2
            if length == 126:
                if end - at < 4:
                    break
                length, head = int.from_bytes(data[at + 2 : at + 4], "big"), 4
            elif length == 127:
                if end - at < 10:
                    break
                length, head = int.from_bytes(data[at + 2 : at + 10], "big"), 10
            if length > MAX_MESSAGE:
                raise ProtocolError(f"a frame of {length} bytes")
            if end - at < head + length:
                break
            payload = data[at + head : at + head + length]
            at += head + length
            opcode, fin = first & 0x0F, first & 0x80
            if opcode >= CLOSE:
                if not fin or length > 125:
                    raise ProtocolError("a fragmented or long control frame")
                messages.append((opcode, payload))
            elif opcode == CONTINUATION:
                if not self._fragment_opcode:
                    raise ProtocolError("a continuation frame with no message to continue")
                self._fragments.append(payload)
                if fin:
                    messages.append((self._fragment_opcode, b"".join(self._fragments)))
                    self._fragments, self._fragment_opcode = [], 0
            elif opcode in (TEXT, BINARY):
                if self._fragment_opcode:
                    raise ProtocolError("a new message before the last one's final fragment")
                if fin:
                    messages.append((opcode, payload))
                else:
                    self._fragments, self._fragment_opcode = [payload], opcode
            else:
                raise ProtocolError(f"opcode {opcode:#x}")
        if at < end:
            self._buffer = data[at:]
        return messages


def client_frame(opcode: int, payload: bytes) -> bytes:
    """One final frame from the client: masked with a fresh random key, as every client frame must be."""
    length = len(payload)
    if length < 126:
        head = bytes((0x80 | opcode, 0x80 | length))
    elif length < 1 << 16:
        head = bytes((0x80 | opcode, 0x80 | 126)) + length.to_bytes(2, "big")
    else:
        head = bytes((0x80 | opcode, 0x80 | 127)) + length.to_bytes(8, "big")
    key = os.urandom(4)
    keystream = (key * (length // 4 + 1))[:length]
    masked = (int.from_bytes(payload, "big") ^ int.from_bytes(keystream, "big")).to_bytes(length, "big")
    return head + key + masked


def seq_of(payload: bytes) -> int | None:
    """The first `seq` of a room frame (the frame's own: nested states come after it), without decoding it."""
    found = SEQ.search(payload)
    return int(found.group(1)) if found else None


@dataclass
class Receipts:
    """What a client process' watchers read: arrival times per `new_bid` seq, and how their joins went."""

    arrivals: dict[int, list[float]] = field(default_factory=dict)
    joined: int = 0
    failed: int = 0
    failures: dict[str, int] = field(default_factory=dict)  # why watchers failed to join, counted
    missed: int = 0  # bids a socket's seq skipped over (after its join)
    repeated: int = 0  # new_bid frames whose seq was not above the socket's last
    closed: int = 0  # sockets closed after joining (by the server, or their connection lost)

    def fail(self, reason: str) -> None:
        self.failed += 1
        self.failures[reason] = self.failures.get(reason, 0) + 1


class RoomWatcher(asyncio.Protocol):
    """One watcher socket: upgrades, waits for `auction_joined` (`joined` resolves), then records each
    `new_bid` in `receipts`. `joined` fails with the reason when the socket closes or fails before that."""

    def __init__(self, receipts: Receipts, *, host: str, path: str, origin: str) -> None:
        self.receipts = receipts
        key = base64.b64encode(os.urandom(16))
        self.accept = base64.b64encode(hashlib.sha1(key + GUID).digest())  # noqa: S324 - RFC 6455's digest
        self.request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key.decode()}\r\nSec-WebSocket-Version: 13\r\nOrigin: {origin}\r\n\r\n"
        ).encode()
        self.joined: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None
        self.reader: FrameReader | None = None  # once upgraded
        self.response = b""
        self.seq = -1  # the last seq this socket saw; -1 until it joined
        self.closing = False  # a close frame was sent
        self.stopped = False  # closed by `close` (the benchmark is done with it)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not asyncio's class, but is one
        self.transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        try:
            if self.reader is None:
                data = self._upgrade(data)
                if self.reader is None or not data:
                    return
            for opcode, payload in self.reader.feed(data):
                if opcode == TEXT:
                    self._text(payload)
                elif opcode == PING:
                    self._write(client_frame(PONG, payload))
                elif opcode == CLOSE:
                    self._close(payload[:2])
                    return
        except ProtocolError as error:
            self._fail(f"ProtocolError: {error}")
            self._close(b"\x03\xea")  # 1002, protocol error

    def _upgrade(self, data: bytes) -> bytes:
        """Read the server's handshake response; returns what follows it (the first frames)."""
        self.response += data
        end = self.response.find(b"\r\n\r\n")
        if end < 0:
            if len(self.response) > 65536:
                raise ProtocolError("no end to the handshake response")
            return b""
        head, rest = self.response[:end], self.response[end + 4 :]
        self.response = b""
        lines = head.split(b"\r\n")
        status = lines[0].split(b" ", 2)
        if len(status) < 2 or status[1] != b"101":
            raise ProtocolError(f"handshake answered {lines[0][:40].decode(errors='replace')}")
        headers = {
            name.strip().lower(): value.strip() for name, _, value in (line.partition(b":") for line in lines[1:])
        }
        if headers.get(b"sec-websocket-accept") != self.accept:
            raise ProtocolError("wrong Sec-WebSocket-Accept")
        self.reader = FrameReader()
        return rest

    def _text(self, payload: bytes) -> None:
        if payload.startswith(NEW_BID):
            now = time.time()
            if self.seq < 0:
                return  # before its join: the join's state includes it
            seq = seq_of(payload)
            if seq is None:
                return
            arrivals = self.receipts.arrivals.get(seq)
            if arrivals is None:
                self.receipts.arrivals[seq] = [now]
            else:
                arrivals.append(now)
            if seq > self.seq:
                self.receipts.missed += seq - self.seq - 1
                self.seq = seq
            else:
                self.receipts.repeated += 1
        elif self.seq < 0 and payload.startswith(JOINED):
            self.seq = seq_of(payload) or 0
            self.receipts.joined += 1
            self.joined.set_result(None)

    def _write(self, frame: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(frame)

    def _close(self, code: bytes) -> None:
        """Answer (or start) the closing handshake and close the connection."""
        if not self.closing:
            self.closing = True
            self._write(client_frame(CLOSE, code))
        if self.transport is not None:
            self.transport.close()

    def close(self) -> None:
        """Close this socket (1000, normal closure)."""
        self.stopped = True
        self._close(b"\x03\xe8")

    def _fail(self, reason: str) -> None:
        if not self.joined.done():
            self.joined.set_exception(NotJoined(reason))

    def connection_lost(self, exc: Exception | None) -> None:
        if self.joined.done() and not self.joined.cancelled() and self.joined.exception() is None:
            if not self.stopped:
                self.receipts.closed += 1
            return
        self._fail("closed before joining" if exc is None else f"{type(exc).__name__}: {str(exc)[:60]}")


async def watch(receipts: Receipts, *, port: int, path: str, timeout: float = 120.0) -> RoomWatcher | None:
    """Open one watcher on 127.0.0.1:`port` and wait until it joined (None, counted in `receipts`, if it
    could not)."""
    loop = asyncio.get_running_loop()
    watcher: RoomWatcher | None = None
    try:
        async with asyncio.timeout(timeout):
            _, watcher = await loop.create_connection(
                lambda: RoomWatcher(receipts, host=f"127.0.0.1:{port}", path=path, origin="http://127.0.0.1"),
                "127.0.0.1",
                port,
            )
            await watcher.joined
        return watcher
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # noqa: BLE001 - counted as a watcher that never joined
        if watcher is not None:
            watcher.joined.cancel()
            watcher.close()
        receipts.fail(str(exc) if isinstance(exc, NotJoined) else f"{type(exc).__name__}: {str(exc)[:60]}")
        return None
