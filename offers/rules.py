"""OFFERS.md as pure functions: windows, who may act, the amounts a counter may take. No I/O.

Services call these under the vehicle's lock with the database clock; pages call them to explain the limits
("between $8,100 and $8,900") before anyone submits.
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from core.errors import Conflict, DomainError, NotAllowed

OFFER_WINDOW = timedelta(hours=48)  # each amount waits this long for an answer
RESERVE_COUNTER_WINDOW = timedelta(hours=24)  # the seller's counter to the high bid (reserve not met)
SECOND_CHANCE_WINDOW = timedelta(hours=48)  # the runner-up's time to accept
REMINDER_BEFORE = timedelta(hours=12)  # the side whose turn it is is reminded this long before expiry
MAX_COUNTERS = 3  # per side, per thread

BUYER = "buyer"
SELLER = "seller"


class CounterOutOfRange(DomainError):
    code = "counter_out_of_range"


@dataclass(frozen=True)
class ThreadView:
    """What the rules need to know about a thread (a row or a plan for one)."""

    kind: str
    turn: str  # the side to act
    latest_side: str  # who wrote the latest amount
    latest_amount: Decimal
    previous_own: Decimal | None  # the acting side's own latest amount, if any
    counters_made: int  # by the acting side
    max_counters: int


@dataclass(frozen=True)
class Range:
    """A counter must be above `low` (exclusive) and at most / below `high` (inclusive when `high_inclusive`)."""

    low: Decimal
    high: Decimal | None
    high_inclusive: bool

    def contains(self, amount: Decimal) -> bool:
        if amount <= self.low:
            return False
        if self.high is None:
            return True
        return amount <= self.high if self.high_inclusive else amount < self.high

    def describe(self) -> str:
        if self.high is None:
            return f"above ${self.low:,.2f}"
        top = f"at most ${self.high:,.2f}" if self.high_inclusive else f"below ${self.high:,.2f}"
        return f"above ${self.low:,.2f} and {top}"

    @property
    def empty(self) -> bool:
        if self.high is None:
            return False
        smallest = self.low + Decimal("0.01")
        return smallest > self.high if self.high_inclusive else smallest >= self.high


def check_opening_amount(amount: Decimal, *, buy_now: Decimal | None) -> None:
    """An offer is positive (the grammar sees to that) and below the buy-now price when there is one."""
    if buy_now is not None and amount >= buy_now:
        raise Conflict(
            f"The buy-now price is ${buy_now:,.2f}: offers must be below it. Buy it now instead.",
            code="use_buy_now",
            details={"buy_now_price": str(buy_now)},
        )


def counter_range(view: ThreadView, *, buy_now: Decimal | None) -> Range:
    """Counters converge. The seller's: above the buyer's latest amount, below the seller's previous counter (if
    any). The buyer's: above their own previous amount, below the seller's latest counter. Never above buy now."""
    if view.turn == SELLER:
        high = view.previous_own
        if buy_now is not None and (high is None or buy_now < high):
            return Range(low=view.latest_amount, high=buy_now, high_inclusive=True)
        return Range(low=view.latest_amount, high=high, high_inclusive=False)
    low = view.previous_own if view.previous_own is not None else Decimal("0")
    high = view.latest_amount
    if buy_now is not None and buy_now < high:
        return Range(low=low, high=buy_now, high_inclusive=True)
    return Range(low=low, high=high, high_inclusive=False)


def counters_left(view: ThreadView) -> int:
    return max(view.max_counters - view.counters_made, 0)


def check_counter(view: ThreadView, amount: Decimal, *, buy_now: Decimal | None) -> None:
    """Raises `counter_limit` or `counter_out_of_range` (with the range in details)."""
    if counters_left(view) == 0:
        if view.max_counters == 0:
            raise Conflict("This offer cannot be countered: accept or decline it.", code="counter_limit")
        raise Conflict(
            f"Each side may counter at most {view.max_counters} times: accept or decline instead.",
            code="counter_limit",
        )
    allowed = counter_range(view, buy_now=buy_now)
    if not allowed.contains(amount):
        raise CounterOutOfRange(
            f"Your counter must be {allowed.describe()}.",
            details={
                "amount": [f"must be {allowed.describe()}"],
                "min_exclusive": str(allowed.low),
                "max": str(allowed.high) if allowed.high is not None else None,
                "max_inclusive": allowed.high_inclusive,
            },
        )


def check_turn(*, turn: str, side: str | None) -> None:
    if side is None:
        raise NotAllowed("This offer is between another buyer and the seller.", code="not_party")
    if turn != side:
        raise Conflict("It is the other side's turn: wait for their answer.", code="not_your_turn")


def check_reserve_counter(amount: Decimal, *, high_bid: Decimal, reserve: Decimal) -> None:
    """The seller's counter after a reserve-not-met close: above the high bid and at most the reserve."""
    if not high_bid < amount <= reserve:
        allowed = Range(low=high_bid, high=reserve, high_inclusive=True)
        raise CounterOutOfRange(
            f"Your counter must be {allowed.describe()} (your reserve).",
            details={"amount": [f"must be {allowed.describe()}"], "min_exclusive": str(high_bid), "max": str(reserve)},
        )


def check_best_offer(amount: Decimal, *, high_bid: Decimal) -> None:
    """The high bidder's one best offer: above their high bid."""
    if amount <= high_bid:
        raise CounterOutOfRange(
            f"Your best offer must be above your high bid of ${high_bid:,.2f}.",
            details={"amount": [f"must be above ${high_bid:,.2f}"], "min_exclusive": str(high_bid)},
        )
