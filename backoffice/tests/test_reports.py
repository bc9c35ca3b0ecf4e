"""Reports against hand-computed figures: sales, fees, payments; local (Central) days across DST; CSV."""

import csv
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from auctions.models import Auction
from backoffice.reports.periods import Range, transitions
from backoffice.reports.tables import fees_report, payments_report, sales_report
from orders.models import Order
from orders.services import order_create

pytestmark = pytest.mark.django_db
MARCH = Range(date(2026, 3, 1), date(2026, 3, 31))


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def march(order_factory, auction_factory, vehicle_factory, user_factory):
    """Four sales that stand and one cancelled; three auctions ended, one cancelled (hand-computed below)."""
    seller = user_factory(email="north@dealer.test")
    a = order_factory(price=Decimal("10000.00"), sold_at=at(2026, 3, 2, 18), seller=seller)  # Mon Mar 2
    b = order_factory(price=Decimal("20000.00"), sold_at=at(2026, 3, 8, 5, 30))  # Sat Mar 7, 11:30 pm CST
    c = order_factory(price=Decimal("30000.00"), sold_at=at(2026, 3, 9, 5, 30))  # Mon Mar 9, 12:30 am CDT
    car = vehicle_factory(status="sold")
    offer = order_create(
        source_type=Order.Source.OFFER, source_id=77, buyer=user_factory(), seller=car.seller, vehicle_id=car.pk,
        price=Decimal("4000.00"), sold_at=at(2026, 3, 20, 15),
    )  # fmt: skip
    gone = order_factory(price=Decimal("50000.00"), sold_at=at(2026, 3, 3, 15))
    Order.objects.filter(pk=gone.pk).update(status=Order.Status.CANCELLED)
    Order.objects.filter(pk=a.pk).update(late_fee=Decimal("50.00"), total=a.total + 50)
    ended = {"status": Auction.Status.ENDED, "closed_at": at(2026, 3, 10, 18)}
    auction_factory(outcome=Auction.Outcome.SOLD, **ended)
    auction_factory(outcome=Auction.Outcome.UNSOLD, seller_decision=Auction.Decision.DECLINED, **ended)
    auction_factory(outcome=Auction.Outcome.UNSOLD, **ended)
    auction_factory(status=Auction.Status.CANCELLED, closed_at=at(2026, 3, 10, 18))
    return {"a": a, "b": b, "c": c, "offer": offer}


def test_sales_by_month_match_the_hand_computed_figures(march):
    report = sales_report(MARCH, "month")
    (row,) = report.tables[0].rows
    assert row["period"] == "Mar 2026"
    assert row["sales"] == 4
    assert row["gmv"] == Decimal("64000.00")  # 10,000 + 20,000 + 30,000 + 4,000 (the cancelled sale is out)
    assert row["average_price"] == Decimal("16000.00")
    assert row["ended"] == 3
    assert row["sold"] == 1
    assert row["sell_through"] == Decimal("33.3")
    assert row["below_reserve"] == 1
    assert row["no_bids"] == 1
    assert row["offers_accepted"] == 1


APRIL = Range(date(2026, 4, 1), date(2026, 4, 30))


def test_orders_and_auctions_sold_each_count_what_their_label_says(auction_factory, user_factory):
    """Orders: sales that stand, every channel, by sale date. Auctions sold: auctions closed with a sale (hammer,
    accepted below reserve, bought now), by close date, whatever became of the order."""
    closed = at(2026, 4, 7, 18)

    def auction(outcome: str, **extra):
        return auction_factory(status=Auction.Status.ENDED, outcome=outcome, closed_at=closed, **extra)

    def order(source: str, source_id: int, vehicle, price: str, sold_at=closed) -> Order:
        return order_create(
            source_type=source, source_id=source_id, buyer=user_factory(), seller=vehicle.seller,
            vehicle_id=vehicle.pk, price=Decimal(price), sold_at=sold_at,
        )  # fmt: skip

    hammer = auction(Auction.Outcome.SOLD)
    order(Order.Source.AUCTION, hammer.pk, hammer.vehicle, "10000.00")
    bought_now = auction(Auction.Outcome.SOLD, sold_via_buy_now=True)
    order(Order.Source.BUY_NOW, bought_now.pk, bought_now.vehicle, "20000.00")
    accepted = auction(Auction.Outcome.SOLD, seller_decision=Auction.Decision.ACCEPTED)
    order(Order.Source.AUCTION, accepted.pk, accepted.vehicle, "5000.00", sold_at=at(2026, 4, 8, 15))
    undone = auction(Auction.Outcome.SOLD)
    gone = order(Order.Source.AUCTION, undone.pk, undone.vehicle, "40000.00")
    Order.objects.filter(pk=gone.pk).update(status=Order.Status.REFUNDED)
    best_offer = auction(Auction.Outcome.UNSOLD, seller_decision=Auction.Decision.BEST_OFFER)
    order(Order.Source.OFFER, 31, best_offer.vehicle, "7000.00")
    auction(Auction.Outcome.UNSOLD)  # no bids

    (row,) = sales_report(APRIL, "month").tables[0].rows
    assert row["sales"] == 4  # hammer, buy now, accepted below reserve, the offer (not the refunded one)
    assert (row["buy_now"], row["offers_accepted"]) == (1, 1)
    assert row["gmv"] == Decimal("42000.00")
    assert row["ended"] == 6
    assert row["sold"] == 4  # hammer, buy now, accepted below reserve, and the one refunded later
    assert row["sell_through"] == Decimal("66.7")
    assert (row["below_reserve"], row["accepted_below_reserve"], row["no_bids"]) == (2, 1, 1)
    days = {r["period"]: r for r in sales_report(APRIL, "day").tables[0].rows}
    assert days["Tue Apr 7, 2026"]["sold"] == 4
    assert days["Wed Apr 8, 2026"]["sales"] == 1  # the seller accepted the next day: the order's sale date
    labels = {column.key: column.label for column in sales_report(APRIL, "month").tables[0].columns}
    assert labels["sold"] == "Auctions sold"
    assert labels["sales"] == "Orders (all channels: auction, buy now, offers)"


