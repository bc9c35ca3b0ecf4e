"""Door-to-door transport quotes from one ZIP code to another (FULFILLMENT.md "Transport quote before the sale").

One function prices transport everywhere: the vehicle page's quote box, `GET /api/transport/quote`, the bid
form's and offer form's totals (through `core.pricing.purchase_breakdown(delivery=...)`) and the booking after
the sale (fulfillment charges exactly the quote the buyer confirmed).

The price, in lines that add up to it to the cent:
- dispatch and loading: the rate card's `base_price`;
- distance: road miles priced marginally by the card's bands (each band's per-mile rate applies to the miles
  between its start and the next band's start), where road miles = straight-line miles between the two ZIP
  codes' centres (`core.geo`) × the card's `road_factor`, rounded up to a whole mile;
- enclosed trailer: `enclosed_surcharge_rate` × (dispatch + distance), when asked for;
- inoperable: `inoperable_surcharge`, when the vehicle does not run;
- minimum charge: whatever lifts the sum to `minimum_price`.
Estimated days: pickup within `pickup_days_min`..`pickup_days_max` days, then one day per `miles_per_day` road
miles (rounded up).

CONTRACT: transport_quote(*, origin_zip, destination_zip, enclosed=False, inoperable=False) -> TransportQuote;
raises ZipCodeError (400, details {"zip": [...]}) for a destination that is malformed or does not exist, and
NoOrigin (409) when the origin is not a known ZIP code.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Subquery

from core.errors import Conflict, DomainError
from core.geo import ZIP_CODE, ZipPoint, miles_between, zip_point
from core.models import TransportRateBand, TransportRateCard
from core.money import ZERO, money

OPEN = "open"
ENCLOSED = "enclosed"

DEFAULT_CARD = TransportRateCard(
    name="Standard",
    base_price=Decimal("150.00"),
    minimum_price=Decimal("250.00"),
    enclosed_surcharge_rate=Decimal("0.4000"),
    inoperable_surcharge=Decimal("150.00"),
    road_factor=Decimal("1.20"),
    miles_per_day=450,
    pickup_days_min=1,
    pickup_days_max=3,
)
# (from road miles, dollars per mile): short hauls cost more per mile than long ones.
DEFAULT_BANDS = (
    (0, Decimal("1.60")),
    (200, Decimal("0.95")),
    (600, Decimal("0.70")),
    (1200, Decimal("0.55")),
)


class ZipCodeError(DomainError):
    """The ZIP code the buyer gave is malformed or does not exist."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message, code=code, details={"zip": [message]})


class NoOrigin(Conflict):
    """The vehicle's location is not a ZIP code we know: no quote can be computed."""

    code = "no_origin"


@dataclass(frozen=True, slots=True)
class QuoteLine:
    label: str
    amount: Decimal


