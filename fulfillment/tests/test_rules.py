"""The rules of FULFILLMENT.md as pure functions: storage days, the seller's lateness, vendor reports that only
move a track forward."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from fulfillment import rules
from fulfillment.models import TitleStatus, VehicleStatus

CENTRAL = ZoneInfo("America/Chicago")


def central(y: int, m: int, d: int, h: int = 0, minute: int = 0) -> datetime:
    return datetime(y, m, d, h, minute, tzinfo=CENTRAL)


def test_documents_are_due_three_business_days_after_payment_and_pickup_is_free_for_five(settings):
    paid = central(2026, 11, 20, 15)  # Friday 3 pm
    assert rules.documents_due_at(paid) == central(2026, 11, 25, 15)  # Wednesday
    assert rules.document_reminder_at(paid, 1) == central(2026, 11, 23, 15)  # Monday
    assert rules.document_reminder_at(paid, 2) == central(2026, 11, 24, 15)
    assert rules.free_storage_until(paid, 5) == central(2026, 11, 27, 15)  # next Friday
    assert rules.title_promised_by(paid) == central(2026, 12, 11, 15)


def test_storage_starts_the_day_after_the_free_period_ends():
    assert rules.first_storage_day(central(2026, 11, 27, 15), CENTRAL) == date(2026, 11, 28)
    # a free period ending at 11 pm Central is still that Central day, though it is the next day in UTC
    assert rules.first_storage_day(central(2026, 11, 27, 23), CENTRAL) == date(2026, 11, 28)


def decide(**kwargs):
    defaults = {
        "first_day": date(2026, 12, 1),
        "released_at": central(2026, 11, 25, 9),
        "late_intervals": [],
        "stopped_at": None,
        "now": central(2026, 12, 6, 12),
        "zone": CENTRAL,
    }
    return rules.storage_decisions(**{**defaults, **kwargs})


def test_every_ended_day_is_charged_when_the_seller_did_their_part():
    decisions = decide()
    assert [d.day for d in decisions] == [date(2026, 12, n) for n in range(1, 6)]  # Dec 6 has not ended
    assert all(d.charged for d in decisions)


def test_walking_the_calendar_no_day_is_charged_while_the_seller_was_late_or_had_not_released_the_vehicle():
    """Walk day by day through a month: a day is charged only if the vehicle was released before it began and the
    seller was never late with the title documents during it."""
    released = central(2026, 12, 3, 14)  # released mid-day on Dec 3: Dec 1-3 waived
    late = [(central(2026, 12, 7, 15), central(2026, 12, 9, 10)), (central(2026, 12, 15, 8), central(2026, 12, 15, 9))]
    first = date(2026, 12, 1)
    for today in range(1, 32):
        now = central(2026, 12, today, 12) if today <= 31 else central(2027, 1, 1)
        decisions = decide(first_day=first, released_at=released, late_intervals=late, now=now)
        for decision in decisions:
            start = datetime(decision.day.year, decision.day.month, decision.day.day, tzinfo=CENTRAL)
            end = start + timedelta(days=1)
            not_released = released > start
            seller_late = any(a < end and b > start for a, b in late)
            assert decision.charged == (not not_released and not seller_late), decision
            if not decision.charged:
                assert decision.reason == ("not_released" if not_released else "seller_late")
        assert all(d.day < now.date() for d in decisions)  # only days that have ended
    final = decide(first_day=first, released_at=released, late_intervals=late, now=central(2027, 1, 1, 1))
    waived = {d.day.day: d.reason for d in final if not d.charged}
    assert waived == {
        1: "not_released",
        2: "not_released",
        3: "not_released",
        7: "seller_late",
        8: "seller_late",
        9: "seller_late",
        15: "seller_late",
    }


def test_storage_stops_with_the_pickup_and_that_day_counts():
    picked_up = central(2026, 12, 3, 10)
    decisions = decide(stopped_at=picked_up, now=central(2026, 12, 3, 11))
    assert [d.day for d in decisions] == [date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 3)]
    # later sweeps find nothing more after the pickup day
    assert decide(first_day=date(2026, 12, 4), stopped_at=picked_up, now=central(2026, 12, 20)) == []


def test_days_across_the_autumn_clock_change_are_whole_central_days():
    decisions = decide(first_day=date(2026, 10, 31), released_at=central(2026, 10, 1), now=central(2026, 11, 3, 12))
    assert [d.day for d in decisions] == [date(2026, 10, 31), date(2026, 11, 1), date(2026, 11, 2)]


def test_the_seller_is_late_from_the_due_date_until_the_documents_arrive_and_again_after_a_rejection():
    due = datetime(2026, 12, 4, 21, tzinfo=UTC)
    transitions = [
        (datetime(2026, 12, 1, 21, tzinfo=UTC), TitleStatus.AWAITING_DOCUMENTS),
        (datetime(2026, 12, 6, 9, tzinfo=UTC), TitleStatus.DOCUMENTS_REVIEW),
        (datetime(2026, 12, 7, 9, tzinfo=UTC), TitleStatus.DOCUMENTS_REJECTED),
        (datetime(2026, 12, 8, 9, tzinfo=UTC), TitleStatus.DOCUMENTS_REVIEW),
        (datetime(2026, 12, 8, 12, tzinfo=UTC), TitleStatus.FILED),
    ]
    intervals = rules.seller_late_intervals(due_at=due, transitions=transitions, now=datetime(2026, 12, 20, tzinfo=UTC))
    assert intervals == [
        (due, datetime(2026, 12, 6, 9, tzinfo=UTC)),
        (datetime(2026, 12, 7, 9, tzinfo=UTC), datetime(2026, 12, 8, 9, tzinfo=UTC)),
    ]


def test_documents_in_time_make_the_seller_never_late():
    due = datetime(2026, 12, 4, 21, tzinfo=UTC)
    transitions = [
        (datetime(2026, 12, 1, tzinfo=UTC), TitleStatus.AWAITING_DOCUMENTS),
        (datetime(2026, 12, 2, tzinfo=UTC), TitleStatus.DOCUMENTS_REVIEW),
    ]
    assert (
        rules.seller_late_intervals(due_at=due, transitions=transitions, now=datetime(2026, 12, 20, tzinfo=UTC)) == []
    )


def test_a_seller_still_owing_documents_is_late_until_now():
    due = datetime(2026, 12, 4, tzinfo=UTC)
    now = datetime(2026, 12, 10, tzinfo=UTC)
    transitions = [(datetime(2026, 12, 1, tzinfo=UTC), TitleStatus.AWAITING_DOCUMENTS)]
    assert rules.seller_late_intervals(due_at=due, transitions=transitions, now=now) == [(due, now)]


@pytest.mark.parametrize(
    ("current", "reported", "expected"),
    [
        (VehicleStatus.BOOKED, "accepted", VehicleStatus.CARRIER_ASSIGNED),
        (VehicleStatus.BOOKED, "delivered", VehicleStatus.DELIVERED),  # a skipped step is fine
        (VehicleStatus.CARRIER_ASSIGNED, "picked_up", VehicleStatus.PICKED_UP),
        (VehicleStatus.PICKED_UP, "accepted", None),  # an older report arriving late
        (VehicleStatus.DELIVERED, "picked_up", None),
        (VehicleStatus.CARRIER_ASSIGNED, "accepted", None),  # the same step again
        (VehicleStatus.CARRIER_ASSIGNED, "canceled", VehicleStatus.CANCELLED),
        (VehicleStatus.PICKED_UP, "canceled", None),  # too late to cancel
        (VehicleStatus.BOOKED, "teleported", None),
        (VehicleStatus.AWAITING_PICKUP, "delivered", None),  # not a transport
        (VehicleStatus.PICKED_UP, "invoiced", VehicleStatus.DELIVERED),
    ],
)
def test_carrier_reports_only_move_transport_forward(current, reported, expected):
    assert rules.transport_step(current, reported) == expected


@pytest.mark.parametrize(
    ("status", "vendor_status", "reported", "expected"),
    [
        (TitleStatus.FILED, "", "submitted", TitleStatus.FILED),
        (TitleStatus.FILED, "submitted", "accepted", TitleStatus.FILED),
        (TitleStatus.FILED, "accepted", "title_issued", TitleStatus.TITLE_ISSUED),
        (TitleStatus.TITLE_ISSUED, "title_issued", "accepted", None),  # older, ignored
        (TitleStatus.FILED, "filed", "filed", None),  # the same again
        (TitleStatus.FILED, "filed", "rejected", TitleStatus.FILING_REJECTED),
        (TitleStatus.FILING_REJECTED, "documents_required", "filed", TitleStatus.FILED),
        (TitleStatus.DELIVERED_TO_BUYER, "title_issued", "title_issued", None),
        (TitleStatus.DOCUMENTS_REVIEW, "", "filed", None),  # not filed with the service yet
    ],
)
def test_title_service_reports_only_move_the_title_forward(status, vendor_status, reported, expected):
    assert rules.title_step(current_status=status, current_vendor_status=vendor_status, reported=reported) == expected
