"""bid_place: the rules through the real service on MariaDB, refusals that store nothing, and the lock discipline."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from auctions.models import Auction, AuctionEvent, Bid
from auctions.services import bid_place
from core import idempotency
from core.errors import Conflict, DomainError, NotAllowed, NotFound
from core.models import IdempotencyKey

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def broadcasts(monkeypatch):
    sent: list[tuple[str, dict]] = []
    monkeypatch.setattr(
        "auctions.services.after_commit.room_send", lambda group, payload, **meta: sent.append((group, payload))
    )
    monkeypatch.setattr(
        "auctions.services.after_commit.room_send_many",
        lambda messages: sent.extend((group, payload) for group, payload, _ in messages),
    )
    return sent


@pytest.fixture
def notified(monkeypatch):
    calls: list[dict] = []
    monkeypatch.setattr("notifications.services.notify", lambda **kwargs: calls.append(kwargs))
    return calls


def test_accepted_bid_is_stored_with_sequence_db_time_ip_and_user_agent(live_auction, bidder_factory, place_bid):
    buyer = bidder_factory()
    before = timezone.now()
    result = place_bid(live_auction, buyer, "6000", ip="203.0.113.9", user_agent="pytest-agent")
    bid = Bid.objects.get()
    assert (bid.seq, bid.bidder_id, bid.max_amount, bid.resulting_price) == (1, buyer.pk, D("6000"), D("5000"))
    assert bid.ip_address == "203.0.113.9"
    assert bid.user_agent == "pytest-agent"
    assert abs(bid.placed_at - before) < timedelta(seconds=5)
    assert bid.bidder_number == 1
    assert bid.leading_after
    auction = Auction.objects.get()
    assert (auction.current_price, auction.leader_id, auction.bid_count, auction.last_seq) == (
        D("5000"),
        buyer.pk,
        1,
        1,
    )
    assert result.leading
    assert list(AuctionEvent.objects.values_list("kind", flat=True)) == ["bid_accepted"]


def test_bidding_md_examples_through_the_service(auction_factory, bidder_factory, place_bid):
    auction = auction_factory(starting_price=D("5000"))
    a, b, c = bidder_factory(), bidder_factory(), bidder_factory()
    place_bid(auction, a, "6000")
    assert place_bid(auction, b, "5500").auction.current_price == D("5600")
    tie = place_bid(auction, b, "6000")
    assert (tie.auction.current_price, tie.auction.leader_id, tie.leading) == (D("6000"), a.pk, False)
    last = place_bid(auction, c, "9000")
    assert (last.auction.current_price, last.auction.leader_id) == (D("6100"), c.pk)
    assert list(Bid.objects.order_by("seq").values_list("seq", "bidder_number")) == [(1, 1), (2, 2), (3, 2), (4, 3)]


def test_reserve_jump_through_the_service(auction_factory, bidder_factory, place_bid):
    auction = auction_factory(starting_price=D("5000"), reserve_price=D("8000"))
    result = place_bid(auction, bidder_factory(), "10000")
    assert result.auction.current_price == D("8000")
    assert result.state["reserve_status"] == "met"
    assert "reserve_price" not in result.state
    assert "8000" not in str(result.state.get("minimum_next_bid"))


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("abc", "must be digits"),
        ("-5", "no commas, signs"),
        ("0", "greater than zero"),
        ("5100.001", "at most two decimals"),
        ("", "required"),
    ],
)
def test_bad_amount_is_refused_and_nothing_is_stored(live_auction, bidder_factory, raw, fragment):
    with pytest.raises(DomainError) as info:
        bid_place(auction_id=live_auction.pk, bidder=bidder_factory(), max_amount=raw)
    assert fragment in info.value.message
    assert info.value.code == "invalid_amount"
    assert not Bid.objects.exists()
    assert not AuctionEvent.objects.exists()


def test_bid_below_minimum_is_refused_with_the_minimum(live_auction, bidder_factory, place_bid):
    place_bid(live_auction, bidder_factory(), "6000")
    with pytest.raises(DomainError) as info:
        place_bid(live_auction, bidder_factory(), "5050")
    assert info.value.code == "below_minimum"
    assert info.value.details == {"minimum_bid": "5100.00"}
    assert Bid.objects.count() == 1


def test_seller_cannot_bid_on_own_vehicle(live_auction, make_eligible, place_bid):
    with pytest.raises(NotAllowed) as info:
        place_bid(live_auction, make_eligible(live_auction.seller), "6000")
    assert info.value.code == "own_vehicle"
    assert not Bid.objects.exists()


def test_bid_on_an_ended_auction_is_refused(auction_factory, bidder_factory, place_bid):
    auction = auction_factory(ends_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(Conflict) as info:
        place_bid(auction, bidder_factory(), "6000")
    assert info.value.code == "auction_ended"
    assert not Bid.objects.exists()


def test_bid_on_a_cancelled_auction_is_refused(auction_factory, bidder_factory, place_bid):
    auction = auction_factory(status=Auction.Status.CANCELLED)
    with pytest.raises(Conflict):
        place_bid(auction, bidder_factory(), "6000")
    assert not Bid.objects.exists()


def test_bid_before_the_start_is_refused(auction_factory, bidder_factory, place_bid):
    auction = auction_factory(status=Auction.Status.SCHEDULED, starts_at=timezone.now() + timedelta(minutes=5))
    with pytest.raises(Conflict) as info:
        place_bid(auction, bidder_factory(), "6000")
    assert info.value.code == "auction_not_started"


def test_bid_on_a_scheduled_auction_past_its_start_starts_it(auction_factory, bidder_factory, place_bid):
    auction = auction_factory(status=Auction.Status.SCHEDULED, starts_at=timezone.now() - timedelta(seconds=5))
    result = place_bid(auction, bidder_factory(), "6000")
    assert result.started
    assert Auction.objects.get().status == Auction.Status.LIVE
    assert list(AuctionEvent.objects.values_list("kind", flat=True)) == ["started", "bid_accepted"]


def test_ineligible_user_is_refused_with_what_is_missing(live_auction, user_factory, place_bid):
    with pytest.raises(NotAllowed) as info:
        place_bid(live_auction, user_factory(), "6000")
    assert info.value.code == "not_eligible"
    assert "email" in [m["code"] for m in info.value.details["missing"]]
    assert not Bid.objects.exists()


def test_suspended_user_is_refused(live_auction, bidder_factory, place_bid):
    buyer = bidder_factory(suspended_at=timezone.now())
    with pytest.raises(NotAllowed) as info:
        place_bid(live_auction, buyer, "6000")
    assert info.value.code == "suspended"
    assert not Bid.objects.exists()


def test_suspension_after_the_eligibility_read_is_caught_under_the_lock(live_auction, bidder_factory, monkeypatch):
    buyer = bidder_factory()
    from accounts.models import User
    from accounts.selectors import Eligibility

    monkeypatch.setattr("auctions.services.bidding.bidding_eligibility", lambda user: Eligibility([]))
    User.objects.filter(pk=buyer.pk).update(suspended_at=timezone.now())
    with pytest.raises(NotAllowed) as info:
        bid_place(auction_id=live_auction.pk, bidder=buyer, max_amount=D("6000"))
    assert info.value.code == "suspended"


def test_bid_on_a_missing_auction_is_not_found(bidder_factory):
    with pytest.raises(NotFound):
        bid_place(auction_id=999999, bidder=bidder_factory(), max_amount=D("6000"))


def test_leader_cannot_bid_their_own_max_again(live_auction, bidder_factory, place_bid):
    buyer = bidder_factory()
    place_bid(live_auction, buyer, "6000")
    with pytest.raises(DomainError) as info:
        place_bid(live_auction, buyer, "6000")
    assert info.value.code == "not_above_own_max"


def test_bid_in_the_last_two_minutes_extends_the_end(auction_factory, bidder_factory, place_bid):
    auction = auction_factory(ends_at=timezone.now() + timedelta(seconds=60))
    result = place_bid(auction, bidder_factory(), "6000")
    auction.refresh_from_db()
    assert result.extended
    assert auction.ends_at == result.bid.placed_at + timedelta(minutes=2)
    assert auction.extended_count == 1
    assert list(AuctionEvent.objects.values_list("kind", flat=True)) == ["bid_accepted", "extended"]


def test_bid_outside_the_window_does_not_extend(live_auction, bidder_factory, place_bid):
    ends_at = live_auction.ends_at
    assert not place_bid(live_auction, bidder_factory(), "6000").extended
    live_auction.refresh_from_db()
    assert live_auction.ends_at == ends_at
    assert live_auction.extended_count == 0


def test_the_lock_is_taken_before_any_write_and_at_most_six_statements_run_under_it(
    live_auction, bidder_factory, place_bid
):
    first = bidder_factory()
    place_bid(live_auction, first, "6000")
    second = bidder_factory()
    with CaptureQueriesContext(connection) as ctx:
        place_bid(live_auction, second, "7000", idempotency_key="k-1")
    sql = [q["sql"].upper() for q in ctx.captured_queries]
    lock_at = next(i for i, s in enumerate(sql) if "FOR UPDATE" in s)
    writes = [i for i, s in enumerate(sql) if s.startswith(("INSERT", "UPDATE", "DELETE"))]
    assert writes, sql
    assert all(i > lock_at for i in writes), sql
    under_lock = [s for s in sql[lock_at:] if not s.startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]
    assert len(under_lock) <= 6, under_lock


def test_idempotency_key_replays_the_first_result_instead_of_bidding_twice(live_auction, bidder_factory):
    buyer = bidder_factory()
    first = bid_place(auction_id=live_auction.pk, bidder=buyer, max_amount=D("6000"), idempotency_key="abc")
    stored = IdempotencyKey.objects.get(user=buyer, key="abc")
    assert stored.response_status == 201
    assert stored.response_body["data"]["bid"]["seq"] == 1
    again = bid_place(auction_id=live_auction.pk, bidder=buyer, max_amount=D("6000"), idempotency_key="abc")
    assert again == idempotency.Replay(201, stored.response_body) == idempotency.Replay(201, first.answer().body)
    assert Bid.objects.filter(auction=live_auction).count() == 1


def test_previous_leader_is_told_and_notified_after_commit(
    live_auction, bidder_factory, place_bid, broadcasts, notified, django_capture_on_commit_callbacks
):
    first, second = bidder_factory(), bidder_factory()
    place_bid(live_auction, first, "6000")
    broadcasts.clear()
    with django_capture_on_commit_callbacks(execute=True):
        place_bid(live_auction, second, "7000")
    types = [(g, p["type"], p.get("status") if p["type"] == "bid_update" else None) for g, p in broadcasts]
    room = f"auction_{live_auction.pk}"
    assert (room, "new_bid", None) in types
    assert (f"{room}_user_{second.pk}", "bid_update", "accepted") in types
    assert (f"{room}_user_{first.pk}", "bid_update", "outbid") in types
    new_bid = next(p for _, p in broadcasts if p["type"] == "new_bid")
    assert new_bid["seq"] == 2
    assert new_bid["price"] == "6100.00"
    assert new_bid["leader_alias"] == "Bidder 2"
    assert new_bid["minimum_next_bid"] == "6200.00"
    outbid = [n for n in notified if n["kind"] == "outbid"]
    assert len(outbid) == 1
    assert outbid[0]["user"] == first
    assert outbid[0]["context"]["your_max"] == "6000.00"
    assert outbid[0]["context"]["current_price"] == "6100.00"
    assert outbid[0]["object_key"] == f"auction:{live_auction.pk}"


def test_inventory_snapshot_follows_the_bid(
    live_auction, bidder_factory, place_bid, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        place_bid(live_auction, bidder_factory(), "6000")
    vehicle = live_auction.vehicle
    vehicle.refresh_from_db()
    assert (vehicle.current_price, vehicle.bid_count, vehicle.auction_status) == (D("5000"), 1, "live")


def test_timer_extended_is_broadcast(
    auction_factory, bidder_factory, place_bid, broadcasts, django_capture_on_commit_callbacks
):
    auction = auction_factory(ends_at=timezone.now() + timedelta(seconds=30))
    with django_capture_on_commit_callbacks(execute=True):
        result = place_bid(auction, bidder_factory(), "6000")
    extended = [p for _, p in broadcasts if p["type"] == "timer_extended"]
    assert len(extended) == 1
    assert extended[0]["ends_at"] == result.auction.ends_at.isoformat()
    assert extended[0]["extended_count"] == 1
