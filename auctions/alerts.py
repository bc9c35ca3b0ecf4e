"""Alerts about what a buyer follows: a watched vehicle's auction starts, ends within an hour, changes its
buy-now price or reserve status, or is relisted; and, for a bidder, "you are no longer leading and 5 minutes
are left".

They read auction state, never the bid path: a beat task (`auctions.tasks.send_watch_alerts`, every 15 s)
compares each watched open auction whose `version` moved with the state it last saw (`AuctionWatchState`,
claimed with a conditional UPDATE on the version it read), and looks for auctions entering their last hour
or last five minutes. Each alert is a `WatchAlert` row, unique per (auction, kind, detail, user): concurrent
scans insert with INSERT IGNORE and notify only the rows carrying their own claim, so none is sent twice.
Watchers are the vehicles app's watchlist (`vehicles.selectors.watcher_ids`).
"""

import uuid
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q

from auctions.models import Auction, AuctionWatchState, Bid, WatchAlert
from auctions.services.clock import db_now
from auctions.state import iso, money_str

ENDING_WINDOW = timedelta(hours=1)
LOSING_WINDOW = timedelta(minutes=5)
BATCH = 500
OPEN = [Auction.Status.SCHEDULED, Auction.Status.LIVE]


def _url(auction: Auction) -> str:
    return f"/auctions/{auction.pk}/"


def _context(auction: Auction, **extra: Any) -> dict[str, Any]:
    return {
        "vehicle": auction.vehicle.title,
        "auction_url": _url(auction),
        "url": _url(auction),
        "ends_at": iso(auction.ends_at),
        "current_price": money_str(auction.display_price),
        **extra,
    }


def _send(auction: Auction, kind: str, user_ids: list[int], *, notify_kind: str, detail: str = "", **extra: Any) -> int:
    """Record (auction, kind, detail) for each user once and notify, after commit, those this call recorded."""
    user_ids = [uid for uid in user_ids if uid != auction.seller_id]
    if not user_ids:
        return 0
    claim = uuid.uuid4().hex
    now = db_now()
    with transaction.atomic():
        WatchAlert.objects.bulk_create(
            [
                WatchAlert(user_id=uid, auction=auction, kind=kind, detail=detail, claim=claim, created_at=now)
                for uid in user_ids
            ],
            ignore_conflicts=True,
        )
        ours = list(WatchAlert.objects.filter(auction=auction, claim=claim).values_list("user_id", flat=True))
        context = _context(auction, **extra)
        object_key = f"auction:{auction.pk}:{kind}:{detail}"[:120]
        transaction.on_commit(lambda: _notify_each(ours, notify_kind, context, object_key))
    return len(ours)


def _notify_each(user_ids: list[int], kind: str, context: dict[str, Any], object_key: str) -> None:
    from accounts.models import User
    from notifications.services import notify

    for user in User.objects.filter(pk__in=user_ids).order_by("pk"):
        notify(user=user, kind=kind, context=context, object_key=object_key)


def _changes(auction: Auction, seen: AuctionWatchState | None, *, relisted: bool) -> list[tuple[str, str, str, dict]]:
    """(alert kind, detail, notification kind, extra context) for what differs from what the alerts last saw."""
    found: list[tuple[str, str, str, dict]] = []
    if seen is None:
        if relisted:
            found.append((WatchAlert.Kind.RELISTED, "", "watched_relisted", {}))
        if auction.status == Auction.Status.LIVE:
            found.append((WatchAlert.Kind.STARTED, "", "watched_auction_started", {}))
        return found
    if seen.status == Auction.Status.SCHEDULED and auction.status == Auction.Status.LIVE:
        found.append((WatchAlert.Kind.STARTED, "", "watched_auction_started", {}))
    if auction.is_open and seen.buy_now_price != auction.buy_now_price:
        price = money_str(auction.buy_now_price) if auction.buy_now_price is not None else ""
        found.append(
            (
                WatchAlert.Kind.CHANGED,
                f"buy_now:{price or 'none'}:{auction.version}",
                "watched_auction_changed",
                {"change": "buy_now", "buy_now_price": price},
            )
        )
    if auction.is_open and not seen.reserve_met and auction.reserve_met:
        found.append((WatchAlert.Kind.CHANGED, "reserve_met", "watched_auction_changed", {"change": "reserve_met"}))
    elif (
        auction.is_open
        and seen.reserve_price is not None
        and auction.reserve_price is not None
        and auction.reserve_price < seen.reserve_price
    ):
        found.append(
            (
                WatchAlert.Kind.CHANGED,
                f"reserve_lowered:{auction.version}",
                "watched_auction_changed",
                {"change": "reserve_lowered"},
            )
        )
    return found


