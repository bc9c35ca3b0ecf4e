"""Voiding bids: staff void one bid; a suspended (or deactivated) bidder's bids on open auctions are voided
with the reason; the close never awards an ineligible leader. One implementation: `void_bids_locked`.

Accounts (a lower layer) names `void_bids_of_ineligible_user` among settings.ACCOUNT_SUSPENDED_TASKS and
starts it after a suspension commits; the beat sweep `ineligible_bids_void_sweep` is the safety net (a lost
task message, or a bid whose eligibility was read just before the suspension committed).
"""

from collections.abc import Sequence
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet

from auctions import engine
from auctions.models import Auction, AuctionEvent, Bid
from auctions.services import after_commit
from auctions.services.clock import db_now
from auctions.services.increments import increment_table
from auctions.services.lifecycle import event, is_staff, lock_auction
from core.errors import Conflict, DomainError, NotAllowed, NotFound

OPEN_STATUSES = (Auction.Status.LIVE, Auction.Status.SCHEDULED)
SUSPENDED_REASON = "The bidder's account was suspended"
INELIGIBLE = Q(bidder__suspended_at__isnull=False) | Q(bidder__is_active=False)


def ineligible_bids(auction_id: int) -> QuerySet[Bid]:
    """Bids still counting on this auction whose bidder is suspended or deactivated (staff-caused)."""
    return Bid.objects.filter(INELIGIBLE, auction_id=auction_id, voided_at__isnull=True)


def void_bids_locked(auction: Auction, bids: Sequence[Bid], *, actor: Any, reason: str) -> None:
    """Void `bids` and recompute the auction from the rest (engine replay), with an event row per bid; after
    commit: the room gets the new state and each bidder one notice. Precondition: the caller holds the
    auction's lock inside a transaction, the auction is open and `bids` belong to it and are not void."""
    if not bids:
        return
    increments = increment_table()
    now = db_now()
    for bid in bids:
        Bid.objects.filter(pk=bid.pk).update(
            voided_at=now, voided_by=actor if getattr(actor, "pk", None) else None, void_reason=reason
        )
    remaining = list(
        Bid.objects.filter(auction=auction, voided_at__isnull=True)
        .order_by("seq")
        .values_list("bidder_id", "max_amount", "seq", "bidder_number")
    )
    numbers = {bidder: number for bidder, _, _, number in remaining}
    state = engine.replay(
        auction.terms(increments), [engine.ReplayBid(b, amount, seq) for b, amount, seq, _ in remaining]
    )
    auction.set_state(state, auction.terms(increments))
    auction.leader_number = numbers.get(state.leader_id, 0)
    auction.version += 1  # last_seq stays: sequence numbers are never reused
    auction.save(
        update_fields=[
            "current_price",
            "leader",
            "leader_max",
            "leader_seq",
            "leader_number",
            "runner_up_max",
            "bid_count",
            "reserve_met",
            "version",
            "updated_at",
        ]
    )
    for bid in bids:
        event(
            auction,
            AuctionEvent.Kind.BID_VOIDED,
            actor=actor,
            from_status=auction.status,
            bid_seq=bid.seq,
            reason=reason,
        )
    told = {bid.bidder_id: bid.seq for bid in bids}  # one notice per bidder, about their latest voided bid
    for bidder_id, seq in told.items():
        transaction.on_commit(partial(after_commit.bid_voided, auction, bidder_id=bidder_id, seq=seq, reason=reason))


def bid_void(*, bid_id: int, actor: Any, reason: str) -> Auction:
    """Staff void a bid before close (with a reason); the state is recomputed by replaying the rest."""
    if not is_staff(actor):
        raise NotAllowed("Only staff can void a bid.", code="staff_only")
    if not reason or not reason.strip():
        raise DomainError("A reason is required to void a bid.", code="reason_required")
    auction_id = Bid.objects.filter(pk=bid_id).values_list("auction_id", flat=True).first()
    if auction_id is None:
        raise NotFound("Bid not found.", code="bid_not_found")
    with transaction.atomic(durable=True):
        auction = lock_auction(auction_id)  # the auction first, then its bids
        if not auction.is_open:
            raise Conflict("Bids can only be voided before the auction closes.", code="auction_closed")
        bid = Bid.objects.select_for_update().get(pk=bid_id)
        if bid.is_voided:
            raise Conflict("This bid is already void.", code="already_void")
        void_bids_locked(auction, [bid], actor=actor, reason=reason.strip())
    return auction


def void_bids_of_ineligible_user(*, user_id: int, actor: Any = None, reason: str = SUSPENDED_REASON) -> int:
    """Void every counting bid of this bidder on open auctions if they are suspended or deactivated (read under
    each auction's lock); each auction recomputes and its room and bidders are told. Idempotent; returns how
    many auctions changed. A bidder who is eligible again (reinstated meanwhile) keeps their bids."""
    auction_ids = list(
        Bid.objects.filter(bidder_id=user_id, voided_at__isnull=True, auction__status__in=OPEN_STATUSES)
        .order_by()
        .values_list("auction_id", flat=True)
        .distinct()
    )
    changed = 0
    for auction_id in sorted(auction_ids):
        with transaction.atomic(durable=True):
            auction = lock_auction(auction_id)
            if not auction.is_open:
                continue
            bids = list(ineligible_bids(auction_id).filter(bidder_id=user_id).select_for_update().order_by("seq"))
            if bids:
                void_bids_locked(auction, bids, actor=actor, reason=reason)
                changed += 1
    return changed


def ineligible_bids_void_sweep() -> int:
    """Beat: every suspended or deactivated bidder still counting on an open auction loses those bids."""
    user_ids = list(
        Bid.objects.filter(INELIGIBLE, voided_at__isnull=True, auction__status__in=OPEN_STATUSES)
        .order_by()
        .values_list("bidder_id", flat=True)
        .distinct()
    )
    return sum(void_bids_of_ineligible_user(user_id=user_id) for user_id in user_ids)
