"""Bids decided together (group commit): the same answers as one at a time, six statements per batch,
per-bid errors that disturb nothing, and the combiner that forms batches from concurrent callers (threads
and coroutines), taking them once the leader holds the lock."""

import asyncio
import contextlib
import gc
import threading
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from auctions import engine
from auctions.models import Auction, Bid
from auctions.services import bid_place, bid_place_async
from auctions.services.bid_batch import BidRequest, place_batch
from auctions.services.combiner import Combiner
from auctions.services.increments import increment_table
from auctions.services.results import BidRejected, BidResult
from core import idempotency
from core.errors import DomainError
from core.models import IdempotencyKey
from tests.fixtures.accounts import make_user_eligible

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
    make_user_eligible(auction.seller)  # so that bidding on their own vehicle is what refuses them
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
    assert second == idempotency.Replay(201, first.answer().body)  # answered from the first bid
    assert Bid.objects.filter(auction=auction).count() == 1


@pytest.mark.django_db
def test_a_stored_idempotency_key_places_no_bid_and_is_looked_up_in_the_bidders_statement(
    auction_factory, bidder_factory
):
    """Keys are checked under the lock in the statement that reads the bidders: a stored one places nothing (a
    retry gets the stored answer, a key reused for another request is refused), a new one in the same batch
    bids, six statements at most; keys are the bidder's own (another bidder's equal key is new)."""
    auction, elsewhere = auction_factory(), auction_factory()
    buyer, other = bidder_factory(), bidder_factory()
    (placed,) = place_batch(elsewhere.pk, [BidRequest(buyer, D("6000"), idempotency_key="used")])
    assert isinstance(placed, BidResult)
    requests = [
        BidRequest(buyer, D("9000"), idempotency_key="used"),
        BidRequest(other, D("6000"), idempotency_key="used"),
        BidRequest(buyer, D("7000"), idempotency_key="fresh"),
    ]
    with CaptureQueriesContext(connection) as ctx:
        reused, others_key, fresh = place_batch(auction.pk, requests)
    assert isinstance(reused, idempotency.KeyReused)
    assert isinstance(others_key, BidResult)
    assert isinstance(fresh, BidResult)
    (retry,) = place_batch(elsewhere.pk, [BidRequest(buyer, D("6000"), idempotency_key="used")])
    assert retry == idempotency.Replay(201, placed.answer().body)
    assert [b.max_amount for b in Bid.objects.filter(auction=auction).order_by("seq")] == [D("6000"), D("7000")]
    sql = [q["sql"].upper() for q in ctx.captured_queries]
    lock_at = next(i for i, s in enumerate(sql) if "FOR UPDATE" in s)
    under_lock = [s for s in sql[lock_at:] if not s.startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]
    assert len(under_lock) <= 6, under_lock
    assert sum("CORE_IDEMPOTENCYKEY" in s for s in under_lock) == 2  # looked up with the bidders, stored
    first_request = idempotency.fingerprint("bid", elsewhere.pk, D("6000.00"))
    assert IdempotencyKey.objects.get(user=buyer, key="used").fingerprint == first_request  # kept, not replaced


@pytest.mark.django_db
def test_keys_compare_without_case_and_a_retry_in_another_case_gets_the_first_answer(auction_factory, bidder_factory):
    """core.idempotency stores keys lower-cased, so the batch and the database agree on what matches."""
    auction = auction_factory()
    buyer = bidder_factory()
    (first,) = place_batch(auction.pk, [BidRequest(buyer, D("6000"), idempotency_key=idempotency.parse_key("Retry-1"))])
    assert isinstance(first, BidResult)
    (again,) = place_batch(auction.pk, [BidRequest(buyer, D("6000"), idempotency_key=idempotency.parse_key("RETRY-1"))])
    assert again == idempotency.Replay(201, first.answer().body)
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

    def flaky(auction_id, intake, *, now=None):
        calls.append(len(intake.all()))
        if len(intake.all()) > 1:
            raise RuntimeError("deadlock found when trying to get lock")
        return real(auction_id, intake, now=now)

    monkeypatch.setattr(bid_batch, "run_batch", flaky)
    auction = auction_factory()
    outcomes = place_batch(
        auction.pk, [BidRequest(bidder_factory(), D("6000")), BidRequest(bidder_factory(), D("7000"))]
    )
    assert calls == [2, 1, 1]
    assert all(isinstance(o, BidResult) for o in outcomes)