@dataclass(frozen=True)
class TransportQuote:
    origin: ZipPoint
    destination: ZipPoint
    straight_miles: int
    road_miles: int
    transport_type: str  # OPEN or ENCLOSED
    inoperable: bool
    lines: tuple[QuoteLine, ...]
    price: Decimal
    days_min: int
    days_max: int
    rate_card_id: int | None

    @property
    def destination_zip(self) -> str:
        return self.destination.zip_code

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe form: amounts as "1234.50" strings, never floats."""
        return {
            "origin": _place(self.origin),
            "destination": _place(self.destination),
            "straight_miles": self.straight_miles,
            "road_miles": self.road_miles,
            "transport_type": self.transport_type,
            "inoperable": self.inoperable,
            "lines": [{"label": line.label, "amount": str(line.amount)} for line in self.lines],
            "price": str(self.price),
            "days_min": self.days_min,
            "days_max": self.days_max,
            "summary": self.summary,
        }

    @property
    def summary(self) -> str:
        """The quote in one line: "$684.70 to 55401 (Minneapolis, MN), 2–4 days"."""
        place = f" ({self.destination.city.title()}, {self.destination.state})" if self.destination.city else ""
        return f"${self.price:,} to {self.destination.zip_code}{place}, {self.days_min}–{self.days_max} days"


def percent(rate: Decimal) -> str:
    """0.4000 -> "40%", 0.125 -> "12.5%"."""
    return f"{format((rate * 100).quantize(Decimal('0.01')).normalize(), 'f')}%"


def _place(point: ZipPoint) -> dict[str, str]:
    return {"zip": point.zip_code, "city": point.city.title(), "state": point.state}


def destination_point(raw: str | None) -> ZipPoint:
    """The point of a ZIP code the buyer typed; ZipCodeError says whether it is malformed or unknown."""
    text = (raw or "").strip()
    if not text:
        raise ZipCodeError("Enter the ZIP code to deliver to.", code="zip_required")
    if not ZIP_CODE.fullmatch(text):
        raise ZipCodeError("Enter a 5-digit US ZIP code, like 55401.", code="invalid_zip")
    point = zip_point(text)
    if point is None:
        raise ZipCodeError(f"There is no US ZIP code {text[:5]}. Check the number and try again.", code="unknown_zip")
    return point


def active_rate_card() -> tuple[TransportRateCard, list[tuple[int, Decimal]]]:
    """The newest active rate card and its bands, lowest first (the built-in defaults when none is saved)."""
    # performance: one query (the bands joined to their card, the card chosen by a subquery), not two.
    newest = TransportRateCard.objects.filter(is_active=True).order_by("-pk").values("pk")[:1]
    rows = list(TransportRateBand.objects.filter(card=Subquery(newest)).select_related("card").order_by("from_miles"))
    if rows:
        return rows[0].card, [(row.from_miles, row.per_mile) for row in rows]
    card = TransportRateCard.objects.filter(is_active=True).order_by("-pk").first()  # a card without bands
    return card or DEFAULT_CARD, list(DEFAULT_BANDS)


def distance_charge(road_miles: int, bands: Sequence[tuple[int, Decimal]]) -> Decimal:
    """Marginal pricing: each band's rate applies to the miles from its start to the next band's start.
    The first band is taken to start at 0 whatever its `from_miles` says."""
    total = Decimal("0")
    for index, (start, per_mile) in enumerate(bands):
        start = 0 if index == 0 else start
        if road_miles <= start:
            break
        end = bands[index + 1][0] if index + 1 < len(bands) else road_miles
        total += (min(road_miles, end) - start) * per_mile
    return money(total)


def road_miles_between(origin: ZipPoint, destination: ZipPoint, road_factor: Decimal) -> tuple[int, int]:
    """(straight-line miles, estimated road miles), both whole miles rounded up."""
    straight = Decimal(str(round(miles_between(origin, destination), 1)))
    return math.ceil(straight), math.ceil(straight * road_factor)


def transport_quote(
    *, origin_zip: str, destination_zip: str, enclosed: bool = False, inoperable: bool = False
) -> TransportQuote:
    origin = zip_point(origin_zip)
    if origin is None:
        raise NoOrigin("This vehicle's location has no ZIP code we know, so we can't quote transport online yet.")
    destination = destination_point(destination_zip)
    card, bands = active_rate_card()
    straight, road = road_miles_between(origin, destination, card.road_factor)
    base = money(card.base_price)
    distance = distance_charge(road, bands)
    miles = f"{road:,} road mile{'' if road == 1 else 's'}"
    lines = [QuoteLine("Dispatch and loading", base), QuoteLine(f"Distance: {miles}", distance)]
    if enclosed:
        rate = card.enclosed_surcharge_rate
        lines.append(QuoteLine(f"Enclosed trailer ({percent(rate)})", money((base + distance) * rate)))
    if inoperable:
        lines.append(QuoteLine("Inoperable vehicle (winch loading)", money(card.inoperable_surcharge)))
    subtotal = sum((line.amount for line in lines), ZERO)
    if subtotal < card.minimum_price:
        lines.append(QuoteLine("Minimum charge", money(card.minimum_price - subtotal)))
    transit_days = max(1, math.ceil(road / card.miles_per_day))
    return TransportQuote(
        origin=origin,
        destination=destination,
        straight_miles=straight,
        road_miles=road,
        transport_type=ENCLOSED if enclosed else OPEN,
        inoperable=inoperable,
        lines=tuple(lines),
        price=sum((line.amount for line in lines), ZERO),
        days_min=card.pickup_days_min + transit_days,
        days_max=card.pickup_days_max + transit_days,
        rate_card_id=card.pk,
    )
