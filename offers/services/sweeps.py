"""Beat-driven offer work: end threads that time, an auction's start or a sale ended, and send reminders.

Both are claim-style and safe to run twice or on several workers at once: a thread is ended under its
vehicle's lock only if `ending.stale_reason` says so by the database clock (a second run finds it ended); a
reminder is claimed with a conditional UPDATE of its amount's `reminded_at`.
"""

import logging

from django.db import transaction
from django.db.models import F, Q

from auctions.models import Auction
from auctions.services.clock import db_now
from offers import rules
from offers.models import OfferAmount, OfferEvent, OfferThread
from offers.services.effects import Effects
from offers.services.ending import end_stale_thread, stale_reason
from offers.services.locking import lock_thread
from vehicles.models import Vehicle

logger = logging.getLogger(__name__)
K = OfferThread.Kind


def offer_thread_settle(*, thread_id: int) -> bool:
    """End this open thread if it can no longer go on (expired, the auction started, the vehicle sold, the
    seller's decision passed, the listing stopped taking offers); True when this call ended it."""
    fx = Effects()
    with transaction.atomic(durable=True):
        locked, thread = lock_thread(thread_id)
        if not thread.is_open:
            return False
        stale = stale_reason(locked, thread)
        if stale is None:
            return False
        end_stale_thread(locked, thread, stale, fx)
        fx.on_commit()
    return True


def settle_candidates(*, limit: int = 500) -> list[int]:
    """Open threads `stale_reason` may end now (a superset: each is decided again under its lock)."""
    now = db_now()
    live_vehicles = Auction.objects.filter(
        Q(status=Auction.Status.LIVE) | Q(status=Auction.Status.SCHEDULED, starts_at__lte=now)
    ).values("vehicle_id")
    on_market = [Vehicle.Status.APPROVED, Vehicle.Status.LISTED]
    due = OfferThread.objects.open().filter(
        Q(expires_at__lte=now)
        | (~Q(kind=K.SECOND_CHANCE) & Q(vehicle__status=Vehicle.Status.SOLD))
        | Q(kind__in=[K.OFFER, K.RESERVE_COUNTER], vehicle_id__in=live_vehicles)
        | (Q(kind=K.BEST_OFFER) & ~Q(auction__outcome=Auction.Outcome.RESERVE_NOT_MET))
        | (Q(kind__in=[K.OFFER, K.RESERVE_COUNTER]) & ~Q(vehicle__status__in=on_market))
        | Q(kind=K.OFFER, vehicle__accepts_offers=False)
    )
    return list(due.order_by("expires_at", "pk").values_list("pk", flat=True)[:limit])


def offers_settle_due(*, limit: int = 500) -> int:
    """`offer_thread_settle` for every candidate; one failing thread does not stop the others."""
    ended = 0
    for thread_id in settle_candidates(limit=limit):
        try:
            ended += offer_thread_settle(thread_id=thread_id)
        except Exception:  # noqa: BLE001 - logged; the next run tries it again
            logger.exception("settling offer thread failed", extra={"thread_id": thread_id})
    return ended


def offers_expire_due(*, limit: int = 500) -> int:
    """OFFERS.md "Each amount waits 48 hours for an answer; then the thread expires" (with the other endings)."""
    return offers_settle_due(limit=limit)


def offers_remind_due(*, limit: int = 500) -> int:
    """12 hours before the latest amount of an open thread expires, remind the side whose turn it is (once per
    amount; amounts given less than 12 hours were announced with their deadline and get none)."""
    now = db_now()
    due = (
        OfferAmount.objects.filter(
            thread__status=OfferThread.Status.OPEN,
            thread__expires_at=F("expires_at"),  # the thread's latest amount
            reminded_at__isnull=True,
            expires_at__gt=now,
            expires_at__lte=now + rules.REMINDER_BEFORE,
            created_at__lt=F("expires_at") - rules.REMINDER_BEFORE,
        )
        .select_related("thread", "thread__vehicle")
        .order_by("expires_at")[:limit]
    )
    sent = 0
    for amount in due:
        fx = Effects()
        with transaction.atomic(durable=True):
            claim = OfferAmount.objects.filter(
                pk=amount.pk, reminded_at__isnull=True, thread__status=OfferThread.Status.OPEN
            )
            if not claim.update(reminded_at=now):
                continue  # another worker claimed it
            thread = amount.thread
            turn = thread.turn
            OfferEvent.objects.create(
                thread=thread,
                kind=OfferEvent.Kind.REMINDED,
                side=turn,
                from_status=thread.status,
                to_status=thread.status,
                amount=amount.amount,
                created_at=now,
            )
            user_id = thread.buyer_id if turn == "buyer" else thread.seller_id
            fx.notify(user_id, "offer_reminder", thread, amount=amount.amount, expires=amount.expires_at.isoformat())
            fx.on_commit()
        sent += 1
    return sent
