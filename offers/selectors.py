"""Reads for the offers domain: who may see a thread, the lists, and a thread as a viewer sees it.

Privacy (OFFERS.md "Privacy and notices"): until acceptance the seller sees the buyer only as "Buyer N" (per
vehicle) with their verification status and purchase count; the buyer sees the seller's public name. After
acceptance both see each other's names, as on an order.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from core.errors import NotFound
from offers import rules
from offers.models import OfferAmount, OfferRules, OfferThread, Side

S = OfferThread.Status
K = OfferThread.Kind

BUYER_TABS = {
    "waiting": "Waiting for me",
    "open": "Waiting for the seller",
    "ended": "Ended",
}
SELLER_TABS = {
    "waiting": "Waiting for me",
    "open": "Waiting for the buyer",
    "ended": "Ended",
}


def thread_visible_to(*, thread_id: int, user: Any) -> OfferThread:
    """The thread for its buyer, its seller or staff; NotFound for anyone else (no existence leak)."""
    thread = OfferThread.objects.select_related("vehicle", "buyer", "seller", "auction").filter(pk=thread_id).first()
    if thread is None or not (
        getattr(user, "is_staff", False) or getattr(user, "pk", None) in (thread.buyer_id, thread.seller_id)
    ):
        raise NotFound("Offer not found.", code="offer_not_found")
    return thread


def threads_for(
    user: Any, *, role: str, status: str | None = None, vehicle_id: int | None = None
) -> QuerySet[OfferThread]:
    """A user's threads as buyer or seller. `status`: "waiting" (my turn), "open" (the other side's turn),
    "ended", or one of the thread statuses; None for all."""
    side = Side.SELLER if role == "seller" else Side.BUYER
    threads = OfferThread.objects.for_seller(user) if side == Side.SELLER else OfferThread.objects.for_buyer(user)
    if vehicle_id is not None:
        threads = threads.filter(vehicle_id=vehicle_id)
    if status == "waiting":
        threads = threads.waiting_for(side)
    elif status == "open":
        threads = threads.open().exclude(turn=side)
    elif status == "ended":
        threads = threads.ended()
    elif status:
        threads = threads.filter(status=status)
    return threads.select_related("vehicle", "buyer", "seller").order_by("-updated_at", "-pk")


def tab_counts(user: Any, *, role: str, vehicle_id: int | None = None) -> dict[str, int]:
    side = Side.SELLER if role == "seller" else Side.BUYER
    threads = OfferThread.objects.for_seller(user) if side == Side.SELLER else OfferThread.objects.for_buyer(user)
    if vehicle_id is not None:
        threads = threads.filter(vehicle_id=vehicle_id)
    counts = threads.aggregate(
        waiting=Count("pk", filter=Q(status=S.OPEN, turn=side)),
        open=Count("pk", filter=Q(status=S.OPEN) & ~Q(turn=side)),
        ended=Count("pk", filter=~Q(status=S.OPEN)),
    )
    return {key: int(value or 0) for key, value in counts.items()}


def seller_vehicles_with_offers(user: Any) -> list[dict[str, Any]]:
    """The seller's vehicles that have threads, with how many wait for the seller (the inbox's index)."""
    rows = (
        OfferThread.objects.for_seller(user)
        .values("vehicle_id", "vehicle__year", "vehicle__make", "vehicle__model", "vehicle__trim")
        .annotate(
            waiting=Count("pk", filter=Q(status=S.OPEN, turn=Side.SELLER)),
            open=Count("pk", filter=Q(status=S.OPEN)),
            total=Count("pk"),
        )
        .order_by("-waiting", "-open", "vehicle_id")
    )
    return [
        {
            "vehicle_id": row["vehicle_id"],
            "title": " ".join(
                str(part)
                for part in (row["vehicle__year"], row["vehicle__make"], row["vehicle__model"], row["vehicle__trim"])
                if part
            ),
            "waiting": row["waiting"],
            "open": row["open"],
            "total": row["total"],
        }
        for row in rows
    ]


@dataclass(frozen=True)
class BuyerCard:
    """How the seller sees a buyer before acceptance."""

    alias: str
    verified: bool
    missing: list[str]
    purchases: int


def buyer_card(thread: OfferThread) -> BuyerCard:
    """The buyer's alias, whether they are verified (the bids' eligibility) and how many vehicles they bought
    here (auctions won and offers accepted)."""
    from accounts.selectors import bidding_eligibility
    from auctions.models import Auction

    eligibility = bidding_eligibility(thread.buyer)
    purchases = (
        Auction.objects.won().filter(winner_id=thread.buyer_id).count()
        + OfferThread.objects.accepted().filter(buyer_id=thread.buyer_id).count()
    )
    return BuyerCard(
        alias=thread.buyer_alias,
        verified=eligibility.ok,
        missing=[requirement.label for requirement in eligibility.missing],
        purchases=purchases,
    )


def buyer_name_for(thread: OfferThread, viewer: Any) -> str:
    """The buyer as `viewer` may see them: themselves, staff and (after acceptance) the seller see the name.
    The thread's seller sees the alias until acceptance even when they are staff too: on their own vehicle they
    are the seller (OFFERS.md "Privacy and notices")."""
    buyer = thread.buyer
    viewer_id = getattr(viewer, "pk", None)
    if viewer_id == thread.buyer_id or thread.status == S.ACCEPTED:
        return buyer.get_full_name() or buyer.display_name
    if viewer_id != thread.seller_id and getattr(viewer, "is_staff", False):
        return buyer.get_full_name() or buyer.display_name
    return thread.buyer_alias


def seller_name(thread: OfferThread) -> str:
    from vehicles.selectors import seller_public_name

    return seller_public_name(thread.seller)


def total_at(amount: Decimal | None, user: Any, *, request: Any = None, vehicle: Any = None) -> Any:
    """What the buyer would pay at `amount` (core.pricing, the bid form's preview), with door-to-door delivery to
    the ZIP the visitor was last quoted to, when there is one (vehicles.transport); None without an amount."""
    if amount is None:
        return None
    from core.pricing import purchase_breakdown
    from vehicles.transport import quote_for_request

    state = getattr(user, "state", "") if getattr(user, "is_authenticated", False) else ""
    delivery = quote_for_request(request, vehicle) if vehicle is not None else None
    return purchase_breakdown(price=amount, buyer_state=state or "", delivery=delivery)


def _purchase_total(price: Decimal, thread: OfferThread, request: Any) -> Any:
    """What the buyer pays at `price`; with delivery to the ZIP this request was quoted to, when it is the
    buyer's."""
    is_buyer = request is not None and getattr(getattr(request, "user", None), "pk", None) == thread.buyer_id
    return total_at(price, thread.buyer, request=request if is_buyer else None, vehicle=thread.vehicle)


@dataclass(frozen=True)
class AmountView:
    seq: int
    side: str
    who: str
    amount: Decimal
    created_at: datetime
    expires_at: datetime
    first_shown_at: datetime | None


@dataclass(frozen=True)
class ThreadView:
    """A thread as one viewer sees it: what happened, who is to act, by when, and what this viewer may do."""

    thread: OfferThread
    viewer_side: str | None
    buyer_name: str
    seller_name: str
    amounts: list[AmountView]
    waiting_on: str  # "you", "the seller", "the buyer", or "" once ended
    can_accept: bool
    can_decline: bool
    can_counter: bool
    can_withdraw: bool
    counter_range: rules.Range | None
    counters_left: int
    total: Any  # PurchaseBreakdown at the current amount (what the buyer would pay)
    buyer: BuyerCard | None  # for the seller and staff
    heading: str

    @property
    def seconds_left(self) -> int:
        return max(int((self.thread.expires_at - timezone.now()).total_seconds()), 0) if self.thread.is_open else 0


HEADINGS = {
    K.OFFER: "Offer",
    K.RESERVE_COUNTER: "Counter to the high bid",
    K.BEST_OFFER: "Best offer after the auction",
    K.SECOND_CHANCE: "Second-chance offer",
}


def thread_view(thread: OfferThread, viewer: Any, *, request: Any = None) -> ThreadView:
    side = thread.side_of(viewer)
    amounts = list(OfferAmount.objects.filter(thread=thread).order_by("seq"))
    buyer_label = buyer_name_for(thread, viewer)
    seller_label = seller_name(thread)

    def who(amount_side: str) -> str:
        if amount_side == side:
            return "You"
        return buyer_label if amount_side == Side.BUYER else seller_label

    my_turn = thread.is_open and side is not None and thread.turn == side
    latest = amounts[-1] if amounts else None
    view = None
    if my_turn and side is not None and latest is not None:
        own = [a.amount for a in amounts if a.side == side]
        view = rules.ThreadView(
            kind=thread.kind,
            turn=thread.turn,
            latest_side=latest.side,
            latest_amount=thread.amount,
            previous_own=own[-1] if own else None,
            counters_made=thread.counters_made(side),
            max_counters=thread.max_counters,
        )
    counter_range = rules.counter_range(view, buy_now=buy_now_price(thread)) if view else None
    counters_left = rules.counters_left(view) if view else 0
    if not thread.is_open:
        waiting_on = ""
    elif thread.turn == side:
        waiting_on = "you"
    else:
        waiting_on = "the seller" if thread.turn == Side.SELLER else "the buyer"
    return ThreadView(
        thread=thread,
        viewer_side=side,
        buyer_name=buyer_label,
        seller_name=seller_label,
        amounts=[
            AmountView(a.seq, a.side, who(a.side), a.amount, a.created_at, a.expires_at, a.first_shown_at)
            for a in amounts
        ],
        waiting_on=waiting_on,
        can_accept=my_turn,
        can_decline=my_turn,
        can_counter=bool(my_turn and counters_left and counter_range is not None and not counter_range.empty),
        can_withdraw=bool(
            thread.is_open and side is not None and thread.turn != side and latest and latest.first_shown_at is None
        ),
        counter_range=counter_range,
        counters_left=counters_left,
        total=_purchase_total(thread.accepted_amount or thread.amount, thread, request),
        buyer=buyer_card(thread) if (side == Side.SELLER or getattr(viewer, "is_staff", False)) else None,
        heading=HEADINGS[OfferThread.Kind(thread.kind)],
    )


def buy_now_price(thread: OfferThread) -> Decimal | None:
    """The buy-now price counters stay under (services.locking.Locked.buy_now_price, read without locks)."""
    from offers.services.locking import peek

    return peek(thread.vehicle).buy_now_price


def offer_rules_for(vehicle_id: int) -> OfferRules | None:
    return OfferRules.objects.filter(vehicle_id=vehicle_id).first()


def open_thread_for(vehicle_id: int, buyer: Any) -> OfferThread | None:
    if not getattr(buyer, "is_authenticated", False):
        return None
    return OfferThread.objects.open().for_vehicle(vehicle_id).filter(buyer=buyer).first()


def dashboard_counters(user: Any) -> dict[str, int]:
    """For GET /api/users/dashboard (settings.USER_DASHBOARD_COUNTERS): offers waiting for the user."""
    waiting = (
        OfferThread.objects.open().filter(Q(buyer=user, turn=Side.BUYER) | Q(seller=user, turn=Side.SELLER)).count()
    )
    return {"offers_waiting": waiting}
