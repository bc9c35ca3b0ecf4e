"""Fan-out benchmark: 5,000 WebSocket watchers on one auction, connected through the load balancer (HAProxy,
deploy/haproxy.cfg) to two web processes (channels-redis), one bid per second; bid-to-receipt latency at the
watchers (p50/p99) and the share of messages delivered. BENCH_WATCHERS, BENCH_FANOUT_WEBS and
BENCH_FANOUT_DIRECT=1 (no balancer: the watchers split over the processes' own ports) change the setup.

    .venv/bin/python -m tests.load.bench_fanout
    from tests.load.bench_fanout import run; run()

The watchers are held by separate client processes (five by default, BENCH_FANOUT_CLIENTS), so one loop
reading thousands of sockets is not what is measured; each is a lean WebSocket client on uvloop
(tests/load/room_watcher.py: the protocol by hand, only a frame's type and seq read), since the clients share
the machine's cores with the servers they measure. The bidder is the benchmark's own child process, on 127.0.0.1
(bench database, own Redis prefix). The bid goes through `bid_place`, whose after-commit broadcast is encoded
once and published once on the rooms' channel layer (channels-redis pub/sub, settings CHANNEL_LAYERS["auctions"]);
each web process receives it once and writes the text to its own sockets in one loop (auctions/room_fanout.py). Latency is from just before `bid_place`
is called to the moment a watcher's client read the `new_bid` message, so it includes the bid transaction and
the client's own decoding. The run lasts longer than the server's 20 s keepalive ping, so the pings to the idle
watchers (all connected within about a second) fall inside it, as they would after a mass reconnect.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.load.bench_bidding import (
    SERVER_PIDS,
    bench_users,
    cpu_seconds,
    make_auction,
    percentile,
    purge_tasks,
    run_child,
    servers,
    setup_django,
)

WATCHERS = int(os.environ.get("BENCH_WATCHERS", "5000"))
BIDS = int(os.environ.get("BENCH_FANOUT_BIDS", "30"))
WEBS = int(os.environ.get("BENCH_FANOUT_WEBS", "2"))
DIRECT = os.environ.get("BENCH_FANOUT_DIRECT") == "1"
CLIENTS = int(os.environ.get("BENCH_FANOUT_CLIENTS", "5"))
# new sockets per second, all client processes together, opened evenly (one at a time, each client process its
# share): a hot listing gains its watchers over minutes; 100/s is a crowd arriving at once (a push notification,
# or a dead process' watchers reconnecting with the page's backoff and jitter: static/js/auction_room.js)
CONNECT_RATE = float(os.environ.get("BENCH_FANOUT_CONNECT_RATE", "100"))


def raise_file_limit() -> int:
    """Thousands of sockets: the soft limit of open files up to the hard one (inherited by the children)."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def watcher_process(count: int, ports: list[int], auction_id: int) -> None:
    """A client process holding `count` sockets (tests/load/room_watcher.py): prints READY once all joined,
    then on STOP (stdin) the receipts."""
    from tests.load.room_watcher import Receipts, RoomWatcher, watch

    async def main() -> Receipts:
        receipts = Receipts()
        tasks: list[asyncio.Task[RoomWatcher | None]] = []
        pause = CLIENTS / CONNECT_RATE  # this process' share of the rate, one socket at a time
        path = f"/ws/auctions/{auction_id}/"
        began = time.monotonic()
        for index in range(count):
            tasks.append(asyncio.ensure_future(watch(receipts, port=ports[index % len(ports)], path=path)))
            await asyncio.sleep(max(0.0, began + (index + 1) * pause - time.monotonic()))
        await asyncio.wait(tasks, timeout=300)
        print(f"READY {receipts.joined} {count - receipts.joined} {json.dumps(receipts.failures)}", flush=True)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.readline)
        for task in tasks:
            if not task.done():
                task.cancel()
            elif (watcher := task.result()) is not None:
                watcher.close()
        return receipts

    import uvloop  # as the web processes run (config/server.py): half the client CPU per message of asyncio's loop

    receipts = uvloop.run(main())
    counts = {"missed": receipts.missed, "repeated": receipts.repeated, "closed": receipts.closed}
    print("RESULT " + json.dumps({"arrivals": receipts.arrivals, **counts}), flush=True)


