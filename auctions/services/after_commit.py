"""What happens after an auction change commits: room broadcasts, notifications, the inventory snapshot.

Everything here runs inside `transaction.on_commit` and never raises: the change already happened,
and a client that misses a broadcast sees the gap in `seq` and refetches.
"""

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from auctions.models import Auction
from auctions.realtime import room_group, room_send, room_send_many, user_room_group
from auctions.services import notify_queue
from auctions.services.increments import increment_table
from auctions.state import extended_label, iso, money_str, my_status_label, public_state
from core import replica, tracing

if TYPE_CHECKING:
    from auctions.services.results import BidResult

logger = logging.getLogger(__name__)

SNAPSHOT_STRIDE = 10**9  # snapshot seq = auction id * stride + version: grows per vehicle, across relistings


def auction_url(auction_id: int) -> str:
    return f"/auctions/{auction_id}/"


def _server_time() -> str:
    return timezone.now().isoformat()


def snapshot(auction: Auction) -> None:
    """Mirror the visible state onto the vehicle for inventory search (vehicles app contract)."""
    try:
        _snapshot_write(auction)
    except Exception:  # noqa: BLE001 - the inventory catches up on the next change
        logger.exception("vehicle snapshot update failed", extra={"auction_id": auction.pk})
    if auction.status == Auction.Status.ENDED:
        from auctions.services.sale_results import record_sale_result

        record_sale_result(auction)


def _snapshot_write(auction: Auction) -> None:
    from vehicles.services import vehicle_listing_snapshot_update

    vehicle_listing_snapshot_update(
        vehicle_id=auction.vehicle_id,
        seq=auction.pk * SNAPSHOT_STRIDE + auction.version,
        current_price=auction.display_price,
        auction_status=auction.status,
        auction_ends_at=auction.ends_at,
        bid_count=auction.bid_count,
    )


def snapshots(auctions: list[Auction]) -> None:
    """`snapshot` for many auctions in one transaction: one commit for all their vehicles' rows instead of
    two each. If any write fails, each auction's is made alone (as `snapshot` does: logged, never raised)."""
    from django.db import transaction

    from auctions.services.sale_results import sale_result_write

    try:
        with transaction.atomic():
            for auction in auctions:
                _snapshot_write(auction)
                if auction.status == Auction.Status.ENDED:
                    sale_result_write(auction)
    except Exception:  # noqa: BLE001 - one at a time below
        logger.warning("batched vehicle snapshots failed; writing them one at a time", exc_info=True)
        for auction in auctions:
            snapshot(auction)


def _notify(user_id: int | None, kind: str, context: dict[str, Any], auction_id: int) -> None:
    """Hand the notification to a task, so a slow email never slows a bid or a close."""
    if user_id is None:
        return
    from auctions.tasks import notify_user

    try:
        notify_user.delay(user_id, kind, context, auction_id)
    except Exception:  # noqa: BLE001 - no broker: tell the user directly rather than not at all
        logger.exception("could not queue notification; sending inline", extra={"kind": kind})
        notify_now(user_id, kind, context, auction_id)


def notify_now(user_id: int, kind: str, context: dict[str, Any], auction_id: int) -> None:
    """notifications.notify, skipping kinds the registry does not know yet, never raising."""
    try:
        from notifications.services import notify

        known: Any = None
        try:
            from notifications.kinds import KINDS

            known = KINDS
        except ImportError:
            pass
        if known is not None and kind not in known:
            logger.info("notification kind %s not registered; skipped", kind)
            return
        from accounts.models import User

        user = User.objects.filter(pk=user_id).first()
        if "vehicle" not in context:
            vehicle = Auction.objects.filter(pk=auction_id).select_related("vehicle").first()
            context = {**context, "vehicle": str(vehicle.vehicle) if vehicle else ""}
        if user is not None:
            notify(user=user, kind=kind, context=context, object_key=f"auction:{auction_id}")
    except Exception:  # noqa: BLE001 - a notification never undoes an auction change
        logger.exception("notify failed", extra={"kind": kind, "auction_id": auction_id})


def _context(auction: Auction, **extra: Any) -> dict[str, Any]:
    url = auction_url(auction.pk)  # a site path: emails make it absolute (core.site_urls), the bell follows it
    return {
        "auction_url": url,
        "url": url,
        "current_price": money_str(auction.display_price),
        **extra,
    }


