"""Real transactions racing on MariaDB: 50 bidders at once, bids against the close, two closers, a killed closer."""

import random
import subprocess
import sys
import threading
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from auctions import engine, services
from auctions.models import Auction, AuctionEvent, Bid
from auctions.services.increments import increment_table
from core.errors import DomainError
from tests.fixtures.live_server import server_env

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.race]
ROOT = Path(__file__).resolve().parents[2]


def run_threads(count: int, target) -> list:
    """Start `count` threads at once (behind a barrier); each closes its DB connection at the end."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def body(index: int) -> None:
        try:
            barrier.wait()
            results[index] = target(index)
        except Exception as exc:  # noqa: BLE001 - collected and asserted by the test
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=body, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def assert_replay_matches(auction: Auction) -> None:
    bids = list(Bid.objects.filter(auction=auction, voided_at__isnull=True).order_by("seq"))
    replayed = engine.replay(
        auction.terms(increment_table()), [engine.ReplayBid(b.bidder_id, b.max_amount, b.seq) for b in bids]
    )
    assert replayed == auction.state(), "the stored state equals the engine replayed over the stored bids"
    assert [b.seq for b in bids] == list(range(1, len(bids) + 1)), "sequence numbers have no gaps or duplicates"
    for bid in bids:
        assert bid.resulting_price <= bid.max_amount or not bid.leading_after


def test_fifty_concurrent_bidders_every_acknowledged_bid_is_stored_and_state_replays(auction_factory, bidder_factory):
    auction = auction_factory(starting_price=Decimal("1000"))
    bidders = [bidder_factory() for _ in range(50)]
    amounts = random.Random(7).sample(range(1000, 40000, 25), 50)

    def bid(index: int):
        return services.bid_place(auction_id=auction.pk, bidder=bidders[index], max_amount=Decimal(amounts[index]))

    results = run_threads(50, bid)
    accepted = [r for r in results if isinstance(r, services.BidResult)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(accepted) + len(refused) == 50, [
        r for r in results if not isinstance(r, services.BidResult | DomainError)
    ]
    assert all(r.code == "below_minimum" for r in refused)
    assert accepted
    auction.refresh_from_db()
    stored = {(b.bidder_id, b.seq) for b in Bid.objects.filter(auction=auction)}
    assert {(r.bid.bidder_id, r.bid.seq) for r in accepted} == stored, "every acknowledged bid is stored, no more"
    assert auction.bid_count == len(accepted) == auction.last_seq
    assert_replay_matches(auction)
    top = max(amounts[i] for i, r in enumerate(results) if isinstance(r, services.BidResult))
    assert auction.leader_max == top


def test_bids_racing_the_close_never_count_after_the_end_and_close_happens_once(auction_factory, bidder_factory):
    # no soft close here, so the close really races the bids at `ends_at`
    auction = auction_factory(starting_price=Decimal("1000"), soft_close_window_seconds=0)
    bidders = [bidder_factory() for _ in range(8)]
    Auction.objects.filter(pk=auction.pk).update(ends_at=timezone.now() + timedelta(seconds=1.5))
    stop = threading.Event()

    def worker(index: int):
        outcomes = []
        if index < 2:  # two closers
            while not stop.is_set():
                outcomes.append(services.auction_close_due(time_budget=1))
            return outcomes
        amount = Decimal(1000)
        while not stop.is_set():
            amount += 50 + index
            try:
                outcomes.append(services.bid_place(auction_id=auction.pk, bidder=bidders[index - 2], max_amount=amount))
            except DomainError as exc:
                outcomes.append(exc)
        return outcomes

    timer = threading.Timer(3.5, stop.set)
    timer.start()
    results = run_threads(10, worker)
    timer.cancel()
    assert not [r for r in results if isinstance(r, Exception)], results
    auction.refresh_from_db()
    assert auction.status == Auction.Status.ENDED
    assert AuctionEvent.objects.filter(auction=auction, kind="closed").count() == 1, "closed exactly once"
    assert sum(sum(r) for r in results[:2]) == 1
    accepted = [o for r in results[2:] for o in r if isinstance(o, services.BidResult)]
    assert accepted, "some bids got in before the end"
    late = [o for r in results[2:] for o in r if isinstance(o, DomainError) and o.code == "auction_ended"]
    assert late, "some bids came after the end"
    for result in accepted:
        assert result.bid.placed_at < auction.ends_at, "an accepted bid is never after ends_at (database clock)"
    assert auction.closed_at >= auction.ends_at
    assert Bid.objects.filter(auction=auction).count() == len(accepted)
    assert_replay_matches(auction)


def test_two_close_workers_close_each_auction_exactly_once(auction_factory, bidder_factory):
    past = timezone.now() - timedelta(seconds=2)
    auctions = [auction_factory(ends_at=past) for _ in range(40)]
    buyer = bidder_factory()
    for auction in auctions[::2]:
        Auction.objects.filter(pk=auction.pk).update(ends_at=timezone.now() + timedelta(minutes=5))
        services.bid_place(auction_id=auction.pk, bidder=buyer, max_amount=Decimal("5000"))
        Auction.objects.filter(pk=auction.pk).update(ends_at=past)

    results = run_threads(2, lambda _: services.auction_close_due())
    assert sum(results) == 40, results
    closed = AuctionEvent.objects.filter(kind="closed").values_list("auction_id", flat=True)
    assert sorted(closed) == sorted(a.pk for a in auctions)
    assert Auction.objects.won().count() == 20


KILLED_CLOSER = """
import time, django
django.setup()
from auctions.services import closing
original = closing._close_locked
done = []
def slow_close(auction, now):
    result = original(auction, now)
    done.append(auction.pk)
    if len(done) == 3:
        print("HOLDING", flush=True)  # inside the third close's transaction
        time.sleep(120)
    return result
