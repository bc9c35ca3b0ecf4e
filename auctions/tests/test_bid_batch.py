"""Bids decided together (group commit): the same answers as one at a time, six statements per batch,
per-bid errors that disturb nothing, and the combiner that forms batches from concurrent callers."""

import contextlib
import gc
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from auctions import engine
from auctions.models import Auction, Bid, IdempotencyKey
from auctions.services import bid_place, bid_place_many
from auctions.services.bid_batch import BidRequest, IdempotencyKeyInFlight, place_batch
from auctions.services.combiner import Combiner
from auctions.services.increments import increment_table
from auctions.services.results import BidRejected, BidResult
from core.errors import DomainError

D = Decimal


def _replayed(auction: Auction) -> engine.AuctionState:
    bids = Bid.objects.filter(auction=auction).order_by("seq")
    return engine.replay(
        auction.terms(increment_table()), [engine.ReplayBid(b.bidder_id, b.max_amount, b.seq) for b in bids]
    )


@pytest.mark.django_db
def test_a_batch_answers_each_bid_as_if_placed_alone_in_order(auction_factory, bidder_factory):
    one, two, three = bidder_factory(), bidder_factory(), bidder_factory()
    auction = auction_factory()
    requests = [
        BidRequest(one, D("6000")),
        BidRequest(two, D("5500")),  # below one's max: accepted, one stays leader at 5600
        BidRequest(three, D("5000")),  # below the minimum by now: refused, stores nothing
        BidRequest(two, D("7000")),  # two takes the lead at 6100
        BidRequest(auction.seller, D("9000")),  # own vehicle: refused
    ]
    outcomes = place_batch(auction.pk, requests)

    first, second, third, fourth, fifth = outcomes
    assert isinstance(first, BidResult)
    assert first.leading
    assert first.state["price"] == "5000.00"
    assert isinstance(second, BidResult)
    assert not second.leading
    assert second.state["price"] == "5600.00"
    assert isinstance(third, DomainError)
    assert third.code == "below_minimum"
    assert third.details == {"minimum_bid": "5700.00"}
    assert isinstance(fourth, BidResult)
    assert fourth.leading
    assert fourth.state["price"] == "6100.00"
    assert isinstance(fifth, DomainError)
    assert fifth.code == "own_vehicle"
    assert [r.bid.seq for r in (first, second, fourth)] == [1, 2, 3]
    assert fourth.previous_leader_id == one.pk  # so one is told "outbid"

    auction.refresh_from_db()
    assert auction.state() == _replayed(auction)
    assert (auction.current_price, auction.leader_id, auction.bid_count) == (D("6100"), two.pk, 3)
    stored = list(Bid.objects.filter(auction=auction).order_by("seq").values_list("pk", "bidder_number"))
    assert [pk for pk, _ in stored] == [first.bid.pk, second.bid.pk, fourth.bid.pk]  # ids came back
    assert [number for _, number in stored] == [1, 2, 2]  # two keeps one alias within the batch


@pytest.mark.django_db
def test_refused_bids_leave_no_reference_cycles(auction_factory, bidder_factory):
    """Most bids on a hot lot are refused; each refusal used to be a cycle (exception -> traceback -> frame ->
    outcome list -> exception) that kept the thread's whole stack for the garbage collector, whose pauses
    were most of the p99 (docs/BENCHMARKS.md)."""
    leader, *others = [bidder_factory() for _ in range(5)]
    auction = auction_factory()
    place_batch(auction.pk, [BidRequest(leader, D("6000"))])
    gc.collect()
    gc.disable()
    try:
        outcomes = place_batch(auction.pk, [BidRequest(bidder, D("5000")) for bidder in others])
        assert [getattr(outcome, "code", None) for outcome in outcomes] == ["below_minimum"] * 4
        del outcomes
        assert gc.collect() == 0
        with contextlib.suppress(BidRejected):
            bid_place(auction_id=auction.pk, bidder=others[0], max_amount=D("5000"))
        assert gc.collect() == 0
    finally:
        gc.enable()


