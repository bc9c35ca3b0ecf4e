"""One pricing function: buyer fee 5% clamped to [$250, $5,000], $99 documentation, title fee and tax by state."""

from decimal import Decimal

import pytest

from core.models import FeeSchedule, StateFee
from core.money import money
from core.pricing import purchase_breakdown


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("price", "fee"),
    [
        ("1000.00", "250.00"),
        ("5000.00", "250.00"),
        ("5001.00", "250.05"),
        ("20000.00", "1000.00"),
        ("150000.00", "5000.00"),
    ],
)
def test_buyer_fee_is_five_percent_clamped_to_min_and_max(price, fee):
    assert purchase_breakdown(price=Decimal(price), buyer_state="MN").buyer_fee == Decimal(fee)


@pytest.mark.django_db
def test_minnesota_buyer_pays_6875_percent_sales_tax_on_the_vehicle_price():
    breakdown = purchase_breakdown(price=Decimal("12345.67"), buyer_state="mn")
    assert breakdown.sales_tax_rate == Decimal("0.06875")
    assert breakdown.sales_tax == Decimal("848.76")  # 848.764...
    assert breakdown.documentation_fee == Decimal("99.00")
    assert breakdown.total == (
        breakdown.vehicle_price
        + breakdown.buyer_fee
        + breakdown.documentation_fee
        + breakdown.title_fee
        + breakdown.sales_tax
    )
    assert breakdown.tax_collected is True


@pytest.mark.django_db
def test_state_without_a_row_collects_no_tax_at_sale():
    breakdown = purchase_breakdown(price=Decimal("10000"), buyer_state="CA")
    assert breakdown.sales_tax == Decimal("0.00")
    assert breakdown.title_fee == Decimal("0.00")
    assert breakdown.tax_collected is False
    assert breakdown.total == Decimal("10599.00")


@pytest.mark.django_db
def test_staff_edits_to_the_tables_apply_at_once():
    FeeSchedule.objects.update(documentation_fee=Decimal("149.00"))
    StateFee.objects.filter(state="MN").update(title_fee=Decimal("20.75"))
    breakdown = purchase_breakdown(price=Decimal("10000"), buyer_state="MN")
    assert breakdown.documentation_fee == Decimal("149.00")
    assert breakdown.title_fee == Decimal("20.75")


@pytest.mark.django_db
def test_breakdown_serialises_amounts_as_strings_never_floats():
    data = purchase_breakdown(price=Decimal("5000"), buyer_state="MN").as_strings()
    assert data["total"] == "5701.00"  # 5000 + 250 + 99 + 8.25 + 343.75
    assert not any(isinstance(v, float) for v in data.values())


def test_money_rounds_half_up_and_refuses_floats():
    assert money(Decimal("0.005")) == Decimal("0.01")
    assert money("2.675") == Decimal("2.68")
    with pytest.raises(TypeError):
        money(1.5)  # type: ignore[arg-type]


@pytest.mark.django_db
def test_price_lines_is_the_rule_purchase_breakdown_applies_to_what_it_reads(django_assert_num_queries):
    from core.pricing import active_fee_schedule, price_lines, state_fees

    schedule = active_fee_schedule()
    fees = state_fees({"mn", " WI ", "", "ZZ"})
    assert set(fees) <= {"MN", "WI"}
    assert "MN" in fees
    with django_assert_num_queries(0):  # pure: many sales are priced on one read of the schedule and fees
        lines = {
            state: price_lines(
                price=Decimal("23456.78"), buyer_state=state, schedule=schedule, state_fee=fees.get(state)
            )
            for state in ("MN", "WI", "", "ZZ")
        }
    for state, line in lines.items():
        assert line == purchase_breakdown(price=Decimal("23456.78"), buyer_state=state)
