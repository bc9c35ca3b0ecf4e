"""How a thread ends, and the one rule for when time, an auction or a sale has already ended it.

`stale_end(locked, thread)` is used by every service before it acts on a thread and by the sweeps that end
threads nobody is acting on, so "the auction started", "the vehicle sold" and "the 48 hours passed" are
decided in one place, under the vehicle's lock, by the database clock.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from core.errors import Conflict, DomainError
from offers.models import OfferEvent, OfferThread
from offers.services.effects import Effects
from offers.services.locking import Locked
from vehicles.models import Vehicle

S = OfferThread.Status
K = OfferThread.Kind

ENDED_MESSAGES = {
    S.ACCEPTED: ("This offer was accepted.", "accepted"),
    S.DECLINED: ("This offer was declined.", "declined"),
    S.EXPIRED: ("This offer expired: nobody answered within its time.", "expired"),
    S.WITHDRAWN: ("This offer was withdrawn.", "withdrawn"),
    S.AUCTION_STARTED: (
        "The auction has started, so offers are closed. Bid in the auction instead.",
        "auction_started",
    ),
    S.SOLD_TO_ANOTHER: ("This vehicle was sold to another buyer.", "sold_to_another"),
}


def ended_error(thread: OfferThread) -> Conflict:
    message, code = ENDED_MESSAGES[OfferThread.Status(thread.status)]
    return Conflict(message, code=code, details={"status": thread.status})


def event(
    thread: OfferThread,
    kind: str,
    *,
    at: datetime,
    actor: Any = None,
    side: str = "",
    from_status: str = "",
    amount: Decimal | None = None,
    **data: Any,
) -> OfferEvent:
    return OfferEvent.objects.create(
        thread=thread,
        kind=kind,
        actor=actor if getattr(actor, "pk", None) else None,
        side=side,
        from_status=from_status or thread.status,
        to_status=thread.status,
        amount=amount,
        data={k: str(v) for k, v in data.items() if v not in (None, "")},
        created_at=at,
    )


def end_thread(
    thread: OfferThread,
    status: str,
    *,
    locked: Locked,
    fx: Effects,
    actor: Any = None,
    side: str = "",
    reason: str = "",
    event_kind: str | None = None,
    **data: Any,
) -> None:
    """Close an open thread. Precondition: the vehicle and the thread are locked."""
    from_status = thread.status
    thread.status = status
    thread.turn = ""
    thread.open_key = None
    thread.ended_at = locked.now
    thread.ended_by = actor if getattr(actor, "pk", None) else None
    thread.end_reason = reason
    thread.version += 1
    if status == S.ACCEPTED:
        thread.accepted_amount = thread.amount
    thread.save(
        update_fields=[
            "status",
            "turn",
            "open_key",
            "ended_at",
            "ended_by",
            "end_reason",
            "version",
            "accepted_amount",
            "updated_at",
        ]
    )
    event(
        thread,
        event_kind or status,
        at=locked.now,
        actor=actor,
        side=side,
        from_status=from_status,
        amount=thread.amount,
        reason=reason,
        **data,
    )
    fx.touch(thread)


@dataclass(frozen=True)
class Stale:
    """Why a thread has already ended by the time anyone acts on it."""

    status: str
    reason: str
    notify_buyer: str | None  # notification kind for the buyer, if they should be told
    notify_seller: str | None
    context: dict[str, str] = field(default_factory=dict)  # for the notices


def stale_reason(locked: Locked, thread: OfferThread) -> Stale | None:
    """The one rule (OFFERS.md "When a vehicle takes offers", "Threads, turns and expiry") for an open thread
    that can no longer go on. Precondition: `locked` is the thread's vehicle, locked."""
    vehicle = locked.vehicle
    if thread.kind != K.SECOND_CHANCE and vehicle.status == Vehicle.Status.SOLD:
        return Stale(S.SOLD_TO_ANOTHER, "The vehicle was sold.", "offer_ended", None, {"reason": S.SOLD_TO_ANOTHER})
    if thread.kind in (K.OFFER, K.RESERVE_COUNTER) and locked.auction_live:
        return Stale(S.AUCTION_STARTED, "The auction started.", "offer_ended", None, {"reason": S.AUCTION_STARTED})
    if thread.kind == K.BEST_OFFER and not (
        locked.awaiting_decision and locked.auction is not None and locked.auction.pk == thread.auction_id
    ):
        note = "The seller decided on the high bid, so your best offer has ended."
        return Stale(S.DECLINED, note, "offer_declined", None, {"message": note})
    on_market = vehicle.status in (Vehicle.Status.APPROVED, Vehicle.Status.LISTED)
    if thread.kind in (K.OFFER, K.RESERVE_COUNTER) and (
        not on_market or (thread.kind == K.OFFER and not vehicle.accepts_offers)
    ):
        note = "The seller no longer takes offers on this vehicle."
        return Stale(S.WITHDRAWN, note, "offer_withdrawn", None, {"reason": note})
    if locked.now >= thread.expires_at:
        return Stale(S.EXPIRED, "Nobody answered in time.", "offer_expired", "offer_expired")
    return None


STALE_ERRORS = {
    S.SOLD_TO_ANOTHER: ("This vehicle was sold to another buyer.", "sold_to_another"),
    S.AUCTION_STARTED: (
        "The auction has started, so offers are closed. Bid in the auction instead.",
        "auction_started",
    ),
    S.DECLINED: ("The seller has decided on the high bid, so this offer has ended.", "offers_closed"),
    S.WITHDRAWN: ("The seller no longer takes offers on this vehicle.", "offers_closed"),
    S.EXPIRED: ("This offer expired: nobody answered within its time.", "expired"),
}


def end_stale(locked: Locked, thread: OfferThread, fx: Effects) -> DomainError | None:
    """End `thread` if `stale_reason` says so (with its notices) and return the error to answer whoever tried
    to act on it; None if the thread is still open. When the auction started or the vehicle sold, every open
    thread of the vehicle ends with it."""
    stale = stale_reason(locked, thread)
    if stale is None:
        return None
    if stale.status in (S.SOLD_TO_ANOTHER, S.AUCTION_STARTED):
        from offers.services.locking import lock_open_threads

        for other in lock_open_threads(locked.vehicle.pk):
            other_stale = stale_reason(locked, other)
            if other_stale is not None:
                end_stale_thread(locked, other, other_stale, fx)
        thread.refresh_from_db()
    else:
        end_stale_thread(locked, thread, stale, fx)
    message, code = STALE_ERRORS[OfferThread.Status(stale.status)]
    return Conflict(message, code=code, details={"status": stale.status})


def end_stale_thread(locked: Locked, thread: OfferThread, stale: Stale, fx: Effects) -> None:
    end_thread(thread, stale.status, locked=locked, fx=fx, reason=stale.reason)
    context = {"amount": thread.amount, **stale.context}
    if stale.notify_buyer:
        fx.notify(thread.buyer_id, stale.notify_buyer, thread, **context)
    if stale.notify_seller:
        fx.notify(thread.seller_id, stale.notify_seller, thread, **context)
