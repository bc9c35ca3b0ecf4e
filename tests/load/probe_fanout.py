"""One-process fan-out probe: web-process CPU per delivered room message, for one or more source trees, in one run.

N sockets straight to one web process (config/server.py, as the site runs it; no balancer), held by one client
process; M room broadcasts (a `new_bid`-sized payload, through `realtime.room_send_many` as a bid's are) once the
sockets joined; CPU (user + system, /proc) of the web process and of the client from just before the first
broadcast to the last frame read, divided by the frames delivered; and the web process' CPU per join (from
before the first socket opened to a second after the last joined). With PROBE_BASE=<git revision>, the same
is measured on that revision's tree (`git archive` into a temporary directory) in alternating rounds, so a
change is compared with what it replaced under the same machine load.

    PROBE_BASE=HEAD~1 PROBE_SOCKETS=400 PROBE_BROADCASTS=30 .venv/bin/python -m tests.load.probe_fanout

PROBE_ROUNDS (2: rounds per tree), PROBE_CLIENTS (lean: tests/load/room_watcher.py, as bench_fanout's clients;
"lean,websockets" also measures the `websockets` library's client, in alternating rounds), PROBE_INTERVAL (0.1 s between broadcasts), PROBE_CLIENT_UVLOOP (1: the client
on uvloop, as bench_fanout's; 0: asyncio's loop), BENCH_DATABASE_NAME (the bench database; created and migrated
on first use).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.load.bench_bidding import ROOT, bench_env, bench_users, cpu_seconds, free_port, make_auction, setup_django
from tests.load.room_watcher import Receipts, RoomWatcher, seq_of, watch

SOCKETS = int(os.environ.get("PROBE_SOCKETS", "400"))
BROADCASTS = int(os.environ.get("PROBE_BROADCASTS", "30"))
ROUNDS = int(os.environ.get("PROBE_ROUNDS", "2"))
INTERVAL = float(os.environ.get("PROBE_INTERVAL", "0.1"))
BASE = os.environ.get("PROBE_BASE", "")
CLIENTS = os.environ.get("PROBE_CLIENTS", "lean").split(",")  # lean (tests/load/room_watcher.py), websockets
OPEN_RATE = 200.0  # sockets opened per second


def client_process(count: int, port: int, auction_id: int, kind: str) -> None:
    """Holds `count` sockets: READY once joined; on a line from stdin, the new_bid seqs and frame count read.
    `kind`: lean (tests/load/room_watcher.py, as bench_fanout's clients) or websockets (the library's client,
    as they were before: the two compared in one run)."""

    async def lean() -> None:
        receipts = Receipts()
        path = f"/ws/auctions/{auction_id}/"
        tasks = []
        for _ in range(count):
            tasks.append(asyncio.ensure_future(watch(receipts, port=port, path=path, timeout=60)))
            await asyncio.sleep(1 / OPEN_RATE)
        await asyncio.wait(tasks)
        print(f"READY {receipts.joined}", flush=True)
        loop = asyncio.get_running_loop()
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            seqs = sum(len(arrivals) for arrivals in receipts.arrivals.values())
            print("COUNT " + json.dumps({"frames": seqs, "seqs": seqs}), flush=True)
            if line.strip() == "STOP":
                break
        watchers: list[RoomWatcher | None] = [task.result() for task in tasks]
        for watcher in watchers:
            if watcher is not None:
                watcher.close()

    async def library() -> None:
        import websockets

        seqs: list[int] = []
        frames = [0]
        joined = [0]

        async def watch_one() -> None:
            url = f"ws://127.0.0.1:{port}/ws/auctions/{auction_id}/"
            async with websockets.connect(url, origin="http://127.0.0.1", max_queue=None, open_timeout=60) as ws:
                while '"auction_joined"' not in str(await ws.recv()):
                    pass
                joined[0] += 1
                async for raw in ws:
                    if isinstance(raw, str) and raw.startswith('{"type":"new_bid"'):
                        frames[0] += 1
                        seq = seq_of(raw.encode())
                        if seq is not None:
                            seqs.append(seq)

        tasks = []
        for _ in range(count):
            tasks.append(asyncio.ensure_future(watch_one()))
            await asyncio.sleep(1 / OPEN_RATE)
        while joined[0] < count and not any(task.done() for task in tasks):
            await asyncio.sleep(0.05)
        print(f"READY {joined[0]}", flush=True)
        loop = asyncio.get_running_loop()
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            print("COUNT " + json.dumps({"frames": frames[0], "seqs": len(seqs)}), flush=True)
            if line.strip() == "STOP":
                break
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    main = lean if kind == "lean" else library
    if os.environ.get("PROBE_CLIENT_UVLOOP", "1") == "1":  # as bench_fanout's clients; 0: asyncio's own loop
        import uvloop

        uvloop.run(main())
    else:
        asyncio.run(main())


def new_bid(auction_id: int, seq: int) -> dict:
    """A payload the size and shape of a bid's `new_bid` (auctions/services/after_commit.py)."""
    return {
        "type": "new_bid",
        "auction_id": auction_id,
        "seq": seq,
        "status": "live",
        "price": f"{5000 + seq * 100}.00",
        "bid_count": seq,
        "leader_alias": f"Bidder {seq % 7 + 1}",
        "minimum_next_bid": f"{5100 + seq * 100}.00",
        "reserve_met": True,
        "ends_at": "2026-12-07T01:00:00+00:00",
        "extended_count": 0,
        "buy_now_price": None,
        "placed_at": "2026-12-07T00:10:00.123456+00:00",
        "bidder_alias": f"Bidder {seq % 7 + 1}",
        "raised_own_max": False,
        "extended": False,
        "server_time": "2026-12-07T00:10:00.125000+00:00",
    }