@pytest.mark.django_db(transaction=True)
def test_after_commit_work_that_fails_never_makes_a_committed_batch_look_failed(
    auction_factory, bidder_factory, monkeypatch
):
    """The broadcasts never raise, but if they did, the committed bids must not be reported failed (or, in a
    batch, retried one by one and stored twice)."""
    from auctions.services import after_commit

    def broken(results):
        raise RuntimeError("broadcast failed")

    monkeypatch.setattr(after_commit, "bids_accepted", broken)
    auction = auction_factory()
    outcomes = place_batch(
        auction.pk, [BidRequest(bidder_factory(), D("6000")), BidRequest(bidder_factory(), D("7000"))]
    )
    assert all(isinstance(o, BidResult) for o in outcomes), outcomes
    assert Bid.objects.filter(auction=auction).count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_commit_that_fails_is_not_retried_and_the_bidders_are_told_to_look(
    auction_factory, bidder_factory, monkeypatch
):
    """The connection dropped after the server committed (the answer to COMMIT was lost): the bids are stored,
    and retrying them one by one, as for a failure before the commit, would store them twice."""
    from django.db import OperationalError

    real_commit = connection.commit

    def commit_then_lose_the_answer():
        real_commit()
        raise OperationalError(2013, "Lost connection to MySQL server during query")

    auction, one, two = auction_factory(), bidder_factory(), bidder_factory()
    monkeypatch.setattr(connection, "commit", commit_then_lose_the_answer)
    outcomes = place_batch(auction.pk, [BidRequest(one, D("6000")), BidRequest(two, D("7000"))])
    assert [getattr(o, "code", None) for o in outcomes] == ["bid_unconfirmed"] * 2
    assert all(o.status_code == 503 for o in outcomes if isinstance(o, DomainError))
    monkeypatch.undo()
    assert Bid.objects.filter(auction=auction).count() == 2  # stored once, not again


@pytest.mark.django_db
def test_eligibility_is_read_under_the_lock_for_each_bidder(auction_factory, bidder_factory, user_factory):
    """The clock statement reads each bidder's eligibility (accounts' columns): an ineligible bidder is refused
    with what is missing, the others in the batch are decided, and still six statements at most."""
    from accounts.models import CardOnFile

    auction = auction_factory()
    eligible, not_verified, suspended, expired = bidder_factory(), user_factory(), bidder_factory(), bidder_factory()
    suspended.suspended_at = timezone.now()
    suspended.save()
    CardOnFile.objects.filter(user=expired).update(exp_year=2020)
    requests = [BidRequest(user, D(6000 + 100 * i)) for i, user in enumerate([not_verified, suspended, expired])]
    with CaptureQueriesContext(connection) as ctx:
        outcomes = place_batch(auction.pk, [BidRequest(eligible, D("6000"), "10.0.0.1", "ua"), *requests])
    assert isinstance(outcomes[0], BidResult)
    codes = [(o.code, [m["code"] for m in o.details["missing"]]) for o in outcomes[1:] if isinstance(o, DomainError)]
    assert codes == [
        ("not_eligible", ["email", "identity", "card"]),
        ("suspended", ["suspended"]),
        ("not_eligible", ["card"]),
    ]
    assert list(Bid.objects.filter(auction=auction).values_list("bidder_id", "ip_address")) == [
        (eligible.pk, "10.0.0.1")
    ]
    sql = [q["sql"].upper() for q in ctx.captured_queries]
    lock_at = next(i for i, s in enumerate(sql) if "FOR UPDATE" in s)
    assert len([s for s in sql[lock_at:] if not s.startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]) <= 6


