"""Storage: after the free period (the fee schedule's business days after payment) each calendar day the
vehicle stands at the seller's is decided once — charged to the buyer at the fee schedule's daily rate, or
waived because the seller was late with the title documents or had not released the vehicle
(`fulfillment.rules.storage_decisions`). Charged days are added to the order's storage line, which the buyer
pays on the order page before pickup. Staff may waive charged days with a reason.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.errors import Conflict, DomainError
from core.money import ZERO, money
from core.pricing import active_fee_schedule
from fulfillment import rules
from fulfillment.models import Fulfillment, FulfillmentEvent, StorageDay
from fulfillment.services.common import Source, Track, lock, record, tell
from orders.services import order_add_charge


def title_transitions(fulfillment: Fulfillment) -> list[tuple[datetime, str]]:
    """The title track's statuses over time, starting with the start of the track."""
    changes = list(
        FulfillmentEvent.objects.filter(fulfillment=fulfillment, track=FulfillmentEvent.Track.TITLE)
        .exclude(to_status="")
        .order_by("created_at", "pk")
        .values_list("created_at", "to_status")
    )
    if not changes or changes[0][1] != rules.OWING_DOCUMENTS[0]:
        changes.insert(0, (fulfillment.started_at, rules.OWING_DOCUMENTS[0]))
    return changes


def storage_decide(*, fulfillment: Fulfillment, now: datetime) -> list[rules.StorageDecision]:
    """The storage days of this fulfillment not recorded yet that can be decided at `now`."""
    zone = rules.local_zone()
    first = rules.first_storage_day(fulfillment.free_storage_until, zone)
    if fulfillment.storage_recorded_through is not None:
        first = max(first, fulfillment.storage_recorded_through + timedelta(days=1))
    late = rules.seller_late_intervals(
        due_at=fulfillment.documents_due_at, transitions=title_transitions(fulfillment), now=now
    )
    return rules.storage_decisions(
        first_day=first,
        released_at=fulfillment.released_at,
        late_intervals=late,
        stopped_at=fulfillment.storage_stopped_at,
        now=now,
        zone=zone,
    )


def storage_accrue(*, order_id: int, now: datetime | None = None) -> Decimal:
    """Record the decidable storage days of one order and add the charged ones to the order. Returns the amount
    added. Safe to run twice or at once: under the order's lock, from the last recorded day, and each day is
    unique per fulfillment."""
    now = now or timezone.now()
    rate = money(active_fee_schedule().storage_fee_per_day)
    with transaction.atomic(durable=True):
        order, fulfillment = lock(order_id)
        if fulfillment.completed_at is not None:
            return ZERO
        decisions = storage_decide(fulfillment=fulfillment, now=now)
        if not decisions:
            return ZERO
        StorageDay.objects.bulk_create(
            [
                StorageDay(
                    fulfillment=fulfillment,
                    day=decision.day,
                    status=StorageDay.Status.CHARGED if decision.charged else StorageDay.Status.WAIVED,
                    reason=decision.reason,
                    amount=rate if decision.charged else ZERO,
                )
                for decision in decisions
            ]
        )
        fulfillment.storage_recorded_through = decisions[-1].day
        fulfillment.save()
        charged = [d for d in decisions if d.charged]
        waived = [d for d in decisions if not d.charged]
        added = money(rate * len(charged))
        if charged:
            order_add_charge(
                order=order,
                line="storage_fee",
                amount=added,
                message=f"Storage: {_days(len(charged))} at ${rate:,} ({_span(charged)})",
            )
            tell(
                order,
                "storage_charged",
                who=["buyer"],
                amount=str(added),
                total=str(order.storage_fee),
                per_day=str(rate),
            )
        if waived:
            reasons = sorted({StorageDay.Reason(d.reason).label.lower() for d in waived})
            record(
                fulfillment,
                track=Track.STORAGE,
                kind="waived",
                message=f"Storage waived for {_days(len(waived))} ({_span(waived)}): {'; '.join(reasons)}",
            )
        if charged:
            record(
                fulfillment,
                track=Track.STORAGE,
                kind="charged",
                message=f"Storage charged for {_days(len(charged))} ({_span(charged)}) at ${rate:,} a day",
                amount=str(added),
            )
    return added