def _remember(auction: Auction, seen: AuctionWatchState | None) -> bool:
    """Move the remembered state to the auction's; False when another scan did it first."""
    values = {
        "version": auction.version,
        "status": auction.status,
        "buy_now_price": auction.buy_now_price,
        "reserve_price": auction.reserve_price,
        "reserve_met": auction.reserve_met,
    }
    if seen is None:
        try:
            with transaction.atomic():
                AuctionWatchState.objects.create(auction=auction, **values)
        except IntegrityError:
            return False
        return True
    return bool(AuctionWatchState.objects.filter(pk=seen.pk, version=seen.version).update(**values))


def scan_state_changes(*, limit: int = BATCH) -> int:
    """Watched open auctions whose version moved since the alerts last looked (or never looked)."""
    from vehicles.selectors import watched_vehicle_ids, watcher_ids

    auctions = (
        Auction.objects.filter(status__in=OPEN, vehicle_id__in=watched_vehicle_ids())
        .filter(Q(watch_state__isnull=True) | ~Q(watch_state__version=F("version")))
        .select_related("vehicle", "watch_state")
        .order_by("pk")[:limit]
    )
    sent = 0
    for auction in auctions:
        seen = getattr(auction, "watch_state", None)
        relisted = seen is None and Auction.objects.filter(vehicle_id=auction.vehicle_id, pk__lt=auction.pk).exists()
        changes = _changes(auction, seen, relisted=relisted)
        if not _remember(auction, seen):
            continue
        if changes:
            watchers = watcher_ids(auction.vehicle_id)
            for kind, detail, notify_kind, extra in changes:
                sent += _send(auction, kind, watchers, notify_kind=notify_kind, detail=detail, **extra)
    return sent


def scan_ending_soon(*, now: datetime, limit: int = BATCH) -> int:
    """Watched auctions entering their last hour: one 'ending soon' alert per watcher."""
    from vehicles.selectors import watched_vehicle_ids, watcher_ids

    auctions = (
        Auction.objects.filter(
            status__in=OPEN, ends_at__gt=now, ends_at__lte=now + ENDING_WINDOW, vehicle_id__in=watched_vehicle_ids()
        )
        .exclude(watch_alerts__kind=WatchAlert.Kind.ENDING)
        .select_related("vehicle")
        .order_by("ends_at")[:limit]
    )
    return sum(
        _send(a, WatchAlert.Kind.ENDING, watcher_ids(a.vehicle_id), notify_kind="auction_ending_soon") for a in auctions
    )


def scan_losing_final_minutes(*, now: datetime, limit: int = BATCH) -> int:
    """Live auctions in their last five minutes: every bidder who is not leading hears it once."""
    auctions = (
        Auction.objects.filter(status=Auction.Status.LIVE, ends_at__gt=now, ends_at__lte=now + LOSING_WINDOW)
        .select_related("vehicle")
        .order_by("ends_at")[:limit]
    )
    sent = 0
    for auction in auctions:
        bidders = (
            Bid.objects.filter(auction=auction, voided_at__isnull=True)
            .exclude(bidder_id=auction.leader_id)
            .order_by()  # without Bid's default ordering, DISTINCT is per bidder, not per bid
            .values_list("bidder_id", flat=True)
            .distinct()
        )
        already = set(
            WatchAlert.objects.filter(auction=auction, kind=WatchAlert.Kind.LOSING).values_list("user_id", flat=True)
        )
        todo = [uid for uid in bidders if uid not in already]
        if todo:
            sent += _send(auction, WatchAlert.Kind.LOSING, todo, notify_kind="losing_final_minutes")
    return sent


def watch_alerts_scan(*, now: datetime | None = None) -> int:
    """One pass of every watchlist alert. Idempotent; safe on several workers at once. Returns alerts sent."""
    now = now or db_now()
    return scan_state_changes() + scan_ending_soon(now=now) + scan_losing_final_minutes(now=now)