def broadcast_state(auction: Auction, event_type: str, **extra: Any) -> None:
    payload = {"type": event_type, **public_state(auction, increment_table()), "server_time": _server_time()}
    payload.update(extra)
    room_send(room_group(auction.pk), payload)


@tracing.traced("auction.bids_accepted")
def bids_accepted(results: list["BidResult"]) -> None:
    """A committed batch of accepted bids (one, unless bids arrived together): the room hears each in seq
    order in one hand-off to the channel layer; outbid bidders are told; the inventory snapshot follows."""
    now = _server_time()
    sends: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
    notices: list[tuple[int, str, dict[str, Any], int]] = []
    for result in results:
        sends += _bid_sends(result, now)
        if _lost_lead(result) and result.previous_leader_id is not None:
            context = _context(result.auction, your_max=money_str(result.previous_leader_max))
            notices.append((result.previous_leader_id, "outbid", context, result.auction.pk))
    room_send_many(sends)
    if notices and not notify_queue.push(notices):
        _notify_from_a_thread(notices)
    if results:
        snapshot_soon(results[-1].auction)
    replica.writes_committed(r.bid.bidder_id for r in results)  # read your writes (no-op without a replica)


_fallback_sender: ThreadPoolExecutor | None = None


def _notify_from_a_thread(notices: list[tuple[int, str, dict[str, Any], int]]) -> None:
    """Notices the Redis queue did not take (no Redis, or Redis down) are sent from a thread of this process,
    in order: the batch that made them is not held up by the fallback (with Redis down, Celery's broker, the
    same Redis, is down too, and each send would first wait for it to fail)."""
    global _fallback_sender
    if _fallback_sender is None:
        _fallback_sender = ThreadPoolExecutor(max_workers=1, thread_name_prefix="auction-notices")
    _fallback_sender.submit(_send_each, notices)


def _send_each(notices: list[tuple[int, str, dict[str, Any], int]]) -> None:
    from django.db import connections

    try:
        for notice in notices:
            _notify(*notice)
    finally:
        connections.close_all()  # this thread's own connections


def _lost_lead(result: "BidResult") -> bool:
    return result.previous_leader_id not in (None, result.auction.leader_id, result.bid.bidder_id)


def _bid_sends(result: "BidResult", now: str) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    auction = result.auction
    group = room_group(auction.pk)
    sends: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
        (
            group,
            {
                "type": "new_bid",
                **result.state,
                "placed_at": iso(result.bid.placed_at),
                "bidder_alias": result.bid.alias,
                "raised_own_max": result.previous_leader_id == result.bid.bidder_id,
                "extended": result.extended,
                "server_time": now,
            },
            {},
        )
    ]
    if result.extended:
        timer = {
            "type": "timer_extended",
            "auction_id": auction.pk,
            "seq": auction.last_seq,
            "ends_at": iso(auction.ends_at),
            "extended_count": auction.extended_count,
            "extended_label": extended_label(auction.extended_count),
            "server_time": now,
        }
        sends.append((group, timer, {}))
    if result.started:
        sends.append((group, {"type": "status_changed", **result.state, "change": "started", "server_time": now}, {}))
    update = result.update()
    sends.append((user_room_group(auction.pk, result.bid.bidder_id), update, {"bid_id": result.bid.pk}))
    if _lost_lead(result):
        assert result.previous_leader_id is not None
        outbid = {
            **update,
            "status": "outbid",
            "result": "outbid",
            "leading": False,
            "your_max": money_str(result.previous_leader_max),
            "message": f"You were outbid. The price is now ${auction.display_price:,.2f}.",
            "my_status": "outbid",
            "my_status_label": my_status_label("outbid"),
        }
        del outbid["bid_id"]
        sends.append((user_room_group(auction.pk, result.previous_leader_id), outbid, {}))
    return sends


# Per process: when this process last queued a snapshot refresh for an auction (monotonic seconds).
# Within SNAPSHOT_QUIET_SECONDS of that (shorter than the refresh's countdown, so the refresh runs after
# any bid it skipped and reads it), a bid needs no Redis round trip at all.
SNAPSHOT_COUNTDOWN_SECONDS = 1
SNAPSHOT_QUIET_SECONDS = 0.5
_snapshot_queued_at: dict[int, float] = {}
_cache: Any = None


def _process_cache() -> Any:
    """The default cache, one instance per process: Django's `cache` is per request context under ASGI,
    so each bid would open a new Redis connection; this one keeps its connection pool."""
    global _cache
    if _cache is None:
        from django.core.cache import caches

        _cache = caches.create_connection("default")
    return _cache


