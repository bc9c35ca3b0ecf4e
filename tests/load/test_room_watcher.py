"""The fan-out benchmarks' lean watcher (tests/load/room_watcher.py): its frame reader, its client frames, and
a watcher against a real uvicorn (handshake, pings answered, every new_bid counted once, gaps found)."""

from __future__ import annotations

import asyncio
import json
import os
import socket
from typing import Any

import pytest

from tests.load.room_watcher import (
    BINARY,
    CLOSE,
    CONTINUATION,
    PING,
    PONG,
    TEXT,
    FrameReader,
    ProtocolError,
    Receipts,
    RoomWatcher,
    client_frame,
    seq_of,
    watch,
)


def server_frame(opcode: int, payload: bytes, *, fin: bool = True) -> bytes:
    """A server-to-client frame (unmasked), in the shortest length form."""
    first = (0x80 if fin else 0) | opcode
    length = len(payload)
    if length < 126:
        return bytes((first, length)) + payload
    if length < 1 << 16:
        return bytes((first, 126)) + length.to_bytes(2, "big") + payload
    return bytes((first, 127)) + length.to_bytes(8, "big") + payload


def unmask(frame: bytes) -> tuple[int, bytes]:
    """The opcode and payload of a client frame, checking that it is final and masked."""
    assert frame[0] & 0x80, "final"
    assert frame[1] & 0x80, "masked"
    length, at = frame[1] & 0x7F, 2
    if length == 126:
        length, at = int.from_bytes(frame[2:4], "big"), 4
    elif length == 127:
        length, at = int.from_bytes(frame[2:10], "big"), 10
    key, payload = frame[at : at + 4], frame[at + 4 :]
    assert len(payload) == length
    return frame[0] & 0x0F, bytes(byte ^ key[index % 4] for index, byte in enumerate(payload))


def test_frames_of_every_length_form_are_read_whole_from_one_read() -> None:
    short, medium, long = b"a" * 125, b"b" * 126, b"c" * 70000
    stream = server_frame(TEXT, short) + server_frame(TEXT, medium) + server_frame(BINARY, long)

    assert FrameReader().feed(stream) == [(TEXT, short), (TEXT, medium), (BINARY, long)]


def test_a_frame_split_across_reads_at_every_byte_is_read_once_when_complete() -> None:
    payload = b'{"type":"new_bid","seq":7}' * 10
    stream = server_frame(TEXT, payload) + server_frame(PING, b"ping")
    for cut in range(1, len(stream)):
        reader = FrameReader()
        assert reader.feed(stream[:cut]) + reader.feed(stream[cut:]) == [(TEXT, payload), (PING, b"ping")]
    reader = FrameReader()
    assert [message for byte in stream for message in reader.feed(bytes((byte,)))] == [
        (TEXT, payload),
        (PING, b"ping"),
    ]


def test_a_fragmented_message_is_one_message_and_control_frames_between_its_fragments_pass() -> None:
    stream = (
        server_frame(TEXT, b"hel", fin=False)
        + server_frame(PING, b"1")
        + server_frame(CONTINUATION, b"lo", fin=False)
        + server_frame(CONTINUATION, b"!")
    )

    assert FrameReader().feed(stream) == [(PING, b"1"), (TEXT, b"hello!")]


@pytest.mark.parametrize(
    "stream",
    [
        bytes((0x81, 0x80 | 2)) + b"mask" + b"hi",  # masked by the server
        bytes((0xC1, 2)) + b"hi",  # a reserved bit, no extension
        server_frame(PING, b"x", fin=False),  # a fragmented control frame
        server_frame(CONTINUATION, b"x"),  # nothing to continue
        server_frame(TEXT, b"a", fin=False) + server_frame(TEXT, b"b"),  # a new message mid-message
        server_frame(0x3, b""),  # a reserved opcode
    ],
)
def test_a_frame_that_breaks_the_protocol_is_an_error(stream: bytes) -> None:
    with pytest.raises(ProtocolError):
        FrameReader().feed(stream)


@pytest.mark.parametrize("length", [0, 4, 125, 126, 65535, 65536])
def test_client_frames_are_masked_final_and_carry_their_payload(length: int) -> None:
    payload = os.urandom(length)

    assert unmask(client_frame(PONG, payload)) == (PONG, payload)


