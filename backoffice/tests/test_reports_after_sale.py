"""Reports after the sale against hand-computed figures: seller and storage fees, title turnaround and delivery
times, claims rate and outcomes (by month and by seller)."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from backoffice.reports.after_sale import claims_report, fulfillment_report
from backoffice.reports.periods import Range
from backoffice.reports.tables import fees_report
from fulfillment.models import Claim, Fulfillment
from orders.models import Order

pytestmark = pytest.mark.django_db
APRIL = Range(date(2026, 4, 1), date(2026, 4, 30))


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def april(paid_order):
    """Three paid sales: titles issued after 10 and 20 days (one of them late), deliveries after 4 (pickup) and
    8 days (transport); two claims on the first seller's sales (one decided with a $500 refund)."""
    orders = [paid_order(price=Decimal("10000.00")), paid_order(price=Decimal("3000.00")), paid_order()]
    start = at(2026, 4, 1, 15)
    for order, title_days, delivery_days, method in (
        (orders[0], 10, 4, "pickup"),
        (orders[1], 20, 8, "transport"),
    ):
        Fulfillment.objects.filter(order=order).update(
            started_at=start, title_promised_by=start + timedelta(days=15),
            title_issued_at=start + timedelta(days=title_days), delivered_at=start + timedelta(days=delivery_days),
            delivery_method=method,
        )  # fmt: skip
        Order.objects.filter(pk=order.pk).update(sold_at=start - timedelta(hours=1))
    Order.objects.filter(pk=orders[2].pk).update(sold_at=at(2026, 5, 20, 15))  # outside April
    Order.objects.filter(pk=orders[0].pk).update(storage_fee=Decimal("75.00"))
    for order, outcome, refunded in ((orders[0], "partial_refund", "500.00"), (orders[1], "", "0")):
        Claim.objects.create(
            order=order, buyer=order.buyer, seller=order.seller, category="damage", description="x" * 20,
            status="decided" if outcome else "awaiting_seller", outcome=outcome, refunded=Decimal(refunded),
            opened_at=start + timedelta(days=9), seller_due_at=start + timedelta(days=11),
        )  # fmt: skip
    return orders


def test_fees_include_the_seller_fee_and_storage(april):
    (row,) = fees_report(APRIL, "month").tables[0].rows
    assert row["orders"] == 2
    assert row["seller_fee"] == Decimal("350.00")  # 2.5 % of 10,000 = 250, and the $100 minimum on 3,000
    assert row["storage_fee"] == Decimal("75.00")
    assert row["total"] == row["buyer_fee"] + row["documentation_fee"] + Decimal("350.00") + Decimal("75.00")


def test_title_turnaround_and_delivery_times(april):
    titles, deliveries = fulfillment_report(APRIL, "month").tables
    (t,) = titles.rows
    assert (t["titles"], t["average_days"], t["on_time"], t["on_time_share"]) == (
        2,
        Decimal("15.0"),
        1,
        Decimal("50.0"),
    )
    (d,) = deliveries.rows
    assert (d["deliveries"], d["average_days"], d["pickups"], d["transports"]) == (2, Decimal("6.0"), 1, 1)
    assert d["transport_days"] == Decimal("8.0")
    by_seller = fulfillment_report(APRIL, "seller").tables[0].rows
    assert sorted(row["average_days"] for row in by_seller) == [Decimal("10.0"), Decimal("20.0")]


def test_claims_rate_and_outcomes(april):
    (row,) = claims_report(APRIL, "month").tables[0].rows
    assert (row["deliveries"], row["claims"], row["rate"]) == (2, 2, Decimal("100.0"))
    assert (row["open"], row["partial_refund"], row["denied"]) == (1, 1, 0)
    assert row["refunded"] == Decimal("500.00")
    by_seller = {r["period"]: r for r in claims_report(APRIL, "seller").tables[0].rows}
    assert by_seller[april[0].seller.email]["refunded"] == Decimal("500.00")
    assert by_seller[april[1].seller.email]["claims"] == 1


def test_the_new_reports_render_with_csv(console, april):
    client = console("finance")
    for name in ("fulfillment", "claims"):
        page = client.get(
            f"/admin/console/reports/{name}/", {"group": "week", "first": "2026-04-01", "last": "2026-04-30"}
        )
        assert page.status_code == 200
        csv = client.get(
            f"/admin/console/reports/{name}/",
            {"group": "month", "first": "2026-04-01", "last": "2026-04-30", "format": "csv"},
        )
        assert csv.status_code == 200
        assert "Total" in csv.content.decode()
