"""Report tables: what each report computes, as rows of plain values (Decimal money, ints, dates)."""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Case, Count, DateField, DecimalField, F, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce, TruncMonth, TruncWeek
from django.utils import timezone

from auctions.models import Auction
from backoffice.reports.periods import Range, bucket, bucket_label, local_day
from orders.models import Order

ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=14, decimal_places=2)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "int"  # text, int, money, percent


@dataclass
class Table:
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    totals: dict[str, Any] | None = None
    chart: tuple[str, str] | None = None  # (label column, value column)
    note: str = ""


@dataclass
class Report:
    name: str
    title: str
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _money_sum(name: str, **filters: Any) -> Coalesce:
    return Coalesce(Sum(name, filter=Q(**filters) if filters else None), Value(ZERO), output_field=MONEY)


def earned_orders(span: Range) -> QuerySet[Order]:
    """Sales that stand: sold in the range, not cancelled or refunded in full."""
    return Order.objects.filter(sold_at__gte=span.start, sold_at__lt=span.end).exclude(
        status__in=[Order.Status.CANCELLED, Order.Status.REFUNDED]
    )


def _grouped(
    queryset: QuerySet[Any], date_field: str, grain: str, span: Range, seller_field: str, aggregates: dict[str, Any]
) -> dict[Any, dict[str, Any]]:
    """{key: {aggregate: value}} where key is a period start (date) or a seller (id, email)."""
    out: dict[Any, dict[str, Any]] = defaultdict(dict)
    if grain == "seller":
        # Grouped by the id alone (no join while aggregating); the few emails are read afterwards.
        rows = list(queryset.values(seller_field).annotate(**aggregates).order_by())
        emails = _emails([row[seller_field] for row in rows])
        for row in rows:
            key = (row[seller_field], emails.get(row[seller_field], f"user {row[seller_field]}"))
            out[key] = {name: row[name] for name in aggregates}
        return out
    day: Any = local_day(date_field, span.start, span.end)
    # Weeks and months are grouped in SQL by their first day: a few dozen rows come back instead of one per day
    # (730 for two years by month), each converted in Python, per query.
    period = {"week": TruncWeek, "month": TruncMonth}.get(grain)
    rows = (
        queryset.annotate(local_date=period(day, output_field=DateField()) if period else day)
        .values("local_date")
        .annotate(**aggregates)
        .order_by()
    )
    for row in rows:
        day = row["local_date"]
        if isinstance(day, str):  # SQLite returns text
            day = date.fromisoformat(day)
        if isinstance(day, datetime):
            day = day.date()
        target = out[bucket(day, grain)]
        for name in aggregates:
            value = row[name]
            if value is None:
                target.setdefault(name, None)
            else:  # numbers and durations (a timedelta does not add to 0)
                target[name] = value if target.get(name) is None else target[name] + value
    return out


def _emails(user_ids: list[int]) -> dict[int, str]:
    from accounts.models import User

    return dict(User.objects.filter(pk__in=user_ids).values_list("pk", "email"))


def _keys_in_order(grain: str, *groups: dict[Any, Any]) -> list[Any]:
    keys = set().union(*groups)
    if grain == "seller":
        return sorted(keys, key=lambda k: k[1] or "")
    return sorted(keys)


def _label(key: Any, grain: str) -> str:
    return str(key[1]) if grain == "seller" else bucket_label(key, grain)


def _ratio(part: Any, whole: Any) -> Decimal | None:
    return (Decimal(part) / Decimal(whole) * 100).quantize(Decimal("0.1")) if whole else None


