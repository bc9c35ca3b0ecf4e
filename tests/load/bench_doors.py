"""The bid protocol's bar (issue 17): every door at 50, 100, 200 and 400 bids/s, open loop, 50 bidders on one
auction, p99 per door; the servers compared in the same run; saturation against the raw SQL row rate.

    .venv/bin/python -m tests.load.bench_doors           # prints the markdown section
    BENCH_BEFORE_ROOT=/path/to/an/older/checkout ...     # adds that tree's stack (its own server), same run

Stacks (each: 2 server processes on 127.0.0.1, the bench database, a warm-up first):
- **uvicorn** and **daphne**: this tree's application (config.asgi) under each server, started the same way
  (`config/server.py` for uvicorn; `python -m daphne` for daphne).
- **before** (only with BENCH_BEFORE_ROOT): another checkout's application under its own daphne command, e.g.
  the commit before the bid protocol, for "today's" numbers on this machine in the same run.

Doors: **HTTP API** (`POST /api/auctions/<id>/bid`, Bearer JWT, JSON), **HTTP via Django + DRF** (only where
a bid lane exists in front of Django: the same bid form-encoded, which the lane hands to Django), and
**WebSocket** (`bid_placed` in the live room). Rates 50/100/200/400 bids/s open loop (Poisson, N = 50), then
a closed loop (N = 50, bidding war) for saturation, compared with the raw SQL row rate measured in the run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.load.bench_bidding import (
    ROOT,
    SERVER_PIDS,
    Row,
    bench_env,
    bench_users,
    delete_auctions,
    free_port,
    make_auction,
    percentile,
    purge_tasks,
    run_child,
    run_load,
    run_raw,
    setup_django,
    verify,
)

RATES = [int(r) for r in os.environ.get("BENCH_DOOR_RATES", "50,100,200,400").split(",")]
SECONDS = float(os.environ.get("BENCH_DOOR_SECONDS", "8"))
N = 50
BEFORE_ROOT = os.environ.get("BENCH_BEFORE_ROOT", "")
STACKS = os.environ.get("BENCH_STACKS", "uvicorn,daphne").split(",")


def _command(stack: str, port: int) -> tuple[list[str], Path]:
    stack = stack.removesuffix("-nolane")
    if stack == "uvicorn":
        from config.server import command

        return command(host="127.0.0.1", port=port), ROOT
    root = Path(BEFORE_ROOT) if stack == "before" else ROOT
    return [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"], root


@contextmanager
def servers(stack: str, count: int = 2) -> Iterator[list[int]]:
    from tests.fixtures.live_server import wait_for_port

    ports = [free_port() for _ in range(count)]
    processes = []
    for port in ports:
        argv, cwd = _command(stack, port)
        processes.append(
            subprocess.Popen(
                argv,
                cwd=cwd,
                env=bench_env(
                    "bench-doors",
                    DJANGO_ALLOW_ASYNC_UNSAFE="true",
                    PYTHONPATH=str(cwd),
                    BID_LANE="off" if stack.endswith("-nolane") else "on",
                ),
                stdout=subprocess.DEVNULL,
                stderr=open(os.environ.get("BENCH_SERVER_LOG", os.devnull), "ab"),  # noqa: SIM115
            )
        )
    SERVER_PIDS.update({port: process.pid for port, process in zip(ports, processes, strict=True)})
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


def _row(stack: str, door: str, rate: float | None, ports: list[int], tokens: list[str], seller: Any) -> Row | str:
    try:
        return _measured_row(stack, door, rate, ports, tokens, seller)
    except RuntimeError as exc:  # a load process that failed: say so in the table, measure the rest
        load = "closed loop" if rate is None else f"open, {rate:.0f}/s"
        reason = str(exc).strip().splitlines()[-1][:80].replace("|", "/")
        return f"| {door} ({stack}) | war | {N} | {load} | failed: {reason} |||||||||"


def _measured_row(stack: str, door: str, rate: float | None, ports: list[int], tokens: list[str], seller: Any) -> Row:
    auction = make_auction(seller, f"{stack[:3]}{door[:2]}{int(rate or 0)}")
    kind = "ws" if door == "WebSocket" else "http"
    row = run_load(
        kind,
        "war",
        ports,
        tokens,
        auction.pk,
        rate,
        label=f"{door} ({stack})",
        form_body=door == "HTTP via Django + DRF",
        seconds=SECONDS,
        ws_auth="query" if stack == "before" else "protocol",
    )
    row.check = verify(auction.pk)  # type: ignore[attr-defined]
    return row


def child() -> str:
    setup_django()
    from rest_framework_simplejwt.tokens import RefreshToken

    delete_auctions("Bench")
    seller, bidders = bench_users(N, "bidbench")
    tokens = [str(RefreshToken.for_user(user).access_token) for user in bidders]
    stacks = (["before"] if BEFORE_ROOT else []) + [s for s in STACKS if s]
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    raw_count, raw_elapsed, raw_latencies = run_raw(N)
    raw_rate = raw_count / raw_elapsed
    rows: list[Row | str] = []
    for stack in stacks:
        doors = ["HTTP API", "WebSocket"]
        if stack == "before":
            doors.insert(1, "HTTP via Django + DRF")
        with servers(stack) as ports:
            for kind in ("http", "ws"):  # warm-up, not reported
                auction = make_auction(seller, f"warm{kind}")
                run_load(
                    kind,
                    "war",
                    ports,
                    tokens[:10],
                    auction.pk,
                    None,
                    "warm-up",
                    seconds=2,
                    ws_auth="query" if stack == "before" else "protocol",
                )
            for door in doors:
                rows += [_row(stack, door, rate, ports, tokens, seller) for rate in RATES]
                rows.append(_row(stack, door, None, ports, tokens, seller))
    purge_tasks()
    delete_auctions("Bench")
    load_after = Path("/proc/loadavg").read_text().split()[:3]
    lines = [
        "## The bid protocol's bar: every door, open loop, 50 bidders on one auction",
        "",
        __doc__.split("\n\n", 2)[2].strip(),
        "",
        f"Load average before / after: {' '.join(load_before)} / {' '.join(load_after)}. Raw SQL at N = 50 in this "
        f"run: {raw_rate:,.0f} rows/s (p50 {percentile(raw_latencies, 50) * 1000:.1f} ms).",
        "",
        "| door (server) | mode | N | load | processed/s | accepted/s | accepted | p50 ms | p99 ms | processed vs raw "
        "| accepted vs raw | CPU ms/bid server / MariaDB / client | cores | errors |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        *[row if isinstance(row, str) else row.markdown(raw_rate) for row in rows],
        "",
        "Bar: HTTP API and WebSocket p99 ≤ 50 ms at 200 bids/s; WebSocket closed loop ≥ 100 % of raw; HTTP API "
        "closed loop within 20 % of the lane before.",
        "",
        "Stored bids replayed through the engine after each row: "
        + ", ".join(sorted({getattr(row, "check", "?") for row in rows if not isinstance(row, str)}))
        + ".",
    ]
    return "\n".join(lines) + "\n"


def run() -> str:
    return run_child("tests.load.bench_doors", "bench-doors", timeout=1800)


if __name__ == "__main__":
    if "--child" in sys.argv:
        print("<<<SECTION>>>" + child())
    else:
        print(run())
