"""Fraud flags: raised after a bid is accepted, with the evidence; never blocking; each once."""

import threading
from datetime import timedelta
from itertools import count

import pytest

from accounts.models import CardOnFile
from auctions.models import Auction, Bid
from backoffice.fraud import fraud_scan
from backoffice.models import FraudFlag
from backoffice.services import device_sighting_record

pytestmark = pytest.mark.django_db
_cards = count(2000)
NOW = timedelta(0)


@pytest.fixture
def bidder(bidder_factory):
    """An eligible bidder with a card of their own (the fixture's default card is everyone's Visa 1111)."""

    def make(**kwargs):
        user = bidder_factory(**kwargs)
        CardOnFile.objects.filter(user=user).update(last4=str(next(_cards)))
        return user

    return make


def kinds(**filters) -> set[str]:
    return set(FraudFlag.objects.filter(**filters).values_list("kind", flat=True))


def test_an_honest_bid_raises_no_flag(live_auction, bidder, place_bid):
    place_bid(live_auction, bidder(), "5000", ip="198.51.100.1")
    assert fraud_scan(lag=NOW).flags == []


def test_a_bidder_on_the_sellers_address_is_flagged_with_the_evidence(live_auction, bidder, place_bid):
    device_sighting_record(user_id=live_auction.seller_id, device_id="s" * 24, ip_address="203.0.113.7")
    shill = bidder()
    result = place_bid(live_auction, shill, "5000", ip="203.0.113.7")
    flags = fraud_scan(lag=NOW).flags
    assert [f.kind for f in flags] == [FraudFlag.Kind.SHARED_IP]
    flag = FraudFlag.objects.get()
    assert flag.bid_id == result.bid.pk
    assert flag.evidence["ips"][0]["ip"] == "203.0.113.7"
    assert "203.0.113.7" in flag.summary
    assert Bid.objects.get(pk=result.bid.pk).voided_at is None  # never blocks


def test_a_shared_device_and_a_shared_card_are_flagged(live_auction, bidder, place_bid):
    shill = bidder()
    device_sighting_record(user_id=live_auction.seller_id, device_id="d" * 24, ip_address="192.0.2.1")
    device_sighting_record(user_id=shill.pk, device_id="d" * 24, ip_address="192.0.2.99")
    card = CardOnFile.objects.get(user=shill)
    CardOnFile.objects.create(
        user=live_auction.seller, customer_profile_id="9", payment_profile_id="9", brand=card.brand, last4=card.last4,
        exp_month=card.exp_month, exp_year=card.exp_year,
    )  # fmt: skip
    place_bid(live_auction, shill, "5000", ip="198.51.100.20")
    fraud_scan(lag=NOW)
    assert kinds(bidder=shill) == {FraudFlag.Kind.SHARED_DEVICE, FraudFlag.Kind.SHARED_CARD}
    device_flag = FraudFlag.objects.get(kind=FraudFlag.Kind.SHARED_DEVICE)
    assert device_flag.evidence["devices"][0]["device"].startswith("dddddddddd")


def test_bidding_up_one_sellers_vehicles_without_winning_is_flagged_on_the_third(
    auction_factory, vehicle_factory, bidder, place_bid, seller_factory
):
    seller = seller_factory()
    shill, rival = bidder(), bidder()
    auctions = [auction_factory(vehicle=vehicle_factory(seller=seller, status="listed")) for _ in range(3)]
    for n, auction in enumerate(auctions):
        place_bid(auction, shill, "5000", ip=f"198.51.100.{n + 30}")
        place_bid(auction, rival, "6000", ip="198.51.100.99")
        fraud_scan(lag=NOW)
        expected = {FraudFlag.Kind.BID_UP} if n == 2 else set()
        assert kinds(bidder=shill) == expected
        Auction.objects.filter(pk=auction.pk).update(
            status=Auction.Status.ENDED, outcome=Auction.Outcome.SOLD, winner=rival
        )  # the rival wins each one
    flag = FraudFlag.objects.get(kind=FraudFlag.Kind.BID_UP)
    assert [a["auction_id"] for a in flag.evidence["auctions"]] == [a.pk for a in auctions]
    assert not kinds(bidder=rival)


