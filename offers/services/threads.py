"""A buyer's offer and its answers: make, counter, accept, decline, withdraw (OFFERS.md).

Each function is one use case in one transaction: lock the vehicle (locking.py), then the thread, read the
database clock, end the thread first if time, an auction or a sale already ended it (ending.py; that change
commits and the caller gets the error), then apply the rule. Notifications, live updates and the order request
run after commit (effects.py). Amounts are read with the bids' grammar, eligibility is the bids' check.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F, Max

from auctions.models import Auction
from auctions.services import check_eligible, parse_bid_amount
from auctions.services.closing import auction_decision_by_offer
from auctions.services.lifecycle import auction_cancel_for_sale
from core import idempotency
from core.errors import Conflict, DomainError, NotAllowed, NotFound
from core.idempotency import Replay
from notifications.templatetags.notification_format import when
from offers import rules
from offers.models import OfferAmount, OfferEvent, OfferRules, OfferThread, Side, other_side
from offers.services.effects import Effects
from offers.services.ending import end_stale, end_thread, ended_error, event
from offers.services.locking import Locked, lock_for_offers, lock_open_threads, lock_thread
from offers.services.once import run_once

S = OfferThread.Status
K = OfferThread.Kind


@dataclass(frozen=True)
class OfferResult:
    """What a write did: the thread as it now stands, what happened ("made", "countered", "accepted",
    "declined", "withdrawn"), and the sentence to show the person who acted."""

    thread: OfferThread
    outcome: str
    message: str


def _money(value: Decimal) -> str:
    return f"${value:,.2f}"


# --- shared steps (preconditions: inside the transaction, vehicle and thread locked) ----------------------


def _buyer_number(vehicle_id: int, buyer_id: int) -> int:
    """The buyer's alias number on this vehicle: kept across their threads, the next free one otherwise."""
    known = (
        OfferThread.objects.filter(vehicle_id=vehicle_id, buyer_id=buyer_id).values_list("buyer_number", flat=True)
    ).first()
    if known is not None:
        return int(known)
    top = OfferThread.objects.filter(vehicle_id=vehicle_id).aggregate(top=Max("buyer_number"))["top"]
    return int(top or 0) + 1


def open_thread(
    locked: Locked,
    fx: Effects,
    *,
    kind: str,
    buyer_id: int,
    seller_id: int,
    side: str,
    author: Any,
    amount: Decimal,
    expires_at: datetime,
    max_counters: int,
    auction_id: int | None = None,
) -> OfferThread:
    """A new open thread with its first amount and event. Precondition: the vehicle is locked and the buyer
    has no open thread on it."""
    vehicle = locked.vehicle
    thread = OfferThread.objects.create(
        vehicle=vehicle,
        buyer_id=buyer_id,
        seller_id=seller_id,
        auction_id=auction_id,
        kind=kind,
        status=S.OPEN,
        buyer_number=_buyer_number(vehicle.pk, buyer_id),
        amount=amount,
        turn=other_side(side),
        expires_at=expires_at,
        max_counters=max_counters,
        open_key=OfferThread.open_key_for(vehicle.pk, buyer_id),
        created_at=locked.now,
    )
    OfferAmount.objects.create(
        thread=thread, seq=1, side=side, author=author, amount=amount, created_at=locked.now, expires_at=expires_at
    )
    event(thread, OfferEvent.Kind.MADE, at=locked.now, actor=author, side=side, from_status="", amount=amount)
    fx.touch(thread)
    return thread


def _add_amount(locked: Locked, fx: Effects, thread: OfferThread, *, side: str, author: Any, amount: Decimal) -> None:
    seq = thread.amounts.count() + 1
    expires_at = locked.now + rules.OFFER_WINDOW
    OfferAmount.objects.create(
        thread=thread, seq=seq, side=side, author=author, amount=amount, created_at=locked.now, expires_at=expires_at
    )
    thread.amount = amount
    thread.turn = other_side(side)
    thread.expires_at = expires_at
    if side == Side.BUYER:
        thread.buyer_counters += 1
    else:
        thread.seller_counters += 1
    thread.version += 1
    thread.save(
        update_fields=["amount", "turn", "expires_at", "buyer_counters", "seller_counters", "version", "updated_at"]
    )
    event(thread, OfferEvent.Kind.COUNTERED, at=locked.now, actor=author, side=side, amount=amount)
    fx.touch(thread)


