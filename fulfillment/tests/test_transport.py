"""Transport after the sale: the quote the buyer confirmed, charged as its own payment (exactly once), booked
with Super Dispatch (the real client against the fake over HTTP), then carried forward by webhook and poll."""

from decimal import Decimal

import pytest

from core.errors import Conflict
from fulfillment import services
from fulfillment.models import (
    FulfillmentEvent,
    ProceedsLine,
    TransportBooking,
    VehicleStatus,
    VendorWebhookSubscription,
)
from fulfillment.super_dispatch import SuperDispatchClient
from notifications.models import Notification
from orders.models import Order, Payment
from tests.fakes import super_dispatch as fake
from tests.fixtures.fulfillment import fulfillment_of

pytestmark = pytest.mark.django_db
CHICAGO = services.DeliveryAddress("Bea Buyer", "312-555-0100", "1 W Wacker Dr", "Chicago", "IL", "60601")


def book(order, **kwargs):
    return services.transport_book(
        order_id=order.pk,
        actor=order.buyer,
        address=kwargs.pop("address", CHICAGO),
        enclosed=kwargs.pop("enclosed", False),
        expected_price=kwargs.pop("expected_price", Decimal("685.65")),
        **kwargs,
    )


def vehicle_events(order):
    return list(
        FulfillmentEvent.objects.filter(fulfillment__order=order, track="vehicle")
        .exclude(to_status="")
        .values_list("to_status", flat=True)
    )


def test_booking_charges_the_quote_once_and_creates_the_carrier_order(
    paid_order, fake_super_dispatch, fake_authorize_net
):
    order = paid_order()
    booking = book(order, idempotency_key="k-1")
    assert booking.status == TransportBooking.Status.BOOKED
    assert booking.price == Decimal("685.65")
    assert booking.vendor_guid in fake_super_dispatch.orders
    sent = fake_super_dispatch.bodies[0]
    assert sent["number"] == f"{order.number}-T1"
    assert sent["price"] == "685.65"
    assert sent["transport_type"] == "OPEN"
    assert sent["pickup"]["venue"]["zip"] == "55401"
    assert sent["delivery"]["venue"]["zip"] == "60601"
    assert sent["vehicles"][0]["vin"] == order.vehicle.vin
    order.refresh_from_db()
    transport = Payment.objects.get(order=order, purpose=Payment.Purpose.TRANSPORT)
    assert transport.status == Payment.Status.APPROVED
    assert transport.amount == Decimal("685.65")
    assert order.transport_fee == Decimal("685.65")
    assert order.balance == 0
    assert order.total == order.amount_paid
    # the same request again (a double click, a retry) answers the first booking and charges nothing more
    again = book(order, idempotency_key="k-1")
    assert again.pk == booking.pk
    assert Payment.objects.filter(order=order, purpose=Payment.Purpose.TRANSPORT).count() == 1
    assert len(fake_super_dispatch.orders) == 1
    assert fulfillment_of(order).vehicle_status == VehicleStatus.BOOKED


def test_a_price_that_changed_since_the_buyer_saw_it_charges_nothing(paid_order, fake_super_dispatch):
    order = paid_order()
    with pytest.raises(Conflict) as caught:
        book(order, expected_price=Decimal("600.00"))
    assert caught.value.code == "price_changed"
    assert caught.value.details == {"price": "685.65"}
    assert not Payment.objects.filter(order=order, purpose="transport").exists()
    assert not fake_super_dispatch.orders
    assert fulfillment_of(order).vehicle_status == VehicleStatus.AWAITING_CHOICE


def test_a_declined_card_books_nothing_and_the_buyer_chooses_again(paid_order, fake_super_dispatch, fake_authorize_net):
    order = paid_order()
    fake_authorize_net.decline_next = True
    booking = book(order)
    assert booking.status == TransportBooking.Status.PAYMENT_FAILED
    assert not fake_super_dispatch.orders
    order.refresh_from_db()
    assert order.transport_fee == 0
    assert fulfillment_of(order).vehicle_status == VehicleStatus.AWAITING_CHOICE
    assert book(order).status == TransportBooking.Status.BOOKED  # and can try again