def _days(count: int) -> str:
    return f"{count} day{'s' if count != 1 else ''}"


def _span(decisions: list[rules.StorageDecision]) -> str:
    first, last = decisions[0].day, decisions[-1].day
    return _date(first) if first == last else f"{_date(first)} – {_date(last)}"


def _date(day: date) -> str:
    return f"{day:%b} {day.day}"


def storage_sweep(*, now: datetime | None = None) -> int:
    """Beat: remind buyers whose free pickup ends within a day, and accrue storage for every open fulfillment
    past its free period. Returns how many orders were charged."""
    now = now or timezone.now()
    pickup_reminders(now=now)
    candidates = Fulfillment.objects.open().filter(free_storage_until__lt=now).values_list("order_id", flat=True)
    return sum(1 for order_id in list(candidates) if storage_accrue(order_id=order_id, now=now) > 0)


PICKUP_REMINDER_BEFORE = timedelta(hours=24)


def pickup_reminders(*, now: datetime) -> int:
    """Tell each buyer, once, a day before free pickup ends while the vehicle still stands at the seller's
    (claimed with a conditional UPDATE)."""
    rate = money(active_fee_schedule().storage_fee_per_day)
    due = Fulfillment.objects.storing().filter(
        pickup_reminded_at__isnull=True,
        storage_stopped_at__isnull=True,
        free_storage_until__gt=now,
        free_storage_until__lte=now + PICKUP_REMINDER_BEFORE,
    )
    sent = 0
    for fulfillment in due.select_related("order__buyer", "order__vehicle"):
        with transaction.atomic(durable=True):
            if not Fulfillment.objects.filter(pk=fulfillment.pk, pickup_reminded_at__isnull=True).update(
                pickup_reminded_at=now
            ):
                continue
            record(
                fulfillment,
                track=Track.STORAGE,
                kind="reminder",
                message="The buyer was reminded that free pickup ends soon",
            )
            tell(
                fulfillment.order,
                "pickup_reminder",
                who=["buyer"],
                free_until=fulfillment.free_storage_until.isoformat(),
                per_day=str(rate),
            )
        sent += 1
    return sent


def storage_waive(*, order_id: int, actor: Any, reason: str, days: list[date] | None = None) -> Decimal:
    """Staff waive charged storage days (all, or the days given) with a reason the buyer sees. The amount comes
    off the order's storage line; what the buyer already paid for them is refunded from the order's admin."""
    reason = reason.strip()
    if not reason:
        raise DomainError("Give a reason for waiving storage; the buyer sees it.")
    with transaction.atomic(durable=True):
        order, fulfillment = lock(order_id)
        charged = StorageDay.objects.select_for_update().filter(
            fulfillment=fulfillment, status=StorageDay.Status.CHARGED
        )
        if days is not None:
            charged = charged.filter(day__in=days)
        rows = list(charged)
        if not rows:
            raise Conflict("There are no charged storage days to waive.")
        total = money(sum((row.amount for row in rows), ZERO))
        StorageDay.objects.filter(pk__in=[row.pk for row in rows]).update(
            status=StorageDay.Status.WAIVED, reason=StorageDay.Reason.STAFF, note=reason, amount=ZERO
        )
        order_add_charge(
            order=order,
            line="storage_fee",
            amount=-total,
            message=f"Storage waived (${total:,}): {reason}",
            actor=actor,
        )
        record(
            fulfillment,
            track=Track.STORAGE,
            kind="waived",
            message=f"Staff waived ${total:,} of storage ({_days(len(rows))}): {reason}",
            source=Source.STAFF,
            actor=actor,
        )
        tell(order, "storage_waived", who=["buyer"], amount=str(total), reason=reason)
    return total