def test_a_bidder_who_won_from_the_seller_is_not_a_bid_up_suspect(
    auction_factory, vehicle_factory, bidder, place_bid, seller_factory
):
    seller = seller_factory()
    buyer = bidder()
    rival = bidder()
    won = auction_factory(vehicle=vehicle_factory(seller=seller, status="sold"), status=Auction.Status.ENDED)
    Auction.objects.filter(pk=won.pk).update(winner=buyer, outcome=Auction.Outcome.SOLD)
    for _ in range(2):
        lost = auction_factory(vehicle=vehicle_factory(seller=seller, status="listed"))
        place_bid(lost, buyer, "5000")
        Auction.objects.filter(pk=lost.pk).update(status=Auction.Status.ENDED, outcome="sold", winner=rival)
    place_bid(auction_factory(vehicle=vehicle_factory(seller=seller, status="listed")), buyer, "5000")
    fraud_scan(lag=NOW)
    assert not kinds(bidder=buyer)


def test_each_bid_is_read_once_and_a_flag_is_raised_once_per_auction(live_auction, bidder, place_bid):
    device_sighting_record(user_id=live_auction.seller_id, device_id="s" * 24, ip_address="203.0.113.7")
    shill, rival = bidder(), bidder()
    place_bid(live_auction, shill, "5000", ip="203.0.113.7")
    place_bid(live_auction, rival, "6000")
    place_bid(live_auction, shill, "7000", ip="203.0.113.7")
    assert fraud_scan(lag=NOW).bids == 3
    assert fraud_scan(lag=NOW).bids == 0
    assert FraudFlag.objects.filter(bidder=shill).count() == 1


def test_bids_younger_than_the_lag_wait_for_the_next_scan(live_auction, bidder, place_bid):
    place_bid(live_auction, bidder(), "5000")
    assert fraud_scan(lag=timedelta(minutes=5)).bids == 0
    assert fraud_scan(lag=NOW).bids == 1


@pytest.mark.django_db(transaction=True)
def test_two_scans_racing_read_each_bid_once(auction_factory, bidder_factory, place_bid):
    auction = auction_factory()
    device_sighting_record(user_id=auction.seller_id, device_id="s" * 24, ip_address="203.0.113.7")
    for n in range(6):
        place_bid(auction, bidder_factory(), str(5000 + 100 * n), ip="203.0.113.7")
    barrier = threading.Barrier(2)
    read: list[int] = []

    def scan() -> None:
        from django.db import connection

        try:
            barrier.wait(timeout=10)
            read.append(fraud_scan(limit=100, lag=NOW).bids)
        finally:
            connection.close()

    threads = [threading.Thread(target=scan) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(read) == [0, 6]
    assert FraudFlag.objects.filter(kind=FraudFlag.Kind.SHARED_IP).count() == 6


def test_flags_show_on_the_monitor_feed_and_the_person_page(client, staff_user, live_auction, bidder, place_bid):
    device_sighting_record(user_id=live_auction.seller_id, device_id="s" * 24, ip_address="203.0.113.7")
    shill = bidder()
    place_bid(live_auction, shill, "5000", ip="203.0.113.7")
    fraud_scan(lag=NOW)
    client.force_login(staff_user)
    feed = client.get(f"/admin/console/monitor/{live_auction.pk}/").content.decode()
    assert "Shares an IP address with the seller" in feed
    assert "IP 203.0.113.7" in feed
    person = client.get(f"/admin/console/people/{shill.pk}/").content.decode()
    assert "Shares an IP address with the seller" in person
    monitor = client.get("/admin/console/monitor/").content.decode()
    assert 'class="console-badge alert">1<' in monitor


def test_staff_review_a_flag(client, staff_user, live_auction, bidder, place_bid):
    device_sighting_record(user_id=live_auction.seller_id, device_id="s" * 24, ip_address="203.0.113.7")
    place_bid(live_auction, bidder(), "5000", ip="203.0.113.7")
    fraud_scan(lag=NOW)
    flag = FraudFlag.objects.get()
    client.force_login(staff_user)
    client.post(
        f"/admin/backoffice/fraudflag/{flag.pk}/change/", {"verdict": "dismissed", "note": "Same dealership Wi-Fi"}
    )
    flag.refresh_from_db()
    assert flag.verdict == FraudFlag.Verdict.DISMISSED
    assert flag.reviewed_by == staff_user
