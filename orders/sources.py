"""Where orders come from: won auctions (at close, by seller acceptance, or buy now) and accepted offers.

The auctions and offers apps record the outcome; this module creates the order for every won auction and
every accepted offer thread that has none. Creation is idempotent per source (unique source), so the beat
task, the request made right after the sale and a retried task can all call it safely. Many won auctions at
once (a batch of closes, the sweep) are created in bulk (`orders.services.orders_create`).
"""

from dataclasses import fields
from typing import Any

from django.db.models import Exists, OuterRef

from auctions.models import Auction
from offers.models import OfferThread
from orders.models import Order
from orders.services import Sale, order_create, orders_create


def order_create_for_auction(*, auction_id: int) -> Order | None:
    auction = Auction.objects.won().select_related("winner", "seller").filter(pk=auction_id).first()
    sale = None if auction is None else sale_of_auction(auction)
    return None if sale is None else order_create(**sale_kwargs(sale))


def orders_create_for_auctions(*, auction_ids: list[int]) -> int:
    """The orders of many won auctions (the closer's batch, the sweep), read in one query and created in bulk
    (`orders_create`: one transaction, a fixed number of statements); returns how many were created. Ids that
    are not won auctions, or already have their order, are skipped."""
    auctions = Auction.objects.won().select_related("winner", "seller").filter(pk__in=auction_ids).order_by("pk")
    sales = [sale for sale in map(sale_of_auction, auctions) if sale is not None]
    return len(orders_create(sales=sales))


def sale_of_auction(auction: Auction) -> Sale | None:
    """The sale a won auction makes: buy now or auction, the final price, sold when it sold (or closed)."""
    if auction.winner is None or auction.final_price is None:
        return None
    return Sale(
        source_type=Order.Source.BUY_NOW if auction.sold_via_buy_now else Order.Source.AUCTION,
        source_id=auction.pk,
        buyer=auction.winner,
        seller=auction.seller,
        vehicle_id=auction.vehicle_id,
        price=auction.final_price,
        sold_at=auction.sold_at or auction.closed_at or auction.ends_at,
    )


def sale_kwargs(sale: Sale) -> dict[str, Any]:
    """`order_create`'s arguments for one sale."""
    return {field.name: getattr(sale, field.name) for field in fields(sale)}


def orders_create_for_won_auctions(*, limit: int = 500) -> int:
    """Create the missing orders for won auctions (in bulk); returns how many were created."""
    has_order = Order.objects.filter(
        source_type__in=[Order.Source.AUCTION, Order.Source.BUY_NOW], source_id=OuterRef("pk")
    )
    missing = list(Auction.objects.won().filter(~Exists(has_order)).values_list("pk", flat=True)[:limit])
    return orders_create_for_auctions(auction_ids=missing) if missing else 0


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