def test_the_carrier_network_down_leaves_the_paid_booking_for_the_task(paid_order, fake_super_dispatch):
    order = paid_order()
    fake_super_dispatch.fail_status = 503
    booking = book(order)
    assert booking.status == TransportBooking.Status.PAID
    assert booking.booking_error
    fake_super_dispatch.fail_status = None
    assert services.transports_dispatch_paid() == 1
    assert services.transports_dispatch_paid() == 0
    assert len(fake_super_dispatch.orders) == 1


def test_the_oauth_token_is_fetched_once_and_again_only_when_it_is_refused(paid_order, fake_super_dispatch):
    order = paid_order()
    book(order)
    services.transports_poll()
    services.transports_poll()
    assert fake_super_dispatch.requests["POST token"] == 1
    fake_super_dispatch.expire_tokens()
    services.transports_poll()
    assert fake_super_dispatch.requests["POST token"] == 2
    assert fake_super_dispatch.requests["GET order"] == 4  # three polls, one retried after the 401


def test_an_expiring_token_is_not_reused_after_its_lifetime(fake_super_dispatch, settings):
    fake_super_dispatch.token_lifetime = 30  # under a minute: never cached
    client = SuperDispatchClient(
        client_id=fake.CLIENT_ID, client_secret=fake.CLIENT_SECRET, base_url=settings.SUPER_DISPATCH_API_URL
    )
    client.subscribe(action="order.created", callback_url="https://example.test/hook")
    client.subscribe(action="order.delivered", callback_url="https://example.test/hook")
    assert fake_super_dispatch.requests["POST token"] == 2


def test_merge_patch_cancels_at_the_vendor_when_staff_rebook(paid_order, fake_super_dispatch, staff_user):
    order = paid_order()
    first = book(order)
    fake_super_dispatch.advance(first.vendor_guid, "accepted")
    services.transports_poll()
    second = services.transport_rebook(
        order_id=order.pk, actor=staff_user, reason="Vehicle was not released", charge_seller=True
    )
    assert fake_super_dispatch.orders[first.vendor_guid]["status"] == "canceled"
    assert second.attempt == 2
    assert second.status == TransportBooking.Status.BOOKED
    assert Payment.objects.filter(order=order, purpose="transport").count() == 1  # the buyer pays once
    line = ProceedsLine.objects.get(proceeds__order=order, kind="transport")
    assert line.amount == Decimal("-685.65")
    # reports about the cancelled booking no longer count
    fake_super_dispatch.advance(first.vendor_guid, "delivered")
    assert services.transport_apply_report(
        carrier_order=services_order(fake_super_dispatch, first.vendor_guid), source="poll"
    ).startswith("ignored")


def services_order(state, guid):
    from fulfillment.super_dispatch import order_from

    return order_from(state.orders[guid])


def subscribe_all(fake_super_dispatch):
    from django.core.management import call_command

    call_command("superdispatch_subscribe", callback_url="https://northstar.example/api/webhooks/super-dispatch")
    return {s.action: s.verification_token for s in VendorWebhookSubscription.objects.all()}


def test_subscribing_keeps_each_actions_verification_token(fake_super_dispatch):
    tokens = subscribe_all(fake_super_dispatch)
    assert set(tokens) == set(fake_super_dispatch.subscriptions)
    assert all(tokens[action] == fake_super_dispatch.subscriptions[action]["verification_token"] for action in tokens)


@pytest.mark.parametrize("webhook_first", [True, False])
def test_webhook_and_poll_reporting_the_same_change_in_either_order_apply_it_once(
    paid_order, fake_super_dispatch, api_client, webhook_first, committed
):
    tokens = subscribe_all(fake_super_dispatch)
    order = paid_order()
    booking = book(order)
    fake_super_dispatch.advance(booking.vendor_guid, "picked_up")
    body = fake.webhook_body(action="order.picked_up", guid=booking.vendor_guid)

    def deliver():
        return api_client.post(
            "/api/webhooks/super-dispatch", data=body, content_type="application/json",
            HTTP_X_SUPER_DISPATCH_VERIFICATION_TOKEN=tokens["order.picked_up"],
        )  # fmt: skip

    with committed():
        if webhook_first:
            assert deliver().status_code == 200
            assert services.transports_poll() == 0
        else:
            assert services.transports_poll() == 1
            assert deliver().status_code == 200
        assert deliver().json()["message"] == "Already processed."
    assert vehicle_events(order).count(VehicleStatus.PICKED_UP) == 1
    assert fulfillment_of(order).vehicle_status == VehicleStatus.PICKED_UP
    assert (
        Notification.objects.filter(
            user=order.buyer, kind="transport_status", body__contains="picked up by the carrier"
        ).count()
        == 1
    )


