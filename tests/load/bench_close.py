"""Close-burst benchmark: 10,000 auctions ending within the same minute; time from each `ends_at` to closed.

    .venv/bin/python -m tests.load.bench_close
    from tests.load.bench_close import run; run()

Real Celery workers (BENCH_CLOSE_WORKERS, 2 by default, each prefork with 2 processes) on the Redis broker run
`auctions.tasks.close_due_auctions`, sent every 2 seconds by a ticker standing in for celery-beat (same task,
same cadence as BEAT_SCHEDULE), and what the closes queue on the default queue (notifications, snapshots). The
orders of sold auctions are created on their own queue by their own worker (BENCH_CLOSE_ORDERS_WORKERS, 1 by
default, prefork with BENCH_CLOSE_ORDERS_CONCURRENCY processes, 1 by default), as in production. The report
says how many closed within 30 s of their end and when the last order was created (the orders' lag).

    BENCH_CLOSE_AUCTIONS=0 .venv/bin/python -m tests.load.bench_close   # the one-process profiles only
Half the auctions have a bid (sold), a quarter a bid under the reserve (seller decision), the rest none
(unsold). `closed_at` is the database clock at the close, so the delay is measured by one clock.
"""

from __future__ import annotations

import contextlib
import os
import random
import subprocess
import sys
import threading
import time
from datetime import timedelta
from decimal import Decimal

from tests.load.bench_bidding import (
    BENCH_MAKE,
    ROOT,
    bench_env,
    bench_users,
    cpu_seconds,
    delete_auctions,
    percentile,
    purge_tasks,
    run_child,
    service_pids,
    setup_django,
)

AUCTIONS = int(os.environ.get("BENCH_CLOSE_AUCTIONS", "10000"))
BATCH = os.environ.get("AUCTION_CLOSE_BATCH", "")
PROFILE_AUCTIONS = int(
    os.environ.get("BENCH_CLOSE_PROFILE", "400")
)  # the workers' batch size (settings default when unset)
WORKERS = int(os.environ.get("BENCH_CLOSE_WORKERS", "2"))
ORDERS_WORKERS = int(os.environ.get("BENCH_CLOSE_ORDERS_WORKERS", "1"))
ORDERS_CONCURRENCY = int(os.environ.get("BENCH_CLOSE_ORDERS_CONCURRENCY", "1"))
ORDERS_PROFILE = int(os.environ.get("BENCH_CLOSE_ORDERS_PROFILE", "300"))  # sold auctions in the orders profile
TARGET_SECONDS = 30  # every auction closed within this many seconds of its end
ISOLATION = "bench-close"
MAKE = "BenchClose"


def create_burst(seller, buyer, *, count: int = AUCTIONS, first_end_in: float = 20, spread: float = 59) -> list[int]:  # type: ignore[no-untyped-def]
    """`count` live auctions on fresh vehicles ending `first_end_in` to `first_end_in + spread` seconds from
    now: half with a bid (sold), a quarter with a bid under the reserve, a quarter without bids."""
    from django.utils import timezone

    from auctions.models import Auction, Bid
    from vehicles.models import Vehicle

    now = timezone.now()
    first_end = now + timedelta(seconds=first_end_in)
    stamp = time.time_ns() % 10**8
    vehicles = Vehicle.objects.bulk_create(
        Vehicle(
            seller=seller,
            vin=f"BC{stamp:08d}{i:07d}"[:17],
            year=2020,
            make=MAKE,
            model="Burst",
            mileage=30000,
            starting_price=Decimal("5000"),
            status=Vehicle.Status.LISTED,
        )
        for i in range(count)
    )
    auctions = []
    for index, vehicle in enumerate(vehicles):
        ends_at = first_end + timedelta(seconds=random.uniform(0, spread))
        kind = index % 4  # 0, 1: sold; 2: reserve not met; 3: no bids
        with_bid = kind != 3
        auctions.append(
            Auction(
                vehicle=vehicle,
                seller=seller,
                status=Auction.Status.LIVE,
                starting_price=Decimal("5000"),
                reserve_price=Decimal("9000") if kind == 2 else None,
                starts_at=now - timedelta(hours=1),
                ends_at=ends_at,
                scheduled_ends_at=ends_at,
                current_price=Decimal("5000") if with_bid else None,
                leader=buyer if with_bid else None,
                leader_max=Decimal("6000") if with_bid else None,
                leader_seq=1 if with_bid else 0,
                leader_number=1 if with_bid else 0,
                bid_count=1 if with_bid else 0,
                bidder_count=1 if with_bid else 0,
                last_seq=1 if with_bid else 0,
                version=2,
            )
        )
    auctions = Auction.objects.bulk_create(auctions)
    Bid.objects.bulk_create(
        Bid(
            auction=a,
            seq=1,
            bidder=buyer,
            bidder_number=1,
            max_amount=Decimal("6000"),
            resulting_price=Decimal("5000"),
            leading_after=True,
            placed_at=now,
        )
        for a in auctions
        if a.bid_count
    )
    return [a.pk for a in auctions]