@pytest.mark.django_db
def test_a_token_s_user_is_authenticated_under_the_lock(auction_factory, bidder_factory, monkeypatch):
    """The HTTP bid lane passes what the token asks of its user as plain values (core.auth.AccountRule): the
    batch applies simplejwt's rules to the account row it reads anyway (no statement more), refusing a gone,
    inactive or (with CHECK_REVOKE_TOKEN) re-passworded user as an authentication failure that stores nothing;
    the others in the batch are decided."""
    from rest_framework_simplejwt import tokens

    from auctions.services.bid_batch import TokenUserRefused
    from core import auth

    for module in {auth, tokens}:  # simplejwt's settings as those modules hold them
        monkeypatch.setattr(module.api_settings, "CHECK_REVOKE_TOKEN", True)
    auction = auction_factory()
    fine, inactive, repassworded, gone = bidder_factory(), bidder_factory(), bidder_factory(), bidder_factory()
    issued = {user.pk: auth.account_rule(AccessToken.for_user(user)) for user in (fine, inactive, repassworded, gone)}
    inactive.is_active = False
    inactive.save()
    repassworded.set_password("a-new-long-passphrase-1")  # the token carries a hash of the old one
    repassworded.save()
    gone_pk = gone.pk
    gone.delete()
    requests = [
        BidRequest(fine, D("6000"), account=issued[fine.pk]),
        *(BidRequest(user, D("7000"), account=issued[user.pk]) for user in (inactive, repassworded)),
        BidRequest(type("Bidder", (), {"pk": gone_pk})(), D("8000"), account=issued[gone_pk]),
    ]
    with CaptureQueriesContext(connection) as ctx:
        outcomes = place_batch(auction.pk, requests)
    assert isinstance(outcomes[0], BidResult)
    assert [type(o) for o in outcomes[1:]] == [TokenUserRefused] * 3
    assert [o.refusal.detail["code"] for o in outcomes[1:]] == ["user_inactive", "password_changed", "user_not_found"]
    assert list(Bid.objects.filter(auction=auction).values_list("bidder_id", flat=True)) == [fine.pk]
    sql = [q["sql"].upper() for q in ctx.captured_queries]
    lock_at = next(i for i, s in enumerate(sql) if "FOR UPDATE" in s)
    assert len([s for s in sql[lock_at:] if not s.startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]) <= 6


@pytest.mark.django_db
def test_more_requests_are_taken_once_the_row_is_locked_and_decided_after_the_given_ones(
    auction_factory, bidder_factory
):
    auction = auction_factory()
    one, two = bidder_factory(), bidder_factory()
    seen_when_taken: list[list[str]] = []

    def more():
        seen_when_taken.append([q["sql"].upper() for q in connection.queries])
        return [BidRequest(two, D("7000"))]

    with CaptureQueriesContext(connection):
        outcomes = place_batch(auction.pk, [BidRequest(one, D("6000"))], more=more)
    assert len(seen_when_taken) == 1
    assert "FOR UPDATE" in seen_when_taken[0][-1]  # the lock is the last statement before the intake
    assert [o.bid.bidder_id for o in outcomes if isinstance(o, BidResult)] == [one.pk, two.pk]


@pytest.mark.django_db
def test_a_batch_that_finds_nothing_to_take_decides_nothing(auction_factory):
    auction = auction_factory()
    with CaptureQueriesContext(connection) as ctx:
        assert place_batch(auction.pk, [], more=list) == []
    sql = [q["sql"].upper() for q in ctx.captured_queries]
    lock_at = next(i for i, s in enumerate(sql) if "FOR UPDATE" in s)
    assert [s for s in sql[lock_at + 1 :] if not s.startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))] == []


@pytest.mark.django_db
def test_requests_taken_by_a_batch_for_a_missing_auction_all_get_the_404(bidder_factory):
    outcomes = place_batch(999_999, [BidRequest(bidder_factory(), D("6000"))], more=lambda: [BidRequest(None, D(1))])
    assert [getattr(o, "code", None) for o in outcomes] == ["auction_not_found"] * 2


@pytest.mark.django_db(transaction=True)
def test_bids_from_the_event_loop_are_checked_and_decided_together(auction_factory, bidder_factory, user_factory):
    auction = auction_factory()
    eligible, other, not_verified = bidder_factory(), bidder_factory(), user_factory()

    async def scenario():
        return await asyncio.gather(
            bid_place_async(auction.pk, eligible, "6000", "10.0.0.1", "ua"),
            bid_place_async(auction.pk, not_verified, "7000", None, ""),
            bid_place_async(auction.pk, eligible, "12.345", None, ""),
            bid_place_async(auction.pk, other, "6500", None, ""),
        )

    outcomes = asyncio.run(scenario())
    assert isinstance(outcomes[0], BidResult)
    assert isinstance(outcomes[1], DomainError)
    assert outcomes[1].code == "not_eligible"
    assert isinstance(outcomes[2], DomainError)
    assert outcomes[2].code == "invalid_amount"
    assert isinstance(outcomes[3], BidResult)
    assert list(Bid.objects.filter(auction=auction).order_by("seq").values_list("bidder_id", "ip_address")) == [
        (eligible.pk, "10.0.0.1"),
        (other.pk, None),
    ]
    auction.refresh_from_db()
    assert auction.state() == _replayed(auction)


