"""What a buyer pays for a vehicle at a given price: one function for the bid form's preview,
the order and the invoice, so the three always agree (BIDDING.md, "After the sale").

CONTRACT: purchase_breakdown(*, price, buyer_state, delivery=None) -> PurchaseBreakdown
`delivery` is a `core.transport.TransportQuote`; with it the breakdown also says what the purchase costs
delivered ("with delivery to 55401: $X"): `transport_fee`, `delivery_zip` and `total_with_delivery`. `total`
stays the purchase alone (the invoice at the sale; transport is paid as its own payment when booked).

The arithmetic is `price_lines`, a pure function of the price, the fee schedule and the buyer's state fee;
`purchase_breakdown` reads those two and calls it. Callers that price many sales at once (the orders app's bulk
creation) read the schedule and the state fees once (`state_fees`) and call `price_lines` for each.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from core.models import FeeSchedule, StateFee
from core.money import ZERO, money

if TYPE_CHECKING:
    from core.transport import TransportQuote

DEFAULT_SCHEDULE = FeeSchedule(
    buyer_fee_rate=Decimal("0.0500"),
    buyer_fee_min=Decimal("250.00"),
    buyer_fee_max=Decimal("5000.00"),
    documentation_fee=Decimal("99.00"),
    late_fee=Decimal("50.00"),
    seller_fee_rate=Decimal("0.0250"),
    seller_fee_min=Decimal("100.00"),
    storage_fee_per_day=Decimal("25.00"),
    storage_free_business_days=5,
)


@dataclass(frozen=True)
class PurchaseBreakdown:
    vehicle_price: Decimal
    buyer_fee: Decimal
    documentation_fee: Decimal
    title_fee: Decimal
    sales_tax_rate: Decimal
    sales_tax: Decimal
    total: Decimal
    buyer_state: str
    tax_collected: bool
    transport_fee: Decimal = ZERO
    delivery_zip: str = ""
    total_with_delivery: Decimal = ZERO

    def as_strings(self) -> dict[str, str | bool]:
        """JSON-safe form: amounts as "1234.50" strings, never floats."""
        return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in asdict(self).items()}


def active_fee_schedule() -> FeeSchedule:
    return FeeSchedule.objects.filter(is_active=True).first() or DEFAULT_SCHEDULE


def buyer_fee(price: Decimal, schedule: FeeSchedule) -> Decimal:
    """Buyer fee: a percentage of the price, clamped to [min, max]."""
    fee = money(price * schedule.buyer_fee_rate)
    return min(max(fee, schedule.buyer_fee_min), schedule.buyer_fee_max)


def seller_fee(price: Decimal, schedule: FeeSchedule | None = None) -> Decimal:
    """The seller's fee on a sale: a percentage of the price, at least the minimum (FULFILLMENT.md)."""
    schedule = schedule or active_fee_schedule()
    return max(money(price * schedule.seller_fee_rate), money(schedule.seller_fee_min))


def state_code(state: str | None) -> str:
    """A buyer's state as the fee tables key it: "MN" for " mn"; "" for none."""
    return (state or "").strip().upper()


def state_fees(states: set[str]) -> dict[str, StateFee]:
    """The state fees of these states, by `state_code`, in one query (states without a row are absent)."""
    wanted = {state_code(state) for state in states} - {""}
    return {fee.state: fee for fee in StateFee.objects.filter(state__in=wanted)} if wanted else {}


def purchase_breakdown(
    *, price: Decimal, buyer_state: str, delivery: TransportQuote | None = None
) -> PurchaseBreakdown:
    """Every line the buyer pays at `price` (the active schedule and the buyer's state fee, read here)."""
    state = state_code(buyer_state)
    state_fee = StateFee.objects.filter(state=state).first() if state else None
    return price_lines(
        price=price, buyer_state=state, schedule=active_fee_schedule(), state_fee=state_fee, delivery=delivery
    )


def price_lines(
    *,
    price: Decimal,
    buyer_state: str,
    schedule: FeeSchedule,
    state_fee: StateFee | None,
    delivery: TransportQuote | None = None,
) -> PurchaseBreakdown:
    """The pure rule behind `purchase_breakdown`: every line the buyer pays at `price` under `schedule`, with
    `state_fee` the buyer's state's row (None: not collected at sale). Sales tax applies to the vehicle price
    only (not to transport). No I/O."""
    price = money(price)
    state = state_code(buyer_state)
    fee = buyer_fee(price, schedule)
    title_fee = state_fee.title_fee if state_fee else ZERO
    rate = state_fee.sales_tax_rate if state_fee else Decimal("0")
    tax = money(price * rate)
    total = money(price + fee + schedule.documentation_fee + title_fee + tax)
    return PurchaseBreakdown(
        vehicle_price=price,
        buyer_fee=fee,
        documentation_fee=money(schedule.documentation_fee),
        title_fee=money(title_fee),
        sales_tax_rate=rate,
        sales_tax=tax,
        total=total,
        buyer_state=state,
        tax_collected=state_fee is not None,
        transport_fee=delivery.price if delivery else ZERO,
        delivery_zip=delivery.destination_zip if delivery else "",
        total_with_delivery=money(total + delivery.price) if delivery else total,
    )