def test_days_are_central_days_across_the_dst_change(march):
    rows = {row["period"]: row for row in sales_report(MARCH, "day").tables[0].rows}
    assert rows["Sat Mar 7, 2026"]["sales"] == 1  # 05:30 UTC on Mar 8 is still Mar 7 in Chicago (CST)
    assert rows["Mon Mar 9, 2026"]["sales"] == 1  # 05:30 UTC on Mar 9 is Mar 9 (CDT, not CST)
    assert "Sun Mar 8, 2026" not in rows
    spans = transitions(MARCH.start, MARCH.end)
    assert [delta for _, delta in spans] == [timedelta(hours=-6), timedelta(hours=-5)]


def test_sales_by_week_and_by_seller(march):
    weeks = {row["period"]: row["sales"] for row in sales_report(MARCH, "week").tables[0].rows if row["sales"]}
    assert weeks == {"Week of Mar 2, 2026": 2, "Week of Mar 9, 2026": 1, "Week of Mar 16, 2026": 1}
    sellers = {row["period"]: row for row in sales_report(MARCH, "seller").tables[0].rows}
    assert sellers["north@dealer.test"]["gmv"] == Decimal("10000.00")


def test_fees_earned_match_the_fee_schedule(march):
    report = fees_report(MARCH, "month")
    (row,) = report.tables[0].rows
    # buyer fee 5 %, minimum $250: 500 + 1,000 + 1,500 + 250; documentation $99 × 4; one late fee
    assert row["buyer_fee"] == Decimal("3250.00")
    assert row["documentation_fee"] == Decimal("396.00")
    assert row["late_fee"] == Decimal("50.00")
    assert row["total"] == Decimal("3696.00")


def test_payments_aging_and_late_payers(order_factory, user_factory):
    now = timezone.now()
    slow = user_factory(email="slow@buyer.test")
    order_factory(buyer=slow, price=Decimal("10000.00"), sold_at=now - timedelta(days=12))
    order_factory(buyer=slow, price=Decimal("10000.00"), sold_at=now - timedelta(days=30))
    order_factory(price=Decimal("8000.00"), sold_at=now)
    report = payments_report(Range(timezone.localdate() - timedelta(days=40), timezone.localdate()), "month", now=now)
    aging = {row["bucket"]: row for row in report.tables[0].rows}
    assert aging["Not due yet"]["orders"] == 1
    assert sum(row["orders"] for row in report.tables[0].rows) == 3
    assert report.tables[0].totals["owed"] == sum(o.total for o in Order.objects.all())
    payers = report.tables[2].rows
    assert payers[0]["buyer"] == "slow@buyer.test"
    assert payers[0]["late_orders"] == 2


def test_report_page_table_chart_and_csv(client, staff_user, march):
    client.force_login(staff_user)
    query = {"group": "month", "first": "2026-03-01", "last": "2026-03-31"}
    page = client.get("/admin/console/reports/sales/", query).content.decode()
    assert "$64,000.00" in page
    assert 'data-chart="chart-0"' in page
    assert "console_charts.js" in page
    response = client.get("/admin/console/reports/sales/", {**query, "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    header = rows[1]
    march_row = dict(zip(header, rows[2], strict=True))
    assert march_row["GMV"] == "64000.00"
    assert march_row["Orders (all channels: auction, buy now, offers)"] == "4"
    assert march_row["Auctions sold"] == "1"


def test_bad_report_input_is_a_form_error_not_a_500(client, staff_user):
    client.force_login(staff_user)
    response = client.get("/admin/console/reports/fees/", {"group": "year", "first": "2026-13-01", "last": "x"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    reversed_range = client.get(
        "/admin/console/reports/fees/", {"group": "day", "first": "2026-03-02", "last": "2026-03-01"}
    )
    assert reversed_range.status_code == 400
    assert client.get("/admin/console/reports/nope/").status_code == 404


def test_offset_spans_match_an_hour_by_hour_scan_over_three_years():
    """transitions() steps a week and halves to the hour; an hour-by-hour scan of the zone is the reference."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("America/Chicago")
    start, end = at(2024, 2, 3, 17, 30), at(2027, 1, 9, 6)
    expected = [(start, start.astimezone(zone).utcoffset())]
    moment = start.replace(minute=0) + timedelta(hours=1)
    while moment < end:
        offset = moment.astimezone(zone).utcoffset()
        if offset != expected[-1][1]:
            expected.append((moment, offset))
        moment += timedelta(hours=1)
    assert transitions(start, end) == expected
    assert len(expected) == 7  # two changes a year
