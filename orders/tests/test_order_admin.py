"""The staff console: list filters without N+1, refund and cancel through services."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.models import Order, Payment
from orders.payments import order_pay


@pytest.fixture
def paid_order(order_factory, user_factory, card_for, fake_authorize_net):
    buyer = user_factory(state="MN")
    card_for(buyer)
    order = order_factory(buyer=buyer)
    charge = order_pay(order_id=order.pk, user=buyer)
    fake_authorize_net.settle(charge.gateway_transaction_id)
    order.refresh_from_db()
    return order


@pytest.mark.django_db
def test_staff_refund_part_of_a_settled_payment_from_the_admin(client, staff_user, paid_order):
    client.force_login(staff_user)
    page = client.get(f"/admin/orders/order/{paid_order.pk}/change/").content.decode()
    assert "Refund" in page
    response = client.post(
        f"/admin/orders/order/{paid_order.pk}/refund/",
        {"amount": "500.00", "reason": "Dent found at pickup"},
        follow=True,
    )
    assert response.status_code == 200
    assert "Refund of $500.00 approved" in response.content.decode()
    paid_order.refresh_from_db()
    assert paid_order.amount_refunded == Decimal("500.00")
    assert paid_order.payments.get(kind=Payment.Kind.REFUND).note == "Dent found at pickup"


@pytest.mark.django_db
def test_admin_refund_over_the_paid_amount_shows_the_error(client, staff_user, paid_order):
    client.force_login(staff_user)
    response = client.post(
        f"/admin/orders/order/{paid_order.pk}/refund/", {"amount": str(paid_order.total + 1), "reason": "x"}
    )
    assert response.status_code == 200
    assert "at most" in response.content.decode()
    paid_order.refresh_from_db()
    assert paid_order.amount_refunded == 0


@pytest.mark.django_db
def test_admin_cancel_with_reason(client, staff_user, order_factory):
    order = order_factory()
    client.force_login(staff_user)
    client.post(f"/admin/orders/order/{order.pk}/cancel/", {"reason": "Unpaid for a week"})
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED


@pytest.mark.django_db
def test_order_list_query_count_does_not_grow_with_rows(client, staff_user, order_factory):
    client.force_login(staff_user)
    order_factory()
    with CaptureQueriesContext(connection) as few:
        assert client.get("/admin/orders/order/?overdue=yes").status_code == 200
    for _ in range(5):
        order_factory()
    with CaptureQueriesContext(connection) as many:
        assert client.get("/admin/orders/order/").status_code == 200
    assert len(many) <= len(few) + 1


@pytest.mark.django_db
def test_non_staff_cannot_open_the_refund_page(client, paid_order):
    client.force_login(paid_order.buyer)
    response = client.get(f"/admin/orders/order/{paid_order.pk}/refund/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
