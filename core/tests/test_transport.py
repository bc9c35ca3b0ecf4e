"""Transport quotes (core/transport.py): lines that add up, marginal distance bands, surcharges, minimum,
estimated days, the staff-editable rate card, and ZIP codes that are malformed or do not exist."""

from decimal import Decimal

import pytest

from core.models import TransportRateBand, TransportRateCard
from core.pricing import purchase_breakdown
from core.transport import NoOrigin, ZipCodeError, distance_charge, percent, transport_quote

pytestmark = pytest.mark.django_db
BANDS = [(0, Decimal("1.60")), (200, Decimal("0.95")), (600, Decimal("0.70")), (1200, Decimal("0.55"))]


def test_minneapolis_to_chicago_is_base_plus_marginal_distance():
    quote = transport_quote(origin_zip="55401", destination_zip="60601")
    assert quote.straight_miles == 356
    assert quote.road_miles == 427  # 355.x straight-line miles × 1.20, rounded up
    # 200 mi × $1.60 + 227 mi × $0.95 = 320.00 + 215.65
    assert [(line.label, line.amount) for line in quote.lines] == [
        ("Dispatch and loading", Decimal("150.00")),
        ("Distance: 427 road miles", Decimal("535.65")),
    ]
    assert quote.price == Decimal("685.65")
    assert (quote.days_min, quote.days_max) == (2, 4)  # pickup 1–3 days, then 1 day of driving
    assert quote.destination.city == "Chicago"


@pytest.mark.parametrize(
    ("miles", "charge"),
    [(0, "0.00"), (1, "1.60"), (200, "320.00"), (201, "320.95"), (600, "700.00"), (1200, "1120.00"), (1300, "1175.00")],
)
def test_distance_bands_are_marginal_so_the_price_never_jumps_at_a_band_edge(miles, charge):
    assert distance_charge(miles, BANDS) == Decimal(charge)


def test_price_grows_with_distance_across_every_band_edge():
    charges = [distance_charge(miles, BANDS) for miles in range(0, 1500, 7)]
    assert charges == sorted(charges)


def test_enclosed_and_inoperable_add_their_surcharges_and_the_lines_add_up_to_the_cent():
    quote = transport_quote(origin_zip="55401", destination_zip="90210", enclosed=True, inoperable=True)
    labels = [line.label for line in quote.lines]
    assert "Enclosed trailer (40%)" in labels
    assert "Inoperable vehicle (winch loading)" in labels
    base, distance, enclosed, inoperable = (line.amount for line in quote.lines)
    assert enclosed == ((base + distance) * Decimal("0.4")).quantize(Decimal("0.01"))
    assert inoperable == Decimal("150.00")
    assert quote.price == base + distance + enclosed + inoperable
    assert quote.transport_type == "enclosed"


def test_a_short_hop_is_lifted_to_the_minimum_charge():
    quote = transport_quote(origin_zip="55401", destination_zip="55402")
    assert quote.price == Decimal("250.00")
    assert quote.lines[-1].label == "Minimum charge"
    assert sum(line.amount for line in quote.lines) == quote.price


def test_staff_edits_to_the_rate_card_change_the_next_quote():
    before = transport_quote(origin_zip="55401", destination_zip="60601").price
    card = TransportRateCard.objects.filter(is_active=True).latest("pk")
    card.base_price = Decimal("200.00")
    card.save()
    TransportRateBand.objects.filter(card=card, from_miles=0).update(per_mile=Decimal("2.00"))
    after = transport_quote(origin_zip="55401", destination_zip="60601").price
    assert after == before + Decimal("50.00") + 200 * Decimal("0.40")


@pytest.mark.parametrize(
    ("raw", "code"),
    [("", "zip_required"), ("5540", "invalid_zip"), ("55 401", "invalid_zip"), ("00000", "unknown_zip")],
)
def test_a_destination_that_is_malformed_or_does_not_exist_is_a_clear_error(raw, code):
    with pytest.raises(ZipCodeError) as caught:
        transport_quote(origin_zip="55401", destination_zip=raw)
    assert caught.value.code == code
    assert caught.value.status_code == 400
    assert caught.value.details["zip"] == [caught.value.message]


def test_zip_plus_four_is_accepted():
    assert transport_quote(origin_zip="55401", destination_zip="60601-1234").destination_zip == "60601"


def test_an_origin_without_a_known_zip_cannot_be_quoted():
    with pytest.raises(NoOrigin):
        transport_quote(origin_zip="", destination_zip="55401")


def test_purchase_total_can_include_delivery_and_tax_is_not_charged_on_transport():
    quote = transport_quote(origin_zip="55401", destination_zip="60601")
    plain = purchase_breakdown(price=Decimal("10000"), buyer_state="MN")
    delivered = purchase_breakdown(price=Decimal("10000"), buyer_state="MN", delivery=quote)
    assert delivered.total == plain.total
    assert delivered.sales_tax == plain.sales_tax
    assert delivered.transport_fee == quote.price
    assert delivered.delivery_zip == "60601"
    assert delivered.total_with_delivery == plain.total + quote.price
    assert plain.total_with_delivery == plain.total


def test_percent_reads_like_a_person_writes_it():
    assert percent(Decimal("0.4000")) == "40%"
    assert percent(Decimal("0.125")) == "12.5%"