def test_an_older_carrier_status_never_moves_the_vehicle_backwards(paid_order, fake_super_dispatch):
    order = paid_order()
    booking = book(order)
    fake_super_dispatch.advance(booking.vendor_guid, "delivered")
    assert services.transports_poll() == 1
    fake_super_dispatch.advance(booking.vendor_guid, "accepted")  # a stale snapshot from the vendor
    assert services.transports_poll() == 0
    fulfillment = fulfillment_of(order)
    assert fulfillment.vehicle_status == VehicleStatus.DELIVERED
    order.refresh_from_db()
    assert order.delivered_at is not None
    booking.refresh_from_db()
    assert booking.proof_signature_name == "B. Buyer"
    assert booking.proof_photos == ["https://photos.example/delivery-1.jpg"]


def test_carrier_details_arrive_as_they_are_known(paid_order, fake_super_dispatch):
    order = paid_order()
    booking = book(order)
    fake_super_dispatch.advance(booking.vendor_guid, "accepted")
    services.transports_poll()
    booking.refresh_from_db()
    assert (booking.carrier_name, booking.driver_name, booking.driver_phone) == (
        "Prairie Haulers LLC",
        "Sam Ortiz",
        "+1 651 555 0111",
    )
    assert booking.pickup_eta is not None
    assert booking.delivery_eta is not None
    assert fulfillment_of(order).vehicle_status == VehicleStatus.CARRIER_ASSIGNED


@pytest.mark.parametrize(
    ("header", "status"),
    [(None, 401), ("not-the-token", 401), ("", 401)],
)
def test_carrier_webhooks_without_the_verification_token_are_refused_and_change_nothing(
    paid_order, fake_super_dispatch, api_client, header, status
):
    subscribe_all(fake_super_dispatch)
    order = paid_order()
    booking = book(order)
    fake_super_dispatch.advance(booking.vendor_guid, "delivered")
    body = fake.webhook_body(action="order.delivered", guid=booking.vendor_guid)
    extra = {} if header is None else {"HTTP_X_SUPER_DISPATCH_VERIFICATION_TOKEN": header}
    response = api_client.post("/api/webhooks/super-dispatch", data=body, content_type="application/json", **extra)
    assert response.status_code == status
    assert response.json()["error"]
    assert fulfillment_of(order).vehicle_status == VehicleStatus.BOOKED


def test_a_malformed_carrier_webhook_is_a_400(api_client):
    for body in (b"not json", b"[]", b'{"action": "order.delivered"}'):
        assert (
            api_client.post("/api/webhooks/super-dispatch", data=body, content_type="application/json").status_code
            == 400
        )


def test_a_cancellation_by_the_carrier_network_asks_staff_to_rebook(
    paid_order, fake_super_dispatch, staff_user, committed
):
    order = paid_order()
    booking = book(order)
    with committed():
        fake_super_dispatch.advance(booking.vendor_guid, "canceled")
        services.transports_poll()
    assert fulfillment_of(order).vehicle_status == VehicleStatus.CANCELLED
    assert Notification.objects.filter(user=staff_user, title__contains="Transport cancelled").exists()
    services.transport_rebook(order_id=order.pk, actor=staff_user, reason="Carrier cancelled")
    assert fulfillment_of(order).vehicle_status == VehicleStatus.BOOKED
    assert not ProceedsLine.objects.filter(proceeds__order=order, kind="transport").exists()


def test_transport_cannot_be_booked_twice_or_after_pickup_was_confirmed(paid_order, fake_super_dispatch):
    order = paid_order()
    book(order)
    with pytest.raises(Conflict):
        book(order, idempotency_key="another")
    assert Order.objects.get(pk=order.pk).transport_fee == Decimal("685.65")
