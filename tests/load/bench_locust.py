"""How many concurrent visitors one box serves with page p95 ≤ 300 ms: Locust (tests/load/locustfile.py, the
mix of browse, search, view a vehicle, watch, bid and pay) headless against the production-like stack on this
machine: HAProxy (deploy/haproxy.cfg) in front of 2 web processes, on the bench database.

    .venv/bin/python -m tests.load.bench_locust
    from tests.load.bench_locust import run; run()

The load steps up (LOCUST_STAGES, default 10, 25, 50, 100, 200, 400 visitors, LOCUST_STAGE_SECONDS = 20 s each);
each visitor thinks 1-5 s between steps. A stage passes when the page p95 is ≤ 300 ms and under 1 % of
requests failed; the answer is the largest stage that passed. Locust runs on the same two cores as the site,
MariaDB and Redis, so the answer is a floor for a box that runs only the site.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.load.bench_bidding import (
    ROOT,
    bench_users,
    make_auction,
    percentile,
    purge_tasks,
    run_child,
    servers,
    setup_django,
)

ISOLATION = "bench-locust"
PAGE_P95_MS = 300
BIDDERS = 40
AUCTIONS = 30


def fixture() -> dict[str, Any]:
    """Live auctions to look at and bid on; bidders with a token and a won, unpaid order each."""
    from django.utils import timezone
    from rest_framework_simplejwt.tokens import AccessToken

    from auctions.models import Auction
    from auctions.services import auction_close, bid_place
    from orders.sources import order_create_for_auction

    seller, bidders = bench_users(BIDDERS, "locust")
    live = [make_auction(seller, f"LOC{i}", minutes=120) for i in range(AUCTIONS)]
    people = []
    for bidder in bidders:
        won = make_auction(seller, "LOCWON", minutes=60)
        bid_place(auction_id=won.pk, bidder=bidder, max_amount=Decimal("6000"))
        Auction.objects.filter(pk=won.pk).update(ends_at=timezone.now() - timedelta(seconds=1))
        auction_close(auction_id=won.pk)
        order = order_create_for_auction(auction_id=won.pk)
        people.append({"token": str(AccessToken.for_user(bidder)), "order_id": order.pk if order else None})
    return {
        "vehicle_ids": [a.vehicle_id for a in live],
        "auction_ids": [a.pk for a in live],
        "bidders": people,
    }


def child() -> str:
    setup_django()
    from tests.load.bench_fanout import balancer, raise_file_limit

    raise_file_limit()
    stages = os.environ.get("LOCUST_STAGES", "10,25,50,100,200,400")
    stage_seconds = float(os.environ.get("LOCUST_STAGE_SECONDS", "20"))
    data = fixture()
    load_before = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    with tempfile.TemporaryDirectory() as workdir, servers(2, ISOLATION) as ports, balancer(ports) as lb:
        fixture_path, results_path = Path(workdir) / "fixture.json", Path(workdir) / "results.jsonl"
        fixture_path.write_text(json.dumps(data))
        host = f"http://127.0.0.1:{lb.lb_port if lb else ports[0]}"
        started = time.perf_counter()
        locust = subprocess.run(
            [sys.executable, "-m", "locust", "-f", str(ROOT / "tests" / "load" / "locustfile.py"), "--headless"]
            + ["--host", host, "--only-summary", "--loglevel", "WARNING", "--skip-log-setup"],
            cwd=ROOT,
            env={
                **os.environ,
                "LOCUST_FIXTURE": str(fixture_path),
                "LOCUST_RESULTS": str(results_path),
                "LOCUST_STAGES": stages,
                "LOCUST_STAGE_SECONDS": str(stage_seconds),
            },
            capture_output=True,
            text=True,
            timeout=len(stages.split(",")) * stage_seconds + 300,
            check=False,
        )
        elapsed = time.perf_counter() - started
        rows = [json.loads(line) for line in results_path.read_text().splitlines() if line.strip()]
    purge_tasks()
    if not rows:
        return (
            f"_bench_locust: Locust recorded nothing:_\n\n```\n{locust.stdout[-2000:]}\n{locust.stderr[-2000:]}\n```\n"
        )
    return report(rows, [int(n) for n in stages.split(",")], stage_seconds, elapsed, load_before)


def report(
    rows: list[dict[str, Any]], stages: list[int], stage_seconds: float, elapsed: float, load_before: str
) -> str:
    lines = [
        "## Concurrent visitors one box serves (Locust)",
        "",
        "Locust (`tests/load/locustfile.py`) headless against HAProxy in front of 2 web processes on this machine "
        "(bench database, 127.0.0.1; Locust, MariaDB and Redis on the same two cores). Visitors browse, search, "
        "view a vehicle, watch (watchlist + a glance at the live room), bid and pay, thinking 1-5 s between steps; "
        f"the load steps up every {stage_seconds:.0f} s. Page = an HTML page (home, inventory, search, vehicle). "
        f"Load average before: {load_before}. Command: `.venv/bin/python -m tests.load.run_all bench_locust`.",
        "",
        "| visitors | requests/s | page p50 ms | page p95 ms | API p95 ms | live room join p95 ms | failed | passes |",
        "|---|---|---|---|---|---|---|---|",
    ]
    best = 0
    for index, users in enumerate(stages):
        stage = [r for r in rows if r["stage"] == index]
        if not stage:
            continue
        pages = [r["ms"] for r in stage if r["name"].startswith("page:")]
        apis = [r["ms"] for r in stage if r["name"].startswith("api:")]
        rooms = [r["ms"] for r in stage if r["name"].startswith("ws:")]
        failed = sum(1 for r in stage if not r["ok"]) / len(stage)
        page_p95 = percentile(pages, 95)
        passes = page_p95 <= PAGE_P95_MS and failed < 0.01
        if passes and users > best:
            best = users
        lines.append(
            f"| {users} | {len(stage) / stage_seconds:,.0f} | {percentile(pages, 50):.0f} | {page_p95:.0f} | "
            f"{percentile(apis, 95):.0f} | {percentile(rooms, 95):.0f} | {failed:.1%} | {'yes' if passes else 'no'} |"
        )
    lines += [
        "",
        f"**One box serves {best} concurrent visitors** with page p95 ≤ {PAGE_P95_MS} ms and under 1 % failed "
        f"(the largest passing stage; {elapsed:.0f} s of load).",
    ]
    return "\n".join(lines) + "\n"


def run() -> str:
    return run_child("tests.load.bench_locust", ISOLATION, timeout=1800)


if __name__ == "__main__":
    if "--child" in sys.argv:
        print("<<<SECTION>>>" + child())
    else:
        print(run())
