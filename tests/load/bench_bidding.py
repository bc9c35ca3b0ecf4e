"""Hot-auction benchmark: N concurrent bidders (N = 10, 50, 200) on one auction, over HTTP and over WebSocket,
against two web processes (config/server.py) and MariaDB; and the raw limit, the same transaction (lock the row, insert a bid,
update the auction) in a tight loop of plain SQL from N connections. Also counts the SQL statements issued
while the auction lock is held.

    .venv/bin/python -m tests.load.bench_bidding          # prints the markdown section
    from tests.load.bench_bidding import run; run()       # same, for tests/load/run_all.py

`run()` works in a child process on the dedicated bench database (`auction_bench` on the server of
$DATABASE_URL), settings `config.settings.bench` (the test settings plus production's kept database
connections), 127.0.0.1 only. The bidders run in a separate load-generator process (tests/load/loadgen.py);
the method is written into the markdown this returns (see `METHOD`).
"""

from __future__ import annotations

import gc
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
SERVERS = int(os.environ.get("BENCH_SERVERS", "2"))
WARM_UP_SECONDS = float(os.environ.get("BENCH_WARM_UP_SECONDS", "2"))
OPEN_RATE = float(os.environ.get("BENCH_OPEN_RATE", "50"))  # bids/s offered in all by the open-loop rows (N=50)
SERVER_PIDS: dict[int, int] = {}  # port -> pid of the web processes started by `servers()`
BENCH_DATABASE = os.environ.get("BENCH_DATABASE_NAME", "auction_bench")  # created and migrated on first use
BENCH_MAKE = "Bench"  # the make of the vehicles `make_auction` lists (cleaned up by `delete_auctions`)


# --- shared by the auction benchmarks ---------------------------------------------------------------


def bench_env(isolation: str, **extra: str) -> dict[str, str]:
    """Environment for bench children and the servers they start: the bench database, own Redis prefix."""
    base = os.environ.get("DATABASE_URL", "mysql://root:@127.0.0.1:3306/auction")
    parts = urlsplit(base)
    url = urlunsplit((parts.scheme, parts.netloc, "/" + BENCH_DATABASE, "", ""))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.bench",
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
def servers(
    count: int, isolation: str, app: str = "config.asgi:application", env: dict[str, str] | None = None
) -> Iterator[list[int]]:
    """`count` web processes (config/server.py, as the site runs) serving `app` (the site, on the bench
    database, with `env` on top of the bench's environment); yields their ports."""
    from config.server import command
    from tests.fixtures.live_server import wait_for_port

    ports = [free_port() for _ in range(count)]
    processes = [
        subprocess.Popen(
            command(host="127.0.0.1", port=port, app=app),
            cwd=ROOT,
            env=bench_env(isolation, DJANGO_ALLOW_ASYNC_UNSAFE="true", **(env or {})),
            stdout=subprocess.DEVNULL,
            stderr=open(os.environ.get("BENCH_SERVER_LOG", os.devnull), "ab"),  # noqa: SIM115
        )
        for port in ports
    ]
    SERVER_PIDS.update({port: process.pid for port, process in zip(ports, processes, strict=True)})
    try:
        for port in ports:
            # a loaded machine takes a while to import the site
            wait_for_port(port, timeout=float(os.environ.get("BENCH_SERVER_START_SECONDS", "180")))
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
    """The bench has no worker for after-commit tasks (notifications, snapshots, orders): drop what it queued,
    on the default queue and on order creation's."""
    from django.conf import settings

    from config.celery import app

    with app.connection_for_write() as connection:
        for queue in (settings.CELERY_TASK_DEFAULT_QUEUE, settings.CELERY_ORDERS_QUEUE):
            connection.default_channel.queue_purge(queue)  # type: ignore[attr-defined]


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
        make=BENCH_MAKE,
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


def delete_auctions(make: str) -> None:
    """Delete the bench auctions on vehicles of this make, with their bids, events, orders and vehicles. A
    bench auction left behind ends later and is closed by whatever runs then: its losers' notifications
    (thousands, on a hot lot) once queued ahead of bench_close's own closes and delayed them by 20-30 s."""
    from django.apps import apps

    from auctions.models import Auction, AuctionEvent, Bid
    from vehicles.models import Vehicle, VehicleEvent

    auctions = Auction.objects.filter(vehicle__make=make)
    AuctionEvent.objects.filter(auction__in=auctions).delete()
    Bid.objects.filter(auction__in=auctions).delete()
    vehicle_ids = list(auctions.values_list("vehicle_id", flat=True))
    if apps.is_installed("orders"):  # closes create the orders of sold auctions (a higher app)
        orders = apps.get_model("orders", "Order").objects.filter(vehicle__make=make)
        apps.get_model("orders", "Payment").objects.filter(order__in=orders).delete()
        orders.delete()
    auctions.delete()
    VehicleEvent.objects.filter(vehicle_id__in=vehicle_ids).delete()
    Vehicle.objects.filter(make=make).delete()


