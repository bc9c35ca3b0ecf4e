"""The auction rules of shared/BIDDING.md as pure functions: no database, no clock, no I/O.

The engine folds accepted bids one at a time into an `AuctionState`. Rule 1 ("each bidder's latest
max counts") needs only the leader's max and the runner-up's max, because every accepted max of a
bidder is higher than that bidder's previous one: a non-leader must bid at least the minimum next
bid, which is above the current price, which is never below any non-leader's max; the leader may
only raise. So the highest max among the others is the running maximum of the non-leading maxima.

`resolve_bid` is the strict path used by `bid_place` (it may reject). `replay` folds stored bids
leniently (they were all accepted once) and is what voiding a bid recomputes from.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

DEFAULT_INCREMENTS: tuple[tuple[Decimal, Decimal], ...] = (
    (Decimal("0"), Decimal("25")),
    (Decimal("1000"), Decimal("50")),
    (Decimal("5000"), Decimal("100")),
    (Decimal("25000"), Decimal("250")),
    (Decimal("50000"), Decimal("500")),
    (Decimal("100000"), Decimal("1000")),
)

IncrementTable = Sequence[tuple[Decimal, Decimal]]


def increment(price: Decimal, table: IncrementTable = DEFAULT_INCREMENTS) -> Decimal:
    """The increment for a price: the row with the highest `from` that is at most the price."""
    step = table[0][1]
    for start, amount in table:
        if price >= start:
            step = amount
        else:
            break
    return step


@dataclass(frozen=True)
class Terms:
    """What the seller set, and the house rules that apply to this auction."""

    starting_price: Decimal
    reserve_price: Decimal | None = None
    buy_now_price: Decimal | None = None
    increments: IncrementTable = DEFAULT_INCREMENTS
    soft_close_window: timedelta = timedelta(minutes=2)
    soft_close_extension: timedelta = timedelta(minutes=2)


@dataclass(frozen=True)
class AuctionState:
    """The resolved state. `current_price` is None until the first bid; `leader_seq` is the
    sequence number of the bid that set the leader's max (its place among equal maxima)."""

    current_price: Decimal | None = None
    leader_id: Any = None
    leader_max: Decimal | None = None
    leader_seq: int = 0
    runner_up_max: Decimal | None = None
    bid_count: int = 0
    last_seq: int = 0

    @property
    def has_bids(self) -> bool:
        return self.leader_id is not None


class Rejection(StrEnum):
    BELOW_MINIMUM = "below_minimum"
    NOT_ABOVE_OWN_MAX = "not_above_own_max"


@dataclass(frozen=True)
class BidOutcome:
    """The result of offering one max bid to the engine."""

    accepted: bool
    state: AuctionState
    rejection: Rejection | None = None
    minimum: Decimal | None = None
    previous_leader_id: Any = None

    @property
    def leader_changed(self) -> bool:
        return self.accepted and self.previous_leader_id != self.state.leader_id

    def is_leading(self, bidder_id: Any) -> bool:
        return self.state.leader_id == bidder_id


def minimum_next_bid(terms: Terms, state: AuctionState) -> Decimal:
    """The starting price when there are no bids; otherwise current price + increment(current price)."""
    if state.current_price is None or not state.has_bids:
        return terms.starting_price
    return state.current_price + increment(state.current_price, terms.increments)


def _reserve_jump(terms: Terms, leader_max: Decimal, price: Decimal) -> Decimal:
    """Rule 4: a leader whose max reaches the reserve pays at least the reserve."""
    if terms.reserve_price is not None and leader_max >= terms.reserve_price and price < terms.reserve_price:
        return terms.reserve_price
    return price


def contested_price(terms: Terms, leader_max: Decimal, runner_up_max: Decimal) -> Decimal:
    """Rule 3: min(leader's max, runner-up's max + increment(runner-up's max)); equal maxima pay that max."""
    if leader_max == runner_up_max:
        return leader_max
    return min(leader_max, runner_up_max + increment(runner_up_max, terms.increments))


def _apply(terms: Terms, state: AuctionState, bidder_id: Any, max_amount: Decimal, seq: int) -> AuctionState:
    """Fold one accepted max into the state (rules 1-5, without the acceptance check)."""
    base = replace(state, bid_count=state.bid_count + 1, last_seq=seq)
    if not state.has_bids:
        # Rule 2: one bidder pays the starting price (or the reserve, rule 4).
        price = _reserve_jump(terms, max_amount, terms.starting_price)
        return replace(base, current_price=price, leader_id=bidder_id, leader_max=max_amount, leader_seq=seq)
    assert state.leader_max is not None
    assert state.current_price is not None
    if bidder_id == state.leader_id:
        if max_amount <= state.leader_max:
            return base  # only reachable in a lenient replay; a lower max never replaces a higher one
        # Rule 5: raising your own max never moves the price, except through the reserve jump.
        price = _reserve_jump(terms, max_amount, state.current_price)
        return replace(base, current_price=price, leader_max=max_amount, leader_seq=seq)
    if max_amount > state.leader_max:
        runner_up = state.leader_max
        price = contested_price(terms, max_amount, runner_up)
        price = max(_reserve_jump(terms, max_amount, price), state.current_price)
        return replace(
            base,
            current_price=price,
            leader_id=bidder_id,
            leader_max=max_amount,
            leader_seq=seq,
            runner_up_max=runner_up,
        )
    # The leader keeps the lead: a higher max, or an equal max placed earlier (rule 1).
    runner_up = max_amount if state.runner_up_max is None else max(state.runner_up_max, max_amount)
    price = contested_price(terms, state.leader_max, runner_up)
    price = max(_reserve_jump(terms, state.leader_max, price), state.current_price)
    return replace(base, current_price=price, runner_up_max=runner_up)


