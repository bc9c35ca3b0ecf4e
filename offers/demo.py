"""Demo offers for `make run` (after auctions/demo.py): the seller's vehicles left out of the demo auctions take
offers, with threads in several states — waiting for the seller, waiting for the buyer after a counter, and
ended (declined, expired) — and hidden auto rules on one of them."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

from accounts.models import User
from core.errors import DomainError
from offers import services
from offers.models import OfferThread
from vehicles.models import Vehicle

SELLER_EMAIL = "seller@demo.test"
BUYERS = ("buyer@demo.test", "buyer2@demo.test")


def _price(vehicle: Vehicle, share: str) -> Decimal:
    base = vehicle.buy_now_price or (vehicle.starting_price or Decimal("5000")) * Decimal("1.5")
    return (base * Decimal(share) / 100).quantize(Decimal("1")) * 100


def seed(stdout: Any) -> list[OfferThread]:
    seller = User.objects.filter(email=SELLER_EMAIL).first()
    buyers = list(User.objects.filter(email__in=BUYERS).order_by("email"))
    if seller is None or len(buyers) < 2:
        stdout.write("  offers: no demo seller or buyers, skipped")
        return []
    vehicles = list(
        Vehicle.objects.filter(seller=seller, status=Vehicle.Status.APPROVED, auction_status="").order_by("-pk")[:3]
    )
    if not vehicles:
        stdout.write("  offers: no approved vehicle outside an auction, skipped")
        return []
    # Demo data only: these listings take offers (a seller sets this on the pricing step).
    Vehicle.objects.filter(pk__in=[v.pk for v in vehicles]).update(accepts_offers=True)
    for vehicle in vehicles:
        vehicle.accepts_offers = True
    buyer, buyer2 = buyers
    threads: list[OfferThread] = []
    try:
        first = vehicles[0]
        threads.append(_make(first, buyer, _price(first, "0.70")))  # waiting for the seller
        threads.append(_make(first, buyer2, _price(first, "0.65")))
        services.offer_rules_update(vehicle_id=first.pk, actor=seller, auto_decline_below=str(_price(first, "0.40")))
        if len(vehicles) > 1:
            second = vehicles[1]
            countered = _make(second, buyer, _price(second, "0.70"))  # the seller countered: the buyer's turn
            services.offer_counter(thread_id=countered.pk, actor=seller, amount=str(_price(second, "0.85")))
            declined = _make(second, buyer2, _price(second, "0.60"))
            services.offer_decline(thread_id=declined.pk, actor=seller)
            threads += [countered, declined]
        if len(vehicles) > 2:
            third = vehicles[2]
            expired = _make(third, buyer2, _price(third, "0.75"))
            OfferThread.objects.filter(pk=expired.pk).update(expires_at=expired.created_at - timedelta(seconds=1))
            services.offer_thread_settle(thread_id=expired.pk)
            threads.append(expired)
    except DomainError as exc:
        stdout.write(f"  offers: stopped early ({exc.message})")
    stdout.write(f"  {len(threads)} demo offer threads on {len(vehicles)} vehicles that take offers")
    return threads


def _make(vehicle: Vehicle, buyer: User, amount: Decimal) -> OfferThread:
    result = services.offer_make(vehicle_id=vehicle.pk, buyer=buyer, amount=str(amount))
    assert isinstance(result, services.OfferResult)
    return result.thread