closing._close_locked = slow_close
closing.auction_close_due()
"""


@pytest.mark.parametrize(
    ("batch", "committed"),
    [
        (1, 2),  # one auction per transaction: two committed, the third rolled back
        (2, 2),  # the first batch (two) committed, the second (the third close in it) rolled back whole
        (8, 0),  # all eight in one batch: nothing committed
    ],
)
def test_a_closer_killed_mid_run_leaves_nothing_half_done_and_the_next_run_finishes(auction_factory, batch, committed):
    past = timezone.now() - timedelta(seconds=2)
    auctions = [auction_factory(ends_at=past - timedelta(seconds=i)) for i in range(8)]
    process = subprocess.Popen(
        [sys.executable, "-c", KILLED_CLOSER],
        cwd=ROOT,
        env=server_env(AUCTION_CLOSE_BATCH=str(batch)),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "HOLDING"
    finally:
        process.kill()
        process.wait(timeout=10)
    assert Auction.objects.filter(status="ended").count() == committed, "whole batches commit, or none of it"
    for auction in Auction.objects.filter(status="ended"):
        assert AuctionEvent.objects.filter(auction=auction, kind="closed").count() == 1
    assert services.auction_close_due() == 8 - committed
    for auction in auctions:
        assert AuctionEvent.objects.filter(auction=auction, kind="closed").count() == 1
    assert Auction.objects.filter(status="ended").count() == 8


def test_a_batch_of_closes_commits_once_and_one_failing_auction_does_not_hold_back_the_others(
    auction_factory, monkeypatch
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from auctions.services import closing

    past = timezone.now() - timedelta(seconds=2)
    auctions = [auction_factory(ends_at=past - timedelta(seconds=i)) for i in range(25)]
    broken = auctions[3].pk
    original = closing._close_locked

    def close_or_fail(auction, now):
        if auction.pk == broken:
            raise RuntimeError("this one cannot close")
        return original(auction, now)

    monkeypatch.setattr(closing, "_close_locked", close_or_fail)
    with CaptureQueriesContext(connection) as ctx:
        assert services.auction_close_due(batch=10) == 24
    claims = [q for q in ctx.captured_queries if "SKIP LOCKED" in q["sql"].upper()]
    assert len(claims) == 4, "one claim (and one transaction) per batch of ten: 10, 10, 5, then none left"
    assert Auction.objects.get(pk=broken).status == Auction.Status.LIVE
    ended = Auction.objects.filter(status="ended")
    assert ended.count() == 24
    assert AuctionEvent.objects.filter(kind="closed").count() == 24