def resolve_bid(
    terms: Terms, state: AuctionState, *, bidder_id: Any, max_amount: Decimal, seq: int | None = None
) -> BidOutcome:
    """Offer a new max bid (rule 5). Accepted bids return the new state; rejected ones say why.

    Eligibility, ownership and time (rule 6) are checked by the caller, which holds the auction lock.
    """
    seq = state.last_seq + 1 if seq is None else seq
    if state.has_bids and bidder_id == state.leader_id:
        assert state.leader_max is not None
        if max_amount <= state.leader_max:
            return BidOutcome(
                accepted=False,
                state=state,
                rejection=Rejection.NOT_ABOVE_OWN_MAX,
                minimum=state.leader_max,
                previous_leader_id=state.leader_id,
            )
    else:
        minimum = minimum_next_bid(terms, state)
        if max_amount < minimum:
            return BidOutcome(
                accepted=False,
                state=state,
                rejection=Rejection.BELOW_MINIMUM,
                minimum=minimum,
                previous_leader_id=state.leader_id,
            )
    new_state = _apply(terms, state, bidder_id, max_amount, seq)
    return BidOutcome(accepted=True, state=new_state, previous_leader_id=state.leader_id)


@dataclass(frozen=True)
class ReplayBid:
    bidder_id: Any
    max_amount: Decimal
    seq: int


def replay(terms: Terms, bids: Iterable[ReplayBid]) -> AuctionState:
    """Recompute the state from stored (non-voided) bids in sequence order, accepting each."""
    state = AuctionState()
    last_seq = 0
    for bid in sorted(bids, key=lambda b: b.seq):
        state = _apply(terms, state, bid.bidder_id, bid.max_amount, bid.seq)
        last_seq = bid.seq
    return replace(state, last_seq=last_seq)


def apply_reserve_change(terms: Terms, state: AuctionState) -> AuctionState:
    """After the seller lowers the reserve, the reserve jump applies at once if the leader's max reaches it."""
    if not state.has_bids or state.current_price is None or state.leader_max is None:
        return state
    return replace(state, current_price=_reserve_jump(terms, state.leader_max, state.current_price))


class ReserveStatus(StrEnum):
    NO_RESERVE = "no_reserve"
    NOT_MET = "not_met"
    MET = "met"


RESERVE_LABELS = {
    ReserveStatus.NO_RESERVE: "No reserve",
    ReserveStatus.NOT_MET: "Reserve not met",
    ReserveStatus.MET: "Reserve met",
}


def reserve_status(terms: Terms, state: AuctionState) -> ReserveStatus:
    if terms.reserve_price is None:
        return ReserveStatus.NO_RESERVE
    if state.current_price is not None and state.has_bids and state.current_price >= terms.reserve_price:
        return ReserveStatus.MET
    return ReserveStatus.NOT_MET


def buy_now_available(terms: Terms, state: AuctionState) -> bool:
    """Offered until the first bid that meets the reserve (or the first bid when there is no reserve)."""
    if terms.buy_now_price is None:
        return False
    if terms.reserve_price is None:
        return not state.has_bids
    return reserve_status(terms, state) is ReserveStatus.NOT_MET


def extended_end(terms: Terms, *, ends_at: datetime, accepted_at: datetime) -> datetime:
    """Soft close: a bid accepted within the window moves the end to acceptance + extension (if later)."""
    if ends_at - accepted_at <= terms.soft_close_window:
        return max(ends_at, accepted_at + terms.soft_close_extension)
    return ends_at


class CloseOutcome(StrEnum):
    SOLD = "sold"
    RESERVE_NOT_MET = "reserve_not_met"
    UNSOLD = "unsold"


def close_outcome(terms: Terms, state: AuctionState) -> CloseOutcome:
    """At close: sold with a bid and the reserve met (or none); reserve not met -> seller decides; no bids -> unsold."""
    if not state.has_bids:
        return CloseOutcome.UNSOLD
    if reserve_status(terms, state) is ReserveStatus.NOT_MET:
        return CloseOutcome.RESERVE_NOT_MET
    return CloseOutcome.SOLD
