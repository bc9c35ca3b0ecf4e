"""Completion and the seller's proceeds: price − seller fee − charges the seller caused, to the cent; held
until both tracks ended and the claim window passed; released exactly once (real transactions racing on
MariaDB); never while something holds them (the hold check claims will plug into); paid out by staff."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from core.errors import Conflict, DomainError
from fulfillment import services
from fulfillment.holds import HoldReason, proceeds_hold_reasons
from fulfillment.models import FulfillmentEvent, ProceedsLine, ProceedsStatus, SellerProceeds
from notifications.models import Notification
from orders.models import Order, OrderEvent
from tests.fixtures.fulfillment import fulfillment_of


def finish_both_tracks(order, staff_user, settings):
    """Title issued and received, vehicle picked up with the code (the sandbox title service answers at once)."""
    settings.TITLE_TRANSFER_SANDBOX_STEP_SECONDS = 0
    from fulfillment.services.title import required_kinds
    from tests.fixtures.fulfillment import pdf_upload

    for kind in required_kinds(order):
        services.title_document_upload(actor=order.seller, order_id=order.pk, kind=kind, upload=pdf_upload())
    services.title_documents_approve(order_id=order.pk, actor=staff_user)
    services.titles_poll()
    services.title_mark_delivered(order_id=order.pk, actor=order.buyer)
    services.vehicle_release(order_id=order.pk, actor=order.seller)
    services.delivery_choose_pickup(order_id=order.pk, actor=order.buyer)
    services.pickup_confirm(order_id=order.pk, actor=order.seller, code=fulfillment_of(order).pickup_code)
    order.refresh_from_db()
    return order


def lines_total(order) -> Decimal:
    return sum(ProceedsLine.objects.filter(proceeds__order=order).values_list("amount", flat=True), Decimal("0"))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("price", "fee"),
    [
        ("10000.00", "250.00"),
        ("3000.00", "100.00"),
        ("4000.00", "100.00"),
        ("4000.40", "100.01"),
        ("123456.78", "3086.42"),
    ],
)
def test_proceeds_are_the_price_less_the_seller_fee_to_the_cent(paid_order, price, fee):
    order = paid_order(price=Decimal(price))
    proceeds = SellerProceeds.objects.get(order=order)
    assert [(line.kind, line.amount) for line in proceeds.lines.order_by("pk")] == [
        ("sale", Decimal(price)),
        ("seller_fee", -Decimal(fee)),
    ]
    assert proceeds.net == Decimal(price) - Decimal(fee) == lines_total(order)
    assert proceeds.status == ProceedsStatus.HELD


@pytest.mark.django_db
def test_nothing_is_released_while_a_track_is_open_or_the_claim_window_runs(paid_order, staff_user, settings):
    order = paid_order()
    reasons = {r.code for r in proceeds_hold_reasons(order)}
    assert reasons == {"title", "vehicle"}
    assert not services.fulfillment_complete(order_id=order.pk)
    order = finish_both_tracks(order, staff_user, settings)
    assert [r.code for r in proceeds_hold_reasons(order)] == ["claim_window"]
    assert services.fulfillments_complete_due() == 0
    assert SellerProceeds.objects.get(order=order).status == ProceedsStatus.HELD
    later = order.delivered_at + timedelta(days=7, seconds=1)
    assert services.fulfillments_complete_due(now=later) == 1
    order.refresh_from_db()
    assert order.status == Order.Status.COMPLETED
    assert SellerProceeds.objects.get(order=order).status == ProceedsStatus.RELEASED


def open_claim_hold(order, fulfillment, now):
    """What the back office's claims will plug in: an open claim holds the proceeds."""
    if getattr(open_claim_hold, "open", False):
        return [HoldReason("claim_open", "Claim #1 is open")]
    return []


@pytest.mark.django_db
def test_a_plugged_in_hold_such_as_an_open_claim_keeps_the_proceeds_held(paid_order, staff_user, settings):
    settings.PROCEEDS_HOLD_CHECKS = [
        *settings.PROCEEDS_HOLD_CHECKS,
        "fulfillment.tests.test_completion.open_claim_hold",
    ]
    settings.FULFILLMENT_CLAIM_WINDOW_SECONDS = 0
    order = finish_both_tracks(paid_order(), staff_user, settings)
    open_claim_hold.open = True
    try:
        assert [r.code for r in proceeds_hold_reasons(order)] == ["claim_open"]
        assert not services.fulfillment_complete(order_id=order.pk)
        assert SellerProceeds.objects.get(order=order).status == ProceedsStatus.HELD
    finally:
        open_claim_hold.open = False
    assert services.fulfillment_complete(order_id=order.pk)


@pytest.mark.django_db
def test_charges_the_seller_caused_come_off_the_proceeds_and_the_lines_still_add_up(paid_order, staff_user, committed):
    order = paid_order()
    with pytest.raises(DomainError):
        services.proceeds_charge_seller(
            order_id=order.pk, actor=staff_user, kind="storage", amount=Decimal("50"), reason=""
        )
    with committed():
        services.proceeds_charge_seller(
            order_id=order.pk,
            actor=staff_user,
            kind="storage",
            amount=Decimal("50.00"),
            reason="Yard storage while the title was missing",
        )
    proceeds = SellerProceeds.objects.get(order=order)
    assert proceeds.net == Decimal("9700.00") == lines_total(order)
    assert Notification.objects.filter(user=order.seller, kind="proceeds_changed", body__contains="$50.00").exists()