def snapshot_soon(auction: Auction) -> None:
    """Bids refresh the inventory snapshot at most about once a second per auction: the first bid in a
    quiet moment queues a refresh task; bids until it runs ride along (it reads the latest state)."""
    from auctions.tasks import refresh_snapshot

    cache = _process_cache()
    now = time.monotonic()
    if now - _snapshot_queued_at.get(auction.pk, -1e9) < SNAPSHOT_QUIET_SECONDS:
        return
    try:
        queued = cache.add(f"auctions:snapshot-pending:{auction.pk}", 1, timeout=30)
        if queued:
            refresh_snapshot.apply_async(args=(auction.pk,), countdown=SNAPSHOT_COUNTDOWN_SECONDS)
        # Queued now or already pending (by any process): this process rides along for a moment.
        if not (queued and refresh_snapshot.app.conf.task_always_eager):  # eager: it ran, nothing is pending
            if len(_snapshot_queued_at) > 10_000:
                _snapshot_queued_at.clear()
            _snapshot_queued_at[auction.pk] = now
    except Exception:  # noqa: BLE001 - without a broker or cache, write it now
        logger.exception("could not queue the snapshot refresh; writing it now")
        snapshot(auction)


def snapshot_refresh(auction_id: int) -> None:
    """The task behind `snapshot_soon`: clear the pending mark first, then copy the latest state."""
    from django.core.cache import cache

    cache.delete(f"auctions:snapshot-pending:{auction_id}")
    auction = Auction.objects.filter(pk=auction_id).first()
    if auction is not None:
        snapshot(auction)


def state_changed(auction: Auction, change: str, **extra: Any) -> None:
    """A change without a new bid (started, reserve lowered, bid voided, updated, cancelled)."""
    broadcast_state(auction, "status_changed", change=change, **extra)
    snapshot(auction)


@tracing.traced("auction.closed")
def auction_closed(auction: Auction, *, change: str = "closed", previous_leader_id: int | None = None) -> None:
    """Closed at its end, by buy now, or by the seller's decision: tell the room and the people involved."""
    now = _server_time()
    state = public_state(auction, increment_table())
    group = room_group(auction.pk)
    room_send(group, {"type": "status_changed", **state, "change": change, "server_time": now})
    room_send(
        group,
        {
            "type": "auction_closed",
            **state,
            "server_time": now,
        },
    )
    snapshot(auction)
    if auction.outcome == Auction.Outcome.SOLD:
        _request_order(auction.pk)
    _notify_close(auction, selling_done=change != "seller_accepted")


ORDER_TASK = "orders.tasks.create_order_for_auction"
ORDERS_TASK = "orders.tasks.create_orders_for_auctions"


def _request_order(auction_id: int) -> None:
    """Ask the orders app (a higher layer, known here only by task name) to create the order now.
    If this fails, its beat task creates the order for every won auction without one within seconds."""
    from celery import current_app

    try:
        current_app.tasks[ORDER_TASK].delay(auction_id)  # registered in every process (core.apps)
    except Exception:  # noqa: BLE001 - the beat task is the safety net
        logger.exception("could not request the order for auction %s", auction_id)


def _request_orders(auction_ids: list[int]) -> None:
    """`_request_order` for many won auctions: one task message for all of them."""
    if not auction_ids:
        return
    from celery import current_app

    try:
        current_app.tasks[ORDERS_TASK].delay(auction_ids)
    except Exception:  # noqa: BLE001 - the beat task is the safety net
        logger.exception("could not request the orders for %s auctions", len(auction_ids))