def bench_users(count: int, prefix: str) -> tuple[Any, list[Any]]:
    from accounts.models import User
    from tests.fixtures.accounts import make_user_eligible

    seller, _ = User.objects.get_or_create(email=f"{prefix}-seller@bench.test", defaults={"role": User.Role.SELLER})
    bidders = []
    for index in range(count):
        user, _ = User.objects.get_or_create(email=f"{prefix}-{index}@bench.test", defaults={"first_name": "Bench"})
        bidders.append(make_user_eligible(user))
    return seller, bidders


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
    # This process has Django loaded: a full garbage collection here paused every raw thread for 100+ ms
    # (the loop itself makes no cyclic garbage), which made the raw row slower than the database is.
    gc.collect()
    gc.disable()
    try:
        for thread in threads:
            thread.start()
        barrier.wait()
        started = time.perf_counter()
        time.sleep(RAW_SECONDS)
        stop.set()
        for thread in threads:
            thread.join()
    finally:
        gc.enable()
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
    from django.db import transaction

    from auctions import engine
    from auctions.models import Auction, Bid
    from auctions.services.increments import increment_table

    with transaction.atomic():  # the row lock: a bid still in flight when the load stopped lands before or after
        auction = Auction.objects.select_for_update().get(pk=auction_id)
        bids = list(Bid.objects.filter(auction=auction).order_by("seq"))
    replayed = engine.replay(
        auction.terms(increment_table()), [engine.ReplayBid(b.bidder_id, b.max_amount, b.seq) for b in bids]
    )
    gapless = [b.seq for b in bids] == list(range(1, len(bids) + 1))
    return "ok" if replayed == auction.state() and gapless else "MISMATCH"


# --- load, CPU accounting ----------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def service_pids() -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for name in ("mariadbd", "mysqld", "redis-server"):
        out = subprocess.run(["pidof", name], capture_output=True, text=True).stdout.split()
        found.setdefault("redis" if name == "redis-server" else "mariadb", []).extend(int(p) for p in out)
    return found


class Row:
    """One measured line: counts, latencies and who used the CPU."""

    def __init__(self, label: str, mode: str, n: int, load: str, result: dict[str, Any], cpu: dict[str, float]) -> None:
        self.label, self.mode, self.n, self.load = label, mode, n, load
        self.latencies: list[float] = result["latencies"]
        self.processed = result["accepted"] + result["refused"]
        self.accepted = result["accepted"]
        self.elapsed = result["elapsed"]
        self.errors: dict[str, int] = result.get("errors", {})
        self.cpu = cpu

    def markdown(self, raw_rate: float) -> str:
        rate = self.processed / self.elapsed
        accepted = self.accepted / self.elapsed
        share = self.accepted / self.processed if self.processed else 0
        per = max(1, len(self.latencies))
        cpu = " / ".join(f"{self.cpu.get(k, 0) / per * 1000:.2f}" for k in ("server", "mariadb", "client"))
        cores = sum(self.cpu.values()) / self.elapsed
        errors = ", ".join(f"{k}: {v}" for k, v in self.errors.items()) or "none"
        return (
            f"| {self.label} | {self.mode} | {self.n} | {self.load} | {rate:,.0f} | {accepted:,.0f} | {share:.0%} | "
            f"{percentile(self.latencies, 50) * 1000:.1f} | {percentile(self.latencies, 99) * 1000:.1f} | "
            f"{rate / raw_rate:.1%} | {accepted / raw_rate:.1%} | {cpu} | {cores:.2f} | {errors} |"
        )