# --- the combiner (no database: a recording `run`) ---------------------------------------------------


def _recording(batches: list[list[Any]], before_take=None, after_take=None):
    """A `run` that records each batch; `before_take` stands for the wait for the row lock. (Batches led by
    different threads may be recorded in either order: compare them sorted.)"""

    def run(auction_id, take):
        if before_take:
            before_take(len(batches))
        requests = take()
        batches.append([r.amount for r in requests])
        if after_take:
            after_take(len(batches) - 1)
        return [r.amount * 10 for r in requests]

    return run


def _submit_in_threads(combiner, amounts, answers, pause=0.0):
    threads = []
    for amount in amounts:
        thread = threading.Thread(
            target=lambda a=amount: answers.__setitem__(a, combiner.submit(1, [BidRequest(None, a)])[0])
        )
        thread.start()
        threads.append(thread)
        time.sleep(pause)
    return threads


@dataclass
class _HeldAtTheLock:
    """A combiner whose first batch (caller 0, in a thread) leads and waits "for the lock" until `grant()`."""

    combiner: Combiner
    batches: list[list[Any]]
    answers: dict[int, object]
    threads: list[threading.Thread]
    lock_granted: threading.Event

    def grant(self) -> None:
        self.lock_granted.set()

    def join(self) -> None:
        for thread in self.threads:
            thread.join(5)


def _held_at_the_lock(**options) -> _HeldAtTheLock:
    batches: list[list[Any]] = []
    lock_granted = threading.Event()
    combiner = Combiner(_recording(batches, before_take=lambda n: n == 0 and lock_granted.wait(5)), **options)  # type: ignore[arg-type]
    answers: dict[int, object] = {}
    threads = _submit_in_threads(combiner, [0], answers)
    time.sleep(0.2)  # caller 0 leads and waits "for the lock"
    return _HeldAtTheLock(combiner, batches, answers, threads, lock_granted)


def test_bids_arriving_while_the_leader_waits_for_the_lock_join_its_batch():
    held = _held_at_the_lock()
    batches, answers = held.batches, held.answers
    held.threads += _submit_in_threads(held.combiner, range(1, 9), answers)
    time.sleep(0.3)
    held.grant()
    held.join()
    assert answers == {i: i * 10 for i in range(9)}
    assert len(batches) == 1
    assert batches[0][0] == 0
    assert sorted(batches[0]) == list(range(9))


def test_the_next_batch_waits_for_the_lock_while_the_last_one_is_decided():
    """Once a leader has taken its batch, the next bid leads at once (one batch deciding, one at the lock):
    here the second batch runs to the end while the first is still held up after taking."""
    batches: list[list[Any]] = []
    first_may_finish = threading.Event()
    second_done = threading.Event()

    def after_take(index):
        if index == 0:
            first_may_finish.wait(5)
        else:
            second_done.set()

    combiner = Combiner(_recording(batches, after_take=after_take))  # type: ignore[arg-type]
    answers: dict[int, object] = {}
    first = _submit_in_threads(combiner, [0], answers)
    time.sleep(0.2)
    second = _submit_in_threads(combiner, [1], answers)
    assert second_done.wait(5)
    assert answers == {1: 10}  # answered while the first batch is still deciding
    first_may_finish.set()
    for thread in first + second:
        thread.join(5)
    assert answers == {0: 0, 1: 10}
    assert batches == [[0], [1]]


def test_a_failed_batch_reaches_every_caller_in_it_and_the_next_batch_still_runs():
    def run(auction_id, take):
        requests = take()
        if any(r.amount == 13 for r in requests):
            raise RuntimeError("boom")
        return list(requests)

    combiner = Combiner(run)  # type: ignore[arg-type]
    failed = combiner.submit(1, [BidRequest(None, 13), BidRequest(None, 14)])  # type: ignore[arg-type]
    assert all(isinstance(o, RuntimeError) for o in failed)
    ok = combiner.submit(1, [BidRequest(None, 1)])  # type: ignore[arg-type]
    assert ok[0].amount == 1  # type: ignore[union-attr]