def accept_locked(
    locked: Locked, fx: Effects, thread: OfferThread, *, actor: Any, side: str, auto: bool = False
) -> None:
    """OFFERS.md "Acceptance", in the caller's transaction: this thread accepted, every other open thread of the
    vehicle sold to another, a scheduled auction cancelled, a pending reserve decision settled, the vehicle
    sold; the order is requested after commit (orders creates it, idempotent on the thread)."""
    if locked.auction_scheduled:
        assert locked.auction is not None
        auction_cancel_for_sale(
            auction_id=locked.auction.pk, actor=actor, reason="The vehicle was sold through an accepted offer."
        )
    if thread.kind == K.BEST_OFFER:
        assert thread.auction_id is not None
        auction_decision_by_offer(auction_id=thread.auction_id, actor=actor, decision=Auction.Decision.BEST_OFFER)
    end_thread(thread, S.ACCEPTED, locked=locked, fx=fx, actor=actor, side=side, auto="yes" if auto else "")
    for other in lock_open_threads(locked.vehicle.pk):
        if other.pk == thread.pk:
            continue
        end_thread(other, S.SOLD_TO_ANOTHER, locked=locked, fx=fx, reason=f"Sold through offer {thread.pk}.")
        fx.notify(other.buyer_id, "offer_ended", other, reason=S.SOLD_TO_ANOTHER)
    from vehicles.services import vehicle_mark_sold

    vehicle_mark_sold(
        vehicle_id=locked.vehicle.pk, actor=actor, message=f"Sold through an accepted offer of {_money(thread.amount)}"
    )
    fx.order(thread.pk)
    accepted_by_seller = side == Side.SELLER
    fx.notify(
        thread.buyer_id if accepted_by_seller else thread.seller_id, "offer_accepted", thread, amount=thread.amount
    )
    if auto:
        fx.notify(thread.seller_id, "offer_accepted", thread, amount=thread.amount)


def _apply_seller_rules(locked: Locked, fx: Effects, thread: OfferThread, *, buyer: Any) -> str | None:
    """The seller's hidden rules on a buyer's amount, in the same transaction: "accepted", "declined" or None."""
    if thread.kind != K.OFFER:
        return None
    offer_rules = OfferRules.objects.filter(vehicle_id=thread.vehicle_id).first()
    decision = offer_rules.decides(thread.amount) if offer_rules else None
    if decision == "accept":
        accept_locked(locked, fx, thread, actor=None, side=Side.SELLER, auto=True)
        return "accepted"
    if decision == "decline":
        end_thread(thread, S.DECLINED, locked=locked, fx=fx, side=Side.SELLER, reason=AUTO_DECLINED, auto="yes")
        return "declined"
    return None


AUTO_DECLINED = "The seller is not taking offers at this amount. You may make a higher offer."


def party_side(thread: OfferThread, actor: Any) -> str:
    """The actor's side, or a 404 for anyone else (a stranger learns nothing about other people's offers)."""
    side = thread.side_of(actor)
    if side is None:
        raise NotFound("Offer not found.", code="offer_not_found")
    return side


def check_may_commit(actor: Any, side: str) -> None:
    """Committing to a price (offer, counter, accept) needs an eligible buyer (BIDDING.md "Eligibility") and a
    seller who is not suspended."""
    if side == Side.BUYER:
        check_eligible(actor)
    elif getattr(actor, "suspended_at", None) is not None:
        raise NotAllowed("Your account is suspended; contact support.", code="suspended")


def _until(thread: OfferThread) -> str:
    return when(thread.expires_at)


# --- use cases --------------------------------------------------------------------------------------------


def offer_make(
    *, vehicle_id: int, buyer: Any, amount: Decimal | str, idempotency_key: str | None = None
) -> OfferResult | Replay:
    """A buyer's opening offer (OFFERS.md "When a vehicle takes offers", "Amounts"). The seller's auto rules
    answer it in the same transaction."""
    value = parse_bid_amount(amount)
    keyed = idempotency.keyed(buyer, idempotency_key, "offer.make", vehicle_id, value)

    def work(fx: Effects) -> OfferResult:
        locked = lock_for_offers(vehicle_id)
        vehicle = locked.vehicle
        if vehicle.seller_id == getattr(buyer, "pk", None):
            raise NotAllowed("You cannot make an offer on your own vehicle.", code="own_vehicle")
        check_eligible(buyer)
        refusal = locked.new_offer_refusal()
        if refusal is not None:
            raise refusal
        rules.check_opening_amount(value, buy_now=locked.buy_now_price)
        existing = OfferThread.objects.open().for_vehicle(vehicle.pk).filter(buyer=buyer).select_for_update().first()
        if existing is not None and end_stale(locked, existing, fx) is None:
            raise Conflict(
                "You already have an open offer on this vehicle: answer it or wait for the seller's answer.",
                code="offer_open",
                details={"thread_id": existing.pk},
            )
        thread = open_thread(
            locked,
            fx,
            kind=K.OFFER,
            buyer_id=buyer.pk,
            seller_id=vehicle.seller_id,
            side=Side.BUYER,
            author=buyer,
            amount=value,
            expires_at=locked.now + rules.OFFER_WINDOW,
            max_counters=rules.MAX_COUNTERS,
        )
        outcome = _apply_seller_rules(locked, fx, thread, buyer=buyer)
        if outcome == "accepted":
            message = (
                f"The seller accepted your offer of {_money(value)}. The sale is binding: your invoice is on its way."
            )
        elif outcome == "declined":
            message = AUTO_DECLINED
        else:
            fx.notify(
                thread.seller_id,
                "offer_received",
                thread,
                amount=value,
                buyer=thread.buyer_alias,
                expires=thread.expires_at.isoformat(),
            )
            message = f"Your offer of {_money(value)} is with the seller, who has until {_until(thread)} to answer."
        return OfferResult(thread=thread, outcome=outcome or "made", message=message)

    return run_once(keyed, status=201, actor=buyer, work=work)  # type: ignore[no-any-return]