def sales_report(span: Range, grain: str) -> Report:
    orders = _grouped(
        earned_orders(span), "sold_at", grain, span, "seller",
        {
            "sales": Count("pk"),
            "gmv": _money_sum("vehicle_price"),
            "offers_accepted": Count("pk", filter=Q(source_type=Order.Source.OFFER)),
            "buy_now": Count("pk", filter=Q(source_type=Order.Source.BUY_NOW)),
        },
    )  # fmt: skip
    closed = Auction.objects.filter(status=Auction.Status.ENDED, closed_at__gte=span.start, closed_at__lt=span.end)
    auctions = _grouped(
        closed, "closed_at", grain, span, "seller",
        {
            "ended": Count("pk"),
            "sold": Count("pk", filter=Q(outcome=Auction.Outcome.SOLD)),
            "below_reserve": Count(
                "pk", filter=Q(outcome=Auction.Outcome.RESERVE_NOT_MET) | ~Q(seller_decision=Auction.Decision.NONE)
            ),
            "accepted_below_reserve": Count("pk", filter=Q(seller_decision=Auction.Decision.ACCEPTED)),
            "no_bids": Count("pk", filter=Q(outcome=Auction.Outcome.UNSOLD, seller_decision=Auction.Decision.NONE)),
        },
    )  # fmt: skip
    rows = []
    for key in _keys_in_order(grain, orders, auctions):
        o, a = orders.get(key, {}), auctions.get(key, {})
        sales, gmv = int(o.get("sales") or 0), Decimal(o.get("gmv") or ZERO)
        ended, sold = int(a.get("ended") or 0), int(a.get("sold") or 0)
        rows.append(
            {
                "period": _label(key, grain),
                "sales": sales,
                "gmv": gmv,
                "average_price": (gmv / sales).quantize(Decimal("0.01")) if sales else None,
                "ended": ended,
                "sold": sold,
                "sell_through": _ratio(sold, ended),
                "below_reserve": int(a.get("below_reserve") or 0),
                "accepted_below_reserve": int(a.get("accepted_below_reserve") or 0),
                "no_bids": int(a.get("no_bids") or 0),
                "offers_accepted": int(o.get("offers_accepted") or 0),
                "buy_now": int(o.get("buy_now") or 0),
            }
        )
    totals = _sum_rows(
        rows,
        [
            "sales",
            "gmv",
            "ended",
            "sold",
            "below_reserve",
            "accepted_below_reserve",
            "no_bids",
            "offers_accepted",
            "buy_now",
        ],
    )
    totals["period"] = "Total"
    totals["average_price"] = (totals["gmv"] / totals["sales"]).quantize(Decimal("0.01")) if totals["sales"] else None
    totals["sell_through"] = _ratio(totals["sold"], totals["ended"])
    columns = [
        Column("period", "Seller" if grain == "seller" else "Period", "text"),
        Column("sales", "Orders (all channels: auction, buy now, offers)"),
        Column("buy_now", "…of which bought now"),
        Column("offers_accepted", "…of which from accepted offers"),
        Column("gmv", "GMV", "money"),
        Column("average_price", "Average price", "money"),
        Column("ended", "Auctions ended"),
        Column("sold", "Auctions sold"),
        Column("sell_through", "Sell-through %", "percent"),
        Column("below_reserve", "Reserve not met"),
        Column("accepted_below_reserve", "…then accepted by seller"),
        Column("no_bids", "No bids"),
    ]
    table = Table("Sales", columns, rows, totals, chart=("period", "gmv"))
    return Report(
        "sales", "Sales", [table],
        notes=[
            "Orders: every sale that stands (not cancelled, not refunded in full), by its sale date, whatever the "
            "channel: an auction won on the hammer or accepted below reserve, buy now, or an accepted offer. GMV "
            "and the average price are the vehicle prices of these orders.",
            "Auctions sold: auctions that closed in the period with a sale (on the hammer, accepted below reserve "
            "by the seller, or bought now), by the day they closed, whether or not the sale later stood.",
            "Why the two differ: a sale from an offer (also one after an auction without a sale) is an order but "
            "no auction sold; a sale cancelled or refunded in full later stays an auction sold but is no longer an "
            "order; a below-reserve bid the seller accepts the next day is an order on the day of acceptance.",
            "Sell-through = auctions sold ÷ auctions ended in the period (cancelled auctions are not counted).",
        ],
    )  # fmt: skip