def measured(label: str, mode: str, n: int, load: str, command: list[str], server_pids: list[int]) -> Row:
    """Run a load process; account the CPU of the servers, MariaDB and the load process itself."""
    services = service_pids()
    before = {pid: cpu_seconds(pid) for pid in server_pids + services["mariadb"]}
    result = subprocess.run(command, cwd=ROOT, env=bench_env("bench-bidding"), capture_output=True, text=True)
    line = next((x for x in result.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        raise RuntimeError(f"load process failed: {result.stdout[-2000:]} {result.stderr[-3000:]}")
    data = json.loads(line[7:])
    cpu = {
        "server": sum(cpu_seconds(p) - before[p] for p in server_pids),
        "mariadb": sum(cpu_seconds(p) - before[p] for p in services["mariadb"]),
        "client": data["cpu_seconds"],
    }
    return Row(label, mode, n, load, data, cpu)


def run_load(
    kind: str,
    mode: str,
    ports: list[int],
    tokens: list[str],
    auction_id: int,
    rate: float | None,
    label: str = "",
    idempotency_keys: bool = False,
    form_body: bool = False,
    seconds: float = SECONDS,
    ws_auth: str = "protocol",
) -> Row:
    spec = {
        "kind": kind,
        "mode": mode,
        "ports": ports,
        "tokens": tokens,
        "auction_id": auction_id,
        "seconds": seconds,
        "rate": rate,
        "idempotency_keys": idempotency_keys,
        "form_body": form_body,
        "ws_auth": ws_auth,
    }
    command = [sys.executable, "-m", "tests.load.loadgen", json.dumps(spec)]
    label = label or ("HTTP" if kind == "http" else "WebSocket")
    load = "closed loop" if rate is None else f"open, {rate:.0f}/s"
    return measured(label, mode, len(tokens), load, command, [SERVER_PIDS[p] for p in ports])


def service_worker(auction_id: int, user_id: int, seconds: float) -> None:
    """`bid_place` in a tight loop, no HTTP or socket (child of `run_service`): the service's own ceiling."""
    setup_django()
    from accounts.models import User
    from auctions.services import BidRejected, BidResult, bid_place

    user = User.objects.get(pk=user_id)
    minimum, latencies, accepted, refused = Decimal("5000"), [], 0, 0
    cpu_started, started = time.process_time(), time.perf_counter()
    while time.perf_counter() - started < seconds:
        begun = time.perf_counter()
        try:
            result = bid_place(auction_id=auction_id, bidder=user, max_amount=minimum + 200)
            assert isinstance(result, BidResult)  # no Idempotency-Key, so never a replay
            accepted += 1
            minimum = Decimal(result.state["minimum_next_bid"])
        except BidRejected as exc:
            refused += 1
            minimum = Decimal(exc.details.get("minimum_bid") or exc.details.get("your_max") or minimum + 200)
        latencies.append(time.perf_counter() - begun)
    elapsed = time.perf_counter() - started
    payload = {"latencies": latencies, "accepted": accepted, "refused": refused, "elapsed": elapsed}
    print("RESULT " + json.dumps({**payload, "cpu_seconds": time.process_time() - cpu_started}), flush=True)


def run_service(auction_id: int, users: list[Any]) -> Row:
    """Two processes (as many as web processes) calling `bid_place` directly; merged into one row."""
    command = [sys.executable, "-m", "tests.load.bench_bidding", "--service", str(auction_id)]
    services = service_pids()
    before = {pid: cpu_seconds(pid) for pid in services["mariadb"]}
    processes = [
        subprocess.Popen(
            [*command, str(user.pk), str(SECONDS)],
            cwd=ROOT,
            env=bench_env("bench-bidding"),
            stdout=subprocess.PIPE,
            text=True,
        )
        for user in users
    ]
    merged: dict[str, Any] = {"latencies": [], "accepted": 0, "refused": 0, "elapsed": 0.0, "cpu_seconds": 0.0}
    for process in processes:
        out, _ = process.communicate(timeout=SECONDS + 120)
        data = json.loads(next(x for x in out.splitlines() if x.startswith("RESULT "))[7:])
        merged["latencies"] += data["latencies"]
        for key in ("accepted", "refused", "cpu_seconds"):
            merged[key] += data[key]
        merged["elapsed"] = max(merged["elapsed"], data["elapsed"])
    cpu = {"server": merged["cpu_seconds"], "mariadb": sum(cpu_seconds(p) - before[p] for p in services["mariadb"])}
    return Row("`bid_place` only", "rising", len(users), "closed loop", merged, cpu)


METHOD = """\
**Method.** One auction per row; {servers} web processes (`config/server.py`: uvicorn) on 127.0.0.1 serve HTTP and WebSocket (the machine
has {cores} cores, shared with MariaDB, Redis, the load generator and other work: the load average is given
below). The bidders run in a separate load-generator process (`tests/load/loadgen.py`: asyncio, raw HTTP/1.1
with keep-alive, one connection or socket per bidder; Bearer JWT); its own CPU is the last "CPU ms" figure,
so it is visible that it does not limit the results. Each row runs {seconds:.0f} s, after a {warm_up:.0f} s warm-up over both
transports once the servers start (not reported).

- **processed/s** counts every bid the server decided under the auction lock (accepted or refused because
  the price had moved): that is the like-for-like comparison with the raw SQL row, whose transactions all
  "succeed". **accepted/s** counts the bids the engine accepted.
- **war**: each bidder bids the minimum next bid it last saw plus 0-1.5 increments, as people in a bidding war do;
  with N bidders racing, most bids arrive after the price moved and are refused (the realistic case, and the
  reason accepted/s falls as N grows). **rising**: every bid is a fresh higher max (a ladder two increments
  apart), so most are accepted: the rate of accepted bids the stack can sustain.
- **closed loop**: every bidder sends its next bid as soon as it has the answer, so the server is saturated
  and latency is queueing: by Little's law mean latency ≈ N / throughput, whatever the code does.
  **open, r/s**: the N bidders send at random (Poisson) times, r bids/s in all, a hot lot where each of the
  50 bidders bids about once a second; latency counts from when a bid was due.
- **`bid_place` only**: two processes call the service in a loop with no HTTP or socket in front (the
  ceiling of the Python + database work per bid with the same concurrency as two web processes).
- **raw SQL**: lock the auction row, insert a bid, update the row, commit, from N connections in threads
  (C client, no Python work per bid beyond the calls): the database's limit for this transaction, one bid
  per commit. The site decides the bids that arrive together in one process in one transaction (group
  commit, `auctions/services/combiner.py`), so under contention it can process more bids per second than
  the raw loop: the raw loop pays one log flush per bid, the site one per batch.
- **HTTP** rows are API clients (Bearer JWT, JSON), answered by the bid lane (`auctions/apis/fast_lane.py`:
  transport only, no DRF, bids batched per event loop, the answer through the API's middleware); **HTTP, Idempotency-Key** sends each bid with a
  fresh `Idempotency-Key` (looked up under the lock in the statement that reads the bidders, stored with an
  accepted bid); **HTTP via Django + DRF** sends the same keyed bids form-encoded, which the lane hands to the
  full Django stack (the path every other API request takes), so the three are compared in one run.
- **server alone**: the same two web processes and the same load, with a do-nothing ASGI app
  (`tests/load/floor_asgi.py`: no Django, no database) answering every bid as accepted: what the server itself
  costs per request here, the ceiling for any code behind it. Its "vs raw" is the best any row could show.
- **HTTP, Redis down**: the same two web processes started with Redis (channel layer, cache, throttles, Celery
  broker) pointing at a port where nothing listens: throttles let requests through, as DRF's do, broadcasts
  are lost (clients refetch on the `seq` gap), notices the queue refused are sent from another thread. Live
  rooms need the channel layer, so there is no WebSocket row.
- **CPU ms/bid**: CPU time per answered bid used by the servers (web processes, or the `bid_place` processes) /
  MariaDB / the load generator; **cores** = all three together per second of the run.
"""


def warm_up(seller: Any, ports: list[int], tokens: list[str]) -> None:
    """A few seconds of bids over both transports before anything is measured, not reported: a fresh server's
    first batches pay for imports, connections and caches (~65 ms of CPU for the first), which the first row
    (N = 10) would otherwise carry alone."""
    for kind in ("http", "ws"):
        auction = make_auction(seller, f"warm{kind}")
        run_load(kind, "war", ports, tokens[:10], auction.pk, None, "warm-up", seconds=WARM_UP_SECONDS)


def child() -> str:
    setup_django()
    from rest_framework_simplejwt.tokens import RefreshToken

    delete_auctions(BENCH_MAKE)  # an earlier run's, whatever stopped it

    load_before = Path("/proc/loadavg").read_text().split()[:3]
    seller, bidders = bench_users(max(NS), "bidbench")
    tokens = [str(RefreshToken.for_user(user).access_token) for user in bidders]
    held, held_sql = statements_under_lock(seller, bidders)
    raw_rows: dict[int, tuple[float, str]] = {}
    rows: list[tuple[int, Row]] = []
    checks = []
    with servers(SERVERS, "bench-bidding") as ports:
        warm_up(seller, ports, tokens)
        for n in NS:
            raw_count, raw_elapsed, raw_lat = run_raw(n)
            raw_rate = raw_count / raw_elapsed
            raw_rows[n] = (
                raw_rate,
                f"| raw SQL | — | {n} | closed loop | {raw_rate:,.0f} | {raw_rate:,.0f} | 100% | "
                f"{percentile(raw_lat, 50) * 1000:.1f} | {percentile(raw_lat, 99) * 1000:.1f} | 100% | 100% | — | — | — |",
            )
            runs: list[tuple[str, str, float | None]] = [("http", "war", None), ("ws", "war", None)]
            if n == 50:
                runs += [("http", "rising", None), ("ws", "rising", None)]
                runs += [("http", "war", OPEN_RATE), ("ws", "war", OPEN_RATE)]
            for kind, mode, rate in runs:
                auction = make_auction(seller, f"{kind}{n}")
                rows.append((n, run_load(kind, mode, ports, tokens[:n], auction.pk, rate)))
                checks.append(f"{kind} {mode} N={n}: {verify(auction.pk)}")
            if n == 50:  # the same bids with a fresh Idempotency-Key each (the lane looks each one up and stores it)
                auction = make_auction(seller, "keyed50")
                label = "HTTP, Idempotency-Key"
                rows.append((n, run_load("http", "war", ports, tokens[:n], auction.pk, None, label, True)))
                checks.append(f"http keyed N={n}: {verify(auction.pk)}")
            if n == 50:  # the same bids through the whole Django stack (a form-encoded body sends them there)
                auction = make_auction(seller, "django50")
                label = "HTTP via Django + DRF"
                rows.append(
                    (n, run_load("http", "war", ports, tokens[:n], auction.pk, None, label, True, form_body=True))
                )
                checks.append(f"http via Django N={n}: {verify(auction.pk)}")
        auction = make_auction(seller, "svc")
        rows.append((2, run_service(auction.pk, bidders[:SERVERS])))
        checks.append(f"bid_place only: {verify(auction.pk)}")
    if 50 in NS:  # the server's own ceiling: the same servers and load with a do-nothing app behind them
        with servers(SERVERS, "bench-bidding", app="tests.load.floor_asgi:application") as ports:
            for kind in ("http", "ws"):
                label = "server alone, " + ("HTTP" if kind == "http" else "WebSocket")
                rows.append((50, run_load(kind, "war", ports, tokens[:50], 0, None, label=label)))
    if 10 in NS:  # a fault: Redis (channel layer, cache, throttles, broker) down; HTTP bids must go on
        dead = "redis://127.0.0.1:1/0"  # nothing listens there
        gone = {"REDIS_URL": dead, "CELERY_BROKER_URL": dead, "CELERY_RESULT_BACKEND": dead}
        with servers(SERVERS, "bench-bidding", env=gone) as ports:
            auction = make_auction(seller, "noredis")
            rows.append((10, run_load("http", "war", ports, tokens[:10], auction.pk, None, label="HTTP, Redis down")))
            checks.append(f"http Redis down N=10: {verify(auction.pk)}")
    purge_tasks()
    delete_auctions(BENCH_MAKE)
    load_after = Path("/proc/loadavg").read_text().split()[:3]
    table = []
    for n in NS:
        table.append(raw_rows[n][1])
        table += [row.markdown(raw_rows[n][0]) for m, row in rows if m == n]
    service_row = next(row for m, row in rows if m == 2)
    table.append(service_row.markdown(raw_rows[NS[0]][0]))
    lines = [
        "## Hot auction: bidding throughput and latency",
        "",
        METHOD.format(servers=SERVERS, cores=os.cpu_count(), seconds=SECONDS, warm_up=WARM_UP_SECONDS),
        f"Load average before / after the run: {' '.join(load_before)} / {' '.join(load_after)}.",
        "",
        "| transport | mode | N | load | processed/s | accepted/s | accepted | p50 ms | p99 ms | processed vs raw "
        "| accepted vs raw | CPU ms/bid server / MariaDB / client | cores | errors |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        *table,
        "",
        f"The `bid_place` only row is compared with the raw row at N = {NS[0]}.",
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
    if "--service" in sys.argv:
        at = sys.argv.index("--service")
        service_worker(int(sys.argv[at + 1]), int(sys.argv[at + 2]), float(sys.argv[at + 3]))
    elif "--child" in sys.argv:
        section = child()
        print("<<<SECTION>>>" + section)
    else:
        print(run())