def _thread_work(
    thread_id: int, actor: Any, act: Callable[[Locked, Effects, OfferThread, str], OfferResult]
) -> Callable[[Effects], OfferResult | DomainError]:
    """The steps every answer to a thread shares: lock, 404 for strangers, refuse an ended thread, end a stale
    one (and hand back the refusal), then `act` on it."""

    def work(fx: Effects) -> OfferResult | DomainError:
        locked, thread = lock_thread(thread_id)
        side = party_side(thread, actor)
        if not thread.is_open:
            raise ended_error(thread)
        refusal = end_stale(locked, thread, fx)
        if refusal is not None:
            return refusal
        return act(locked, fx, thread, side)

    return work


def offer_counter(
    *, thread_id: int, actor: Any, amount: Decimal | str, idempotency_key: str | None = None
) -> OfferResult | Replay:
    """The side whose turn it is answers with a new amount (OFFERS.md "Amounts": counters converge, at most 3
    per side, never above buy now)."""
    value = parse_bid_amount(amount)

    def act(locked: Locked, fx: Effects, thread: OfferThread, side: str) -> OfferResult:
        rules.check_turn(turn=thread.turn, side=side)
        check_may_commit(actor, side)
        rules.check_counter(_view(thread, side), value, buy_now=locked.buy_now_price)
        _add_amount(locked, fx, thread, side=side, author=actor, amount=value)
        outcome = (_apply_seller_rules(locked, fx, thread, buyer=actor) if side == Side.BUYER else None) or "countered"
        if outcome == "accepted":
            return OfferResult(
                thread,
                outcome,
                f"The seller accepted {_money(value)}. The sale is binding: your invoice is on its way.",
            )
        if outcome == "declined":
            return OfferResult(thread, outcome, AUTO_DECLINED)
        fx.notify(
            other_party(thread, side),
            "offer_countered",
            thread,
            amount=value,
            who=thread.buyer_alias if side == Side.BUYER else "The seller",
            expires=thread.expires_at.isoformat(),
        )
        return OfferResult(
            thread,
            outcome,
            f"Your counter of {_money(value)} is sent; the other side has until {_until(thread)} to answer.",
        )

    keyed = idempotency.keyed(actor, idempotency_key, "offer.counter", thread_id, value)
    return run_once(keyed, status=200, actor=actor, work=_thread_work(thread_id, actor, act))  # type: ignore[no-any-return]


def _view(thread: OfferThread, side: str) -> rules.ThreadView:
    amounts = list(thread.amounts.order_by("seq").values_list("side", "amount"))
    own = [amount for amount_side, amount in amounts if amount_side == side]
    return rules.ThreadView(
        kind=thread.kind,
        turn=thread.turn,
        latest_side=amounts[-1][0],
        latest_amount=thread.amount,
        previous_own=own[-1] if own else None,
        counters_made=thread.counters_made(side),
        max_counters=thread.max_counters,
    )


def offer_accept(*, thread_id: int, actor: Any, idempotency_key: str | None = None) -> OfferResult | Replay:
    """The side whose turn it is accepts the latest amount: binding for both, exactly like winning an auction."""

    def act(locked: Locked, fx: Effects, thread: OfferThread, side: str) -> OfferResult:
        rules.check_turn(turn=thread.turn, side=side)
        check_may_commit(actor, side)
        accept_locked(locked, fx, thread, actor=actor, side=side)
        message = f"Accepted at {_money(thread.amount)}. The sale is binding; "
        message += "your invoice is on its way." if side == Side.BUYER else "the buyer gets an invoice at once."
        return OfferResult(thread, "accepted", message)

    keyed = idempotency.keyed(actor, idempotency_key, "offer.accept", thread_id)
    return run_once(keyed, status=200, actor=actor, work=_thread_work(thread_id, actor, act))  # type: ignore[no-any-return]