def fees_report(span: Range, grain: str) -> Report:
    fees = _grouped(
        earned_orders(span), "sold_at", grain, span, "seller",
        {
            "orders": Count("pk"),
            "buyer_fee": _money_sum("buyer_fee"),
            "documentation_fee": _money_sum("documentation_fee"),
            "late_fee": _money_sum("late_fee"),
            "seller_fee": _money_sum("seller_fee"),
            "storage_fee": _money_sum("storage_fee"),
        },
    )  # fmt: skip
    rows = []
    for key in _keys_in_order(grain, fees):
        f = fees[key]
        row: dict[str, Any] = {
            "period": _label(key, grain),
            "orders": int(f.get("orders") or 0),
            **{name: Decimal(f.get(name) or ZERO) for name in FEE_LINES},
        }
        row["total"] = sum((row[name] for name in FEE_LINES), ZERO)
        rows.append(row)
    totals = _sum_rows(rows, ["orders", *FEE_LINES, "total"])
    totals["period"] = "Total"
    columns = [
        Column("period", "Seller" if grain == "seller" else "Period", "text"),
        Column("orders", "Orders"),
        Column("buyer_fee", "Buyer fees", "money"),
        Column("documentation_fee", "Documentation fees", "money"),
        Column("seller_fee", "Seller fees", "money"),
        Column("late_fee", "Late fees", "money"),
        Column("storage_fee", "Storage fees", "money"),
        Column("total", "Total", "money"),
    ]
    return Report(
        "fees", "Fees earned", [Table("Fees earned", columns, rows, totals, chart=("period", "total"))],
        notes=[
            "Fees of sales that stand (not cancelled, not refunded in full), by sale date. Seller fees are charged "
            "when the buyer pays; storage is what was charged to buyers after the free pickup days.",
        ],
    )  # fmt: skip


FEE_LINES = ("buyer_fee", "documentation_fee", "seller_fee", "late_fee", "storage_fee")


AGING_BUCKETS: list[tuple[str, str, Callable[[datetime], Q]]] = [
    ("not_due", "Not due yet", lambda now: Q(due_at__gte=now)),
    ("1_2", "1–2 days late", lambda now: Q(due_at__lt=now, due_at__gte=now - timedelta(days=2))),
    ("3_5", "3–5 days late", lambda now: Q(due_at__lt=now - timedelta(days=2), due_at__gte=now - timedelta(days=5))),
    ("6_14", "6–14 days late", lambda now: Q(due_at__lt=now - timedelta(days=5), due_at__gte=now - timedelta(days=14))),
    ("15_plus", "15 days or more late", lambda now: Q(due_at__lt=now - timedelta(days=14))),
]
LATE_PAYER_LIMIT = 100


