"""OFFERS.md "After an auction without a sale": the seller's counter, the high bidder's best offer, second chance."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from auctions.models import Auction
from auctions.services import auction_close, auction_seller_decide
from core.errors import DomainError
from notifications.models import Notification
from offers import services
from offers.models import OfferThread
from orders.models import Order
from orders.services import order_cancel, order_second_chance
from vehicles.models import Vehicle

pytestmark = pytest.mark.django_db
S = OfferThread.Status


def refused(code: str, call, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call(**kwargs)
    assert caught.value.code == code, (caught.value.code, caught.value.message)
    return caught.value


@pytest.fixture
def reserve_not_met(auction_factory, bidder_factory, place_bid):
    """An auction closed with the reserve ($9,000) not met: high bidder at $6,100 (max $7,000), runner-up $6,000."""
    auction = auction_factory(reserve_price=Decimal("9000"), starting_price=Decimal("5000"))
    high, runner = bidder_factory(state="MN"), bidder_factory()
    place_bid(auction, runner, "6000")
    place_bid(auction, high, "7000")
    assert auction_close(auction_id=auction.pk, now=auction.ends_at + timedelta(seconds=1))
    auction.refresh_from_db()
    assert auction.awaiting_decision
    assert auction.leader_id == high.pk
    assert auction.current_price == Decimal("6100")
    return auction, high, runner


def test_the_seller_counters_the_high_bid_and_the_high_bidder_has_24_hours(
    reserve_not_met, django_capture_on_commit_callbacks
):
    auction, high, _ = reserve_not_met
    seller = auction.seller
    refused(
        "counter_out_of_range", services.offer_counter_high_bid, auction_id=auction.pk, seller=seller, amount="6100"
    )
    refused(
        "counter_out_of_range", services.offer_counter_high_bid, auction_id=auction.pk, seller=seller, amount="9000.01"
    )
    refused("not_seller", services.offer_counter_high_bid, auction_id=auction.pk, seller=high, amount="8000")
    with django_capture_on_commit_callbacks(execute=True):
        result = services.offer_counter_high_bid(auction_id=auction.pk, seller=seller, amount="8500")
    thread = result.thread
    assert (thread.kind, thread.buyer_id, thread.turn, thread.max_counters) == ("reserve_counter", high.pk, "buyer", 0)
    assert thread.expires_at - thread.created_at == timedelta(hours=24)
    auction.refresh_from_db()
    assert (auction.outcome, auction.seller_decision) == (Auction.Outcome.UNSOLD, Auction.Decision.COUNTERED)
    assert Notification.objects.filter(user=high, kind="offer_countered").exists()
    # no further counters: the high bidder accepts or declines
    refused("counter_limit", services.offer_counter, thread_id=thread.pk, actor=high, amount="8000")
    refused("no_decision_pending", services.offer_counter_high_bid, auction_id=auction.pk, seller=seller, amount="8000")
    with django_capture_on_commit_callbacks(execute=True):
        services.offer_accept(thread_id=thread.pk, actor=high)
    order = Order.objects.get(source_type=Order.Source.OFFER, source_id=thread.pk)
    assert order.vehicle_price == Decimal("8500")
    assert order.buyer_id == high.pk
    assert not Order.objects.filter(source_type__in=["auction", "buy_now"]).exists(), "the auction itself is not won"
    auction.vehicle.refresh_from_db()
    assert auction.vehicle.status == Vehicle.Status.SOLD


def test_the_counter_is_refused_once_the_24_hours_passed(reserve_not_met):
    auction, _, _ = reserve_not_met
    Auction.objects.filter(pk=auction.pk).update(decision_deadline=timezone.now() - timedelta(seconds=1))
    refused(
        "decision_expired", services.offer_counter_high_bid, auction_id=auction.pk, seller=auction.seller, amount="8000"
    )
    assert not OfferThread.objects.exists()


def test_the_high_bidder_sends_one_best_offer_the_seller_accepts(reserve_not_met, django_capture_on_commit_callbacks):
    auction, high, runner = reserve_not_met
    refused("not_high_bidder", services.offer_best_offer, auction_id=auction.pk, buyer=runner, amount="8000")
    refused("counter_out_of_range", services.offer_best_offer, auction_id=auction.pk, buyer=high, amount="6100")
    result = services.offer_best_offer(auction_id=auction.pk, buyer=high, amount="8000")
    thread = result.thread
    assert (thread.kind, thread.turn, thread.expires_at) == ("best_offer", "seller", auction.decision_deadline)
    refused("best_offer_used", services.offer_best_offer, auction_id=auction.pk, buyer=high, amount="8200")
    refused(
        "best_offer_pending",
        services.offer_counter_high_bid,
        auction_id=auction.pk,
        seller=auction.seller,
        amount="8500",
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.offer_accept(thread_id=thread.pk, actor=auction.seller)
    auction.refresh_from_db()
    assert (auction.outcome, auction.seller_decision) == (Auction.Outcome.UNSOLD, Auction.Decision.BEST_OFFER)
    assert Order.objects.get(source_type="offer").vehicle_price == Decimal("8000")


def test_only_one_best_offer_per_auction(reserve_not_met):
    auction, high, _ = reserve_not_met
    thread = services.offer_best_offer(auction_id=auction.pk, buyer=high, amount="8000").thread
    services.offer_decline(thread_id=thread.pk, actor=auction.seller)
    refused("best_offer_used", services.offer_best_offer, auction_id=auction.pk, buyer=high, amount="8500")
    auction.refresh_from_db()
    assert auction.awaiting_decision, "declining the best offer leaves the seller's decision open"


def test_a_best_offer_ends_when_the_seller_declines_the_high_bid(reserve_not_met):
    auction, high, _ = reserve_not_met
    thread = services.offer_best_offer(auction_id=auction.pk, buyer=high, amount="8000").thread
    auction_seller_decide(auction_id=auction.pk, actor=auction.seller, accept=False)
    assert services.offers_settle_due() == 1
    thread.refresh_from_db()
    assert thread.status == S.DECLINED


def test_second_chance_after_a_cancel_for_non_payment(reserve_not_met, staff_user, django_capture_on_commit_callbacks):
    auction, high, runner = reserve_not_met
    seller = auction.seller
    with django_capture_on_commit_callbacks(execute=True):
        auction_seller_decide(auction_id=auction.pk, actor=seller, accept=True)
    order = Order.objects.get(source_type=Order.Source.AUCTION, source_id=auction.pk)
    refused("second_chance_unavailable", order_second_chance, order_id=order.pk, seller=seller)
    Order.objects.filter(pk=order.pk).update(due_at=timezone.now() - timedelta(days=2))
    order_cancel(order_id=order.pk, actor=staff_user, reason="Not paid within 5 business days")
    with django_capture_on_commit_callbacks(execute=True):
        result = order_second_chance(order_id=order.pk, seller=seller)
    thread = result.thread
    assert (thread.kind, thread.buyer_id, thread.amount, thread.turn) == (
        "second_chance",
        runner.pk,
        Decimal("6000"),
        "buyer",
    )
    assert thread.expires_at - thread.created_at == timedelta(hours=48)
    assert Notification.objects.filter(user=runner, kind="offer_second_chance").exists()
    refused("second_chance_used", order_second_chance, order_id=order.pk, seller=seller)
    assert services.offers_settle_due() == 0, "a sold vehicle does not end the second chance"
    with django_capture_on_commit_callbacks(execute=True):
        services.offer_accept(thread_id=thread.pk, actor=runner)
    second = Order.objects.get(source_type=Order.Source.OFFER, source_id=thread.pk)
    assert (second.buyer_id, second.vehicle_price) == (runner.pk, Decimal("6000"))


def test_no_second_chance_without_a_runner_up(auction_factory, bidder_factory, place_bid, staff_user):
    auction = auction_factory()
    place_bid(auction, bidder_factory(), "6000")
    auction_close(auction_id=auction.pk, now=auction.ends_at + timedelta(seconds=1))
    from orders.sources import order_create_for_auction

    order = order_create_for_auction(auction_id=auction.pk)
    Order.objects.filter(pk=order.pk).update(due_at=timezone.now() - timedelta(days=2))
    order_cancel(order_id=order.pk, actor=staff_user, reason="Not paid")
    refused("no_runner_up", order_second_chance, order_id=order.pk, seller=auction.seller)
