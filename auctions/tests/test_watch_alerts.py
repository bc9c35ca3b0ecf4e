"""Watchlist alerts (auctions/alerts.py): started, ending within an hour, buy-now price or reserve status changed,
relisted, and "not leading with 5 minutes left" — each sent once, however often or concurrently the scan runs.
Sale results: ended auctions put their outcome on the vehicle for the Results page, never a reserve amount."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from auctions.alerts import watch_alerts_scan
from auctions.models import Auction, WatchAlert
from auctions.services.sale_results import record_sale_result
from notifications.models import Notification
from vehicles.services import favorite_add

pytestmark = pytest.mark.django_db


def kinds(user):
    return sorted(Notification.objects.filter(user=user).values_list("kind", flat=True))


def scan(capture):
    with capture(execute=True):
        return watch_alerts_scan()


@pytest.fixture
def watcher(user_factory):
    return user_factory(email="watcher@example.test")


def test_a_watched_auction_that_starts_is_announced_once(auction_factory, watcher, django_capture_on_commit_callbacks):
    auction = auction_factory(
        status=Auction.Status.SCHEDULED,
        starts_at=timezone.now() + timedelta(minutes=5),
        ends_at=timezone.now() + timedelta(days=1),
    )
    favorite_add(user=watcher, vehicle_id=auction.vehicle_id)
    assert scan(django_capture_on_commit_callbacks) == 0  # scheduled: remembered, nothing to say yet
    Auction.objects.filter(pk=auction.pk).update(status=Auction.Status.LIVE, version=auction.version + 1)
    assert scan(django_capture_on_commit_callbacks) == 1
    assert scan(django_capture_on_commit_callbacks) == 0
    assert kinds(watcher) == ["watched_auction_started"]
    note = Notification.objects.get(user=watcher)
    assert note.url == f"/auctions/{auction.pk}/"


def test_ending_within_an_hour_and_buy_now_and_reserve_changes(
    auction_factory, watcher, user_factory, django_capture_on_commit_callbacks
):
    auction = auction_factory(
        ends_at=timezone.now() + timedelta(minutes=50), reserve_price=Decimal("9000"), buy_now_price=Decimal("15000")
    )
    favorite_add(user=watcher, vehicle_id=auction.vehicle_id)
    not_watching = user_factory()
    scan(django_capture_on_commit_callbacks)
    assert kinds(watcher) == ["auction_ending_soon", "watched_auction_started"]
    Auction.objects.filter(pk=auction.pk).update(buy_now_price=Decimal("14000"), version=auction.version + 1)
    scan(django_capture_on_commit_callbacks)
    Auction.objects.filter(pk=auction.pk).update(reserve_met=True, version=auction.version + 2)
    scan(django_capture_on_commit_callbacks)
    scan(django_capture_on_commit_callbacks)
    bodies = list(
        Notification.objects.filter(user=watcher, kind="watched_auction_changed")
        .order_by("pk")
        .values_list("body", flat=True)
    )
    assert bodies == [
        f"The buy-now price of {auction.vehicle.title} is now $14,000.00.",
        f"The reserve on {auction.vehicle.title} is met: the high bid will win.",
    ]
    assert kinds(not_watching) == []
    assert "9000" not in " ".join(Notification.objects.values_list("body", flat=True))  # never the reserve


def test_a_relisted_vehicle_is_announced_to_its_watchers(auction_factory, watcher, django_capture_on_commit_callbacks):
    first = auction_factory(status=Auction.Status.ENDED, outcome=Auction.Outcome.UNSOLD)
    favorite_add(user=watcher, vehicle_id=first.vehicle_id)
    auction_factory(
        vehicle=first.vehicle,
        status=Auction.Status.SCHEDULED,
        starts_at=timezone.now() + timedelta(days=1),
        ends_at=timezone.now() + timedelta(days=2),
    )
    scan(django_capture_on_commit_callbacks)
    assert kinds(watcher) == ["watched_relisted"]


def test_a_bidder_not_leading_with_five_minutes_left_hears_it_once(
    auction_factory, bidder_factory, place_bid, django_capture_on_commit_callbacks
):
    auction = auction_factory(ends_at=timezone.now() + timedelta(minutes=30))
    first, second = bidder_factory(), bidder_factory()
    place_bid(auction, first, "5000")
    place_bid(auction, second, "6000")
    Notification.objects.all().delete()  # the outbid notice is not what this test is about
    scan(django_capture_on_commit_callbacks)
    assert kinds(first) == []  # 30 minutes left
    Auction.objects.filter(pk=auction.pk).update(ends_at=timezone.now() + timedelta(minutes=4))
    scan(django_capture_on_commit_callbacks)
    scan(django_capture_on_commit_callbacks)
    assert kinds(first) == ["losing_final_minutes"]
    assert kinds(second) == []  # the leader
    assert WatchAlert.objects.filter(kind=WatchAlert.Kind.LOSING).count() == 1


def test_concurrent_scans_never_send_one_alert_twice(auction_factory, user_factory, transactional_db):
    import threading

    from django.db import connections

    auction = auction_factory(ends_at=timezone.now() + timedelta(minutes=40))
    watchers = [user_factory() for _ in range(5)]
    for user in watchers:
        favorite_add(user=user, vehicle_id=auction.vehicle_id)
    barrier = threading.Barrier(3)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(timeout=30)
            watch_alerts_scan()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    for user in watchers:
        assert kinds(user) == ["auction_ending_soon", "watched_auction_started"]


# --- sale results ---------------------------------------------------------------------------------------------


def test_results_carry_the_sold_price_or_the_high_bid_never_the_reserve(auction_factory, client):
    now = timezone.now()
    sold = auction_factory(
        status=Auction.Status.ENDED, outcome=Auction.Outcome.SOLD, final_price=Decimal("12500"), sold_at=now,
        closed_at=now, bid_count=9, current_price=Decimal("12500"), vehicle__make="Honda", vehicle__model="Civic",
        vehicle__year=2018,
    )  # fmt: skip
    unmet = auction_factory(
        status=Auction.Status.ENDED, outcome=Auction.Outcome.UNSOLD, reserve_price=Decimal("17777"),
        current_price=Decimal("11000"), closed_at=now, bid_count=4, vehicle__make="Honda", vehicle__model="Civic",
        vehicle__year=2019,
    )  # fmt: skip
    no_bids = auction_factory(status=Auction.Status.ENDED, outcome=Auction.Outcome.UNSOLD, closed_at=now)
    for auction in (sold, unmet, no_bids):
        record_sale_result(auction)
    sold.vehicle.refresh_from_db()
    unmet.vehicle.refresh_from_db()
    no_bids.vehicle.refresh_from_db()
    assert (sold.vehicle.sale_outcome, sold.vehicle.sale_price) == ("sold", Decimal("12500.00"))
    assert (unmet.vehicle.sale_outcome, unmet.vehicle.sale_price) == ("reserve_not_met", Decimal("11000.00"))
    assert no_bids.vehicle.sale_outcome == ""

    page = client.get("/results/", {"make": "honda"}).content.decode()
    assert "$12,500.00" in page
    assert "Bid to $11,000.00" in page
    assert "17,777" not in page
    assert client.get("/results/", {"outcome": "sold"}).content.decode().count("data-result=") == 1

    similar = client.get(f"/vehicles/{unmet.vehicle_id}/").content.decode()
    assert "Similar vehicles sold" in similar
    assert "sold for\n            <strong>$12,500.00</strong>" in similar
    assert "17,777" not in similar


def test_a_later_auction_result_replaces_an_earlier_one_and_not_the_reverse(auction_factory):
    now = timezone.now()
    first = auction_factory(
        status=Auction.Status.ENDED, outcome=Auction.Outcome.UNSOLD, current_price=Decimal("8000"), bid_count=2,
        closed_at=now,
    )  # fmt: skip
    second = auction_factory(
        vehicle=first.vehicle, status=Auction.Status.ENDED, outcome=Auction.Outcome.SOLD,
        final_price=Decimal("9100"), sold_at=now, closed_at=now, bid_count=5,
    )  # fmt: skip
    record_sale_result(second)
    record_sale_result(first)  # arrives late
    first.vehicle.refresh_from_db()
    assert (first.vehicle.sale_outcome, first.vehicle.sale_price) == ("sold", Decimal("9100.00"))
