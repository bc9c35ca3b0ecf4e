"""Locks in the house order, and the moment the database decides.

Every offer write locks, in this order: the vehicle's auction that may still change under it (scheduled, or
ended with the seller still deciding), then the vehicle row, then the vehicle's threads. The auctions app
locks an auction before its vehicle too (auctions.services.lifecycle.lock_auction), so the two apps never
wait on each other in a circle. A live auction is not locked: offers are closed while it runs, and locking it
would queue offers behind bids.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.utils import timezone

from auctions.models import Auction
from auctions.services.clock import db_now
from auctions.services.lifecycle import lock_auction
from core.errors import Conflict, NotFound
from offers.models import OfferThread
from vehicles.models import Vehicle


@dataclass
class Locked:
    """The locked vehicle, its auction that matters for offers (if any), and the database clock read after
    the locks were granted."""

    vehicle: Vehicle
    auction: Auction | None
    now: datetime

    @property
    def auction_live(self) -> bool:
        """Live by the database clock (a scheduled auction whose start passed is live, beat or not)."""
        a = self.auction
        return a is not None and (
            a.status == Auction.Status.LIVE or (a.status == Auction.Status.SCHEDULED and a.starts_at <= self.now)
        )

    @property
    def auction_scheduled(self) -> bool:
        a = self.auction
        return a is not None and a.status == Auction.Status.SCHEDULED and a.starts_at > self.now

    @property
    def awaiting_decision(self) -> bool:
        return self.auction is not None and self.auction.awaiting_decision

    def new_offer_refusal(self) -> Conflict | None:
        """Why this vehicle takes no new offer now (OFFERS.md "When a vehicle takes offers"), or None."""
        vehicle = self.vehicle
        if vehicle.status == Vehicle.Status.SOLD:
            return Conflict("This vehicle has been sold.", code="vehicle_sold")
        if not vehicle.accepts_offers or vehicle.status not in (Vehicle.Status.APPROVED, Vehicle.Status.LISTED):
            return Conflict("This vehicle does not take offers.", code="offers_closed")
        if self.auction_live:
            return Conflict(
                "The auction is live: offers are closed while bidding runs. Bid in the auction instead.",
                code="auction_live",
            )
        if self.awaiting_decision:
            return Conflict(
                "The auction ended with the reserve not met and the seller is deciding on the high bid; offers "
                "open again if the vehicle does not sell.",
                code="offers_closed",
            )
        return None

    @property
    def buy_now_price(self) -> Decimal | None:
        """The price a buyer could buy at: a scheduled auction's buy-now price, else the listing's."""
        if self.auction is not None and self.auction.is_open and self.auction.buy_now_price is not None:
            return self.auction.buy_now_price
        return self.vehicle.buy_now_price


def _lock_auctions(vehicle_id: int, seen: dict[int, Auction]) -> None:
    for auction_id in Auction.objects.active_for_vehicle(vehicle_id).order_by("pk").values_list("pk", flat=True):
        if auction_id in seen:
            continue
        auction = Auction.objects.filter(pk=auction_id).first()
        if auction is not None:
            seen[auction_id] = auction if auction.status == Auction.Status.LIVE else lock_auction(auction_id)


def lock_for_offers(vehicle_id: int) -> Locked:
    """Precondition: inside a transaction. Locks the vehicle's scheduled auction or the one awaiting the
    seller's decision (there is at most one such auction), then the vehicle; reads the clock after both."""
    auctions: dict[int, Auction] = {}
    _lock_auctions(vehicle_id, auctions)
    vehicle = Vehicle.objects.select_for_update().filter(pk=vehicle_id).first()
    if vehicle is None:
        raise NotFound("Vehicle not found.", code="vehicle_not_found")
    # One scheduled between the read above and the vehicle lock is locked now (scheduling takes the vehicle
    # lock, so none can appear after this point).
    _lock_auctions(vehicle_id, auctions)
    current = next((a for a in auctions.values() if a.is_open or a.awaiting_decision), None)
    return Locked(vehicle=vehicle, auction=current, now=db_now())


def peek(vehicle: Vehicle) -> Locked:
    """The same view without locks, for pages that explain whether an offer can be made (the service decides
    again under the locks)."""
    auction = Auction.objects.active_for_vehicle(vehicle.pk).order_by("-pk").first()
    return Locked(vehicle=vehicle, auction=auction, now=timezone.now())


def lock_thread(thread_id: int) -> tuple[Locked, OfferThread]:
    """Lock a thread's vehicle (as above), then the thread."""
    vehicle_id = OfferThread.objects.filter(pk=thread_id).values_list("vehicle_id", flat=True).first()
    if vehicle_id is None:
        raise NotFound("Offer not found.", code="offer_not_found")
    locked = lock_for_offers(vehicle_id)
    return locked, OfferThread.objects.select_for_update().select_related("vehicle").get(pk=thread_id)


def lock_open_threads(vehicle_id: int) -> list[OfferThread]:
    """The vehicle's open threads, locked in pk order. Precondition: the vehicle is locked."""
    return list(OfferThread.objects.open().for_vehicle(vehicle_id).select_for_update().order_by("pk"))
