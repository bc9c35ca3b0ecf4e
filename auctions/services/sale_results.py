"""How an ended auction shows on the Results page: the vehicles app keeps the vehicle's latest sale result
(`vehicles.services.vehicle_sale_result_record`), so the Results page and "similar vehicles sold" filter
with the inventory's own criteria and indexes. This module decides what an auction's result is.

Privacy (BIDDING.md): the price recorded is the final price of a sale, or the high bid when the reserve was
not met — never the reserve amount. Cancelled auctions and auctions without bids have no result.
"""

import logging
from datetime import datetime
from decimal import Decimal

from auctions.models import Auction

logger = logging.getLogger(__name__)
SEQ_STRIDE = 10**9  # the same ordering as the inventory snapshot: auction id × stride + version


def sale_result(auction: Auction) -> tuple[str, Decimal | None, datetime | None] | None:
    """(outcome, price, ended_at) of an ended auction with bids, or None when there is nothing to show."""
    if auction.status != Auction.Status.ENDED or not auction.bid_count and not auction.sold_via_buy_now:
        return None
    if auction.outcome == Auction.Outcome.SOLD:
        return "sold", auction.final_price, auction.sold_at or auction.closed_at
    if auction.outcome in (Auction.Outcome.RESERVE_NOT_MET, Auction.Outcome.UNSOLD) and auction.current_price:
        return "reserve_not_met", auction.current_price, auction.closed_at
    return None


def record_sale_result(auction: Auction) -> None:
    """After commit: copy the auction's result onto its vehicle (a later auction's result wins). Never raises."""
    try:
        sale_result_write(auction)
    except Exception:  # noqa: BLE001 - the sweep (auctions.tasks.record_sale_results) catches up
        logger.exception("recording the sale result failed", extra={"auction_id": auction.pk})


def sale_result_write(auction: Auction) -> None:
    """`record_sale_result`'s write, raising (a caller that batches writes in one transaction)."""
    from vehicles.services import vehicle_sale_result_record

    result = sale_result(auction)
    if result is None:
        return
    outcome, price, ended_at = result
    vehicle_sale_result_record(
        vehicle_id=auction.vehicle_id,
        seq=auction.pk * SEQ_STRIDE + auction.version,
        outcome=outcome,
        price=price,
        ended_at=ended_at,
        bid_count=auction.bid_count,
    )


def record_recent_sale_results(*, limit: int = 500) -> int:
    """Beat sweep: ended auctions whose result the vehicle does not carry yet (an after-commit call lost)."""
    from datetime import timedelta

    from django.db.models import F, Q
    from django.utils import timezone

    stale = (
        Auction.objects.filter(status=Auction.Status.ENDED, closed_at__gte=timezone.now() - timedelta(days=7))
        .filter(Q(outcome=Auction.Outcome.SOLD) | Q(bid_count__gt=0))
        .filter(vehicle__sale_seq__lt=F("id") * SEQ_STRIDE + F("version"))
        .order_by("-closed_at")[:limit]
    )
    count = 0
    for auction in stale:
        if sale_result(auction) is not None:
            record_sale_result(auction)
            count += 1
    return count
