"""Reports after the sale: title turnaround and delivery times (fulfillment's tracks), claims rate and outcomes.

Times are counted from the start of fulfillment (the moment the order was paid in full) to the new title, or to
the buyer having the vehicle; by the day it happened (Central time), week, month, or by seller. Each table
reads one covering index (`fulfil_title_report`, `fulfil_delivery_report`, `claim_report_cover`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Count, F, FloatField, Func, Q, Sum

from backoffice.reports.periods import Range
from backoffice.reports.tables import (
    ZERO,
    Column,
    Report,
    Table,
    _grouped,
    _keys_in_order,
    _label,
    _money_sum,
    _ratio,
    _sum_rows,
)
from fulfillment.models import Claim, ClaimOutcome, DeliveryMethod, Fulfillment
from fulfillment.models_claims import RULED_CLAIM_STATUSES

DAY_SECONDS = Decimal(86400)


class SecondsBetween(Func):
    """Seconds from the first datetime to the second (MySQL/MariaDB TIMESTAMPDIFF; SQLite julianday for
    `make run`)."""

    output_field = FloatField()

    def as_mysql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="TIMESTAMPDIFF(SECOND, %(expressions)s)", **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        first, second = self.source_expressions
        sql_a, params_a = compiler.compile(first)
        sql_b, params_b = compiler.compile(second)
        return f"((julianday({sql_b}) - julianday({sql_a})) * 86400.0)", [*params_a, *params_b]


def _days(seconds: Any, count: int) -> Decimal | None:
    if not count or seconds is None:
        return None
    return (Decimal(str(seconds)) / DAY_SECONDS / count).quantize(Decimal("0.1"))


def _period(grain: str) -> Column:
    return Column("period", "Seller" if grain == "seller" else "Period", "text")


def fulfillment_report(span: Range, grain: str) -> Report:
    issued = Fulfillment.objects.filter(title_issued_at__gte=span.start, title_issued_at__lt=span.end)
    titles = _grouped(
        issued, "title_issued_at", grain, span, "seller",
        {
            "titles": Count("pk"),
            "title_seconds": Sum(SecondsBetween("started_at", "title_issued_at")),
            "on_time": Count("pk", filter=Q(title_issued_at__lte=F("title_promised_by"))),
        },
    )  # fmt: skip
    title_rows = []
    for key in _keys_in_order(grain, titles):
        t = titles[key]
        count = int(t.get("titles") or 0)
        title_rows.append(
            {
                "period": _label(key, grain),
                "titles": count,
                "title_seconds": t.get("title_seconds") or 0,
                "average_days": _days(t.get("title_seconds"), count),
                "on_time": int(t.get("on_time") or 0),
                "on_time_share": _ratio(int(t.get("on_time") or 0), count),
            }
        )
    title_totals = _sum_rows(title_rows, ["titles", "title_seconds", "on_time"])
    title_totals.update(
        period="Total",
        average_days=_days(title_totals["title_seconds"], title_totals["titles"]),
        on_time_share=_ratio(title_totals["on_time"], title_totals["titles"]),
    )
    title_table = Table(
        "Title turnaround (by the day the new title was issued)",
        [
            _period(grain), Column("titles", "Titles issued"),
            Column("average_days", "Average days from payment", "decimal"),
            Column("on_time", "Within the promised 15 business days"), Column("on_time_share", "On time %", "percent"),
        ],
        title_rows, title_totals, chart=("period", "average_days"),
    )  # fmt: skip

    delivered = Fulfillment.objects.filter(delivered_at__gte=span.start, delivered_at__lt=span.end)
    deliveries = _grouped(
        delivered, "delivered_at", grain, span, "seller",
        {
            "deliveries": Count("pk"),
            "delivery_seconds": Sum(SecondsBetween("started_at", "delivered_at")),
            "pickups": Count("pk", filter=Q(delivery_method=DeliveryMethod.PICKUP)),
            "transports": Count("pk", filter=Q(delivery_method=DeliveryMethod.TRANSPORT)),
            "transport_seconds": Sum(
                SecondsBetween("started_at", "delivered_at"), filter=Q(delivery_method=DeliveryMethod.TRANSPORT)
            ),
        },
    )  # fmt: skip
    delivery_rows = []
    for key in _keys_in_order(grain, deliveries):
        d = deliveries[key]
        count, transports = int(d.get("deliveries") or 0), int(d.get("transports") or 0)
        delivery_rows.append(
            {
                "period": _label(key, grain),
                "deliveries": count,
                "delivery_seconds": d.get("delivery_seconds") or 0,
                "transport_seconds": d.get("transport_seconds") or 0,
                "average_days": _days(d.get("delivery_seconds"), count),
                "pickups": int(d.get("pickups") or 0),
                "transports": transports,
                "transport_days": _days(d.get("transport_seconds"), transports),
            }
        )
    delivery_totals = _sum_rows(
        delivery_rows, ["deliveries", "delivery_seconds", "transport_seconds", "pickups", "transports"]
    )
    delivery_totals.update(
        period="Total",
        average_days=_days(delivery_totals["delivery_seconds"], delivery_totals["deliveries"]),
        transport_days=_days(delivery_totals["transport_seconds"], delivery_totals["transports"]),
    )
    delivery_table = Table(
        "Delivery times (by the day the buyer had the vehicle)",
        [
            _period(grain), Column("deliveries", "Vehicles delivered"),
            Column("average_days", "Average days from payment", "decimal"), Column("pickups", "Picked up"),
            Column("transports", "By transport"), Column("transport_days", "Average days by transport", "decimal"),
        ],
        delivery_rows, delivery_totals, chart=("period", "average_days"),
    )  # fmt: skip
    return Report(
        "fulfillment", "Title turnaround and delivery times", [title_table, delivery_table],
        notes=[
            "Days are calendar days from the moment the order was paid in full (fulfillment started).",
            "On time: the new title was issued by the promised date (15 business days after payment).",
        ],
    )  # fmt: skip


OUTCOME_COLUMNS = [
    ("denied", ClaimOutcome.DENIED),
    ("partial_refund", ClaimOutcome.PARTIAL_REFUND),
    ("full_refund_return", ClaimOutcome.FULL_REFUND_RETURN),
    ("sale_cancelled", ClaimOutcome.SALE_CANCELLED),
]


def claims_report(span: Range, grain: str) -> Report:
    opened = Claim.objects.filter(opened_at__gte=span.start, opened_at__lt=span.end)
    claims = _grouped(
        opened, "opened_at", grain, span, "seller",
        {
            "claims": Count("pk"),
            # Decided: the outcome stands, also while the vehicle of a full refund with return goes back.
            "open": Count("pk", filter=~Q(status__in=RULED_CLAIM_STATUSES)),
            **{name: Count("pk", filter=Q(status__in=RULED_CLAIM_STATUSES, outcome=value))
               for name, value in OUTCOME_COLUMNS},
            "refunded": _money_sum("refunded"),
        },
    )  # fmt: skip
    delivered = Fulfillment.objects.filter(delivered_at__gte=span.start, delivered_at__lt=span.end)
    deliveries = _grouped(delivered, "delivered_at", grain, span, "seller", {"deliveries": Count("pk")})
    rows = []
    for key in _keys_in_order(grain, claims, deliveries):
        c, d = claims.get(key, {}), deliveries.get(key, {})
        row: dict[str, Any] = {
            "period": _label(key, grain),
            "deliveries": int(d.get("deliveries") or 0),
            "claims": int(c.get("claims") or 0),
            "open": int(c.get("open") or 0),
            **{name: int(c.get(name) or 0) for name, _ in OUTCOME_COLUMNS},
            "refunded": Decimal(c.get("refunded") or ZERO),
        }
        row["rate"] = _ratio(row["claims"], row["deliveries"])
        rows.append(row)
    totals = _sum_rows(rows, ["deliveries", "claims", "open", *(n for n, _ in OUTCOME_COLUMNS), "refunded"])
    totals.update(period="Total", rate=_ratio(totals["claims"], totals["deliveries"]))
    table = Table(
        "Claims (by the day they were opened)",
        [
            _period(grain), Column("deliveries", "Vehicles delivered"), Column("claims", "Claims opened"),
            Column("rate", "Claims rate", "percent"), Column("open", "Still open"),
            Column("denied", "Denied"), Column("partial_refund", "Partial refund"),
            Column("full_refund_return", "Full refund, returned"), Column("sale_cancelled", "Sale cancelled"),
            Column("refunded", "Refunded", "money"),
        ],
        rows, totals, chart=("period", "claims"),
    )  # fmt: skip
    return Report(
        "claims", "Claims rate and outcomes", [table],
        notes=[
            "Claims rate: claims opened ÷ vehicles delivered in the same period (a claim may concern a vehicle "
            "delivered in an earlier period, or a late title before delivery).",
            "Refunded: what was refunded to buyers through the period's claims.",
        ],
    )  # fmt: skip
