"""Orders: created once per source, priced by the one pricing function, deadlines and late fees."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from core.pricing import purchase_breakdown
from orders.deadlines import add_business_days
from orders.models import Order, OrderEvent
from orders.services import order_cancel, order_create, orders_apply_late_fees, orders_flag_cancellable


@pytest.mark.django_db
def test_order_lines_equal_the_pricing_function_used_by_the_bid_form(order_factory, user_factory):
    buyer = user_factory(state="MN")
    order = order_factory(buyer=buyer, price=Decimal("23456.78"))
    expected = purchase_breakdown(price=Decimal("23456.78"), buyer_state="MN")
    assert (
        order.vehicle_price,
        order.buyer_fee,
        order.documentation_fee,
        order.title_fee,
        order.sales_tax,
        order.total,
    ) == (
        expected.vehicle_price,
        expected.buyer_fee,
        expected.documentation_fee,
        expected.title_fee,
        expected.sales_tax,
        expected.total,
    )
    assert order.status == Order.Status.PENDING_PAYMENT
    assert order.number == f"NS-{timezone.now():%Y}-{order.pk:06d}"
    assert OrderEvent.objects.filter(order=order, kind="created").count() == 1


@pytest.mark.django_db
def test_creating_the_same_source_twice_returns_one_order(vehicle_factory, user_factory):
    car, buyer = vehicle_factory(), user_factory()
    kwargs = {
        "source_type": "auction",
        "source_id": 77,
        "buyer": buyer,
        "seller": car.seller,
        "vehicle_id": car.pk,
        "price": Decimal("9000"),
        "sold_at": timezone.now(),
    }
    first = order_create(**kwargs)
    second = order_create(**kwargs)
    assert first.pk == second.pk
    assert Order.objects.filter(source_type="auction", source_id=77).count() == 1


def test_payment_is_due_three_business_days_after_a_friday_sale(settings):
    friday_evening = datetime(2026, 11, 20, 23, 30, tzinfo=UTC)  # 5:30 pm Friday in Minneapolis
    due = add_business_days(friday_evening, 3)
    assert due.astimezone(UTC) == datetime(2026, 11, 25, 23, 30, tzinfo=UTC)  # Wednesday


@pytest.mark.django_db
def test_late_fee_is_added_once_and_buyer_and_staff_are_told(
    order_factory, staff_user, mailoutbox, django_capture_on_commit_callbacks
):
    order = order_factory(sold_at=timezone.now() - timedelta(days=10))
    with django_capture_on_commit_callbacks(execute=True):
        assert orders_apply_late_fees() == 1
        assert orders_apply_late_fees() == 0
    order.refresh_from_db()
    assert order.late_fee == Decimal("50.00")
    assert order.late_fee_applied_at is not None
    assert order.total == purchase_breakdown(price=order.vehicle_price, buyer_state=order.buyer_state).total + Decimal(
        "50.00"
    )
    recipients = {address for message in mailoutbox for address in message.to}
    assert order.buyer.email in recipients
    assert staff_user.email in recipients


@pytest.mark.django_db
def test_order_not_yet_due_gets_no_late_fee(order_factory):
    order_factory(sold_at=timezone.now())
    assert orders_apply_late_fees() == 0


@pytest.mark.django_db
def test_unpaid_after_five_business_days_is_flagged_once(order_factory):
    order = order_factory(sold_at=timezone.now() - timedelta(days=9))
    fresh = order_factory(sold_at=timezone.now() - timedelta(days=4))
    assert orders_flag_cancellable() == 1
    assert orders_flag_cancellable() == 0
    order.refresh_from_db()
    fresh.refresh_from_db()
    assert order.flagged_overdue_at is not None
    assert fresh.flagged_overdue_at is None


@pytest.mark.django_db
def test_staff_cancel_requires_a_reason_and_writes_an_event(order_factory, staff_user):
    order = order_factory()
    from core.errors import DomainError

    with pytest.raises(DomainError):
        order_cancel(order_id=order.pk, actor=staff_user, reason=" ")
    order_cancel(order_id=order.pk, actor=staff_user, reason="Buyer never paid")
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert order.events.filter(to_status="cancelled", message="Buyer never paid").exists()


@pytest.mark.django_db(transaction=True)
def test_two_workers_creating_the_order_for_one_sale_make_exactly_one(vehicle_factory, user_factory):
    import threading

    car, buyer = vehicle_factory(), user_factory()
    barrier = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            order = order_create(
                source_type="auction",
                source_id=4242,
                buyer=buyer,
                seller=car.seller,
                vehicle_id=car.pk,
                price=Decimal("5000"),
                sold_at=timezone.now(),
            )
            results.append(order.pk)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(set(results)) == 1
    assert Order.objects.filter(source_type="auction", source_id=4242).count() == 1


@pytest.mark.django_db
def test_buyer_may_read_private_documents_after_the_sale_and_strangers_may_not(order_factory, user_factory):
    from vehicles.selectors import can_read_documents

    order = order_factory()
    assert can_read_documents(order.buyer, order.vehicle)
    assert not can_read_documents(user_factory(), order.vehicle)


@pytest.mark.django_db
def test_dashboard_counts_open_orders(order_factory, auth_client):
    order = order_factory()
    counts = auth_client(order.buyer).get("/api/users/dashboard").json()
    counts = counts.get("data", counts).get("counts", counts)
    assert counts["open_orders"] == 1


@pytest.mark.django_db
def test_cancel_and_suspend_suspends_the_buyer_once(order_factory, staff_user):
    first = order_factory()
    second = order_factory(buyer=first.buyer)
    order_cancel(order_id=first.pk, actor=staff_user, reason="Never paid", suspend_buyer=True)
    first.buyer.refresh_from_db()
    assert first.buyer.is_suspended
    assert "Never paid" in first.buyer.suspension_reason
    # a second unpaid order of the same, already suspended buyer can be cancelled the same way
    order_cancel(order_id=second.pk, actor=staff_user, reason="Never paid either", suspend_buyer=True)
    second.refresh_from_db()
    assert second.status == Order.Status.CANCELLED
