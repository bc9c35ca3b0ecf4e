"""Writes for the vehicles domain."""

from datetime import datetime
from decimal import Decimal

from vehicles.models import Vehicle


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
