"""The bidders of the hot-auction benchmark, as a load generator in its own process (no Django).

    python -m tests.load.loadgen '<json spec>'     # prints one line: RESULT <json>

spec: {"kind": "http" | "ws", "mode": "war" | "rising", "ports": [...], "tokens": [...], "auction_id": int,
       "seconds": float, "rate": float | null, "idempotency_keys": bool (HTTP: a fresh key on every bid),
       "form_body": bool (HTTP: the amount form-encoded, which the bid lane hands to Django + DRF),
       "ws_auth": "protocol" (default: Sec-WebSocket-Protocol: bearer, <token>) | "query" (?token=, before)}

- HTTP: one keep-alive connection per bidder, raw asyncio sockets (`POST /api/auctions/<id>/bid`, a Bearer token).
  WebSocket: one socket per bidder (`bid_placed`), after leaving the room's broadcast group.
- mode "war": each bidder bids the minimum next bid it last saw plus 0-1.5 increments (the cents included),
  and learns the new minimum from every answer, so most bids arrive after someone else raised the price and
  are refused (below the minimum). (It was "plus 0-3 %" until a fast run's thousands of accepted bids
  compounded the price past the largest amount the site takes: such bids were refused as invalid.)
  mode "rising": every bid is a fresh, higher max (a ladder shared by all bidders, two increments apart), so
  most bids are accepted.
- rate null: closed loop, every bidder sends its next bid as soon as the last one is answered (saturation).
  rate r: open loop, each bidder sends at random (Poisson) times averaging r bids/s in all; latency runs from
  the moment a bid was due, so a slow answer that delays the next bid is counted, not hidden.

The result carries the latencies, the counts and the CPU seconds this process used, so the benchmark can
show that the load generator is not what limits the numbers.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
import uuid
from decimal import Decimal
from typing import Any

INCREMENTS = [  # BIDDING.md's default table (the bench auction uses it)
    (Decimal("100000"), Decimal("1000")),
    (Decimal("50000"), Decimal("500")),
    (Decimal("25000"), Decimal("250")),
    (Decimal("5000"), Decimal("100")),
    (Decimal("1000"), Decimal("50")),
    (Decimal("0"), Decimal("25")),
]


def increment(price: Decimal) -> Decimal:
    return next(step for start, step in INCREMENTS if price >= start)


class Tally:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.accepted = 0
        self.refused = 0
        self.errors: dict[str, int] = {}

    def error(self, key: str) -> None:
        self.errors[key] = self.errors.get(key, 0) + 1


class Amounts:
    """What a bidder bids next, by mode."""

    ladder = Decimal("5000")  # shared by the bidders of one process (mode "rising")

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.seen_minimum = Decimal("5000")

    def next(self) -> Decimal:
        if self.mode == "rising":
            Amounts.ladder += 2 * increment(Amounts.ladder)
            return Amounts.ladder
        extra = increment(self.seen_minimum) * Decimal(random.randint(0, 15000)) / 10000
        return (self.seen_minimum + extra).quantize(Decimal("0.01"))

    def learn(self, minimum: str | None) -> None:
        if minimum:
            self.seen_minimum = Decimal(minimum)


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
    if "content-length" in headers:
        return status, await reader.readexactly(int(headers["content-length"]))
    body = b""
    while True:  # chunked
        size = int((await reader.readuntil(b"\r\n")).strip(), 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return status, body
        body += await reader.readexactly(size)
        await reader.readexactly(2)


def _judge(tally: Tally, amounts: Amounts, ok: bool, code: str, details: dict[str, Any], minimum: str | None) -> None:
    if ok:
        tally.accepted += 1
        amounts.learn(minimum)
    elif code == "below_minimum":
        tally.refused += 1
        amounts.learn(details.get("minimum_bid"))
    elif code == "not_above_own_max":
        tally.refused += 1
        amounts.seen_minimum = Decimal(details["your_max"]) + 100
    else:
        tally.error(code)


class Pace:
    """When each bid is due: at once (closed loop) or at Poisson times (open loop)."""

    def __init__(self, per_bidder_rate: float | None) -> None:
        self.rate = per_bidder_rate
        self.due = time.perf_counter() + (random.expovariate(per_bidder_rate) if per_bidder_rate else 0)

    async def wait(self, stop_at: float) -> float:
        if self.rate is None:
            return time.perf_counter()
        due = self.due
        self.due += random.expovariate(self.rate)
        if due >= stop_at:
            return due  # the run is over: no waiting for a bid that will not be sent
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        return due


class Start:
    """Every bidder connects first; the clock starts when all are ready."""

    def __init__(self, count: int, seconds: float, rate: float | None) -> None:
        self.count, self.seconds, self.ready = count, seconds, 0
        self.per_bidder_rate = rate / count if rate else None
        self.go = asyncio.Event()
        self.started = self.stop_at = 0.0

    async def wait(self) -> tuple[float, Pace]:
        self.ready += 1
        if self.ready == self.count:
            self.started = time.perf_counter()
            self.stop_at = self.started + self.seconds
            self.go.set()
        await self.go.wait()
        return self.stop_at, Pace(self.per_bidder_rate)


async def http_bidder(spec: dict[str, Any], index: int, start: Start, tally: Tally) -> None:
    port = spec["ports"][index % len(spec["ports"])]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    amounts = Amounts(spec["mode"])
    form = bool(spec.get("form_body"))
    content_type = "application/x-www-form-urlencoded" if form else "application/json"
    stop_at, pace = await start.wait()
    try:
        while True:
            due = await pace.wait(stop_at)
            if due >= stop_at:
                break
            amount = str(amounts.next())
            body = f"amount={amount}".encode() if form else json.dumps({"amount": amount}).encode()
            key = f"Idempotency-Key: {uuid.uuid4().hex}\r\n" if spec.get("idempotency_keys") else ""
            writer.write(
                (
                    f"POST /api/auctions/{spec['auction_id']}/bid HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    f"Authorization: Bearer {spec['tokens'][index]}\r\nContent-Type: {content_type}\r\n"
                    f"{key}Content-Length: {len(body)}\r\n\r\n"
                ).encode()
                + body
            )
            await writer.drain()
            status, payload = await _read_response(reader)
            tally.latencies.append(time.perf_counter() - due)
            data = json.loads(payload)
            if status == 201:
                _judge(tally, amounts, True, "", {}, data["data"]["auction"]["minimum_next_bid"])
            else:
                details = data.get("details", {})
                code = (
                    "below_minimum"
                    if "minimum_bid" in details
                    else "not_above_own_max"
                    if "your_max" in details
                    else f"{status} {data.get('error', '')[:60]}"
                )
                _judge(tally, amounts, False, code, details, None)
    finally:
        writer.close()


async def ws_bidder(spec: dict[str, Any], index: int, start: Start, tally: Tally) -> None:
    import websockets

    port = spec["ports"][index % len(spec["ports"])]
    url = f"ws://127.0.0.1:{port}/ws/auctions/{spec['auction_id']}/"
    token = spec["tokens"][index]
    if spec.get("ws_auth") == "query":  # how clients authenticated before the token left the query string
        url, protocols = f"{url}?token={token}", None
    else:
        protocols = ["bearer", token]  # Sec-WebSocket-Protocol: bearer, <access token>
    for attempt in range(3):  # a handshake refused under load (a full backlog) is tried again
        try:
            ws = await websockets.connect(
                url, origin="http://127.0.0.1", max_queue=None, open_timeout=60, subprotocols=protocols
            )
            break
        except (OSError, websockets.exceptions.InvalidMessage):
            if attempt == 2:
                raise
    async with ws:
        # Bidders leave the broadcast group: this measures bidding; fan-out is bench_fanout's job.
        await ws.send(json.dumps({"type": "leave_auction"}))
        while json.loads(await ws.recv())["type"] != "auction_left":
            pass
        amounts = Amounts(spec["mode"])
        counter = 0
        stop_at, pace = await start.wait()
        while True:
            due = await pace.wait(stop_at)
            if due >= stop_at:
                break
            counter += 1
            await ws.send(json.dumps({"type": "bid_placed", "amount": str(amounts.next()), "request_id": counter}))
            while True:
                reply = json.loads(await ws.recv())
                if reply.get("type") == "bid_update" and reply.get("request_id") == counter:
                    break
            tally.latencies.append(time.perf_counter() - due)
            accepted = reply["status"] == "accepted"
            _judge(
                tally,
                amounts,
                accepted,
                str(reply.get("code")),
                reply.get("details") or {},
                reply.get("minimum_next_bid"),
            )


async def _connect_all(spec: dict[str, Any]) -> dict[str, Any]:
    tally = Tally()
    bidder = http_bidder if spec["kind"] == "http" else ws_bidder
    count = len(spec["tokens"])
    start = Start(count, spec["seconds"], spec.get("rate"))
    cpu_started = time.process_time()
    await asyncio.gather(*(bidder(spec, i, start, tally) for i in range(count)))
    elapsed = time.perf_counter() - start.started
    return {
        "latencies": tally.latencies,
        "accepted": tally.accepted,
        "refused": tally.refused,
        "errors": tally.errors,
        "elapsed": elapsed,
        "cpu_seconds": time.process_time() - cpu_started,
    }


def main(raw: str) -> None:
    spec = json.loads(raw)
    result = asyncio.run(_connect_all(spec))
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
