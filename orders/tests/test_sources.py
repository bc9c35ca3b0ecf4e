"""Won auctions become orders: at close, by buy now, and by the beat task for any that were missed."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from auctions.services import auction_buy_now, auction_close
from orders.models import Order
from orders.sources import order_create_for_auction, orders_create_for_won_auctions


@pytest.mark.django_db
def test_closing_a_won_auction_yields_one_order_at_the_final_price(auction_factory, bidder_factory, place_bid):
    auction = auction_factory()
    winner, other = bidder_factory(state="MN"), bidder_factory()
    place_bid(auction, winner, "7000")
    place_bid(auction, other, "6000")
    assert auction_close(auction_id=auction.pk, now=auction.ends_at + timedelta(seconds=1))
    order = order_create_for_auction(auction_id=auction.pk)
    assert order is not None
    assert order.buyer == winner
    assert order.seller == auction.seller
    assert order.vehicle_price == Decimal("6100.00")
    assert order.source_type == Order.Source.AUCTION
    assert order_create_for_auction(auction_id=auction.pk).pk == order.pk


@pytest.mark.django_db
def test_buy_now_order_is_marked_as_buy_now(auction_factory, bidder_factory):
    auction = auction_factory(buy_now_price=Decimal("15000.00"))
    buyer = bidder_factory()
    auction_buy_now(auction_id=auction.pk, buyer=buyer, expected_price=auction.buy_now_price)
    order = order_create_for_auction(auction_id=auction.pk)
    assert order.source_type == Order.Source.BUY_NOW
    assert order.vehicle_price == Decimal("15000.00")


@pytest.mark.django_db
def test_the_beat_task_creates_missing_orders_once(auction_factory, bidder_factory, place_bid):
    won = [auction_factory() for _ in range(3)]
    unsold = auction_factory()
    for auction in won:
        place_bid(auction, bidder_factory(), "5000")
    for auction in [*won, unsold]:
        auction_close(auction_id=auction.pk, now=timezone.now() + timedelta(hours=2))
    assert orders_create_for_won_auctions() == 3
    assert orders_create_for_won_auctions() == 0
    assert Order.objects.count() == 3


@pytest.mark.django_db
def test_an_auction_that_was_not_won_makes_no_order(auction_factory):
    auction = auction_factory()
    assert order_create_for_auction(auction_id=auction.pk) is None


@pytest.mark.django_db
def test_closing_sold_requests_the_order_at_once(
    auction_factory, bidder_factory, place_bid, django_capture_on_commit_callbacks
):
    auction = auction_factory()
    place_bid(auction, bidder_factory(), "5000")
    with django_capture_on_commit_callbacks(execute=True):
        auction_close(auction_id=auction.pk, now=auction.ends_at + timedelta(seconds=1))
    assert Order.objects.filter(source_type=Order.Source.AUCTION, source_id=auction.pk).count() == 1


@pytest.mark.django_db
def test_buy_now_requests_the_order_at_once(auction_factory, bidder_factory, django_capture_on_commit_callbacks):
    auction = auction_factory(buy_now_price=Decimal("15000.00"))
    with django_capture_on_commit_callbacks(execute=True):
        auction_buy_now(auction_id=auction.pk, buyer=bidder_factory(), expected_price=auction.buy_now_price)
    assert Order.objects.filter(source_type=Order.Source.BUY_NOW, source_id=auction.pk).count() == 1
