"""Writes for the vehicles domain."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from vehicles.models import Vehicle

SALE_OUTCOMES = ("", "sold", "reserve_not_met")


def vehicle_listing_snapshot_update(
    *,
    vehicle_id: int,
    seq: int,
    current_price: Decimal | None,
    auction_status: str,
    auction_ends_at: datetime | None,
    bid_count: int,
) -> bool:
    """Record the auction's visible state on the vehicle for inventory search.

    Called by the auctions app after commit; `seq` only grows per vehicle, so updates that arrive
    out of order never overwrite a newer state. Returns whether this update was applied.
    """
    return bool(
        Vehicle.objects.filter(pk=vehicle_id, snapshot_seq__lte=seq).update(
            snapshot_seq=seq,
            current_price=current_price,
            auction_status=auction_status,
            auction_ends_at=auction_ends_at,
            bid_count=bid_count,
        )
    )


def vehicle_sale_result_record(
    *,
    vehicle_id: int,
    seq: int,
    outcome: str,
    price: Decimal | None,
    ended_at: datetime | None,
    bid_count: int,
) -> bool:
    """Record how the vehicle's latest sale ended, for the Results page and "similar vehicles sold".

    Called by the auctions app after a close, a buy-now or the seller's decision; `outcome` is `sold` or
    `reserve_not_met` (the price is then the high bid; the reserve itself is never recorded here), or ''
    to clear it. `seq` only grows per vehicle, so late updates never overwrite a newer result.
    """
    if outcome not in SALE_OUTCOMES:
        raise ValueError(f"unknown sale outcome {outcome!r}")
    return bool(
        Vehicle.objects.filter(pk=vehicle_id, sale_seq__lte=seq).update(
            sale_seq=seq,
            sale_outcome=outcome,
            sale_price=price if outcome else None,
            sale_ended_at=ended_at if outcome else None,
            sale_bid_count=bid_count if outcome else 0,
        )
    )


def _vehicle_transition(*, vehicle: Vehicle, to_status: str, actor: Any = None, message: str = "") -> Vehicle:
    """Change status and write the event row. Precondition: the caller holds a transaction."""
    from vehicles.models import VehicleEvent

    from_status = vehicle.status
    vehicle.status = to_status
    vehicle.save(update_fields=["status", "updated_at"])
    VehicleEvent.objects.create(
        vehicle=vehicle, actor=actor, from_status=from_status, to_status=to_status, message=message
    )
    return vehicle


def vehicle_mark_listed(*, vehicle_id: int, actor: Any = None) -> Vehicle:
    """An auction was scheduled for this approved vehicle. Runs inside the caller's transaction."""
    vehicle = Vehicle.objects.select_for_update().get(pk=vehicle_id)
    if vehicle.status == Vehicle.Status.LISTED:
        return vehicle
    if vehicle.status != Vehicle.Status.APPROVED:
        from core.errors import Conflict

        raise Conflict(f"Only an approved vehicle can be listed; this one is {vehicle.get_status_display().lower()}.")
    from vehicles.services.saved_searches import mark_for_matching

    _vehicle_transition(vehicle=vehicle, to_status=Vehicle.Status.LISTED, actor=actor, message="Auction scheduled")
    mark_for_matching(vehicle, reason="auction_scheduled")
    return vehicle


def vehicle_mark_unlisted(*, vehicle_id: int, actor: Any = None, message: str = "") -> Vehicle:
    """The auction ended unsold or was cancelled: the vehicle is approved again and may be relisted."""
    vehicle = Vehicle.objects.select_for_update().get(pk=vehicle_id)
    if vehicle.status != Vehicle.Status.LISTED:
        return vehicle
    return _vehicle_transition(vehicle=vehicle, to_status=Vehicle.Status.APPROVED, actor=actor, message=message)


def vehicle_mark_sold(*, vehicle_id: int, actor: Any = None, message: str = "") -> Vehicle:
    """The vehicle was sold (auction, buy now or accepted offer). Runs inside the caller's transaction."""
    vehicle = Vehicle.objects.select_for_update().get(pk=vehicle_id)
    if vehicle.status == Vehicle.Status.SOLD:
        return vehicle
    return _vehicle_transition(vehicle=vehicle, to_status=Vehicle.Status.SOLD, actor=actor, message=message)


def vehicles_mark_ended(*, sold: dict[int, str], unlisted: dict[int, str]) -> int:
    """`vehicle_mark_sold` for each vehicle id in `sold` and `vehicle_mark_unlisted` for each in `unlisted`
    (id -> the event's message), in bulk for the auction closer's batch: one locking read, one UPDATE per new
    status and one insert of the events, by the same rules (a sold vehicle stays sold; only a listed one is
    unlisted). Runs inside the caller's transaction. Returns how many vehicles changed."""
    from django.utils import timezone

    from vehicles.models import VehicleEvent

    ids = sorted({*sold, *unlisted})
    if not ids:
        return 0
    current = dict(Vehicle.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", "status"))
    moves = {
        Vehicle.Status.SOLD: [
            (pk, msg) for pk, msg in sold.items() if current.get(pk, Vehicle.Status.SOLD) != Vehicle.Status.SOLD
        ],
        Vehicle.Status.APPROVED: [
            (pk, msg) for pk, msg in unlisted.items() if current.get(pk) == Vehicle.Status.LISTED and pk not in sold
        ],
    }
    now = timezone.now()
    events = []
    for to_status, rows in moves.items():
        if rows:
            Vehicle.objects.filter(pk__in=[pk for pk, _ in rows]).update(status=to_status, updated_at=now)
            events += [
                VehicleEvent(vehicle_id=pk, from_status=current[pk], to_status=to_status, message=message)
                for pk, message in rows
            ]
    VehicleEvent.objects.bulk_create(events)
    return len(events)