@pytest.mark.django_db
def test_a_batch_runs_six_statements_under_the_lock_whatever_its_size(auction_factory, bidder_factory):
    auction = auction_factory()
    bidders = [bidder_factory() for _ in range(5)]
    requests = [BidRequest(bidder, D(5000 + 1000 * i), idempotency_key=f"k{i}") for i, bidder in enumerate(bidders)]
    with CaptureQueriesContext(connection) as ctx:
        outcomes = place_batch(auction.pk, requests)
    assert all(isinstance(o, BidResult) for o in outcomes), outcomes
    sql = [q["sql"].upper() for q in ctx.captured_queries]
    lock_at = next(i for i, s in enumerate(sql) if "FOR UPDATE" in s)
    assert not any(s.startswith(("INSERT", "UPDATE")) for s in sql[:lock_at])
    under_lock = [s for s in sql[lock_at:] if not s.startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]
    assert len(under_lock) <= 6, under_lock
    assert IdempotencyKey.objects.filter(key__in=[f"k{i}" for i in range(5)]).count() == 5
    last = outcomes[4]
    assert isinstance(last, BidResult)
    assert IdempotencyKey.objects.get(key="k4").response_body["data"]["bid"]["id"] == last.bid.pk


@pytest.mark.django_db
def test_the_same_idempotency_key_twice_in_a_batch_bids_once(auction_factory, bidder_factory):
    buyer = bidder_factory()
    auction = auction_factory()
    first, second = place_batch(
        auction.pk,
        [BidRequest(buyer, D("6000"), idempotency_key="same"), BidRequest(buyer, D("6000"), idempotency_key="same")],
    )
    assert isinstance(first, BidResult)
    assert isinstance(second, IdempotencyKeyInFlight)  # the API answers it from the stored first response
    assert Bid.objects.filter(auction=auction).count() == 1


@pytest.mark.django_db
def test_ids_are_read_back_where_the_database_cannot_return_them(auction_factory, bidder_factory, monkeypatch):
    """MySQL (unlike MariaDB and SQLite) has no INSERT … RETURNING: the batch reads the new ids under the lock."""
    monkeypatch.setattr(type(connection.features), "can_return_rows_from_bulk_insert", False)
    auction = auction_factory()
    outcomes = place_batch(auction.pk, [BidRequest(bidder_factory(), D(6000 + 500 * i)) for i in range(3)])
    assert all(isinstance(o, BidResult) for o in outcomes)
    assert [o.bid.pk for o in outcomes if isinstance(o, BidResult)] == list(
        Bid.objects.filter(auction=auction).order_by("seq").values_list("pk", flat=True)
    )


@pytest.mark.django_db
def test_a_failing_batch_retries_each_bid_alone(auction_factory, bidder_factory, monkeypatch):
    from auctions.services import bid_batch

    real = bid_batch.run_batch
    calls: list[int] = []

    def flaky(auction_id, requests, *, now=None):
        calls.append(len(requests))
        if len(requests) > 1:
            raise RuntimeError("deadlock found when trying to get lock")
        return real(auction_id, requests, now=now)

    monkeypatch.setattr(bid_batch, "run_batch", flaky)
    auction = auction_factory()
    outcomes = place_batch(
        auction.pk, [BidRequest(bidder_factory(), D("6000")), BidRequest(bidder_factory(), D("7000"))]
    )
    assert calls == [2, 1, 1]
    assert all(isinstance(o, BidResult) for o in outcomes)