def offer_decline(*, thread_id: int, actor: Any, idempotency_key: str | None = None) -> OfferResult | Replay:
    """The side whose turn it is declines: the thread ends (the buyer may make a new offer later)."""

    def act(locked: Locked, fx: Effects, thread: OfferThread, side: str) -> OfferResult:
        rules.check_turn(turn=thread.turn, side=side)
        end_thread(thread, S.DECLINED, locked=locked, fx=fx, actor=actor, side=side)
        fx.notify(other_party(thread, side), "offer_declined", thread, amount=thread.amount)
        return OfferResult(thread, "declined", "You declined the offer.")

    keyed = idempotency.keyed(actor, idempotency_key, "offer.decline", thread_id)
    return run_once(keyed, status=200, actor=actor, work=_thread_work(thread_id, actor, act))  # type: ignore[no-any-return]


def other_party(thread: OfferThread, side: str) -> int:
    return int(thread.seller_id if side == Side.BUYER else thread.buyer_id)


def offer_withdraw(*, thread_id: int, actor: Any, idempotency_key: str | None = None) -> OfferResult | Replay:
    """The author of the latest amount takes it back, only before the other side has seen it (OFFERS.md: an
    offer or counter is binding for its time once seen). The thread ends as withdrawn."""

    def act(locked: Locked, fx: Effects, thread: OfferThread, side: str) -> OfferResult:
        if thread.turn == side:
            raise Conflict(
                "The latest amount is the other side's: accept, decline or counter it instead.", code="not_your_offer"
            )
        latest = thread.amounts.select_for_update().order_by("-seq").first()
        assert latest is not None
        if latest.first_shown_at is not None:
            raise Conflict(
                f"The other side has seen your offer, so it is binding until {_until(thread)}.",
                code="offer_seen",
                details={"seen_at": latest.first_shown_at.isoformat()},
            )
        end_thread(thread, S.WITHDRAWN, locked=locked, fx=fx, actor=actor, side=side)
        fx.notify(other_party(thread, side), "offer_withdrawn", thread, amount=thread.amount)
        return OfferResult(thread, "withdrawn", "Your offer was withdrawn.")

    keyed = idempotency.keyed(actor, idempotency_key, "offer.withdraw", thread_id)
    return run_once(keyed, status=200, actor=actor, work=_thread_work(thread_id, actor, act))  # type: ignore[no-any-return]


def offer_staff_withdraw(*, thread_id: int, staff: Any, reason: str) -> OfferResult:
    """Staff end an open thread at any time, with a reason both sides read."""
    if not getattr(staff, "is_staff", False):
        raise NotAllowed("Only staff can do that.", code="staff_only")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Give a reason: both sides will read it.", code="reason_required")
    fx = Effects()
    with transaction.atomic(durable=True):
        locked, thread = lock_thread(thread_id)
        if not thread.is_open:
            raise ended_error(thread)
        end_thread(thread, S.WITHDRAWN, locked=locked, fx=fx, actor=staff, reason=reason, by_staff="yes")
        for user_id in (thread.buyer_id, thread.seller_id):
            fx.notify(user_id, "offer_withdrawn", thread, amount=thread.amount, reason=reason)
        fx.on_commit()
    return OfferResult(thread=thread, outcome="withdrawn", message=f"Offer thread {thread.pk} withdrawn.")


def offer_mark_shown(*, thread_id: int, viewer: Any) -> bool:
    """The thread page was shown to the side that did not write the latest amount: record when it first was
    (from then on the author can no longer withdraw it). One conditional UPDATE; True when this call recorded it.
    """
    from auctions.services.clock import db_now

    thread = OfferThread.objects.filter(pk=thread_id).first()
    side = thread.side_of(viewer) if thread is not None else None
    if thread is None or side is None or not thread.is_open:
        return False
    fx = Effects()
    with transaction.atomic(durable=True):
        now = db_now()
        latest = thread.amounts.order_by("-seq").values_list("pk", "side").first()
        if latest is None or latest[1] == side:
            return False
        marked = OfferAmount.objects.filter(pk=latest[0], first_shown_at__isnull=True, thread__status=S.OPEN).update(
            first_shown_at=now
        )
        if not marked:
            return False
        OfferEvent.objects.create(
            thread=thread, kind=OfferEvent.Kind.SHOWN, actor=viewer, side=side, to_status=thread.status, created_at=now
        )
        OfferThread.objects.filter(pk=thread.pk).update(version=F("version") + 1)
        thread.refresh_from_db(fields=["version"])
        fx.touch(thread)
        fx.on_commit()
    return True
