"""Several processes behind a real load balancer, on MariaDB and Redis (`make scale`; marked `scale`).

HAProxy (deploy/haproxy.cfg) in front of 2 web processes (scripts/web-server.sh), 2 Celery workers, one
order-creation worker (its own queue) and celery beat (tests/scale/stack.py). The clients talk to the balancer only (tests/scale/clients.py). In order:

1. bidders spread over both processes bid on one auction; watchers held by both processes receive every
   `new_bid` once, in seq order;
2. one web process is killed (SIGKILL) while bids flow: the balancer marks it down within seconds and sends
   it nothing after; its watchers reconnect through the balancer and catch up by seq; no acknowledged bid
   is lost (an unanswered bid is resent with its Idempotency-Key);
3. a rolling restart (drain, stop, start, ready; one process at a time) while bids flow: no bidder sees an
   error; watchers moved off a draining process catch up by seq;
4. the client's address: the balancer's X-Forwarded-For is believed, a client's own is not;
5. one worker is killed (SIGKILL, its pool too) during a close burst: every due auction closes once, every
   sold one gets one order;
6. the invariants: every acknowledged bid is stored as acknowledged; the stored bids replay to the stored
   state, with gapless seqs.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
import urllib.request
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from tests.fixtures.live_server import server_env
from tests.scale.clients import BidderTally, Ladder, Watcher, bidder, catch_up, watch
from tests.scale.stack import Stack, scale_stack, wait_until

pytestmark = [pytest.mark.scale, pytest.mark.slow]

WATCHERS = 20
BIDDERS = 8
REPORT: list[str] = []


def note(line: str) -> None:
    REPORT.append(line)
    print(line, flush=True)


def _people(count: int) -> tuple[Any, list[Any], list[str]]:
    from rest_framework_simplejwt.tokens import AccessToken

    from tests.load.bench_bidding import bench_users

    seller, bidders = bench_users(count, "scale")
    return seller, bidders, [str(AccessToken.for_user(user)) for user in bidders]


class Traffic:
    """Bidders and watchers running in one event loop thread while the test acts on the stack."""

    def __init__(self, stack: Stack, auction_id: int, tokens: list[str]) -> None:
        self.stack, self.auction_id, self.tokens = stack, auction_id, tokens
        self.ladder = Ladder()
        self.watchers = [Watcher(i) for i in range(WATCHERS)]
        self.loop = asyncio.new_event_loop()
        self.watch_stop = asyncio.Event()
        import threading

        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine: Any, timeout: float = 120) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def start_watchers(self) -> None:
        async def start() -> None:
            self.watch_stop = asyncio.Event()
            self.watch_tasks = [
                asyncio.ensure_future(
                    watch(port=self.stack.lb_port, auction_id=self.auction_id, watcher=w, stop=self.watch_stop)
                )
                for w in self.watchers
            ]
            await asyncio.wait_for(asyncio.gather(*(w.joined.wait() for w in self.watchers)), 60)

        self.run(start())

    def start_bidding(self, pause: float = 0.05) -> BidderTally:
        tally = BidderTally()

        async def start() -> None:
            self.bid_stop = asyncio.Event()
            self.bid_tasks = [
                asyncio.ensure_future(
                    bidder(
                        port=self.stack.lb_port,
                        token=token,
                        auction_id=self.auction_id,
                        ladder=self.ladder,
                        stop=self.bid_stop,
                        tally=tally,
                        pause=pause,
                    )
                )
                for token in self.tokens
            ]

        self.run(start())
        return tally

    def stop_bidding(self) -> None:
        async def stop() -> None:
            self.bid_stop.set()
            await asyncio.wait_for(asyncio.gather(*self.bid_tasks), 90)

        self.run(stop())

    def watchers_caught_up(self, last_seq: int, timeout: float = 60) -> float:
        """Every watcher has applied every bid up to `last_seq` (live or from the history)."""

        async def wait() -> float:
            started = time.monotonic()
            while any(w.last < last_seq for w in self.watchers):
                if time.monotonic() - started > timeout:
                    behind = {w.index: w.last for w in self.watchers if w.last < last_seq}
                    raise AssertionError(f"watchers behind seq {last_seq}: {behind}")
                # a watcher whose socket is quiet (the last bid was lost with a process) asks the history
                if time.monotonic() - started > 3:
                    for w in self.watchers:
                        if w.last < last_seq:
                            await catch_up(self.stack.lb_port, self.auction_id, w, last_seq)
                await asyncio.sleep(0.05)
            return time.monotonic() - started

        return float(self.run(wait(), timeout + 30))

    def close(self) -> None:
        async def stop() -> None:
            self.watch_stop.set()
            await asyncio.gather(*getattr(self, "watch_tasks", []), return_exceptions=True)

        try:
            self.run(stop(), 30)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)


def _last_seq(auction_id: int) -> int:
    from auctions.models import Auction

    return int(Auction.objects.values_list("last_seq", flat=True).get(pk=auction_id))


def _assert_acks_stored(auction_id: int, tallies: list[BidderTally]) -> int:
    from auctions.models import Bid

    stored = dict(Bid.objects.filter(auction_id=auction_id).values_list("seq", "max_amount"))
    acks = [ack for tally in tallies for ack in tally.acks]
    lost = [ack for ack in acks if stored.get(ack.seq) != ack.max_amount]
    assert not lost, f"acknowledged bids not stored as acknowledged: {lost[:5]}"
    assert len({ack.seq for ack in acks}) == len(acks), "two acknowledgements for one seq"
    return len(acks)


def _replays(auction_id: int) -> None:
    from tests.load.bench_bidding import verify

    assert verify(auction_id) == "ok", "the stored bids do not replay to the stored state (or seqs have gaps)"


def _client_address_seen(stack: Stack, auction_id: int, token: str) -> None:
    """A bid's stored address: the balancer's word from the balancer, never a client's own header."""
    from auctions.models import Bid

    def bid_from(source: str, port: int, amount: Decimal) -> str:
        body = json.dumps({"amount": str(amount)}).encode()
        with socket.create_connection(("127.0.0.1", port), source_address=(source, 0), timeout=30) as sock:
            sock.sendall(
                (
                    f"POST /api/auctions/{auction_id}/bid HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                    f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
                    f"X-Forwarded-For: 6.6.6.6\r\nContent-Length: {len(body)}\r\n\r\n"
                ).encode()
                + body
            )
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 201"), answer[:300]
        seq = json.loads(answer.split(b"\r\n\r\n", 1)[1])["data"]["bid"]["seq"]
        return str(Bid.objects.get(auction_id=auction_id, seq=seq).ip_address)

    start = Decimal(_price_floor(auction_id))
    via_balancer = bid_from("127.0.0.3", stack.lb_port, start + 10000)
    direct = bid_from("127.0.0.1", stack.web_ports["web1"], start + 20000)
    assert via_balancer == "127.0.0.3", via_balancer  # the balancer replaced the client's X-Forwarded-For
    assert direct == "127.0.0.1", direct  # a client talking to a web process cannot name its address
    note(f"- client address: via the balancer {via_balancer} (client sent X-Forwarded-For 6.6.6.6); direct {direct}")