@pytest.mark.django_db
def test_bid_place_many_checks_each_bid_before_the_lock(auction_factory, bidder_factory, user_factory):
    auction = auction_factory()
    eligible, not_verified = bidder_factory(), user_factory()
    outcomes = bid_place_many(
        auction.pk,
        [(eligible, "6000", "10.0.0.1", "ua"), (not_verified, "7000", None, ""), (eligible, "12.345", None, "")],
    )
    assert isinstance(outcomes[0], BidResult)
    assert isinstance(outcomes[1], DomainError)
    assert outcomes[1].code == "not_eligible"
    assert isinstance(outcomes[2], DomainError)
    assert outcomes[2].code == "invalid_amount"
    assert list(Bid.objects.filter(auction=auction).values_list("bidder_id", "ip_address")) == [
        (eligible.pk, "10.0.0.1")
    ]


# --- the combiner (no database: a recording `run`) ---------------------------------------------------


def test_concurrent_callers_share_batches_and_each_gets_its_own_answer():
    batches: list[list[int]] = []
    gate = threading.Event()

    def run(auction_id, requests):
        if not batches:
            gate.wait(5)  # hold the first batch so the others queue behind it
        batches.append([r.amount for r in requests])
        return [r.amount * 10 for r in requests]

    combiner = Combiner(run)  # type: ignore[arg-type]
    answers: dict[int, object] = {}

    def call(i: int) -> None:
        answers[i] = combiner.submit(1, [BidRequest(None, i)])[0]  # type: ignore[arg-type]

    first = threading.Thread(target=call, args=(0,))
    first.start()
    time.sleep(0.2)
    others = [threading.Thread(target=call, args=(i,)) for i in range(1, 9)]
    for thread in others:
        thread.start()
    time.sleep(0.3)
    gate.set()
    for thread in [first, *others]:
        thread.join(5)
    assert answers == {i: i * 10 for i in range(9)}
    assert batches[0] == [0]
    assert sorted(sum(batches[1:], [])) == list(range(1, 9))
    assert len(batches) == 2  # the eight that waited went together


def test_a_failed_batch_reaches_every_caller_in_it_and_the_next_batch_still_runs():
    def run(auction_id, requests):
        if any(r.amount == 13 for r in requests):
            raise RuntimeError("boom")
        return list(requests)

    combiner = Combiner(run)  # type: ignore[arg-type]
    failed = combiner.submit(1, [BidRequest(None, 13), BidRequest(None, 14)])  # type: ignore[arg-type]
    assert all(isinstance(o, RuntimeError) for o in failed)
    ok = combiner.submit(1, [BidRequest(None, 1)])  # type: ignore[arg-type]
    assert ok[0].amount == 1  # type: ignore[union-attr]


def test_batches_are_capped():
    sizes: list[int] = []
    gate = threading.Event()

    def run(auction_id, requests):
        if not sizes:
            gate.wait(5)
        sizes.append(len(requests))
        return list(requests)

    combiner = Combiner(run, max_batch=3)  # type: ignore[arg-type]
    threads = [threading.Thread(target=combiner.submit, args=(1, [BidRequest(None, D(i))])) for i in range(7)]
    threads[0].start()
    time.sleep(0.2)
    for thread in threads[1:]:
        thread.start()
    time.sleep(0.3)
    gate.set()
    for thread in threads:
        thread.join(5)
    assert sum(sizes) == 7
    assert max(sizes) <= 3


@pytest.mark.django_db
def test_bidding_inside_a_transaction_is_refused(auction_factory, bidder_factory):
    """A bid may be committed by another thread's batch: the caller's transaction could not undo it."""
    from django.db import transaction

    from auctions.services import bid_place

    auction, buyer = auction_factory(), bidder_factory()
    with transaction.atomic(), pytest.raises(RuntimeError, match="outside any transaction"):
        bid_place(auction_id=auction.pk, bidder=buyer, max_amount=D("6000"))
    with transaction.atomic(), pytest.raises(RuntimeError, match="outside any transaction"):
        bid_place_many(auction.pk, [(buyer, "6000", None, "")])
    assert not Bid.objects.filter(auction=auction).exists()
