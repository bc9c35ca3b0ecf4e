"""Pickup with the buyer's code (limited attempts) and storage: free for the fee schedule's business days after
payment, then charged per day, waived for every day the seller was late or had not released the vehicle."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from core.errors import Conflict, DomainError, NotAllowed
from fulfillment import services
from fulfillment.models import StorageDay, VehicleStatus
from fulfillment.rules import PICKUP_CODE_MAX_FAILURES
from notifications.models import Notification
from orders.models import Order, Payment
from orders.payments import order_pay
from tests.fixtures.fulfillment import fulfillment_of

pytestmark = pytest.mark.django_db
CENTRAL = ZoneInfo("America/Chicago")


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_the_seller_confirms_pickup_with_the_buyers_code(paid_order, committed):
    order = paid_order()
    services.vehicle_release(order_id=order.pk, actor=order.seller)
    services.delivery_choose_pickup(order_id=order.pk, actor=order.buyer)
    code = fulfillment_of(order).pickup_code
    with committed():
        services.pickup_confirm(order_id=order.pk, actor=order.seller, code=f" {code[:3]} {code[3:]} ")
    fulfillment = fulfillment_of(order)
    assert fulfillment.vehicle_status == VehicleStatus.PICKED_UP
    order.refresh_from_db()
    assert order.delivered_at == fulfillment.picked_up_at
    assert Notification.objects.filter(user=order.buyer, kind="transport_status", body__contains="picked up").exists()


def test_a_wrong_code_counts_and_changes_nothing_else(paid_order):
    order = paid_order()
    services.delivery_choose_pickup(order_id=order.pk, actor=order.buyer)
    code = fulfillment_of(order).pickup_code
    with pytest.raises(services.WrongPickupCode) as caught:
        services.pickup_confirm(order_id=order.pk, actor=order.seller, code=wrong(code))
    assert caught.value.details["attempts_left"] == PICKUP_CODE_MAX_FAILURES - 1
    fulfillment = fulfillment_of(order)
    assert fulfillment.vehicle_status == VehicleStatus.AWAITING_PICKUP
    assert fulfillment.pickup_code_failures == 1
    for malformed in ("", "12345", "1234567", "12a456", "１２３４５６"):
        with pytest.raises(DomainError) as bad:
            services.pickup_confirm(order_id=order.pk, actor=order.seller, code=malformed)
        assert bad.value.code == "invalid_code"
    assert fulfillment_of(order).pickup_code_failures == 1  # a malformed code cannot be right: not counted


def test_brute_force_locks_code_entry_even_for_the_right_code_until_staff_issue_a_new_one(
    paid_order, staff_user, committed
):
    order = paid_order()
    services.delivery_choose_pickup(order_id=order.pk, actor=order.buyer)
    code = fulfillment_of(order).pickup_code
    with committed():
        for attempt in range(PICKUP_CODE_MAX_FAILURES):
            expected = services.PickupLocked if attempt == PICKUP_CODE_MAX_FAILURES - 1 else services.WrongPickupCode
            with pytest.raises(expected):
                services.pickup_confirm(
                    order_id=order.pk,
                    actor=order.seller,
                    code=f"{attempt:06d}" if f"{attempt:06d}" != code else wrong(code),
                )
    with pytest.raises(services.PickupLocked):
        services.pickup_confirm(order_id=order.pk, actor=order.seller, code=code)
    assert fulfillment_of(order).vehicle_status == VehicleStatus.AWAITING_PICKUP
    assert Notification.objects.filter(user=order.buyer, kind="pickup_code_locked").exists()
    assert Notification.objects.filter(user=staff_user, title__contains="Pickup code locked").exists()
    services.pickup_code_reset(order_id=order.pk, actor=staff_user)
    fresh = fulfillment_of(order).pickup_code
    services.pickup_confirm(order_id=order.pk, actor=order.seller, code=fresh)
    assert fulfillment_of(order).vehicle_status == VehicleStatus.PICKED_UP


def test_only_the_seller_or_staff_confirm_a_pickup(paid_order):
    order = paid_order()
    services.delivery_choose_pickup(order_id=order.pk, actor=order.buyer)
    with pytest.raises(NotAllowed):
        services.pickup_confirm(order_id=order.pk, actor=order.buyer, code=fulfillment_of(order).pickup_code)


def at(day: datetime, hours: int = 2) -> datetime:
    """A moment early on a Central calendar day."""
    return datetime(day.year, day.month, day.day, hours, tzinfo=CENTRAL)


def test_a_late_buyer_pays_storage_for_each_day_after_the_free_period_before_pickup(paid_order, frozen_now, committed):
    order = paid_order()
    fulfillment = fulfillment_of(order)
    services.vehicle_release(order_id=order.pk, actor=order.seller)
    services.delivery_choose_pickup(order_id=order.pk, actor=order.buyer)
    # the seller sends the documents in time, so only the buyer's lateness counts
    from fulfillment.services.title import required_kinds
    from tests.fixtures.fulfillment import pdf_upload

    for kind in required_kinds(order):
        services.title_document_upload(actor=order.seller, order_id=order.pk, kind=kind, upload=pdf_upload())
    first_day = (fulfillment.free_storage_until.astimezone(CENTRAL) + timedelta(days=1)).date()
    frozen_now(at(first_day + timedelta(days=3)))  # three whole days have passed
    with committed():
        assert services.storage_sweep() == 1
        assert services.storage_sweep() == 0  # the same days are not charged twice
    order.refresh_from_db()
    assert order.storage_fee == Decimal("75.00")
    assert order.balance == Decimal("75.00")
    assert Notification.objects.filter(user=order.buyer, kind="storage_charged").exists()
    with pytest.raises(Conflict) as caught:
        services.pickup_confirm(order_id=order.pk, actor=order.seller, code=fulfillment_of(order).pickup_code)
    assert caught.value.code == "balance_due"
    payment = order_pay(order_id=order.pk, user=order.buyer)
    assert payment.purpose == Payment.Purpose.STORAGE
    assert payment.amount == Decimal("75.00")
    services.pickup_confirm(order_id=order.pk, actor=order.seller, code=fulfillment_of(order).pickup_code)
    frozen_now(at(first_day + timedelta(days=10)))
    services.storage_sweep()
    order.refresh_from_db()
    assert order.storage_fee == Decimal("100.00")  # the pickup day itself counted, nothing after it
    assert order.status == Order.Status.IN_FULFILLMENT


def test_storage_is_waived_for_every_day_the_seller_was_late_or_had_not_released_the_vehicle(paid_order, frozen_now):
    order = paid_order()
    fulfillment = fulfillment_of(order)
    first_day = (fulfillment.free_storage_until.astimezone(CENTRAL) + timedelta(days=1)).date()
    # the seller never sent the documents and releases the vehicle on the second storage day
    frozen_now(at(first_day + timedelta(days=1), 10))
    services.vehicle_release(order_id=order.pk, actor=order.seller)
    frozen_now(at(first_day + timedelta(days=4)))
    services.storage_sweep()
    days = {d.day: (d.status, d.reason) for d in StorageDay.objects.filter(fulfillment=fulfillment)}
    assert days == {
        first_day: ("waived", "not_released"),
        first_day + timedelta(days=1): ("waived", "not_released"),
        first_day + timedelta(days=2): ("waived", "seller_late"),
        first_day + timedelta(days=3): ("waived", "seller_late"),
    }
    order.refresh_from_db()
    assert order.storage_fee == 0
    assert order.balance == 0


def test_storage_stops_once_transport_is_paid(paid_order, frozen_now, fake_super_dispatch):
    order = paid_order()
    fulfillment = fulfillment_of(order)
    services.vehicle_release(order_id=order.pk, actor=order.seller)
    services.transport_book(
        order_id=order.pk,
        actor=order.buyer,
        address=services.DeliveryAddress("B", "", "1 Main", "Chicago", "IL", "60601"),
        enclosed=False,
        expected_price=None,
    )
    frozen_now(fulfillment.free_storage_until + timedelta(days=20))
    services.storage_sweep()
    assert not StorageDay.objects.filter(fulfillment=fulfillment).exists()


def test_staff_waive_charged_storage_with_a_reason(paid_order, frozen_now, staff_user, committed):
    order = paid_order()
    fulfillment = fulfillment_of(order)
    services.vehicle_release(order_id=order.pk, actor=order.seller)
    from fulfillment.services.title import required_kinds
    from tests.fixtures.fulfillment import pdf_upload

    for kind in required_kinds(order):
        services.title_document_upload(actor=order.seller, order_id=order.pk, kind=kind, upload=pdf_upload())
    frozen_now(fulfillment.free_storage_until + timedelta(days=3))
    services.storage_sweep()
    order.refresh_from_db()
    charged = order.storage_fee
    assert charged > 0
    with pytest.raises(DomainError):
        services.storage_waive(order_id=order.pk, actor=staff_user, reason=" ")
    with committed():
        assert services.storage_waive(order_id=order.pk, actor=staff_user, reason="Our yard was closed") == charged
    order.refresh_from_db()
    assert order.storage_fee == 0
    assert order.balance == 0
    assert Notification.objects.filter(
        user=order.buyer, kind="storage_waived", body__contains="Our yard was closed"
    ).exists()
    with pytest.raises(Conflict):
        services.storage_waive(order_id=order.pk, actor=staff_user, reason="again")


def test_storage_uses_the_staff_editable_daily_rate(paid_order, frozen_now):
    from core.models import FeeSchedule

    FeeSchedule.objects.filter(is_active=True).update(storage_fee_per_day=Decimal("40.00"))
    order = paid_order()
    fulfillment = fulfillment_of(order)
    services.vehicle_release(order_id=order.pk, actor=order.seller)
    fulfillment.refresh_from_db()
    from fulfillment.models import Fulfillment

    Fulfillment.objects.filter(pk=fulfillment.pk).update(documents_due_at=timezone.now() + timedelta(days=60))
    first_day = (fulfillment.free_storage_until.astimezone(CENTRAL) + timedelta(days=1)).date()
    frozen_now(at(first_day + timedelta(days=2)))  # two whole storage days have ended
    services.storage_sweep()
    order.refresh_from_db()
    assert order.storage_fee == Decimal("80.00")


def test_the_buyer_is_reminded_once_a_day_before_free_pickup_ends(paid_order, frozen_now, committed):
    order = paid_order()
    fulfillment = fulfillment_of(order)
    frozen_now(fulfillment.free_storage_until - timedelta(hours=30))
    with committed():
        services.storage_sweep()
    assert not Notification.objects.filter(user=order.buyer, kind="pickup_reminder").exists()
    frozen_now(fulfillment.free_storage_until - timedelta(hours=20))
    with committed():
        services.storage_sweep()
        services.storage_sweep()
    reminders = Notification.objects.filter(user=order.buyer, kind="pickup_reminder")
    assert reminders.count() == 1
    assert "$25.00 a day" in reminders.get().body
