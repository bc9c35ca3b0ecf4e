"""The rules of FULFILLMENT.md as pure functions (no database, no clock of their own), so that they are
tested exhaustively and every service, page and task uses the same ones.

- Deadlines: documents due 3 business days after payment, reminders at 1 and 2, free pickup for the fee
  schedule's business days (5), title promised within 15 business days (`orders.deadlines` counts them).
- Storage: which calendar days (Central time) after the free period are charged, and which are waived
  because the seller was late with the title documents or the vehicle was not released (`storage_decisions`).
- Vendor reports: how a carrier's or title service's status maps onto our tracks, and why an older report
  never moves a track backwards (`transport_step`, `title_step`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from fulfillment.models import TRANSPORT_RANK, TitleStatus, VehicleStatus
from orders.deadlines import add_business_days

DOCUMENTS_DUE_BUSINESS_DAYS = 3
DOCUMENT_REMINDER_BUSINESS_DAYS = (1, 2)
TITLE_PROMISED_BUSINESS_DAYS = 15
PICKUP_CODE_MAX_FAILURES = 5

# The seller owes documents in these title statuses; past the due date that is lateness.
OWING_DOCUMENTS = (TitleStatus.AWAITING_DOCUMENTS, TitleStatus.DOCUMENTS_REJECTED)


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def documents_due_at(paid_at: datetime) -> datetime:
    return add_business_days(paid_at, DOCUMENTS_DUE_BUSINESS_DAYS)


def document_reminder_at(paid_at: datetime, number: int) -> datetime:
    """When reminder `number` (1 or 2) is due: that many business days after payment."""
    return add_business_days(paid_at, DOCUMENT_REMINDER_BUSINESS_DAYS[number - 1])


def title_promised_by(paid_at: datetime) -> datetime:
    return add_business_days(paid_at, TITLE_PROMISED_BUSINESS_DAYS)


def free_storage_until(paid_at: datetime, free_business_days: int) -> datetime:
    return add_business_days(paid_at, free_business_days)


# --- storage ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StorageDecision:
    day: date
    charged: bool
    reason: str  # "" when charged; "seller_late" or "not_released" when waived


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) of a calendar day in the marketplace's time zone, as aware datetimes."""
    start = datetime.combine(day, time.min, tzinfo=zone)
    return start, datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)


def first_storage_day(free_until: datetime, zone: ZoneInfo) -> date:
    """Storage is counted in whole days, starting the day after the free period ends."""
    return free_until.astimezone(zone).date() + timedelta(days=1)


def seller_late_intervals(
    *, due_at: datetime, transitions: Sequence[tuple[datetime, str]], now: datetime
) -> list[tuple[datetime, datetime]]:
    """When the seller was late with the title documents: the stretches after `due_at` during which the title
    track waited for them (awaiting documents, or rejected documents not yet replaced). `transitions` are
    (when, new title status) in time order, the first being the start of the track."""
    intervals: list[tuple[datetime, datetime]] = []
    for index, (at, status) in enumerate(transitions):
        if status not in OWING_DOCUMENTS:
            continue
        until = transitions[index + 1][0] if index + 1 < len(transitions) else now
        start = max(at, due_at)
        if start < until:
            intervals.append((start, until))
    return intervals


def storage_decisions(
    *,
    first_day: date,
    released_at: datetime | None,
    late_intervals: Iterable[tuple[datetime, datetime]],
    stopped_at: datetime | None,
    now: datetime,
    zone: ZoneInfo,
) -> list[StorageDecision]:
    """Every storage day from `first_day` that can be decided at `now`, in order.

    A day can be decided once it has ended, or once storage stopped (`stopped_at`: picked up, or transport
    booked) during it. A day that began after storage stopped is not a storage day. A decided day is:
    - waived "not_released" when the seller had not released the vehicle when the day began;
    - waived "seller_late" when the seller was late with the title documents at any time that day;
    - charged otherwise.
    """
    late = list(late_intervals)
    decisions = []
    day = first_day
    while True:
        start, end = day_bounds(day, zone)
        if stopped_at is not None and start >= stopped_at:
            break
        decidable = end <= now or (stopped_at is not None and stopped_at <= now)
        if not decidable:
            break
        if released_at is None or released_at > start:
            decisions.append(StorageDecision(day, charged=False, reason="not_released"))
        elif any(late_start < end and late_end > start for late_start, late_end in late):
            decisions.append(StorageDecision(day, charged=False, reason="seller_late"))
        else:
            decisions.append(StorageDecision(day, charged=True, reason=""))
        day += timedelta(days=1)
    return decisions


# --- vendor reports -------------------------------------------------------------------------------------------