def test_seq_of_reads_the_frames_own_seq() -> None:
    assert seq_of(b'{"type":"auction_joined","auction_id":12,"seq":41,"state":{"seq":41}}') == 41
    assert seq_of(b'{"type":"user_typing"}') is None


class FakeTransport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.written: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:  # type: ignore[override]
        self.written.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True


def test_a_close_from_the_server_is_answered_and_counted_once_joined() -> None:
    async def scenario() -> tuple[Receipts, FakeTransport]:
        receipts = Receipts()
        watcher = RoomWatcher(receipts, host="127.0.0.1:1", path="/ws/auctions/5/", origin="http://127.0.0.1")
        transport = FakeTransport()
        watcher.connection_made(transport)
        response = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: "
        joined = server_frame(TEXT, b'{"type":"auction_joined","auction_id":5,"seq":3}')
        watcher.data_received(response + watcher.accept + b"\r\n\r\n" + joined + server_frame(CLOSE, b"\x03\xf5"))
        watcher.connection_lost(None)
        await watcher.joined
        return receipts, transport

    receipts, transport = asyncio.run(scenario())

    assert transport.written[0].startswith(b"GET /ws/auctions/5/ HTTP/1.1\r\n")
    assert unmask(transport.written[1]) == (CLOSE, b"\x03\xf5")
    assert transport.closed
    assert (receipts.joined, receipts.closed) == (1, 1)


# --- against a real server -------------------------------------------------------------------------------


def room_app(frames: list[str]) -> Any:
    """A room-like ASGI app at /ws/auctions/5/ (any other path is refused): accepts, sends `auction_joined`
    (seq 1), then `frames`, then waits for the client to close."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "websocket"
        assert (await receive())["type"] == "websocket.connect"
        if scope["path"] != "/ws/auctions/5/":
            await send({"type": "websocket.close"})
            return
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "text": json.dumps({"type": "new_bid", "seq": 1})})  # before the join
        await send({"type": "websocket.send", "text": '{"type":"auction_joined","auction_id":5,"seq":1}'})
        for frame in frames:
            await send({"type": "websocket.send", "text": frame})
        while (await receive())["type"] != "websocket.disconnect":
            pass

    return app


def test_a_watcher_on_uvicorn_counts_each_new_bid_once_finds_gaps_and_answers_pings() -> None:
    import uvicorn

    def bid(seq: int) -> str:
        return json.dumps({"type": "new_bid", "auction_id": 5, "seq": seq, "price": "5100.00"}, separators=(",", ":"))

    frames = [bid(2), '{"type":"watchers","seq":2,"watchers":3}', bid(3), bid(5), bid(5), "x" * 70000, bid(6)]

    async def scenario() -> tuple[Receipts, Receipts, bool]:
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        port = listener.getsockname()[1]
        config = uvicorn.Config(
            room_app(frames),
            ws="websockets-sansio",
            ws_ping_interval=0.05,  # pings answered within 0.5 s or the server closes the socket
            ws_ping_timeout=0.5,
            lifespan="off",
            log_config=None,
        )
        server = uvicorn.Server(config)
        serving = asyncio.ensure_future(server.serve(sockets=[listener]))
        try:
            while not server.started:
                await asyncio.sleep(0.01)
            receipts = Receipts()
            watcher = await watch(receipts, port=port, path="/ws/auctions/5/", timeout=10)
            assert watcher is not None
            while sum(map(len, receipts.arrivals.values())) < 5:
                await asyncio.sleep(0.01)
            await asyncio.sleep(1.0)  # well past several ping intervals and one ping timeout
            still_open = not watcher.transport.is_closing() if watcher.transport else False
            watcher.close()

            refused = Receipts()
            assert await watch(refused, port=port, path="/ws/auctions/6/", timeout=10) is None
            return receipts, refused, still_open
        finally:
            server.should_exit = True
            await serving

    receipts, refused, still_open = asyncio.run(scenario())

    assert receipts.joined == 1
    assert {seq: len(arrivals) for seq, arrivals in receipts.arrivals.items()} == {2: 1, 3: 1, 5: 2, 6: 1}
    assert receipts.missed == 1  # seq 4
    assert receipts.repeated == 1  # seq 5, twice
    assert receipts.closed == 0
    assert still_open, "pings went unanswered: the server closed the socket"
    assert (refused.joined, refused.failed) == (0, 1)
    assert list(refused.failures) == ["ProtocolError: handshake answered HTTP/1.1 403 Forbidden"]