@pytest.mark.django_db
def test_staff_record_the_payout_with_a_reference_once(paid_order, staff_user, settings, committed):
    settings.FULFILLMENT_CLAIM_WINDOW_SECONDS = 0
    order = finish_both_tracks(paid_order(), staff_user, settings)
    with pytest.raises(Conflict):
        services.proceeds_mark_paid(order_id=order.pk, actor=staff_user, reference="ACH-1")  # still held
    with committed():
        assert services.fulfillment_complete(order_id=order.pk)
    assert Notification.objects.filter(user=order.seller, kind="proceeds_released", body__contains="$9,750.00").exists()
    with pytest.raises(DomainError):
        services.proceeds_mark_paid(order_id=order.pk, actor=staff_user, reference="  ")
    services.proceeds_mark_paid(order_id=order.pk, actor=staff_user, reference="ACH-20261207-1")
    with pytest.raises(Conflict):
        services.proceeds_mark_paid(order_id=order.pk, actor=staff_user, reference="ACH-again")
    proceeds = SellerProceeds.objects.get(order=order)
    assert (proceeds.status, proceeds.payout_reference) == (ProceedsStatus.PAID_OUT, "ACH-20261207-1")


@pytest.mark.django_db
def test_staff_are_reminded_of_payouts_past_due_once_a_day(paid_order, staff_user, settings, frozen_now):
    settings.FULFILLMENT_CLAIM_WINDOW_SECONDS = 0
    order = finish_both_tracks(paid_order(), staff_user, settings)
    services.fulfillment_complete(order_id=order.pk)
    due = SellerProceeds.objects.get(order=order).payout_due_at
    frozen_now(due + timedelta(minutes=5))
    assert services.payouts_remind_staff() == 1
    assert services.payouts_remind_staff() == 0
    frozen_now(due + timedelta(days=1, minutes=10))
    assert services.payouts_remind_staff() == 1


# --- races on MariaDB --------------------------------------------------------------------------------------------


def run_threads(count: int, target) -> list:
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def body(index: int) -> None:
        try:
            barrier.wait()
            results[index] = target(index)
        except Exception as exc:  # noqa: BLE001 - asserted by the test
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=body, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.mark.django_db(transaction=True)
@pytest.mark.race
def test_racing_completions_release_the_proceeds_exactly_once_and_equal_to_the_lines(paid_order, staff_user, settings):
    settings.FULFILLMENT_CLAIM_WINDOW_SECONDS = 0
    order = finish_both_tracks(paid_order(price=Decimal("18765.43")), staff_user, settings)
    results = run_threads(8, lambda i: services.fulfillment_complete(order_id=order.pk))
    assert sorted(results, key=str) == [False] * 7 + [True], results
    proceeds = SellerProceeds.objects.get(order=order)
    assert proceeds.status == ProceedsStatus.RELEASED
    assert proceeds.net == lines_total(order) == Decimal("18765.43") - Decimal("469.14")
    assert FulfillmentEvent.objects.filter(fulfillment__order=order, track="proceeds", kind="released").count() == 1
    assert OrderEvent.objects.filter(order=order, to_status="completed").count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.race
def test_a_charge_racing_the_release_either_lands_before_it_or_is_refused(paid_order, staff_user, settings):
    settings.FULFILLMENT_CLAIM_WINDOW_SECONDS = 0
    order = finish_both_tracks(paid_order(), staff_user, settings)

    def act(index: int):
        if index % 2:
            return services.fulfillment_complete(order_id=order.pk)
        return services.proceeds_charge_seller(
            order_id=order.pk, actor=staff_user, kind="transport", amount=Decimal("10.00"), reason=f"charge {index}"
        )

    results = run_threads(6, act)
    assert sum(1 for r in results if r is True) == 1
    refused = [r for r in results if isinstance(r, Conflict)]
    landed = [r for r in results if isinstance(r, ProceedsLine)]
    assert len(refused) + len(landed) == 3
    proceeds = SellerProceeds.objects.get(order=order)
    assert proceeds.net == lines_total(order) == Decimal("9750.00") - 10 * len(landed)
    released = FulfillmentEvent.objects.get(fulfillment__order=order, track="proceeds", kind="released")
    assert Decimal(released.data["net"]) == proceeds.net  # what was released is what the lines say


@pytest.mark.django_db(transaction=True)
@pytest.mark.race
def test_racing_webhook_and_poll_move_the_vehicle_once(paid_order, fake_super_dispatch):
    order = paid_order()
    booking = services.transport_book(
        order_id=order.pk,
        actor=order.buyer,
        address=services.DeliveryAddress("B", "", "1 Main", "Chicago", "IL", "60601"),
        enclosed=False,
        expected_price=None,
    )
    fake_super_dispatch.advance(booking.vendor_guid, "delivered")
    results = run_threads(
        6, lambda i: services.transport_sync(guid=booking.vendor_guid) if i % 2 else services.transports_poll()
    )
    assert not any(isinstance(r, Exception) for r in results), results
    assert FulfillmentEvent.objects.filter(fulfillment__order=order, to_status="delivered").count() == 1
    assert OrderEvent.objects.filter(order=order, kind="delivered").count() == 1
    assert Order.objects.get(pk=order.pk).delivered_at is not None
    assert timezone.now() >= Order.objects.get(pk=order.pk).delivered_at
