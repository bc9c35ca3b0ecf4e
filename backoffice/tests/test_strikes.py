"""Non-payment strikes: an order cancelled for non-payment adds one; two suspend until staff reinstate."""

import threading

import pytest

from accounts.models import AccountEvent, Strike, User
from accounts.services import user_reinstate, user_strike_add
from orders.models import Order
from orders.services import order_cancel

pytestmark = pytest.mark.django_db


def test_cancelling_for_non_payment_adds_a_strike_and_the_second_suspends(order_factory, user_factory, staff_user):
    buyer = user_factory()
    first, second = order_factory(buyer=buyer), order_factory(buyer=buyer)
    order_cancel(order_id=first.pk, actor=staff_user, reason="Never paid", non_payment=True)
    buyer.refresh_from_db()
    assert Strike.objects.filter(user=buyer).count() == 1
    assert buyer.suspended_at is None
    order_cancel(order_id=second.pk, actor=staff_user, reason="Never paid again", non_payment=True)
    buyer.refresh_from_db()
    assert Strike.objects.filter(user=buyer).count() == 2
    assert buyer.suspended_at is not None
    assert "2 non-payment strikes" in buyer.suspension_reason
    kinds = list(AccountEvent.objects.filter(user=buyer).values_list("kind", flat=True))
    assert kinds.count(AccountEvent.Kind.STRIKE_ADDED) == 2
    assert AccountEvent.Kind.SUSPENDED in kinds


def test_a_cancellation_for_another_reason_adds_no_strike(order_factory, staff_user):
    order = order_factory()
    order_cancel(order_id=order.pk, actor=staff_user, reason="Seller withdrew the vehicle")
    assert not Strike.objects.exists()


def test_one_strike_per_order_even_when_asked_twice(order_factory, staff_user):
    order = order_factory()
    user_strike_add(user_id=order.buyer_id, source=f"order:{order.pk}", reason="late", actor=staff_user)
    user_strike_add(user_id=order.buyer_id, source=f"order:{order.pk}", reason="late", actor=staff_user)
    assert Strike.objects.filter(user_id=order.buyer_id).count() == 1
    assert User.objects.get(pk=order.buyer_id).suspended_at is None


def test_a_reinstated_member_is_suspended_again_by_the_next_strike(user_factory, staff_user):
    member = user_factory()
    for n in (1, 2):
        user_strike_add(user_id=member.pk, source=f"order:{n}", reason="unpaid", actor=staff_user)
    user_reinstate(user_id=member.pk, actor=staff_user, reason="Paid up by phone")
    assert User.objects.get(pk=member.pk).suspended_at is None
    user_strike_add(user_id=member.pk, source="order:3", reason="unpaid", actor=staff_user)
    assert User.objects.get(pk=member.pk).suspended_at is not None


@pytest.mark.django_db(transaction=True)
def test_two_strikes_racing_suspend_exactly_once(user_factory, staff_user):
    member = user_factory()
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def strike(n: int) -> None:
        from django.db import connection

        try:
            barrier.wait(timeout=10)
            user_strike_add(user_id=member.pk, source=f"order:{n}", reason="unpaid", actor=None)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=strike, args=(n,)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert Strike.objects.filter(user=member).count() == 2
    assert AccountEvent.objects.filter(user=member, kind=AccountEvent.Kind.SUSPENDED).count() == 1


def test_admin_cancel_form_adds_the_strike_and_the_person_page_shows_it(client, staff_user, order_factory):
    order = order_factory()
    client.force_login(staff_user)
    client.post(f"/admin/orders/order/{order.pk}/cancel/", {"reason": "Unpaid for a week", "non_payment": "on"})
    assert Order.objects.get(pk=order.pk).status == Order.Status.CANCELLED
    page = client.get(f"/admin/console/people/{order.buyer_id}/").content.decode()
    assert "data-strikes>1<" in page
    assert "Unpaid for a week" in page


def test_suspend_without_a_reason_is_a_form_error_and_changes_nothing(client, staff_user, user_factory):
    member = user_factory()
    client.force_login(staff_user)
    response = client.post(f"/admin/console/people/{member.pk}/suspend/", {"reason": " "})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'aria-invalid="true"' in page
    assert 'aria-describedby="reason-errors"' in page
    assert User.objects.get(pk=member.pk).suspended_at is None


def test_reinstate_from_the_person_page_lifts_a_strike_suspension(client, staff_user, user_factory):
    member = user_factory()
    for n in (1, 2):
        user_strike_add(user_id=member.pk, source=f"order:{n}", reason="unpaid", actor=staff_user)
    client.force_login(staff_user)
    page = client.get(f"/admin/console/people/{member.pk}/").content.decode()
    assert "Reinstate account" in page
    client.post(f"/admin/console/people/{member.pk}/reinstate/", {"reason": "Paid both orders"})
    assert User.objects.get(pk=member.pk).suspended_at is None
