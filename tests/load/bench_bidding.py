"""Hot-auction benchmark: N concurrent bidders (N = 10, 50, 200) on one auction, over HTTP and over WebSocket,
against two daphne processes and MariaDB; and the raw limit, the same transaction (lock the row, insert a bid,
update the auction) in a tight loop of plain SQL from N connections. Also counts the SQL statements issued
while the auction lock is held.

    .venv/bin/python -m tests.load.bench_bidding          # prints the markdown section
    from tests.load.bench_bidding import run; run()       # same, for tests/load/run_all.py

`run()` works in a child process on the dedicated bench database (`auction_bench` on the server of
$DATABASE_URL), 127.0.0.1 only. Each bidder bids the minimum next bid it last saw plus 0-3 %, and
learns the new minimum from every answer (accepted, or refused below the minimum), like a real bidding war.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
NS = [int(n) for n in os.environ.get("BENCH_BIDDERS", "10,50,200").split(",")]
SECONDS = float(os.environ.get("BENCH_BID_SECONDS", "8"))
RAW_SECONDS = float(os.environ.get("BENCH_RAW_SECONDS", "5"))
DAPHNES = int(os.environ.get("BENCH_DAPHNES", "2"))


# --- shared by the auction benchmarks ---------------------------------------------------------------


def bench_env(isolation: str, **extra: str) -> dict[str, str]:
    """Environment for bench children and the servers they start: the bench database, own Redis prefix."""
    base = os.environ.get("DATABASE_URL", "mysql://root:@127.0.0.1:3306/auction")
    parts = urlsplit(base)
    url = urlunsplit((parts.scheme, parts.netloc, "/auction_bench", "", ""))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": url,
        "TEST_ISOLATION": isolation,
        "CHANNEL_LAYER_PREFIX": f"asgi-{isolation}",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "LOG_LEVEL": "ERROR",
        "PYTHONUNBUFFERED": "1",
    }
    env.update(extra)
    return env


def run_child(module: str, isolation: str, timeout: float = 600) -> str:
    result = subprocess.run(
        [sys.executable, "-m", module, "--child"],
        cwd=ROOT,
        env=bench_env(isolation),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        return f"_{module} failed:_\n\n```\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}\n```\n"
    return result.stdout.split("<<<SECTION>>>", 1)[-1]


def setup_django() -> None:
    import django

    django.setup()
    import MySQLdb
    from django.conf import settings
    from django.core.management import call_command

    db = settings.DATABASES["default"]
    conn = MySQLdb.connect(host=db["HOST"], user=db["USER"], passwd=db["PASSWORD"], port=int(db["PORT"] or 3306))
    cursor = conn.cursor()
    cursor.execute(f"CREATE DATABASE IF NOT EXISTS `{db['NAME']}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    cursor.execute("SET GLOBAL max_connections = GREATEST(@@max_connections, 800)")
    conn.close()
    call_command("migrate", verbosity=0, interactive=False)


def free_port() -> int:
    from tests.fixtures.live_server import free_port as pick

    return pick()


@contextmanager
def daphnes(count: int, isolation: str) -> Iterator[list[int]]:
    """`count` daphne processes serving the bench database; yields their ports."""
    from tests.fixtures.live_server import wait_for_port

    ports = [free_port() for _ in range(count)]
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
            cwd=ROOT,
            env=bench_env(isolation, DJANGO_ALLOW_ASYNC_UNSAFE="true"),
            stdout=subprocess.DEVNULL,
            stderr=open(os.environ.get("BENCH_DAPHNE_LOG", os.devnull), "ab"),  # noqa: SIM115
        )
        for port in ports
    ]
    try:
        for port in ports:
            wait_for_port(port, timeout=60)
        yield ports
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def purge_tasks() -> None:
    """The bench has no worker for after-commit tasks (notifications, snapshots): drop what it queued."""
    from config.celery import app

    app.control.purge()


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def make_auction(seller: Any, label: str, *, minutes: int = 60) -> Any:
    """A live auction on a fresh listed vehicle (created directly: the bench measures bidding, not listing)."""
    from datetime import timedelta

    from django.utils import timezone

    from auctions.models import Auction
    from vehicles.models import Vehicle

    vin = f"BENCH{label}{random.randrange(10**9):09d}"[:17]
    vehicle = Vehicle.objects.create(
        seller=seller,
        vin=vin,
        year=2019,
        make="Bench",
        model="Hot Lot",
        mileage=42000,
        starting_price=Decimal("5000"),
        status=Vehicle.Status.LISTED,
    )
    now = timezone.now()
    return Auction.objects.create(
        vehicle=vehicle,
        seller=seller,
        status=Auction.Status.LIVE,
        starting_price=Decimal("5000"),
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(minutes=minutes),
        scheduled_ends_at=now + timedelta(minutes=minutes),
        version=1,
    )


def bench_users(count: int, prefix: str) -> tuple[Any, list[Any]]:
    from accounts.models import User
    from tests.fixtures.accounts import make_user_eligible

    seller, _ = User.objects.get_or_create(email=f"{prefix}-seller@bench.test", defaults={"role": User.Role.SELLER})
    bidders = []
    for index in range(count):
        user, _ = User.objects.get_or_create(email=f"{prefix}-{index}@bench.test", defaults={"first_name": "Bench"})
        bidders.append(make_user_eligible(user))
    return seller, bidders


# --- HTTP ---------------------------------------------------------------------------------------------


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


class Tally:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.accepted = 0
        self.refused = 0
        self.errors: dict[str, int] = {}

    def error(self, key: str) -> None:
        self.errors[key] = self.errors.get(key, 0) + 1


def _next_amount(minimum: Decimal) -> Decimal:
    """The minimum it last saw, plus 0-3 % (bidders in a war jump by more than one increment)."""
    return (minimum * (1 + Decimal(random.randint(0, 300)) / 10000)).quantize(Decimal("0.01"))


async def _http_bidder(port: int, token: str, auction_id: int, stop_at: float, tally: Tally) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    amount = _next_amount(Decimal("5000"))
    try:
        while time.perf_counter() < stop_at:
            body = json.dumps({"amount": str(amount)}).encode()
            request = (
                f"POST /api/auctions/{auction_id}/bid HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            ).encode() + body
            started = time.perf_counter()
            writer.write(request)
            await writer.drain()
            status, payload = await _read_response(reader)
            tally.latencies.append(time.perf_counter() - started)
            data = json.loads(payload)
            if status == 201:
                tally.accepted += 1
                amount = _next_amount(Decimal(data["data"]["auction"]["minimum_next_bid"]))
            elif status == 400 and "minimum_bid" in data.get("details", {}):
                tally.refused += 1
                amount = _next_amount(Decimal(data["details"]["minimum_bid"]))
            elif status == 400 and "your_max" in data.get("details", {}):
                tally.refused += 1
                amount = Decimal(data["details"]["your_max"]) + 100
            else:
                tally.error(f"{status} {data.get('error', '')[:60]}")
                amount += 100
    finally:
        writer.close()


async def _ws_bidder(port: int, token: str, auction_id: int, stop_at: float, tally: Tally) -> None:
    import websockets

    url = f"ws://127.0.0.1:{port}/ws/auctions/{auction_id}/?token={token}"
    async with websockets.connect(url, origin="http://127.0.0.1", max_queue=None, open_timeout=60) as ws:
        # Bidders leave the broadcast group: this measures bidding; fan-out is bench_fanout's job.
        await ws.send(json.dumps({"type": "leave_auction"}))
        while json.loads(await ws.recv())["type"] != "auction_left":
            pass
        amount = _next_amount(Decimal("5000"))
        counter = 0
        while time.perf_counter() < stop_at:
            counter += 1
            started = time.perf_counter()
            await ws.send(json.dumps({"type": "bid_placed", "amount": str(amount), "request_id": counter}))
            while True:
                reply = json.loads(await ws.recv())
                if reply.get("type") == "bid_update" and reply.get("request_id") == counter:
                    break
            tally.latencies.append(time.perf_counter() - started)
            if reply["status"] == "accepted":
                tally.accepted += 1
                amount = _next_amount(Decimal(reply["minimum_next_bid"]))
            elif reply.get("code") == "below_minimum":
                tally.refused += 1
                amount = _next_amount(Decimal(reply["details"]["minimum_bid"]))
            elif reply.get("code") == "not_above_own_max":
                tally.refused += 1
                amount = Decimal(reply["details"]["your_max"]) + 100
            else:
                tally.error(str(reply.get("code")))
                amount += 100


def run_clients(kind: str, ports: list[int], tokens: list[str], auction_id: int) -> tuple[Tally, float]:
    tally = Tally()
    client = _http_bidder if kind == "http" else _ws_bidder

    async def main() -> float:
        stop_at = time.perf_counter() + SECONDS
        started = time.perf_counter()
        await asyncio.gather(
            *(client(ports[i % len(ports)], token, auction_id, stop_at, tally) for i, token in enumerate(tokens))
        )
        return time.perf_counter() - started

    elapsed = asyncio.run(main())
    return tally, elapsed


# --- raw SQL ------------------------------------------------------------------------------------------


def run_raw(n: int) -> tuple[int, float, list[float]]:
    """The same transaction in plain SQL from n connections: lock the row, insert a bid, update the row, commit."""
    import MySQLdb
    from django.conf import settings

    db = settings.DATABASES["default"]

    def connect() -> Any:
        conn = MySQLdb.connect(
            host=db["HOST"], user=db["USER"], passwd=db["PASSWORD"], db=db["NAME"], port=int(db["PORT"] or 3306)
        )
        conn.cursor().execute("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")
        conn.autocommit(False)
        return conn

    setup = connect()
    cursor = setup.cursor()
    cursor.execute(
        "CREATE TABLE IF NOT EXISTS bench_raw_auction (id INT PRIMARY KEY, price DECIMAL(12,2) NOT NULL, "
        "last_seq INT NOT NULL, bid_count INT NOT NULL) ENGINE=InnoDB"
    )
    cursor.execute(
        "CREATE TABLE IF NOT EXISTS bench_raw_bid (id BIGINT AUTO_INCREMENT PRIMARY KEY, auction_id INT NOT NULL, "
        "seq INT NOT NULL, bidder_id INT NOT NULL, amount DECIMAL(12,2) NOT NULL, placed_at DATETIME(6) NOT NULL, "
        "UNIQUE KEY (auction_id, seq)) ENGINE=InnoDB"
    )
    cursor.execute("DELETE FROM bench_raw_bid")
    cursor.execute("REPLACE INTO bench_raw_auction VALUES (1, 5000, 0, 0)")
    setup.commit()
    setup.close()

    latencies: list[float] = []
    counts = [0] * n
    barrier = threading.Barrier(n + 1)
    stop = threading.Event()

    def worker(index: int) -> None:
        conn = connect()
        cur = conn.cursor()
        barrier.wait()
        while not stop.is_set():
            started = time.perf_counter()
            cur.execute("SELECT price, last_seq FROM bench_raw_auction WHERE id = 1 FOR UPDATE")
            price, seq = cur.fetchone()
            cur.execute(
                "INSERT INTO bench_raw_bid (auction_id, seq, bidder_id, amount, placed_at) "
                "VALUES (1, %s, %s, %s, UTC_TIMESTAMP(6))",
                (seq + 1, index, price + 100),
            )
            cur.execute(
                "UPDATE bench_raw_auction SET price = %s, last_seq = %s, bid_count = bid_count + 1 WHERE id = 1",
                (price + 100, seq + 1),
            )
            conn.commit()
            latencies.append(time.perf_counter() - started)
            counts[index] += 1
        conn.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    time.sleep(RAW_SECONDS)
    stop.set()
    for thread in threads:
        thread.join()
    return sum(counts), time.perf_counter() - started, latencies


# --- statements under the lock ----------------------------------------------------------------------------


def statements_under_lock(seller: Any, bidders: list[Any]) -> tuple[int, list[str]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from auctions.services import bid_place

    auction = make_auction(seller, "SQL")
    bid_place(auction_id=auction.pk, bidder=bidders[0], max_amount=Decimal("6000"))
    with CaptureQueriesContext(connection) as ctx:
        bid_place(
            auction_id=auction.pk,
            bidder=bidders[1],
            max_amount=Decimal("7000"),
            idempotency_key=f"bench-{time.time_ns()}",
        )
    sql = [q["sql"] for q in ctx.captured_queries]
    lock_at = next(i for i, s in enumerate(sql) if "FOR UPDATE" in s.upper())
    commit_at = next((i for i, s in enumerate(sql) if s.upper().startswith("COMMIT")), len(sql))
    held = [s for s in sql[lock_at:commit_at] if not s.upper().startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]
    return len(held), held


def verify(auction_id: int) -> str:
    from auctions import engine
    from auctions.models import Auction, Bid
    from auctions.services.increments import increment_table

    auction = Auction.objects.get(pk=auction_id)
    bids = list(Bid.objects.filter(auction=auction).order_by("seq"))
    replayed = engine.replay(
        auction.terms(increment_table()), [engine.ReplayBid(b.bidder_id, b.max_amount, b.seq) for b in bids]
    )
    gapless = [b.seq for b in bids] == list(range(1, len(bids) + 1))
    return "ok" if replayed == auction.state() and gapless else "MISMATCH"


def child() -> str:
    setup_django()
    from rest_framework_simplejwt.tokens import RefreshToken

    seller, bidders = bench_users(max(NS), "bidbench")
    tokens = [str(RefreshToken.for_user(user).access_token) for user in bidders]
    held, held_sql = statements_under_lock(seller, bidders)
    rows = []
    checks = []
    with daphnes(DAPHNES, "bench-bidding") as ports:
        for n in NS:
            raw_count, raw_elapsed, raw_lat = run_raw(n)
            raw_rate = raw_count / raw_elapsed
            rows.append(
                f"| raw SQL | {n} | {raw_rate:,.0f} | {raw_rate:,.0f} | "
                f"{percentile(raw_lat, 50) * 1000:.1f} | {percentile(raw_lat, 99) * 1000:.1f} | 100% | 100% | — |"
            )
            for kind in ("http", "ws"):
                auction = make_auction(seller, f"{kind}{n}")
                tally, elapsed = run_clients(kind, ports, tokens[:n], auction.pk)
                rate = tally.accepted / elapsed
                attempts = len(tally.latencies) / elapsed
                errors = ", ".join(f"{k}: {v}" for k, v in tally.errors.items()) or "none"
                rows.append(
                    f"| {'HTTP' if kind == 'http' else 'WebSocket'} | {n} | {attempts:,.0f} | {rate:,.0f} | "
                    f"{percentile(tally.latencies, 50) * 1000:.1f} | {percentile(tally.latencies, 99) * 1000:.1f} | "
                    f"{attempts / raw_rate:.1%} | {rate / raw_rate:.1%} | {errors} |"
                )
                checks.append(f"{kind} N={n}: {verify(auction.pk)}")
    purge_tasks()
    lines = [
        "## Hot auction: bidding throughput and latency",
        "",
        f"One auction, N concurrent bidders for {SECONDS:.0f} s each, {DAPHNES} daphne processes on 127.0.0.1 "
        f"(clients spread over them), MariaDB with `innodb_flush_log_at_trx_commit=1`. "
        '"Requests/s" counts every answered bid; "accepted/s" those the engine accepted (the rest were '
        "below the minimum by the time they got the lock). The raw row runs the same transaction (lock the "
        f"auction row, insert a bid, update the auction, commit) in plain SQL from N connections for {RAW_SECONDS:.0f} s; "
        'the two "vs raw" columns divide requests/s (every bid decided under the lock) and accepted/s by that '
        "row's rate. WebSocket bidders left the room's broadcast group "
        "(fan-out is measured below).",
        "",
        "| transport | N | requests/s | accepted/s | p50 ms | p99 ms | requests vs raw | accepted vs raw | errors |",
        "|---|---|---|---|---|---|---|---|---|",
        *rows,
        "",
        f"Statements issued while the auction lock is held (one bid, with an Idempotency-Key): **{held}** (target ≤ 6).",
        "",
        *[f"{i + 1}. `{s[:140]}`" for i, s in enumerate(held_sql)],
        "",
        "After each run the stored bids were replayed through the engine: " + "; ".join(checks) + ".",
    ]
    return "\n".join(lines) + "\n"


def run() -> str:
    return run_child("tests.load.bench_bidding", "bench-bidding")


if __name__ == "__main__":
    if "--child" in sys.argv:
        section = child()
        print("<<<SECTION>>>" + section)
    else:
        print(run())
