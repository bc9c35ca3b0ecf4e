"""Money moves exactly once: the real Authorize.Net client against the local fake over HTTP."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from core import idempotency
from core.errors import Conflict, DomainError, NotFound
from orders.models import Order, Payment
from orders.payments import order_pay, order_refund, payments_reconcile_unknown


@pytest.fixture
def buyer(user_factory, card_for, fake_authorize_net):
    user = user_factory(state="MN")
    card_for(user)
    return user


def charges_at(fake) -> int:
    return sum(1 for raw in fake.raw_requests if b"authCaptureTransaction" in raw)


@pytest.mark.django_db
def test_approved_charge_pays_the_order_in_full(
    order_factory, buyer, fake_authorize_net, mailoutbox, django_capture_on_commit_callbacks
):
    order = order_factory(buyer=buyer)
    with django_capture_on_commit_callbacks(execute=True):
        payment = order_pay(order_id=order.pk, user=buyer)
    order.refresh_from_db()
    assert payment.status == Payment.Status.APPROVED
    assert payment.amount == order.total
    assert payment.gateway_transaction_id in fake_authorize_net.transactions
    assert fake_authorize_net.transactions[payment.gateway_transaction_id].invoice_number == payment.invoice_number
    # paid in full, and the start of title and delivery (settings.ORDER_PAID_TASKS) ran after the commit
    assert order.events.filter(to_status=Order.Status.PAID).exists()
    assert order.paid_at is not None
    assert order.status == Order.Status.IN_FULFILLMENT
    assert order.balance == 0
    assert any(order.number in m.subject or order.number in m.body for m in mailoutbox)


@pytest.mark.django_db
def test_declined_card_leaves_the_order_payable_with_the_reason(
    order_factory, user_factory, card_for, fake_authorize_net
):
    buyer = user_factory()
    card_for(buyer)
    fake_authorize_net.decline_next = True
    order = order_factory(buyer=buyer)
    payment = order_pay(order_id=order.pk, user=buyer)
    order.refresh_from_db()
    assert payment.status == Payment.Status.DECLINED
    assert "declined" in payment.reason.lower()
    assert order.is_payable
    assert order.amount_paid == 0


@pytest.mark.django_db
def test_held_for_review_does_not_mark_paid_and_blocks_a_second_attempt(order_factory, buyer, fake_authorize_net):
    fake_authorize_net.hold_next = True
    order = order_factory(buyer=buyer)
    payment = order_pay(order_id=order.pk, user=buyer)
    order.refresh_from_db()
    assert payment.status == Payment.Status.HELD
    assert order.status == Order.Status.PENDING_PAYMENT
    with pytest.raises(Conflict, match="reviewed"):
        order_pay(order_id=order.pk, user=buyer)
    assert charges_at(fake_authorize_net) == 1


@pytest.mark.django_db
def test_paying_twice_is_refused_and_charges_once(order_factory, buyer, fake_authorize_net):
    order = order_factory(buyer=buyer)
    order_pay(order_id=order.pk, user=buyer)
    with pytest.raises(Conflict, match="already paid"):
        order_pay(order_id=order.pk, user=buyer)
    assert charges_at(fake_authorize_net) == 1


@pytest.mark.django_db
def test_same_idempotency_key_replays_the_first_payment(order_factory, buyer, fake_authorize_net):
    order = order_factory(buyer=buyer)
    first = order_pay(order_id=order.pk, user=buyer, idempotency_key="k-1")
    again = order_pay(order_id=order.pk, user=buyer, idempotency_key="K-1")  # keys compare without case
    assert isinstance(again, idempotency.Replay)
    assert (again.status, again.body["data"]["id"]) == (200, first.pk)
    assert charges_at(fake_authorize_net) == 1


@pytest.mark.django_db
def test_a_key_used_for_another_order_is_refused_and_a_bad_key_is_never_cut(order_factory, buyer, fake_authorize_net):
    order, other = order_factory(buyer=buyer), order_factory(buyer=buyer)
    order_pay(order_id=order.pk, user=buyer, idempotency_key="k-1")
    with pytest.raises(idempotency.KeyReused):
        order_pay(order_id=other.pk, user=buyer, idempotency_key="k-1")
    with pytest.raises(idempotency.InvalidKey):
        order_pay(order_id=other.pk, user=buyer, idempotency_key="k" * 101)
    assert charges_at(fake_authorize_net) == 1


@pytest.mark.django_db
def test_a_retry_while_the_first_charge_is_in_flight_is_told_to_wait(order_factory, buyer, fake_authorize_net):
    """The key is taken with the pending payment and answered once the charge is settled: a retry in between
    gets 409 idempotency_key_in_flight, and nothing is charged twice."""
    from orders import payments

    order = order_factory(buyer=buyer)
    keyed = idempotency.keyed(buyer, "k-2", "payment", order.pk)
    payments._charge_begin(order_id=order.pk, user=buyer, keyed=keyed)  # the first request, before its charge
    with pytest.raises(idempotency.KeyInFlight):
        order_pay(order_id=order.pk, user=buyer, idempotency_key="k-2")
    assert charges_at(fake_authorize_net) == 0


@pytest.mark.django_db
def test_someone_elses_order_is_not_found(order_factory, buyer, user_factory, fake_authorize_net):
    order = order_factory(buyer=buyer)
    with pytest.raises(NotFound):
        order_pay(order_id=order.pk, user=user_factory())
    assert charges_at(fake_authorize_net) == 0


@pytest.mark.django_db
def test_no_card_on_file_is_a_clear_error(order_factory, user_factory, fake_authorize_net):
    buyer = user_factory()
    order = order_factory(buyer=buyer)
    with pytest.raises(DomainError, match="card"):
        order_pay(order_id=order.pk, user=buyer)
    assert not Payment.objects.exists()


@pytest.mark.django_db
def test_timeout_after_the_gateway_charged_is_reconciled_without_a_second_charge(
    order_factory, buyer, fake_authorize_net, settings
):
    settings.AUTHORIZE_NET_TIMEOUT = 0.5
    fake_authorize_net.respond_delay_once = 1.5  # the fake charges, then answers too late
    order = order_factory(buyer=buyer)
    payment = order_pay(order_id=order.pk, user=buyer)
    order.refresh_from_db()
    charged = [t for t in fake_authorize_net.transactions.values() if t.type == "authCaptureTransaction"]
    assert len(charged) == 1, "exactly one charge exists at the gateway"
    assert payment.status == Payment.Status.APPROVED
    assert payment.gateway_transaction_id == charged[0].id
    assert order.status == Order.Status.PAID


@pytest.mark.django_db
def test_gateway_down_leaves_payment_unknown_then_the_beat_task_settles_it(
    order_factory, buyer, fake_authorize_net, settings
):
    settings.AUTHORIZE_NET_TIMEOUT = 0.5
    fake_authorize_net.fail_status = 503
    order = order_factory(buyer=buyer)
    payment = order_pay(order_id=order.pk, user=buyer)
    assert payment.status == Payment.Status.UNKNOWN
    with pytest.raises(Conflict, match="already being processed"):
        order_pay(order_id=order.pk, user=buyer)
    fake_authorize_net.fail_status = None
    assert payments_reconcile_unknown(older_than_seconds=0) == 1
    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.status == Payment.Status.APPROVED
    assert order.status == Order.Status.PAID
    assert sum(1 for t in fake_authorize_net.transactions.values() if t.type == "authCaptureTransaction") == 1


@pytest.mark.django_db
def test_refund_of_a_settled_payment_and_partial_refunds_add_up(order_factory, buyer, staff_user, fake_authorize_net):
    order = order_factory(buyer=buyer)
    charge = order_pay(order_id=order.pk, user=buyer)
    fake_authorize_net.settle(charge.gateway_transaction_id)
    first = order_refund(order_id=order.pk, amount=Decimal("100.00"), reason="Scratch not disclosed", actor=staff_user)
    second = order_refund(order_id=order.pk, amount=Decimal("250.50"), reason="Missing key", actor=staff_user)
    order.refresh_from_db()
    assert (first.kind, first.status) == (Payment.Kind.REFUND, Payment.Status.APPROVED)
    assert second.status == Payment.Status.APPROVED
    assert order.amount_refunded == Decimal("350.50")
    assert fake_authorize_net.transactions[charge.gateway_transaction_id].refunded == Decimal("350.50")
    assert order.events.filter(kind="refund").count() == 2


@pytest.mark.django_db
def test_refund_over_the_paid_amount_is_refused(order_factory, buyer, staff_user, fake_authorize_net):
    order = order_factory(buyer=buyer)
    charge = order_pay(order_id=order.pk, user=buyer)
    fake_authorize_net.settle(charge.gateway_transaction_id)
    order.refresh_from_db()
    with pytest.raises(DomainError, match="at most"):
        order_refund(order_id=order.pk, amount=order.amount_paid + Decimal("0.01"), reason="too much", actor=staff_user)
    assert not order.payments.filter(kind=Payment.Kind.REFUND).exists()


@pytest.mark.django_db
def test_unsettled_payment_is_voided_in_full(order_factory, buyer, staff_user, fake_authorize_net):
    order = order_factory(buyer=buyer)
    charge = order_pay(order_id=order.pk, user=buyer)
    order.refresh_from_db()
    void = order_refund(order_id=order.pk, amount=order.amount_paid, reason="Buyer changed mind", actor=staff_user)
    order.refresh_from_db()
    assert (void.kind, void.status) == (Payment.Kind.VOID, Payment.Status.APPROVED)
    assert fake_authorize_net.transactions[charge.gateway_transaction_id].status == "voided"
    assert order.status == Order.Status.REFUNDED


@pytest.mark.django_db
def test_partial_refund_of_an_unsettled_payment_explains_and_moves_nothing(
    order_factory, buyer, staff_user, fake_authorize_net
):
    order = order_factory(buyer=buyer)
    charge = order_pay(order_id=order.pk, user=buyer)
    refund = order_refund(order_id=order.pk, amount=Decimal("10.00"), reason="partial", actor=staff_user)
    order.refresh_from_db()
    assert refund.status == Payment.Status.ERROR
    assert "not settled" in refund.reason
    assert order.amount_refunded == 0
    assert fake_authorize_net.transactions[charge.gateway_transaction_id].status == "capturedPendingSettlement"


@pytest.mark.django_db(transaction=True)
@pytest.mark.race
def test_twenty_parallel_pay_requests_charge_exactly_once(order_factory, buyer, fake_authorize_net):
    order = order_factory(buyer=buyer)
    barrier = threading.Barrier(20)
    outcomes: list[str] = []

    def pay() -> None:
        try:
            barrier.wait()
            outcomes.append(order_pay(order_id=order.pk, user=buyer).status)
        except Conflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=pay) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert charges_at(fake_authorize_net) == 1
    assert outcomes.count(Payment.Status.APPROVED) == 1
    assert outcomes.count("conflict") == 19
    order.refresh_from_db()
    assert order.amount_paid == order.total
    assert order.payments.count() == 1


@pytest.mark.django_db
def test_a_refund_whose_answer_was_lost_is_reconciled_without_a_second_refund(
    order_factory, buyer, staff_user, fake_authorize_net, settings
):
    order = order_factory(buyer=buyer)
    charge = order_pay(order_id=order.pk, user=buyer)
    fake_authorize_net.settle(charge.gateway_transaction_id)
    settings.AUTHORIZE_NET_TIMEOUT = 0.5
    fake_authorize_net.respond_delay_once, fake_authorize_net.late_once_for = 1.5, "refundTransaction"
    refund = order_refund(order_id=order.pk, amount=Decimal("300.00"), reason="Scratch", actor=staff_user)
    assert refund.status == Payment.Status.UNKNOWN
    order.refresh_from_db()
    assert order.amount_refunded == Decimal("0.00")
    with pytest.raises(DomainError, match="at most"):  # the unknown refund counts against what may be refunded
        order_refund(order_id=order.pk, amount=order.amount_paid, reason="All of it", actor=staff_user)
    assert payments_reconcile_unknown(older_than_seconds=0) == 1
    refund.refresh_from_db()
    order.refresh_from_db()
    assert refund.status == Payment.Status.APPROVED
    assert order.amount_refunded == Decimal("300.00")
    refunds = [t for t in fake_authorize_net.transactions.values() if t.type == "refundTransaction"]
    assert [t.id for t in refunds] == [refund.gateway_transaction_id]
    assert refunds[0].invoice_number == refund.invoice_number
    assert fake_authorize_net.transactions[charge.gateway_transaction_id].refunded == Decimal("300.00")
    assert payments_reconcile_unknown(older_than_seconds=0) == 0


@pytest.mark.django_db
def test_a_void_whose_answer_was_lost_is_read_on_its_charge(
    order_factory, buyer, staff_user, fake_authorize_net, settings
):
    order = order_factory(buyer=buyer)
    charge = order_pay(order_id=order.pk, user=buyer)  # not settled: only a void in full
    order.refresh_from_db()
    settings.AUTHORIZE_NET_TIMEOUT = 0.5
    fake_authorize_net.respond_delay_once, fake_authorize_net.late_once_for = 1.5, "voidTransaction"
    void = order_refund(order_id=order.pk, amount=order.amount_paid, reason="Cancelled", actor=staff_user)
    assert (void.kind, void.status) == (Payment.Kind.VOID, Payment.Status.UNKNOWN)
    assert fake_authorize_net.transactions[charge.gateway_transaction_id].status == "voided"
    assert payments_reconcile_unknown(older_than_seconds=0) == 1
    void.refresh_from_db()
    order.refresh_from_db()
    assert void.status == Payment.Status.APPROVED
    assert (order.amount_refunded, order.status) == (order.amount_paid, Order.Status.REFUNDED)
