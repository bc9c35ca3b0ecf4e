"""Demo auctions for `make run` (after vehicles/demo.py): most of seller@demo.test's approved vehicles go
live, ending at staggered times over the next hours (two in about ten minutes), a few with bids."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from accounts.models import User
from auctions import services
from core.errors import DomainError
from vehicles.models import Vehicle

SELLER_EMAIL = "seller@demo.test"
BUYERS = ("buyer@demo.test", "buyer2@demo.test")


def seed(stdout: Any) -> list[Any]:
    seller = User.objects.filter(email=SELLER_EMAIL).first()
    if seller is None:
        stdout.write("  auctions: no demo seller, skipped")
        return []
    vehicles = list(Vehicle.objects.filter(seller=seller, status=Vehicle.Status.APPROVED).order_by("pk"))
    vehicles = vehicles[: max(1, len(vehicles) - 3)]  # leave a few approved, to show scheduling
    buyers = list(User.objects.filter(email__in=BUYERS).order_by("email"))
    now = timezone.now()
    auctions = []
    for index, vehicle in enumerate(vehicles):
        ends_at = now + (timedelta(minutes=10 + index) if index < 2 else timedelta(minutes=40 * index))
        start = vehicle.starting_price or Decimal("5000")
        reserve = vehicle.reserve_price if vehicle.reserve_price and vehicle.reserve_price >= start else None
        buy_now = (
            vehicle.buy_now_price if vehicle.buy_now_price and vehicle.buy_now_price > (reserve or start) else None
        )
        terms = services.AuctionTermsInput(
            starting_price=start,
            reserve_price=reserve,
            buy_now_price=buy_now,
            starts_at=now - timedelta(minutes=5),
            ends_at=ends_at,
        )
        try:
            auction = services.auction_schedule(vehicle_id=vehicle.pk, actor=seller, terms=terms)
        except DomainError as exc:
            stdout.write(f"  auctions: vehicle {vehicle.pk} skipped ({exc.message})")
            continue
        auctions.append(auction)
        if buyers and index % 3 == 0:
            _demo_bids(auction, buyers, start)
    stdout.write(f"  {len(auctions)} live auctions")
    return auctions


def _demo_bids(auction: Any, buyers: list[Any], start: Decimal) -> None:
    """A short bidding war between the demo buyers; skipped quietly if they are not eligible yet."""
    steps = [start, start + Decimal("400"), start + Decimal("900")]
    for round_, amount in enumerate(steps):
        try:
            services.bid_place(auction_id=auction.pk, bidder=buyers[round_ % len(buyers)], max_amount=amount)
        except DomainError:
            return


def refresh(stdout: Any) -> list[Any]:
    """On a later `make run`, once every demo auction has ended, put the unsold vehicles back on the block."""
    from auctions.models import Auction

    seller = User.objects.filter(email=SELLER_EMAIL).first()
    if seller is None or Auction.objects.filter(seller=seller).open().exists():
        return []
    stdout.write("The demo auctions had all ended; relisting the unsold vehicles:")
    return seed(stdout)
