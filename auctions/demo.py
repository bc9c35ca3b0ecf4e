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
    seed_results(seller, stdout)
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
            auction = services.auction_schedule(
                vehicle_id=vehicle.pk, actor=seller, terms=terms, enforce_min_duration=False
            )
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


def seed_results(seller: Any, stdout: Any) -> None:
    """Demo only: past auctions (sold, or reserve not met) for the Results page and "similar vehicles sold",
    written straight to the tables with their event rows; the results reach the vehicles as after a close."""
    from auctions.models import Auction, AuctionEvent
    from auctions.services.sale_results import record_sale_result
    from vehicles.demo import history_vehicles

    staff = User.objects.filter(is_staff=True).order_by("pk").first()
    now = timezone.now()
    made = 0
    for index, (vehicle, price, sold) in enumerate(history_vehicles(seller, staff or seller)):
        ended = now - timedelta(days=3 + index * 4)
        auction = Auction.objects.create(
            vehicle=vehicle, seller=seller, status=Auction.Status.ENDED,
            outcome=Auction.Outcome.SOLD if sold else Auction.Outcome.UNSOLD,
            seller_decision="" if sold else Auction.Decision.DECLINED,
            starting_price=vehicle.starting_price or Decimal("1000"),
            reserve_price=None if sold else price + Decimal("1500"),
            starts_at=ended - timedelta(days=7), ends_at=ended, scheduled_ends_at=ended,
            current_price=price, final_price=price if sold else None, bid_count=6 + index, bidder_count=3,
            closed_at=ended, sold_at=ended if sold else None, version=3,
        )  # fmt: skip
        AuctionEvent.objects.create(
            auction=auction, kind=AuctionEvent.Kind.CLOSED, from_status="live", to_status="ended", created_at=ended,
            data={"outcome": auction.outcome, "demo": True},
        )  # fmt: skip
        if sold:
            from vehicles.models import VehicleEvent

            Vehicle.objects.filter(pk=vehicle.pk).update(status=Vehicle.Status.SOLD)
            VehicleEvent.objects.create(vehicle=vehicle, from_status="approved", to_status="sold", message="Demo data")
        record_sale_result(auction)
        made += 1
    if made:
        stdout.write(f"  {made} past auctions for the Results page")