def _price_floor(auction_id: int) -> str:
    from auctions.models import Auction

    auction = Auction.objects.get(pk=auction_id)
    return str(max(auction.leader_max or 0, auction.current_price or 0, auction.starting_price))


def _close_burst_with_a_worker_killed(stack: Stack) -> None:
    from auctions.models import Auction, AuctionEvent
    from orders.models import Order
    from tests.load.bench_bidding import bench_users
    from tests.load.bench_close import create_burst

    seller, buyers = bench_users(1, "scaleclose")
    count = 120
    ids = create_burst(seller, buyers[0], count=count, first_end_in=4, spread=8)
    sold_expected = sum(1 for i in range(count) if i % 4 in (0, 1))
    started = time.monotonic()

    def closed() -> int:
        return Auction.objects.filter(pk__in=ids).exclude(status=Auction.Status.LIVE).count()

    wait_until(lambda: closed() >= count // 10, 60, "the first closes of the burst")
    at_kill = closed()
    stack.workers["worker1"].kill()
    killed_at = time.monotonic() - started
    took = wait_until(lambda: closed() == count, 90, "every due auction closed with one worker left", 0.2)
    events = Counter(
        AuctionEvent.objects.filter(auction_id__in=ids, kind=AuctionEvent.Kind.CLOSED).values_list(
            "auction_id", flat=True
        )
    )
    assert set(events) == set(ids)
    assert max(events.values()) == 1, "an auction closed twice"
    sold = list(Auction.objects.filter(pk__in=ids).won().values_list("pk", flat=True))
    assert len(sold) == sold_expected

    def orders() -> Counter[int]:
        return Counter(
            Order.objects.filter(source_type=Order.Source.AUCTION, source_id__in=sold).values_list(
                "source_id", flat=True
            )
        )

    orders_took = wait_until(lambda: len(orders()) == len(sold), 60, "an order for every sold auction", 0.25)
    assert max(orders().values()) == 1, "two orders for one auction"
    delays = [
        (c - e).total_seconds()
        for e, c in Auction.objects.filter(pk__in=ids).values_list("ends_at", "closed_at")
        if c is not None
    ]
    note(
        f"- close burst: {count} auctions ending within 8 s; worker1 killed (SIGKILL) at {killed_at:.1f} s with "
        f"{at_kill} closed; all {count} closed once, {took:.1f} s later; max ends_at→closed "
        f"{max(delays):.1f} s; {len(sold)} sold auctions, one order each ({orders_took:.1f} s more)"
    )


@pytest.mark.usefixtures("transactional_db")
def test_balancer_processes_and_workers_keep_every_bid_and_close_every_auction(tmp_path: Path) -> None:
    from tests.load.bench_bidding import make_auction

    REPORT.clear()
    seller, _, tokens = _people(BIDDERS)
    auction = make_auction(seller, "SCALE", minutes=60)
    env = server_env(
        CELERY_TASK_ALWAYS_EAGER="false",
        SCALE_QUEUE=settings.CELERY_TASK_DEFAULT_QUEUE,
        SCALE_ORDERS_QUEUE=settings.CELERY_ORDERS_QUEUE,
        LOG_LEVEL="WARNING",
    )
    began = time.monotonic()
    with scale_stack(tmp_path, env, webs=2, workers=2, orders_workers=1) as stack:
        note(
            f"## make scale: {time.monotonic() - began:.1f} s to start the balancer, 2 web processes, 2 workers, "
            "1 order-creation worker, beat"
        )
        traffic = Traffic(stack, auction.pk, tokens)
        try:
            _steady(stack, traffic, auction.pk)
            _crash(stack, traffic, auction.pk)
            _rolling_restart(stack, traffic, auction.pk)
        finally:
            traffic.close()
        _client_address_seen(stack, auction.pk, tokens[0])
        _static_from_the_balancer(stack)
        _close_burst_with_a_worker_killed(stack)
    _replays(auction.pk)
    note(f"- invariants: stored bids replay to the stored state, seqs 1..{_last_seq(auction.pk)} gapless")
    note(f"- whole scenario: {time.monotonic() - began:.1f} s")


def _steady(stack: Stack, traffic: Traffic, auction_id: int) -> None:
    traffic.start_watchers()
    held = Counter(w.servers[-1] for w in traffic.watchers)
    assert set(held) == {"web1", "web2"}, f"watchers not on both processes: {held}"
    tally = traffic.start_bidding()
    time.sleep(6)  # bids flow for a while (the load, not a synchronisation)
    traffic.stop_bidding()
    last = _last_seq(auction_id)
    traffic.watchers_caught_up(last)
    served = Counter(s for _, s in tally.served_by)
    assert set(served) == {"web1", "web2"}, f"bids not spread over both processes: {served}"
    assert not tally.failures, tally.failures[:5]
    for w in traffic.watchers:
        assert w.live == list(range(1, last + 1)), f"watcher {w.index} (on {w.servers}) got {w.live[:10]}…"
        assert w.reconnects == 0
    acks = _assert_acks_stored(auction_id, [tally])
    note(
        f"- steady: {acks} bids acknowledged ({dict(served)} by process), {tally.refused} refused (price moved); "
        f"{WATCHERS} watchers ({dict(held)}) each got all {last} new_bid once, in seq order"
    )


def _crash(stack: Stack, traffic: Traffic, auction_id: int) -> None:
    first = _last_seq(auction_id)
    tally = traffic.start_bidding()
    time.sleep(2)
    on_web1 = [w for w in traffic.watchers if w.servers[-1] == "web1"]
    stack.webs["web1"].kill()
    killed = time.monotonic()
    down_after = wait_until(lambda: stack.is_down("web1"), 15, "the balancer marking web1 down", 0.02)
    time.sleep(3)
    traffic.stop_bidding()
    last = _last_seq(auction_id)
    caught = traffic.watchers_caught_up(last)
    late = [s for when, s in tally.served_by if when > killed + down_after + 0.1 and s != "web2"]
    assert not late, f"requests sent to a dead process after it was marked down: {late[:5]}"
    for w in traffic.watchers:
        assert w.processed == list(range(1, last + 1)), f"watcher {w.index} applied {w.processed[first - 2 :]}"
        assert w.live == sorted(set(w.live)), f"watcher {w.index} got a new_bid twice or out of order"
    moved = [w for w in on_web1 if w.reconnects and w.servers[-1] == "web2"]
    assert len(moved) == len(on_web1), "a watcher of the dead process did not reconnect to the live one"
    acks = _assert_acks_stored(auction_id, [tally])
    note(
        f"- web1 killed mid-stream: marked down {down_after:.2f} s after the kill, nothing sent to it after; "
        f"{acks} bids acknowledged in the phase, all stored; {len(tally.failures)} answers lost in the crash and "
        f"resent with their Idempotency-Key; {len(on_web1)} watchers reconnected to web2 and caught up "
        f"({sum(w.caught_up for w in traffic.watchers)} bids from the history) {caught:.1f} s after the last bid"
    )
    took = stack.start_web_ready("web1")
    note(f"- web1 restarted and healthy behind the balancer in {took:.1f} s")


def _rolling_restart(stack: Stack, traffic: Traffic, auction_id: int) -> None:
    tally = traffic.start_bidding()
    timings = {}
    for name in ("web1", "web2"):
        time.sleep(1)
        timings[name] = stack.drain_and_stop_web(name)
        timings[name]["back_s"] = stack.start_web_ready(name)
    time.sleep(1)
    traffic.stop_bidding()
    last = _last_seq(auction_id)
    traffic.watchers_caught_up(last)
    assert not tally.failures, f"a bidder saw an error during the rolling restart: {tally.failures[:5]}"
    for w in traffic.watchers:
        assert w.processed == list(range(1, last + 1))
    acks = _assert_acks_stored(auction_id, [tally])
    spread = Counter(s for _, s in tally.served_by)
    note(
        f"- rolling restart (drain → in-flight done → WebSockets moved → stop → start → ready), one process at a "
        f"time: {acks} bids acknowledged ({dict(spread)}), 0 errors; drain "
        + ", ".join(f"{n} {t['drained_s']:.2f} s, back in {t['back_s']:.1f} s" for n, t in timings.items())
    )


def _static_from_the_balancer(stack: Stack) -> None:
    """A static file is answered from the balancer's cache after the first request."""

    def get() -> tuple[str, str]:
        request = urllib.request.Request(f"{stack.url}/static/js/auction_room.js", headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - our own balancer
            return response.headers.get("X-Served-By", ""), response.headers.get("Age", "")

    get()
    served, age = get()
    cached = int(stack.server("web", "web1")["stot"] or 0) + int(stack.server("web", "web2")["stot"] or 0)
    assert age != "", "the second request for a static file did not come from the balancer's cache"
    note(
        f"- static: the second request for a file came from the balancer's cache (Age: {age}; {cached} requests total)"
    )