def test_a_batch_that_fails_before_taking_still_answers_its_callers():
    """The transaction failed before the lock (the database is gone): the batch is taken anyway and
    every caller in it gets the error, so nobody waits for ever and the queue moves on."""

    def run(auction_id, take):
        raise ConnectionError("server has gone away")

    combiner = Combiner(run)  # type: ignore[arg-type]
    outcomes = combiner.submit(1, [BidRequest(None, 1), BidRequest(None, 2)])  # type: ignore[arg-type]
    assert [type(o) for o in outcomes] == [ConnectionError, ConnectionError]
    assert combiner.submit(1, [BidRequest(None, 3)])[0].__class__ is ConnectionError  # type: ignore[arg-type]


def test_batches_are_capped_and_the_first_left_over_leads_the_next():
    held = _held_at_the_lock(max_batch=3)
    held.threads += _submit_in_threads(held.combiner, range(1, 7), held.answers, pause=0.02)
    time.sleep(0.2)
    held.grant()
    held.join()
    assert held.answers == {i: i * 10 for i in range(7)}
    assert sorted(held.batches) == [[0, 1, 2], [3, 4, 5], [6]]  # arrival order kept across batches


def test_coroutines_and_threads_share_batches():
    held = _held_at_the_lock()
    combiner, batches, answers = held.combiner, held.batches, held.answers

    async def from_the_loop():
        async def one(amount):
            answers[amount] = (await combiner.submit_async(1, [BidRequest(None, amount)]))[0]  # type: ignore[arg-type]

        tasks = [asyncio.ensure_future(one(i)) for i in range(1, 6)]
        await asyncio.sleep(0.2)
        held.grant()
        await asyncio.gather(*tasks)
        await asyncio.gather(*(one(i) for i in range(6, 9)))  # with no leader waiting: one leads in a thread

    asyncio.run(from_the_loop())
    held.join()
    assert answers == {i: i * 10 for i in range(9)}
    assert batches[0] == list(range(6))
    assert sorted(sum(batches[1:], [])) == [6, 7, 8]


def test_a_cancelled_caller_does_not_leave_the_queue_without_a_leader():
    """A coroutine whose request went away (cancelled) while it waited, and whose turn it was to lead the
    next batch: the batch is still led (its bid decided, in order) and the callers after it are answered."""
    held = _held_at_the_lock(max_batch=1)
    combiner = held.combiner

    async def scenario():
        gone = asyncio.ensure_future(combiner.submit_async(1, [BidRequest(None, 1)]))  # type: ignore[arg-type]
        staying = asyncio.ensure_future(combiner.submit_async(1, [BidRequest(None, 2)]))  # type: ignore[arg-type]
        await asyncio.sleep(0.1)
        gone.cancel()
        held.grant()
        return await asyncio.wait_for(staying, 5)

    assert asyncio.run(scenario())[0] == 20
    held.join()
    assert sorted(held.batches) == [[0], [1], [2]]


def test_a_caller_whose_event_loop_has_closed_still_has_its_batch_led():
    held = _held_at_the_lock(max_batch=1)
    combiner = held.combiner

    async def goes_away():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(combiner.submit_async(1, [BidRequest(None, 1)]), 0.05)  # type: ignore[arg-type]

    asyncio.run(goes_away())  # its loop is closed from here on
    held.threads += _submit_in_threads(combiner, [2], held.answers)
    time.sleep(0.1)
    held.grant()
    held.join()
    assert held.answers == {0: 0, 2: 20}
    assert sorted(held.batches) == [[0], [1], [2]]


@pytest.mark.django_db
def test_bidding_inside_a_transaction_is_refused(auction_factory, bidder_factory):
    """A bid may be committed by another thread's batch: the caller's transaction could not undo it."""
    from django.db import transaction

    from auctions.services import bid_place

    auction, buyer = auction_factory(), bidder_factory()
    with transaction.atomic(), pytest.raises(RuntimeError, match="outside any transaction"):
        bid_place(auction_id=auction.pk, bidder=buyer, max_amount=D("6000"))
    assert not Bid.objects.filter(auction=auction).exists()