def payments_report(span: Range, grain: str, now: datetime | None = None) -> Report:
    now = now or timezone.now()
    open_orders = Order.objects.awaiting_payment()
    bucket_case = Case(*[When(q(now), then=Value(key)) for key, _, q in AGING_BUCKETS], default=Value("?"))
    owed = ExpressionSum()
    aging_raw: dict[str, dict[str, Any]] = {
        row["bucket"]: dict(row)
        for row in open_orders.annotate(bucket=bucket_case)
        .values("bucket")
        .annotate(orders=Count("pk"), owed=owed)
        .order_by()
    }
    aging_rows = [
        {"bucket": label, "orders": int(aging_raw.get(key, {}).get("orders") or 0),
         "owed": Decimal(aging_raw.get(key, {}).get("owed") or ZERO)}
        for key, label, _ in AGING_BUCKETS
    ]  # fmt: skip
    aging_totals = _sum_rows(aging_rows, ["orders", "owed"])
    aging_totals["bucket"] = "Total"
    aging = Table(
        "Payments aging (orders awaiting payment, now)",
        [Column("bucket", "Past due", "text"), Column("orders", "Orders"), Column("owed", "Owed", "money")],
        aging_rows, aging_totals, chart=("bucket", "owed"),
    )  # fmt: skip

    sold = Order.objects.filter(sold_at__gte=span.start, sold_at__lt=span.end)
    late = (
        Q(paid_at__gt=F("due_at"))
        | Q(status=Order.Status.PENDING_PAYMENT, due_at__lt=now)
        | Q(status=Order.Status.CANCELLED, paid_at__isnull=True)
    )
    timeliness = _grouped(
        sold, "sold_at", grain, span, "seller",
        {
            "orders": Count("pk"),
            "on_time": Count("pk", filter=Q(paid_at__isnull=False, paid_at__lte=F("due_at"))),
            "paid_late": Count("pk", filter=Q(paid_at__gt=F("due_at"))),
            "unpaid_overdue": Count("pk", filter=Q(status=Order.Status.PENDING_PAYMENT, due_at__lt=now)),
            "cancelled_unpaid": Count("pk", filter=Q(status=Order.Status.CANCELLED, paid_at__isnull=True)),
        },
    )  # fmt: skip
    time_rows = []
    for key in _keys_in_order(grain, timeliness):
        t = timeliness[key]
        row: dict[str, Any] = {"period": _label(key, grain), **{k: int(v or 0) for k, v in t.items()}}
        row["late_share"] = _ratio(row["paid_late"] + row["unpaid_overdue"] + row["cancelled_unpaid"], row["orders"])
        time_rows.append(row)
    time_totals = _sum_rows(time_rows, ["orders", "on_time", "paid_late", "unpaid_overdue", "cancelled_unpaid"])
    time_totals["period"] = "Total"
    time_totals["late_share"] = _ratio(
        time_totals["paid_late"] + time_totals["unpaid_overdue"] + time_totals["cancelled_unpaid"],
        time_totals["orders"],
    )
    on_time = Table(
        "Paid on time and late (by sale date)" if grain != "seller" else "Paid on time and late (by seller)",
        [
            Column("period", "Seller" if grain == "seller" else "Period", "text"),
            Column("orders", "Orders"), Column("on_time", "Paid on time"), Column("paid_late", "Paid late"),
            Column("unpaid_overdue", "Unpaid, overdue"), Column("cancelled_unpaid", "Cancelled unpaid"),
            Column("late_share", "Late %", "percent"),
        ],
        time_rows, time_totals, chart=("period", "late_share"),
    )  # fmt: skip

    payers = list(
        sold.filter(late)
        .values("buyer_id")
        .annotate(late_orders=Count("pk"), owed=ExpressionSum(filter=Q(status=Order.Status.PENDING_PAYMENT)))
        .order_by("-late_orders", "buyer_id")[:LATE_PAYER_LIMIT]
    )
    from accounts.models import User

    people = {
        pk: (email, suspended)
        for pk, email, suspended in User.objects.filter(pk__in=[row["buyer_id"] for row in payers]).values_list(
            "pk", "email", "suspended_at"
        )
    }
    payer_rows = [
        {
            "buyer": people.get(row["buyer_id"], ("?", None))[0],
            "buyer_id": row["buyer_id"],
            "late_orders": row["late_orders"],
            "owed": Decimal(row["owed"] or ZERO),
            "suspended": "yes" if people.get(row["buyer_id"], ("", None))[1] else "no",
        }
        for row in payers
    ]
    late_payers = Table(
        f"Late payers (sold in the range; top {LATE_PAYER_LIMIT})",
        [Column("buyer", "Buyer", "text"), Column("late_orders", "Late orders"), Column("owed", "Still owed", "money"),
         Column("suspended", "Suspended", "text")],
        payer_rows,
    )  # fmt: skip
    return Report(
        "payments", "Payments aging and late payers", [aging, on_time, late_payers],
        notes=["Late: paid after the due date, unpaid past it, or cancelled unpaid. Aging is as of now."],
    )  # fmt: skip


def ExpressionSum(**kwargs: Any) -> Coalesce:  # noqa: N802 - reads like the aggregate it builds
    """Sum of what buyers still owe (total − paid)."""
    return Coalesce(Sum(F("total") - F("amount_paid"), output_field=MONEY, **kwargs), Value(ZERO), output_field=MONEY)


def _sum_rows(rows: list[dict[str, Any]], keys: list[str]) -> dict[str, Any]:
    totals: dict[str, Any] = {}
    for key in keys:
        values = [row[key] for row in rows if row.get(key) is not None]
        totals[key] = sum(values, Decimal(0) if values and isinstance(values[0], Decimal) else 0)
    return totals