def measure(tree: Path, label: str, seller: object, kind: str) -> dict:
    from auctions.realtime import flush, room_group, room_send_many

    auction = make_auction(seller, "PROBE")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "config.server", "--host", "127.0.0.1", "--port", str(port)],
        cwd=tree,
        env=bench_env("probe-fanout", DJANGO_ALLOW_ASYNC_UNSAFE="true", WEB_ACCESS_LOG="false"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = None
    try:
        from tests.fixtures.live_server import wait_for_port

        wait_for_port(port, timeout=120)
        cpu_before_joins = cpu_seconds(server.pid)
        client = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.load.probe_fanout",
                "--client",
                str(SOCKETS),
                str(port),
                str(auction.pk),
                kind,
            ],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert client.stdin is not None
        assert client.stdout is not None
        ready = client.stdout.readline().split()
        joined = int(ready[1]) if len(ready) == 2 else 0
        time.sleep(1.0)  # the joins' own work (watcher counts) settles
        join_ms = (cpu_seconds(server.pid) - cpu_before_joins) / max(1, joined) * 1000

        def count() -> dict:
            client.stdin.write("COUNT\n")
            client.stdin.flush()
            return json.loads(client.stdout.readline().split(" ", 1)[1])

        before = count()
        cpu_web, cpu_client = cpu_seconds(server.pid), cpu_seconds(client.pid)
        started = time.perf_counter()
        for seq in range(1, BROADCASTS + 1):
            room_send_many([(room_group(auction.pk), new_bid(auction.pk, seq), {})])
            time.sleep(INTERVAL)
        flush()
        expected = joined * BROADCASTS
        deadline = time.monotonic() + 30
        while (now := count())["seqs"] - before["seqs"] < expected and time.monotonic() < deadline:
            time.sleep(0.05)
        seconds = time.perf_counter() - started
        web, client_cpu = cpu_seconds(server.pid) - cpu_web, cpu_seconds(client.pid) - cpu_client
        delivered = now["seqs"] - before["seqs"]
        return {
            "tree": label,
            "client": kind,
            "sockets": joined,
            "delivered": delivered,
            "expected": expected,
            "seconds": round(seconds, 2),
            "web_us": round(web / max(1, delivered) * 1e6, 1),
            "join_ms": round(join_ms, 2),
            "client_us": round(client_cpu / max(1, delivered) * 1e6, 1),
            "load": open("/proc/loadavg").read().split()[0],  # noqa: SIM115
        }
    finally:
        if client is not None and client.poll() is None:
            try:
                client.communicate("STOP\n", timeout=20)
            except subprocess.TimeoutExpired:
                client.kill()
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


def child() -> None:
    setup_django()
    seller, _ = bench_users(0, "probe-fanout")
    trees = [(ROOT, "this tree")]
    with tempfile.TemporaryDirectory() as temporary:
        if BASE:
            archive = subprocess.run(["git", "archive", BASE], cwd=ROOT, capture_output=True, check=True).stdout
            subprocess.run(["tar", "-x", "-C", temporary], input=archive, check=True)
            trees.insert(0, (Path(temporary), f"base ({BASE})"))
        rows = [measure(tree, label, seller, kind) for _ in range(ROUNDS) for tree, label in trees for kind in CLIENTS]
    print(
        "| tree | client | sockets | delivered | seconds | web µs per message | client µs per message | web ms per join "
        "| load |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['tree']} | {row['client']} | {row['sockets']} | {row['delivered']:,} of {row['expected']:,} | "
            f"{row['seconds']} | "
            f"{row['web_us']} | {row['client_us']} | {row['join_ms']} | {row['load']} |"
        )


if __name__ == "__main__":
    if "--client" in sys.argv:
        at = sys.argv.index("--client")
        client_process(int(sys.argv[at + 1]), int(sys.argv[at + 2]), int(sys.argv[at + 3]), sys.argv[at + 4])
    elif "--child" in sys.argv:
        child()
    else:
        result = subprocess.run(
            [sys.executable, "-m", "tests.load.probe_fanout", "--child"], cwd=ROOT, env=bench_env("probe-fanout")
        )
        sys.exit(result.returncode)
