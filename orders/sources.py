"""Where orders come from: won auctions (at close, by seller acceptance, or buy now) and accepted offers.

The auctions and offers apps record the outcome; this module creates the order for every won auction and
every accepted offer thread that has none. Creation is idempotent per source (unique source), so the beat
task, the request made right after the sale and a retried task can all call it safely.
"""

from django.db.models import Exists, OuterRef

from auctions.models import Auction
from offers.models import OfferThread
from orders.models import Order
from orders.services import order_create


def order_create_for_auction(*, auction_id: int) -> Order | None:
    auction = Auction.objects.won().select_related("winner", "seller").filter(pk=auction_id).first()
    return None if auction is None else _order_for_won(auction)


def orders_create_for_auctions(*, auction_ids: list[int]) -> int:
    """`order_create_for_auction` for many auctions (the closer's batch), read in one query; returns how many
    orders were created. Each order is still created by `order_create`, in its own transaction."""
    auctions = Auction.objects.won().select_related("winner", "seller").filter(pk__in=auction_ids).order_by("pk")
    return sum(1 for auction in auctions if _order_for_won(auction) is not None)


def _order_for_won(auction: Auction) -> Order | None:
    if auction.winner is None or auction.final_price is None:
        return None
    return order_create(
        source_type=Order.Source.BUY_NOW if auction.sold_via_buy_now else Order.Source.AUCTION,
        source_id=auction.pk,
        buyer=auction.winner,
        seller=auction.seller,
        vehicle_id=auction.vehicle_id,
        price=auction.final_price,
        sold_at=auction.sold_at or auction.closed_at or auction.ends_at,
    )


def orders_create_for_won_auctions(*, limit: int = 500) -> int:
    """Create the missing orders for won auctions; returns how many were created."""
    has_order = Order.objects.filter(
        source_type__in=[Order.Source.AUCTION, Order.Source.BUY_NOW], source_id=OuterRef("pk")
    )
    missing = Auction.objects.won().filter(~Exists(has_order)).values_list("pk", flat=True)[:limit]
    return sum(1 for auction_id in missing if order_create_for_auction(auction_id=auction_id) is not None)


def order_create_for_offer(*, thread_id: int) -> Order | None:
    """The order for an accepted offer (OFFERS.md "Acceptance"): source "offer", the accepted amount as the
    price, sold when it was accepted; fees, tax, payment deadline and late fee exactly as for a won auction."""
    thread = OfferThread.objects.accepted().select_related("buyer", "seller").filter(pk=thread_id).first()
    if thread is None or thread.accepted_amount is None:
        return None
    return order_create(
        source_type=Order.Source.OFFER,
        source_id=thread.pk,
        buyer=thread.buyer,
        seller=thread.seller,
        vehicle_id=thread.vehicle_id,
        price=thread.accepted_amount,
        sold_at=thread.ended_at or thread.updated_at,
    )


def orders_create_for_accepted_offers(*, limit: int = 500) -> int:
    """Create the missing orders for accepted offers; returns how many were created."""
    has_order = Order.objects.filter(source_type=Order.Source.OFFER, source_id=OuterRef("pk"))
    missing = OfferThread.objects.accepted().filter(~Exists(has_order)).values_list("pk", flat=True)[:limit]
    return sum(1 for thread_id in missing if order_create_for_offer(thread_id=thread_id) is not None)