def _family(pid: int) -> list[int]:
    """A process and its children (HAProxy's master and its worker)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    return [pid, *(int(child) for child in children)]


def _cpu(pids: list[int]) -> float:
    return sum(cpu_seconds(pid) for pid in pids)


def _load() -> str:
    return " ".join(open("/proc/loadavg").read().split()[:3])  # noqa: SIM115


@contextmanager
def balancer(web_ports: list[int]) -> Iterator[Any]:
    """HAProxy in front of the web processes (None with BENCH_FANOUT_DIRECT=1), as `make scale` runs it."""
    if DIRECT:
        yield None
        return
    import tempfile
    from pathlib import Path

    from tests.scale.stack import Stack, free_port, wait_until

    keep = os.environ.get("BENCH_FANOUT_LB_DIR")  # keep the balancer's log there (its `log` file)
    with tempfile.TemporaryDirectory() as temporary:
        workdir = keep or temporary
        Path(workdir).mkdir(parents=True, exist_ok=True)
        stack = Stack(workdir=Path(workdir), env={})
        stack.web_ports = {f"web{i}": port for i, port in enumerate(web_ports, start=1)}
        stack.lb_port, stack.metrics_port = free_port(), free_port()
        os.environ["LB_MAXCONN"] = str(max(9000, WATCHERS + 1000))
        try:
            stack.start_balancer()
            for name in stack.web_ports:
                wait_until(lambda name=name: stack.is_up(name), 60, f"{name} healthy")  # type: ignore[misc]
            yield stack
        finally:
            if stack.balancer is not None:
                stack.balancer.stop()


def child() -> str:
    import subprocess

    load_before = _load()
    setup_django()
    from auctions.realtime import flush
    from auctions.services import bid_place
    from tests.load.bench_bidding import ROOT

    seller, bidders = bench_users(2, "fanout")
    auction = make_auction(seller, "FAN", minutes=120)
    sent: dict[int, float] = {}
    clients = CLIENTS
    files = raise_file_limit()

    with servers(WEBS, "bench-fanout") as web_ports, balancer(web_ports) as lb:
        ports = web_ports if lb is None else [lb.lb_port]
        web_pids = [SERVER_PIDS[port] for port in web_ports]
        lb_pids = _family(lb.balancer.process.pid) if lb is not None and lb.balancer and lb.balancer.process else []
        cpu_start = (_cpu(web_pids), _cpu(lb_pids))
        started = time.perf_counter()
        watchers = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "tests.load.bench_fanout",
                    "--watchers",
                    str(WATCHERS // clients),
                    ",".join(map(str, ports)),
                    str(auction.pk),
                ],
                cwd=ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(clients)
        ]
        joined_total = failed_total = 0
        failures: dict[str, int] = {}
        for process in watchers:
            assert process.stdout is not None
            line = process.stdout.readline()
            if not line.startswith("READY"):
                raise RuntimeError(f"a watcher process failed: {line}")
            joined_total += int(line.split()[1])
            failed_total += int(line.split()[2])
            for reason, count in json.loads(line.split(" ", 3)[3]).items():
                failures[reason] = failures.get(reason, 0) + count
        connect_seconds = time.perf_counter() - started
        client_pids = [process.pid for process in watchers]
        cpu_joined = (_cpu(web_pids), _cpu(lb_pids), _cpu(client_pids))
        spread = {name: lb.websockets(name) for name in lb.web_ports} if lb is not None else {"direct": joined_total}
        # one warm-up bid (connection pools, the Celery producer), not measured
        result = bid_place(auction_id=auction.pk, bidder=bidders[0], max_amount=Decimal("5000"))
        amount = Decimal(result.state["minimum_next_bid"]) + 100
        time.sleep(1)
        for seq in range(2, BIDS + 2):
            sent[seq] = time.time()
            result = bid_place(auction_id=auction.pk, bidder=bidders[seq % 2], max_amount=amount)
            amount = Decimal(result.state["minimum_next_bid"]) + 100
            time.sleep(max(0.0, 1.0 - (time.time() - sent[seq])))
        flush()
        time.sleep(3)
        cpu_bids = (_cpu(web_pids) - cpu_joined[0], _cpu(lb_pids) - cpu_joined[1], _cpu(client_pids) - cpu_joined[2])
        received: dict[int, list[float]] = {}
        anomalies = {"missed": 0, "repeated": 0, "closed": 0}  # summed over the client processes
        for process in watchers:
            out, _ = process.communicate("STOP\n", timeout=60)
            for line in out.splitlines():
                if line.startswith("RESULT "):
                    result_of_client = json.loads(line[7:])
                    for seq, arrivals in result_of_client["arrivals"].items():
                        received.setdefault(int(seq), []).extend(arrivals)
                    for name in anomalies:
                        anomalies[name] += result_of_client[name]

    purge_tasks()
    latencies = [arrival - sent[seq] for seq, arrivals in received.items() if seq in sent for arrival in arrivals]
    delivered = sum(len(arrivals) for seq, arrivals in received.items() if seq in sent)
    watching = joined_total
    expected = watching * BIDS
    lines = [
        "## Fan-out: one hot auction, many watchers",
        "",
        f"{watching:,} WebSocket watchers on one auction, "
        + ("connected directly" if lb is None else "connected through the load balancer (HAProxy, deploy/haproxy.cfg)")
        + f" to {WEBS} web processes with channels-redis ({', '.join(f'{k}: {v:,}' for k, v in spread.items())}), "
        f"held by {clients} client processes (open-file limit {files:,}); {BIDS} bids, one per second, placed through "
        f"`bid_place` (127.0.0.1). {watching:,} watchers joined in {connect_seconds:.1f} s, opened at {CONNECT_RATE:.0f} "
        f"a second ({failed_total} failed to "
        "connect"
        + (f": {', '.join(f'{k} ×{v}' for k, v in failures.items())}" if failures else "")
        + "). Latency runs from just before `bid_place` is called to the client reading `new_bid`, so it "
        "includes the bid transaction, the balancer and the clients' own decoding. Each socket checks the seq of "
        f"every `new_bid` against its last: {anomalies['missed']} bids skipped, {anomalies['repeated']} repeated; "
        f"{anomalies['closed']} sockets closed after joining. Load average before / after: "
        f"{load_before} / {_load()}.",
        "",
        "| watchers | bids | delivered | share | p50 ms | p99 ms | max ms |",
        "|---|---|---|---|---|---|---|",
        f"| {watching:,} | {BIDS} | {delivered:,} of {expected:,} | {delivered / max(1, expected):.1%} | "
        f"{percentile(latencies, 50) * 1000:.0f} | {percentile(latencies, 99) * 1000:.0f} | "
        f"{max(latencies, default=float('nan')) * 1000:.0f} |",
        "",
        "CPU (user + system, from /proc): joining, web processes "
        f"{cpu_joined[0] - cpu_start[0]:.1f} s ({(cpu_joined[0] - cpu_start[0]) / max(1, watching) * 1000:.2f} ms per "
        f"join), HAProxy {cpu_joined[1] - cpu_start[1]:.1f} s, client processes {cpu_joined[2]:.1f} s; during the bids, "
        f"web processes {cpu_bids[0]:.1f} s ({cpu_bids[0] / max(1, delivered) * 1e6:.0f} µs per delivered message, "
        f"keepalive pings included), HAProxy {cpu_bids[1]:.1f} s ({cpu_bids[1] / max(1, delivered) * 1e6:.0f} µs), "
        f"clients {cpu_bids[2]:.1f} s.",
        "",
        "Targets: p99 ≤ 250 ms with 100% delivered for 5,000 watchers (1,000 watchers: p99 ≤ 200 ms; stock Channels "
        "measured about 800 ms p99 with one process). "
        "Each broadcast is JSON-encoded once, published once (channels-redis pub/sub layer for the rooms), received "
        "once per process by the room's fan-out and written to that process' sockets in one loop "
        "(auctions/room_fanout.py); the server freezes its "
        "start-up objects out of the garbage collector (config/asgi.py), whose full collections otherwise "
        "paused a process holding 500 sockets for 120-230 ms.",
    ]
    return "\n".join(lines) + "\n"


def run() -> str:
    return run_child("tests.load.bench_fanout", "bench-fanout")


if __name__ == "__main__":
    if "--watchers" in sys.argv:
        at = sys.argv.index("--watchers")
        watcher_process(int(sys.argv[at + 1]), [int(p) for p in sys.argv[at + 2].split(",")], int(sys.argv[at + 3]))
    elif "--child" in sys.argv:
        print("<<<SECTION>>>" + child())
    else:
        print(run())
