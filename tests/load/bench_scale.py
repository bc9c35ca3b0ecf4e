"""How capacity grows with processes: the same load through the load balancer (HAProxy, deploy/haproxy.cfg) in
front of 1, then 2 web processes, and a close burst with 1, then 2 Celery workers (docs/SCALING.md).

    .venv/bin/python -m tests.load.bench_scale

- bids: 50 API bidders (tests/load/loadgen.py, HTTP keep-alive, closed loop, "rising" amounts so most are
  accepted) through the balancer, 8 s;
- page views: 30 keep-alive clients asking for the inventory page (`/vehicles/`) through the balancer, 8 s;
- closes: 1,000 auctions already due, closed by `close_due_auctions` (sent every 2 s, as beat does) on 1 or 2
  workers (prefork, 1 process each); closes/s from the first close to the last.

On this 2-core machine shared with MariaDB, Redis and the load generator, a second process buys what one
process leaves idle (waits on the database and the network), not a second core's worth.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
from typing import Any

from tests.load.bench_bidding import (
    ROOT,
    SERVER_PIDS,
    bench_env,
    bench_users,
    delete_auctions,
    make_auction,
    measured,
    percentile,
    purge_tasks,
    run_child,
    servers,
    setup_django,
)

ISOLATION = "bench-scale"
SECONDS = 8.0


async def _pages(port: int, clients: int, seconds: float) -> tuple[int, list[float], int]:
    from tests.scale.clients import _close, _http

    latencies: list[float] = []
    errors = 0
    stop_at = time.perf_counter() + seconds

    async def client() -> None:
        nonlocal errors
        conn: list[Any] = []
        request = b"GET /vehicles/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            try:
                status, _, _ = await _http(port, request, conn)
            except (OSError, asyncio.IncompleteReadError):
                _close(conn)
                errors += 1
                continue
            latencies.append(time.perf_counter() - started)
            if status != 200:
                errors += 1
        _close(conn)

    await asyncio.gather(*(client() for _ in range(clients)))
    return len(latencies), latencies, errors


def web_rows(webs: int, tokens: list[str], seller: Any) -> list[str]:
    from tests.load.bench_fanout import balancer

    rows = []
    with servers(webs, ISOLATION) as ports, balancer(ports) as lb:
        pids = [SERVER_PIDS[p] for p in ports]
        auction = make_auction(seller, "SCALEB")
        spec = {
            "kind": "http",
            "mode": "rising",
            "ports": [lb.lb_port],
            "tokens": tokens,
            "auction_id": auction.pk,
            "seconds": 2.0,
            "rate": None,
        }
        measured(
            "warm-up", "rising", len(tokens), "", [sys.executable, "-m", "tests.load.loadgen", json.dumps(spec)], pids
        )
        spec["seconds"] = SECONDS
        row = measured(
            "bids", "rising", len(tokens), "", [sys.executable, "-m", "tests.load.loadgen", json.dumps(spec)], pids
        )
        rate = row.processed / row.elapsed
        rows.append(
            f"| {webs} | bids (50 API bidders) | {rate:,.0f} processed/s, {row.accepted / row.elapsed:,.0f} accepted/s "
            f"| {percentile(row.latencies, 99) * 1000:.0f} ms p99 | {rate / webs:,.0f} |"
        )
        count, latencies, errors = asyncio.run(_pages(lb.lb_port, 30, SECONDS))
        rows.append(
            f"| {webs} | inventory page views (30 clients) | {count / SECONDS:,.0f} pages/s ({errors} errors) "
            f"| {percentile(latencies, 95) * 1000:.0f} ms p95 | {count / SECONDS / webs:,.0f} |"
        )
    return rows


def close_row(workers: int, seller: Any, buyer: Any) -> str:
    from django.conf import settings

    from auctions.models import Auction
    from config.celery import app
    from tests.load.bench_close import MAKE, create_burst

    delete_auctions(MAKE)
    ids = create_burst(seller, buyer, count=1000, first_end_in=-1, spread=0)
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    purge_tasks()
    # the closer's workers only: order creation has its own queue and workers (config/celery.py), not started
    # here, so this row is the closes' capacity alone; its order messages are dropped by purge_tasks
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-n", f"scale{i}@%h", "-Q", queue]
            + ["--concurrency=1", "--pool=prefork", "--without-gossip", "--without-mingle", "--loglevel=ERROR"],
            cwd=ROOT,
            env=bench_env(ISOLATION),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for i in range(workers)
    ]
    stop = threading.Event()

    def ticker() -> None:
        while not stop.is_set():
            app.send_task("auctions.tasks.close_due_auctions", queue=queue)
            stop.wait(2.0)

    threading.Thread(target=ticker, daemon=True).start()
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline:
            if not Auction.objects.filter(pk__in=ids, status=Auction.Status.LIVE).exists():
                break
            time.sleep(0.5)
    finally:
        stop.set()
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
    stamps = sorted(c for c in Auction.objects.filter(pk__in=ids).values_list("closed_at", flat=True) if c)
    span = (stamps[-1] - stamps[0]).total_seconds() if len(stamps) > 1 else float("nan")
    delete_auctions(MAKE)
    purge_tasks()
    rate = (len(stamps) - 1) / span if span else float("nan")
    return f"| {workers} | closes (1,000 due at once) | {rate:,.0f} closes/s ({len(stamps):,} closed in {span:.1f} s) | — | {rate / workers:,.0f} |"


def child() -> str:
    setup_django()
    from rest_framework_simplejwt.tokens import AccessToken

    load_before = " ".join(open("/proc/loadavg").read().split()[:3])  # noqa: SIM115
    seller, bidders = bench_users(50, "scalebench")
    tokens = [str(AccessToken.for_user(user)) for user in bidders]
    rows = web_rows(1, tokens, seller) + web_rows(2, tokens, seller)
    rows += [close_row(1, seller, bidders[0]), close_row(2, seller, bidders[0])]
    purge_tasks()
    return "\n".join(
        [
            "## Capacity by number of processes (through the load balancer)",
            "",
            "The same load through HAProxy (deploy/haproxy.cfg) in front of 1, then 2 web processes; closes with 1, then 2 "
            "Celery workers (one process each). Bids: 50 API bidders, closed loop, rising amounts (most accepted), "
            f"{SECONDS:.0f} s; page views: 30 keep-alive clients on `/vehicles/`, {SECONDS:.0f} s; closes: 1,000 auctions "
            f"due at once. Load average before: {load_before}, after: "
            f"{' '.join(open('/proc/loadavg').read().split()[:3])}. Command: "  # noqa: SIM115
            "`.venv/bin/python -m tests.load.run_all bench_scale`.",
            "",
            "| processes | load | throughput | latency | per process |",
            "|---|---|---|---|---|",
            *rows,
            "",
            "On this 2-core machine shared with MariaDB, Redis and the load generator, a second process adds what one "
            "leaves idle (database and network waits), not a second core's worth; docs/SCALING.md reads these numbers.",
        ]
    )


def run() -> str:
    return run_child("tests.load.bench_scale", ISOLATION, timeout=1500)


if __name__ == "__main__":
    if "--child" in sys.argv:
        print("<<<SECTION>>>" + child())
    else:
        print(run())