def _tree_cpu(pids: list[int]) -> float:
    """CPU seconds of these processes and their children (a prefork worker's pool)."""
    from pathlib import Path

    total = 0.0
    for pid in pids:
        try:
            children = [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        except OSError:
            children = []
        total += cpu_seconds(pid) + sum(cpu_seconds(child) for child in children)
    return total


def profile_closes(seller, buyer, count: int = PROFILE_AUCTIONS) -> list[str]:  # type: ignore[no-untyped-def]
    """One closer process, no worker: CPU (this process) and statements per close, batched (the closer's path)
    against one at a time in the same batches (each in its own savepoint with its own after-commit work, as
    the closer did before it closed in bulk: forced here by making the bulk path fail), on the same mix of
    auctions. Tasks the closes queue are only sent (their work is the workers', measured by the burst)."""
    from unittest import mock

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from auctions.realtime import flush
    from auctions.services import closing

    rows = []
    for label, patch in (("one at a time", True), ("in bulk", False), ("one at a time", True), ("in bulk", False)):
        create_burst(seller, buyer, count=count, first_end_in=-5, spread=1)
        forced = mock.patch.object(closing, "_close_batch", side_effect=RuntimeError("one at a time"))
        with forced if patch else contextlib.nullcontext(), CaptureQueriesContext(connection) as queries:
            began, wall = time.process_time(), time.perf_counter()
            closed = closing.auction_close_due(batch=int(BATCH or 100))
            flush()
            cpu, wall = time.process_time() - began, time.perf_counter() - wall
        rows.append(
            f"| {label} | {closed} | {cpu / closed * 1000:.2f} | {len(queries) / closed:.1f} | {closed / wall:.0f} |"
        )
        delete_auctions(MAKE)
    return [
        "",
        f"Per close in one process (no worker; {count} due auctions, the same mix, batch {BATCH or 100}, two "
        "alternating runs each): CPU of the closer (its after-commit work included: broadcasts, the vehicles' "
        "snapshots, the messages for the orders and notices) and statements per close.",
        "",
        "| path | closed | CPU ms per close | statements per close | closes/s (wall) |",
        "|---|---|---|---|---|",
        *rows,
    ]


def profile_orders(seller, buyer, count: int = ORDERS_PROFILE) -> list[str]:  # type: ignore[no-untyped-def]
    """One process, no worker: CPU (this process) and statements per order for `count` sold auctions, in the
    closer's batches of 100, one order at a time (each by `order_create` in its own transaction: the batch task
    before) against in bulk (`orders_create_for_auctions`: the task now), alternating, twice each. The buyer's
    invoice notice (`notify`, after the commit) is timed apart: it is the same for both."""
    from unittest import mock

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from auctions.models import Auction
    from auctions.services import closing
    from orders import services as order_services
    from orders.models import Order
    from orders.sources import orders_create_for_auctions, sale_kwargs, sale_of_auction

    def one_at_a_time(ids: list[int]) -> int:
        auctions = Auction.objects.won().select_related("winner", "seller").filter(pk__in=ids).order_by("pk")
        sales = [sale for sale in map(sale_of_auction, auctions) if sale is not None]
        for sale in sales:
            order_services.order_create(**sale_kwargs(sale))
        return len(sales)

    notify_cpu = [0.0]
    notify_orders = order_services._notify_orders_created  # noqa: SLF001 - timed apart, not changed

    def timed_notify(order_ids: list[int]) -> None:
        began = time.process_time()
        notify_orders(order_ids)
        notify_cpu[0] += time.process_time() - began

    rows = []
    for label, create in (
        ("one at a time", one_at_a_time),
        ("in bulk", lambda ids: orders_create_for_auctions(auction_ids=ids)),
        ("one at a time", one_at_a_time),
        ("in bulk", lambda ids: orders_create_for_auctions(auction_ids=ids)),
    ):
        # the burst's mix, due now, closed by the closer: half of them sold, `count` orders to create
        ids = create_burst(seller, buyer, count=count * 2, first_end_in=-5, spread=1)
        closing.auction_close_due(batch=100)
        sold = list(Auction.objects.filter(pk__in=ids).won().order_by("pk").values_list("pk", flat=True))
        notify_cpu[0] = 0.0
        connection.queries_log.clear()  # a full log (9,000 entries) would make the capture count wrong
        with (
            mock.patch.object(order_services, "_notify_orders_created", timed_notify),
            CaptureQueriesContext(connection) as queries,
        ):
            began, wall = time.process_time(), time.perf_counter()
            made = sum(create(sold[i : i + 100]) for i in range(0, len(sold), 100))
            cpu, wall = time.process_time() - began, time.perf_counter() - wall
        made = made or 1
        rows.append(
            f"| {label} | {made} | {(cpu - notify_cpu[0]) / made * 1000:.2f} | {notify_cpu[0] / made * 1000:.2f} | "
            f"{cpu / made * 1000:.2f} | {len(queries) / made:.1f} | {made / wall:.0f} |"
        )
        Order.objects.filter(source_type=Order.Source.AUCTION, source_id__in=sold).delete()
        delete_auctions(MAKE)
    return [
        "",
        f"Per order in one process (no worker; {count} sold auctions, batches of 100 as the closer asks for them, "
        "two alternating runs each): CPU of creating the orders (the transaction: fees, tax, deadline, number, "
        "event), CPU of the buyers' invoice notices after the commit (`notify`: in-app row, live push, email "
        "queued; the same code for both), and statements per order (notices included).",
        "",
        "| path | orders | CPU ms per order: creation | + notice | total | statements per order | orders/s (wall) |",
        "|---|---|---|---|---|---|---|",
        *rows,
    ]


def cleanup() -> None:
    """This bench's auctions, and any other bench's left in the bench database (the bidding and fan-out
    benches' auctions end an hour or two after their run: due during a burst, they would be closed with it)."""
    delete_auctions(MAKE)
    delete_auctions(BENCH_MAKE)


def _drop_queued_work() -> None:
    """What the profiles (or an earlier run) queued with no worker to run it: the task messages on both queues and
    the close notices waiting in Redis (thousands of them, for deleted auctions, would otherwise be sent by the
    burst's workers while they close)."""
    from auctions.services import notify_queue
    from core.shared_redis import shared_redis

    purge_tasks()
    client = shared_redis()
    if client is not None:
        client.delete(notify_queue.queue_key())


def _worker(name: str, queue: str, concurrency: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-n", f"{name}@%h", "-Q", queue]
        + [f"--concurrency={concurrency}", "--pool=prefork", "--without-gossip", "--without-mingle"]
        + ["--without-heartbeat", "--loglevel=ERROR"],
        cwd=ROOT,
        env=bench_env(ISOLATION),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def child() -> str:
    setup_django()
    from django.conf import settings
    from django.utils import timezone

    from auctions.models import Auction, AuctionEvent
    from config.celery import app
    from orders.models import Order

    cleanup()
    seller, buyers = bench_users(1, "closebench")
    profile = profile_closes(seller, buyers[0]) if PROFILE_AUCTIONS else []
    profile += profile_orders(seller, buyers[0]) if ORDERS_PROFILE else []
    if not AUCTIONS:
        _drop_queued_work()
        return "## Close burst: one-process profiles\n" + "\n".join(profile) + "\n"
    load_before = " ".join(open("/proc/loadavg").read().split()[:3])  # noqa: SIM115
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    _drop_queued_work()
    workers = [_worker(f"closebench{index}", queue, 2) for index in range(WORKERS)]
    order_workers = [
        _worker(f"closebenchorders{index}", settings.CELERY_ORDERS_QUEUE, ORDERS_CONCURRENCY)
        for index in range(ORDERS_WORKERS)
    ]
    everyone = [w.pid for w in workers + order_workers]
    # the workers are up before the burst is made, as in production (a loaded machine takes a while to start them)
    ready_by = time.monotonic() + 300
    while len(app.control.ping(timeout=1.0) or []) < len(everyone) and time.monotonic() < ready_by:
        time.sleep(1)
    ids = create_burst(seller, buyers[0], first_end_in=max(20.0, AUCTIONS / 250))  # time to create them first
    stop = threading.Event()

    def ticker() -> None:  # celery-beat's job: send the task every 2 s
        while not stop.is_set():
            app.send_task("auctions.tasks.close_due_auctions", queue=queue)
            stop.wait(2.0)

    thread = threading.Thread(target=ticker, daemon=True)
    thread.start()
    deadline = time.monotonic() + 150 + AUCTIONS / 100
    mariadb = service_pids().get("mariadb", [])
    first_end = Auction.objects.filter(pk__in=ids).order_by("ends_at").values_list("ends_at", flat=True).first()
    while first_end is not None and timezone.now() < first_end:  # CPU from the first end on: the burst itself
        time.sleep(0.2)
    cpu_start = (
        _tree_cpu([w.pid for w in workers]),
        _tree_cpu([w.pid for w in order_workers]),
        sum(cpu_seconds(pid) for pid in mariadb),
        time.monotonic(),
    )

    def cpu_now() -> tuple[float, float, float]:
        return (
            _tree_cpu([w.pid for w in workers]) - cpu_start[0],
            _tree_cpu([w.pid for w in order_workers]) - cpu_start[1],
            sum(cpu_seconds(pid) for pid in mariadb) - cpu_start[2],
        )

    cpu_closed: tuple[float, float, float] | None = None
    wall_closed = float("nan")
    won = Auction.objects.filter(pk__in=ids, reserve_price__isnull=True).exclude(bid_count=0).count()
    orders_of_burst = Order.objects.filter(source_type=Order.Source.AUCTION, source_id__in=ids)
    try:
        while time.monotonic() < deadline:
            open_left = Auction.objects.filter(pk__in=ids, status=Auction.Status.LIVE).count()
            if open_left == 0:
                cpu_closed, wall_closed = cpu_now(), time.monotonic() - cpu_start[3]
                break
            time.sleep(1)
        # the follow-ups: every sold auction's order (created by the orders worker after the closes committed)
        orders_by = min(deadline, time.monotonic() + 180)
        while time.monotonic() < orders_by and orders_of_burst.count() < won:
            time.sleep(1)
        cpu_all = cpu_now()
        if cpu_closed is None:  # not all closed by the deadline: the CPU until then
            cpu_closed, wall_closed = cpu_all, time.monotonic() - cpu_start[3]
    finally:
        stop.set()
        for worker in workers + order_workers:
            worker.terminate()
        for worker in workers + order_workers:
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
    rows = list(Auction.objects.filter(pk__in=ids).values_list("pk", "ends_at", "closed_at", "outcome"))
    delays = [(closed - ends).total_seconds() for _, ends, closed, _ in rows if closed is not None]
    outcomes: dict[str, int] = {}
    for _, _, _, outcome in rows:
        outcomes[outcome or "open"] = outcomes.get(outcome or "open", 0) + 1
    closes = AuctionEvent.objects.filter(auction_id__in=ids, kind=AuctionEvent.Kind.CLOSED).count()
    within = sum(1 for d in delays if d <= TARGET_SECONDS)
    # the orders' lag: each order's creation (the orders worker's clock) after its auction's close (the
    # database's; one machine), and the last order after the last end
    closed_at = {pk: closed for pk, _, closed, _ in rows if closed is not None}
    created = list(orders_of_burst.values_list("source_id", "created_at"))
    orders = len(created)
    duplicates = orders - len({source_id for source_id, _ in created})
    order_lags = [(at - closed_at[sid]).total_seconds() for sid, at in created if sid in closed_at]
    last_end = max((ends for _, ends, _, _ in rows), default=None)
    last_order = max((at for _, at in created), default=None)
    last_order_after = (last_order - last_end).total_seconds() if last_order and last_end else float("nan")
    orders_of_burst.delete()
    cleanup()
    _drop_queued_work()
    closing_cpu, orders_cpu_closed, closing_db = cpu_closed
    all_cpu, orders_cpu, all_db = cpu_all
    complete = orders >= won
    lines = [
        f"## Close burst: {AUCTIONS:,} auctions ending in the same minute",
        "",
        f"{AUCTIONS:,} live auctions with `ends_at` spread over one minute; {WORKERS} Celery workers (prefork, 2 "
        "processes each) on the Redis broker's default queue; `close_due_auctions` sent every 2 s (celery-beat's "
        "cadence). The same workers run what the closes queue there (notifications, snapshots), as in production; "
        f"the orders of sold auctions are created on their own queue by {ORDERS_WORKERS} order-creation worker(s) "
        f"(prefork, {ORDERS_CONCURRENCY} process(es) each). Delay = `closed_at` − `ends_at`, both by the database "
        f"clock. Load average before / after: {load_before} / "
        f"{' '.join(open('/proc/loadavg').read().split()[:3])}.",  # noqa: SIM115
        "",
        f"| auctions | closed | closed once (events) | within {TARGET_SECONDS} s | p50 s | p99 s | max s | outcomes |",
        "|---|---|---|---|---|---|---|---|",
        f"| {AUCTIONS:,} | {len(delays):,} | {closes:,} | {within:,} | {percentile(delays, 50):.2f} | "
        f"{percentile(delays, 99):.2f} | {max(delays, default=float('nan')):.2f} | "
        + ", ".join(f"{k}: {v}" for k, v in sorted(outcomes.items()))
        + " |",
        "",
        f"**Closes: {within:,} of {AUCTIONS:,} within {TARGET_SECONDS} s of their end "
        f"({'target met' if within == AUCTIONS else 'target not met'}).** "
        f"**Orders: {orders:,} for {won:,} sold auctions ({duplicates} duplicates)"
        + (
            f"; the last one created {last_order_after:.1f} s after the last auction's end.** "
            if complete
            else f"; not all within 3 minutes of the last close (the last one so far {last_order_after:.1f} s "
            "after the last auction's end).** "
        )
        + f"Order lag (created − closed): p50 {percentile(order_lags, 50):.1f} s, p99 "
        f"{percentile(order_lags, 99):.1f} s, max {max(order_lags, default=float('nan')):.1f} s. "
        f"Close batch: {BATCH or 'settings default'}.",
        "",
        f"CPU (user + system, /proc) from the first end until the last auction closed ({wall_closed:.0f} s): "
        f"closing workers {closing_cpu:.1f} s ({closing_cpu / AUCTIONS * 1000:.2f} ms per close, the notices and "
        f"snapshots they ran meanwhile included), order workers {orders_cpu_closed:.1f} s, MariaDB "
        f"{closing_db:.1f} s ({closing_db / AUCTIONS * 1000:.2f} ms per close); until the last order: closing "
        f"workers {all_cpu:.1f} s ({all_cpu / AUCTIONS * 1000:.2f} ms per close), order workers {orders_cpu:.1f} s "
        f"({orders_cpu / max(orders, 1) * 1000:.2f} ms per order, its invoice notice included), MariaDB "
        f"{all_db:.1f} s.",
        "",
        f"Target: every auction closed within {TARGET_SECONDS} s of its end (1,000 auctions: within 10 s).",
        *profile,
    ]
    return "\n".join(lines) + "\n"


def run() -> str:
    # the profiles (~1-2 minutes), the burst's creation, its minute, the closes' deadline and the orders' wait
    return run_child("tests.load.bench_close", ISOLATION, timeout=900 + AUCTIONS / 50)


if __name__ == "__main__":
    if "--child" in sys.argv:
        print("<<<SECTION>>>" + child())
    else:
        print(run())