# Super Dispatch order statuses (VENDORS.md; the enum is unconfirmed, both spellings of "cancelled" are read).
CARRIER_STATUS = {
    "new": VehicleStatus.BOOKED,
    "pending": VehicleStatus.BOOKED,
    "offer_sent": VehicleStatus.BOOKED,
    "offer sent": VehicleStatus.BOOKED,
    "declined": VehicleStatus.BOOKED,
    "accepted": VehicleStatus.CARRIER_ASSIGNED,
    "picked_up": VehicleStatus.PICKED_UP,
    "delivered": VehicleStatus.DELIVERED,
    "invoiced": VehicleStatus.DELIVERED,
    "paid": VehicleStatus.DELIVERED,
    "canceled": VehicleStatus.CANCELLED,
    "cancelled": VehicleStatus.CANCELLED,
}


def transport_step(current: str, reported_vendor_status: str) -> str | None:
    """The vehicle status a carrier report moves the track to, or None when it changes nothing: an unknown
    status, the same step again, or an older step arriving late. A cancellation counts only before pickup."""
    reported = CARRIER_STATUS.get(reported_vendor_status.strip().lower())
    if reported is None or current not in TRANSPORT_RANK:
        return None
    if reported == VehicleStatus.CANCELLED:
        return reported if current in (VehicleStatus.BOOKED, VehicleStatus.CARRIER_ASSIGNED) else None
    return reported if TRANSPORT_RANK[reported] > TRANSPORT_RANK[current] else None


# Title service statuses (VENDORS.md "Title transfer") in the order the service moves through them.
TITLE_VENDOR_RANK = {
    "submitted": 1,
    "documents_required": 2,
    "filed": 3,
    "accepted": 4,
    "rejected": 5,
    "title_issued": 6,
}
TITLE_VENDOR_STATUS = {
    "submitted": TitleStatus.FILED,
    "documents_required": TitleStatus.FILING_REJECTED,
    "filed": TitleStatus.FILED,
    "accepted": TitleStatus.FILED,
    "rejected": TitleStatus.FILING_REJECTED,
    "title_issued": TitleStatus.TITLE_ISSUED,
}
TITLE_FILED_STATUSES = (TitleStatus.FILED, TitleStatus.FILING_REJECTED, TitleStatus.TITLE_ISSUED)


def title_step(*, current_status: str, current_vendor_status: str, reported: str) -> str | None:
    """The title status a title service report moves the track to, or None: only a report further along
    than the last one applied counts, and only while the transfer is with the service."""
    reported = reported.strip().lower()
    if reported not in TITLE_VENDOR_RANK or current_status not in TITLE_FILED_STATUSES:
        return None
    if TITLE_VENDOR_RANK[reported] <= TITLE_VENDOR_RANK.get(current_vendor_status, 0):
        return None
    return TITLE_VENDOR_STATUS[reported]


# --- claims ---------------------------------------------------------------------------------------------------

CLAIM_SELLER_ANSWER_BUSINESS_DAYS = 2
CLAIM_DECISION_BUSINESS_DAYS = 2
TITLE_ISSUED_STATUSES = (TitleStatus.TITLE_ISSUED, TitleStatus.DELIVERED_TO_BUYER)


def claim_seller_due_at(opened_at: datetime) -> datetime:
    return add_business_days(opened_at, CLAIM_SELLER_ANSWER_BUSINESS_DAYS)


def claim_decision_due_at(in_review_at: datetime) -> datetime:
    return add_business_days(in_review_at, CLAIM_DECISION_BUSINESS_DAYS)


# A full refund with return: the buyer returns the vehicle within 5 business days of the decision (as long as
# the free pickup period), the seller confirms receipt within 2 business days of the buyer saying it is on its way.
CLAIM_RETURN_BUSINESS_DAYS = 5
CLAIM_RECEIPT_BUSINESS_DAYS = 2


def claim_return_due_at(decided_at: datetime) -> datetime:
    return add_business_days(decided_at, CLAIM_RETURN_BUSINESS_DAYS)


def claim_receipt_due_at(sent_at: datetime) -> datetime:
    return add_business_days(sent_at, CLAIM_RECEIPT_BUSINESS_DAYS)


def claim_refusal(
    *,
    category: str,
    delivered_at: datetime | None,
    delivery_method: str,
    title_status: str,
    title_promised_by: datetime,
    window_seconds: int,
    now: datetime,
) -> str | None:
    """Why a claim of `category` may not be opened now, or None when it may:
    - about the vehicle (not as described, or transport damage): from delivery until the claim window
      (7 days) after it; transport damage only when the vehicle came by transport;
    - title late: once the promised date passed without a new title."""
    if category == "title_late":
        if title_status in TITLE_ISSUED_STATUSES:
            return "The new title was issued; a late-title claim is no longer possible."
        if now <= title_promised_by:
            return "The title is not late yet: it is promised by the date shown on the order."
        return None
    if delivered_at is None:
        return "A claim about the vehicle can be opened once you have it (picked up or delivered)."
    if now > delivered_at + timedelta(seconds=window_seconds):
        return "The claim window (7 days after delivery) has closed."
    if category == "transport_damage" and delivery_method != "transport":
        return "Transport damage applies only to a vehicle delivered by our carrier."
    return None
