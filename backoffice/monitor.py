"""Reads of the live monitor: each live auction's numbers, and one auction's bid feed for staff."""

from dataclasses import asdict, dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from auctions import engine
from auctions.models import Auction, Bid
from auctions.realtime import watcher_count
from auctions.state import money_str
from backoffice.models import FraudFlag

RATE_WINDOW_MINUTES = 5
ROW_LIMIT = 500


@dataclass
class MonitorRow:
    auction_id: int
    vehicle: str
    seller: str
    price: str | None
    bid_count: int
    bids_recent: int  # in the last RATE_WINDOW_MINUTES
    bids_per_minute: str
    watchers: int
    extended_count: int
    reserve: str
    reserve_label: str
    open_flags: int
    ends_at: str
    seq: int


def _reserve(auction: Auction) -> engine.ReserveStatus:
    if auction.reserve_price is None:
        return engine.ReserveStatus.NO_RESERVE
    return engine.ReserveStatus.MET if auction.reserve_met else engine.ReserveStatus.NOT_MET


def live_rows(now: Any = None) -> list[MonitorRow]:
    """Live auctions, ending soonest first: three queries whatever their number, plus one watcher read each."""
    now = now or timezone.now()
    since = now - timedelta(minutes=RATE_WINDOW_MINUTES)
    auctions = list(Auction.objects.live().select_related("vehicle", "seller").order_by("ends_at", "pk")[:ROW_LIMIT])
    ids = [a.pk for a in auctions]
    recent = dict(
        Bid.objects.filter(auction_id__in=ids, placed_at__gte=since, voided_at__isnull=True)
        .values("auction_id")
        .annotate(n=Count("pk"))
        .values_list("auction_id", "n")
    )
    flags = dict(
        FraudFlag.objects.open()
        .filter(auction_id__in=ids)
        .values("auction_id")
        .annotate(n=Count("pk"))
        .values_list("auction_id", "n")
    )
    rows = []
    for auction in auctions:
        reserve = _reserve(auction)
        count = recent.get(auction.pk, 0)
        rows.append(
            MonitorRow(
                auction_id=auction.pk,
                vehicle=str(auction.vehicle),
                seller=auction.seller.email,
                price=money_str(auction.display_price),
                bid_count=auction.bid_count,
                bids_recent=count,
                bids_per_minute=f"{Decimal(count) / RATE_WINDOW_MINUTES:.1f}",
                watchers=watcher_count(auction.pk),
                extended_count=auction.extended_count,
                reserve=reserve.value,
                reserve_label=engine.RESERVE_LABELS[reserve],
                open_flags=flags.get(auction.pk, 0),
                ends_at=auction.ends_at.isoformat(),
                seq=auction.last_seq,
            )
        )
    return rows


def rows_as_dicts(rows: list[MonitorRow]) -> list[dict[str, Any]]:
    return [asdict(row) for row in rows]


def bid_feed(auction_id: int, after_seq: int = 0, limit: int = 200) -> list[dict[str, Any]]:
    """The auction's bids, newest first, with the real names and addresses staff may see."""
    bids = (
        Bid.objects.filter(auction_id=auction_id, seq__gt=after_seq)
        .select_related("bidder", "voided_by")
        .order_by("-seq")[:limit]
    )
    flagged: dict[int, list[str]] = {}
    for bid_id, kind in FraudFlag.objects.filter(auction_id=auction_id).values_list("bid_id", "kind"):
        flagged.setdefault(bid_id, []).append(FraudFlag.Kind(kind).label)
    return [
        {
            "id": bid.pk,
            "seq": bid.seq,
            "alias": bid.alias,
            "bidder_id": bid.bidder_id,
            "name": bid.bidder.get_full_name() or bid.bidder.email,
            "email": bid.bidder.email,
            "max_amount": money_str(bid.max_amount),
            "resulting_price": money_str(bid.resulting_price),
            "placed_at": bid.placed_at.isoformat(),
            "ip": bid.ip_address or "",
            "user_agent": bid.user_agent,
            "voided": bid.voided_at is not None,
            "void_reason": bid.void_reason,
            "flags": flagged.get(bid.pk, []),
        }
        for bid in bids
    ]


def auction_flags(auction_id: int) -> list[FraudFlag]:
    return list(
        FraudFlag.objects.filter(auction_id=auction_id).select_related("bidder", "seller").order_by("-created_at")
    )


def live_auction_ids() -> list[int]:
    return list(Auction.objects.filter(Q(status=Auction.Status.LIVE)).values_list("pk", flat=True)[:ROW_LIMIT])