@tracing.traced("auction.closed")  # one span for the batch
def auctions_closed(auctions: list[Auction]) -> None:
    """A batch closed at their ends (the closer's, auctions/services/closing.py): what `auction_closed` does
    for each, in bulk: every broadcast in one hand-off to the channel layer, the vehicles' snapshots and sale
    results in one transaction, one order task for the sold ones, and the notices in one push onto the
    notification queue (services/notify_queue.py), their losers found by one query."""
    from auctions.models import Bid
    from vehicles.models import Vehicle

    if not auctions:
        return
    now = _server_time()
    increments = increment_table()
    sends: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
    for auction in auctions:
        state = public_state(auction, increments)
        group = room_group(auction.pk)
        sends.append((group, {"type": "status_changed", **state, "change": "closed", "server_time": now}, {}))
        sends.append((group, {"type": "auction_closed", **state, "server_time": now}, {}))
    room_send_many(sends)
    snapshots(auctions)
    won = [auction for auction in auctions if auction.outcome == Auction.Outcome.SOLD]
    _request_orders([auction.pk for auction in won])
    bidders: dict[int, list[int]] = {}
    for auction_id, bidder_id in (
        Bid.objects.filter(auction_id__in=[auction.pk for auction in won])
        .values_list("auction_id", "bidder_id")
        .distinct()
        .order_by("auction_id", "bidder_id")
    ):
        bidders.setdefault(auction_id, []).append(bidder_id)
    titles = {v.pk: str(v) for v in Vehicle.objects.filter(pk__in=[a.vehicle_id for a in auctions])}
    notices = [
        notice
        for auction in auctions
        for notice in close_notices(
            auction,
            [b for b in bidders.get(auction.pk, []) if b != auction.winner_id],
            vehicle=titles.get(auction.vehicle_id),
        )
    ]
    if notices and not notify_queue.push(notices):
        _notify_from_a_thread(notices)


def _notify_close(auction: Auction, *, selling_done: bool = True) -> None:
    from auctions.models import Bid

    losers: list[int] = []
    if auction.outcome == Auction.Outcome.SOLD:
        losers = list(
            Bid.objects.filter(auction_id=auction.pk)
            .exclude(bidder_id=auction.winner_id)
            .order_by()  # Bid's default ordering would make DISTINCT per (bidder, seq): a notice per bid
            .values_list("bidder_id", flat=True)
            .distinct()
        )
    for notice in close_notices(auction, losers, selling_done=selling_done):
        _notify(*notice)


def close_notices(
    auction: Auction, losers: list[int], *, selling_done: bool = True, vehicle: str | None = None
) -> list[tuple[int, str, dict[str, Any], int]]:
    """Who hears about a close, and what: (user_id, kind, context, auction_id) notices. `losers` are the
    bidders other than the winner (sold auctions); `vehicle`, when known, saves the sender reading it."""
    price = money_str(auction.final_price if auction.final_price is not None else auction.current_price)
    extra = {} if vehicle is None else {"vehicle": vehicle}
    notices: list[tuple[int | None, str, dict[str, Any]]] = []
    if auction.outcome == Auction.Outcome.SOLD:
        notices.append((auction.winner_id, "auction_won", _context(auction, price=price, **extra)))
        notices += [(loser_id, "auction_lost", _context(auction, price=price, **extra)) for loser_id in losers]
        if selling_done:
            notices.append(
                (auction.seller_id, "auction_ended_seller", _context(auction, outcome="sold", price=price, **extra))
            )
    elif auction.outcome == Auction.Outcome.RESERVE_NOT_MET:
        notices.append(
            (
                auction.seller_id,
                "auction_ended_seller",
                _context(auction, outcome="reserve_not_met", price=price, **extra),
            )
        )
        notices.append(
            (
                auction.seller_id,
                "reserve_not_met_decision",
                _context(auction, high_bid=price, decide_by=iso(auction.decision_deadline), **extra),
            )
        )
    elif auction.outcome == Auction.Outcome.UNSOLD and auction.seller_decision == Auction.Decision.NONE:
        notices.append((auction.seller_id, "auction_ended_seller", _context(auction, outcome="no_bids", **extra)))
    return [(user_id, kind, context, auction.pk) for user_id, kind, context in notices if user_id is not None]


def decision_made(auction: Auction) -> None:
    """The seller accepted or declined the high bid (or let the 24 hours pass)."""
    if auction.outcome == Auction.Outcome.SOLD:
        auction_closed(auction, change="seller_accepted")
        return
    state_changed(auction, f"seller_{auction.seller_decision or 'decision'}")


def bid_voided(auction: Auction, *, bidder_id: int, seq: int, reason: str) -> None:
    state_changed(auction, "bid_voided", voided_seq=seq)
    _notify(bidder_id, "bid_voided", _context(auction, reason=reason), auction.pk)


def comment_posted(auction_id: int, payload: dict[str, Any], *, notify_seller: bool) -> None:
    room_send(room_group(auction_id), payload)
    if notify_seller:
        auction = Auction.objects.select_related("vehicle").filter(pk=auction_id).first()
        if auction is not None:
            _notify(
                auction.seller_id, "new_comment", _context(auction, author=payload["comment"]["author"]), auction.pk
            )


def comment_event(auction_id: int, payload: dict[str, Any]) -> None:
    room_send(room_group(auction_id), payload)
