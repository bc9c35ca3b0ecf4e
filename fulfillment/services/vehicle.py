"""The vehicle track: pickup with a code, or door-to-door transport booked with the carrier network.

Pickup: `awaiting_choice → awaiting_pickup → picked_up` (the seller, or staff, enters the buyer's code).
Transport: `awaiting_choice → quoted → booked → carrier_assigned → picked_up → delivered`, and `cancelled`
(staff re-book). Transport is the quote the buyer confirmed (`vehicles.transport`), charged to the card on
file as its own payment on the order (`orders.payments.order_pay_transport`: the same exactly-once rules),
then booked with the carrier network outside any transaction. Carrier reports (webhook or poll) only move the
track forward (`fulfillment.rules.transport_step`).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import structlog
from django.db import transaction
from django.utils import timezone

from accounts.models import SellerProfile
from core.errors import Conflict, DomainError, NotAllowed, NotFound, VendorUnavailable
from core.transport import TransportQuote
from fulfillment import rules
from fulfillment.models import (
    TRANSPORT_RANK,
    DeliveryMethod,
    Fulfillment,
    ProceedsLine,
    TransportBooking,
    VehicleStatus,
)
from fulfillment.services.common import Source, Track, lock, record, role_of, set_vehicle_status, tell, tell_staff
from fulfillment.services.proceeds import proceeds_add_charge
from fulfillment.super_dispatch import (
    CarrierNetwork,
    CarrierOrder,
    CarrierRefused,
    OrderRequest,
    Venue,
    get_carrier_network,
)
from orders.gateway import AuthorizeNetGateway
from orders.models import Order, Payment
from orders.payments import order_pay_transport
from orders.services import order_mark_delivered
from vehicles.transport import vehicle_transport_quote

logger = structlog.get_logger(__name__)
CHOOSABLE = (VehicleStatus.AWAITING_CHOICE, VehicleStatus.AWAITING_PICKUP)
ACTIVE_TRANSPORT = (VehicleStatus.BOOKED, VehicleStatus.CARRIER_ASSIGNED, VehicleStatus.PICKED_UP)


class WrongPickupCode(DomainError):
    code = "wrong_code"


class PickupLocked(DomainError):
    status_code = 423
    code = "pickup_locked"


@dataclass(frozen=True)
class DeliveryAddress:
    name: str
    phone: str
    address: str
    city: str
    state: str
    zip: str


def _buyer_fulfillment(order_id: int, actor: Any) -> tuple[Order, Fulfillment]:
    fulfillment = Fulfillment.objects.select_related("order__vehicle", "order__buyer").filter(order_id=order_id).first()
    role = role_of(fulfillment.order, actor) if fulfillment else None
    if fulfillment is None or role is None:
        raise NotFound("Order not found, or not paid yet.")
    if role != "buyer":
        raise NotAllowed("Only the buyer chooses how to get the vehicle.")
    return fulfillment.order, fulfillment


def latest_booking(fulfillment: Fulfillment) -> TransportBooking | None:
    return fulfillment.bookings.order_by("-attempt").first()


def _may_choose(fulfillment: Fulfillment) -> bool:
    if fulfillment.vehicle_status in CHOOSABLE:
        return True
    booking = latest_booking(fulfillment)
    return fulfillment.vehicle_status == VehicleStatus.QUOTED and (
        booking is None or booking.status == TransportBooking.Status.PAYMENT_FAILED
    )


# --- pickup -------------------------------------------------------------------------------------------------


def delivery_choose_pickup(*, order_id: int, actor: Any) -> Fulfillment:
    """The buyer collects the vehicle from the seller with their pickup code."""
    _buyer_fulfillment(order_id, actor)
    with transaction.atomic(durable=True):
        order, fulfillment = lock(order_id)
        if fulfillment.vehicle_status == VehicleStatus.AWAITING_PICKUP:
            return fulfillment
        if not _may_choose(fulfillment):
            raise Conflict("Transport is already booked for this vehicle; contact us to change it.")
        fulfillment.delivery_method = DeliveryMethod.PICKUP
        until = timezone.localtime(fulfillment.free_storage_until)
        set_vehicle_status(
            fulfillment,
            VehicleStatus.AWAITING_PICKUP,
            message=f"The buyer will pick the vehicle up (free until {until:%a %b %-d, %-I:%M %p %Z})",
            source=Source.BUYER,
            actor=actor,
        )
        tell(order, "transport_status", who=["seller"], status="the buyer will pick the vehicle up with their code")
    return fulfillment


def vehicle_release(*, order_id: int, actor: Any) -> Fulfillment:
    """The seller says the vehicle is ready to leave (for the buyer or the carrier). Storage counts only from
    the day after the vehicle is released."""
    with transaction.atomic(durable=True):
        order, fulfillment = lock(order_id)
        role = role_of(order, actor)
        if role not in ("seller", "staff"):
            raise NotFound("Order not found.") if role is None else NotAllowed("Only the seller releases the vehicle.")
        if fulfillment.released_at is not None:
            return fulfillment
        if fulfillment.vehicle_status in (VehicleStatus.PICKED_UP, VehicleStatus.DELIVERED):
            raise Conflict("The vehicle has already left.")
        fulfillment.released_at = timezone.now()
        fulfillment.save()
        record(
            fulfillment,
            track=Track.VEHICLE,
            kind="released",
            message="The seller released the vehicle: it is ready to be collected",
            source=Source.SELLER if role == "seller" else Source.STAFF,
            actor=actor,
        )
        tell(order, "transport_status", who=["buyer"], status="released by the seller and ready to be collected")
    return fulfillment


def _normalized_code(raw: str) -> str:
    code = "".join(str(raw or "").split())
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        raise DomainError("Enter the buyer's 6-digit pickup code.", code="invalid_code", details={"code": ["6 digits"]})
    return code


def pickup_confirm(*, order_id: int, actor: Any, code: str) -> Fulfillment:
    """The seller (or staff) hands the vehicle over against the buyer's code. A wrong code counts; after
    PICKUP_CODE_MAX_FAILURES wrong codes entry locks until staff issue a new code."""
    entered = _normalized_code(code)
    attempts_left: int | None = None
    with transaction.atomic(durable=True):
        order, fulfillment = lock(order_id)
        role = role_of(order, actor)
        if role not in ("seller", "staff"):
            raise NotFound("Order not found.") if role is None else NotAllowed("The seller enters the buyer's code.")
        if fulfillment.vehicle_status != VehicleStatus.AWAITING_PICKUP:
            raise Conflict("This vehicle is not waiting for a pickup.")
        if fulfillment.pickup_locked:
            raise PickupLocked("Too many wrong codes: code entry is locked. Staff will issue the buyer a new code.")
        if order.balance > 0:
            raise Conflict(
                f"The buyer still owes ${order.balance:,} (storage). They pay it on their order page; then hand the "
                "vehicle over.",
                code="balance_due",
                details={"balance": str(order.balance)},
            )
        now = timezone.now()
        if not hmac.compare_digest(entered.encode(), fulfillment.pickup_code.encode()):
            fulfillment.pickup_code_failures += 1
            attempts_left = max(rules.PICKUP_CODE_MAX_FAILURES - fulfillment.pickup_code_failures, 0)
            if attempts_left == 0:
                fulfillment.pickup_locked_at = now
                tell(order, "pickup_code_locked", who=["buyer"])
                tell_staff(
                    order,
                    f"Pickup code locked: {order.number}",
                    f"{rules.PICKUP_CODE_MAX_FAILURES} wrong pickup codes were entered for {order.vehicle}.",
                )
            fulfillment.save()
            record(
                fulfillment,
                track=Track.VEHICLE,
                kind="wrong_code",
                message="A wrong pickup code was entered" + (": code entry locked" if attempts_left == 0 else ""),
                source=Source.SELLER if role == "seller" else Source.STAFF,
                actor=actor,
            )
        else:
            fulfillment.picked_up_at = now
            fulfillment.delivered_at = now
            fulfillment.released_at = fulfillment.released_at or now
            fulfillment.storage_stopped_at = fulfillment.storage_stopped_at or now
            set_vehicle_status(
                fulfillment,
                VehicleStatus.PICKED_UP,
                message="The buyer picked the vehicle up (code confirmed)",
                source=Source.SELLER if role == "seller" else Source.STAFF,
                actor=actor,
            )
            order_mark_delivered(order=order, at=now, message="The buyer picked the vehicle up", actor=actor)
            tell(order, "transport_status", who=["buyer", "seller"], status="picked up by the buyer")
    if attempts_left is not None:  # the failure is committed; now refuse
        if attempts_left == 0:
            raise PickupLocked("Too many wrong codes: code entry is locked. Staff will issue the buyer a new code.")
        raise WrongPickupCode(
            f"That is not the buyer's code. {attempts_left} attempt{'s' if attempts_left != 1 else ''} left.",
            details={"code": ["wrong code"], "attempts_left": attempts_left},
        )
    return fulfillment


def pickup_code_reset(*, order_id: int, actor: Any) -> Fulfillment:
    """Staff: a new pickup code for the buyer, and code entry unlocked."""
    from fulfillment.services.start import new_pickup_code

    with transaction.atomic(durable=True):
        order, fulfillment = lock(order_id)
        if fulfillment.vehicle_status in (VehicleStatus.PICKED_UP, VehicleStatus.DELIVERED):
            raise Conflict("The vehicle has already left.")
        fulfillment.pickup_code = new_pickup_code()
        fulfillment.pickup_code_failures = 0
        fulfillment.pickup_locked_at = None
        fulfillment.save()
        record(
            fulfillment,
            track=Track.VEHICLE,
            kind="code_reset",
            message="Staff issued a new pickup code",
            source=Source.STAFF,
            actor=actor,
        )
        tell(
            order,
            "delivery_choice_needed",
            who=["buyer"],
            pickup_code=fulfillment.pickup_code,
            free_until=fulfillment.free_storage_until.isoformat(),
        )
    return fulfillment


# --- transport: quote, pay, book ------------------------------------------------------------------------------


def order_transport_quote(order: Order, *, zip_code: str, enclosed: bool) -> TransportQuote:
    return vehicle_transport_quote(order.vehicle, destination_zip=zip_code, enclosed=enclosed)


def transport_book(
    *,
    order_id: int,
    actor: Any,
    address: DeliveryAddress,
    enclosed: bool,
    expected_price: Decimal | None,
    idempotency_key: str | None = None,
    gateway: AuthorizeNetGateway | None = None,
    network: CarrierNetwork | None = None,
) -> TransportBooking:
    """Book the quoted transport: record the booking, charge it as its own payment, then create the order at the
    carrier network. `expected_price` is the price the buyer saw; if the quote changed since, nothing is charged
    (Conflict "price_changed" with the new price). A repeated `idempotency_key` answers the first booking."""
    order, fulfillment = _buyer_fulfillment(order_id, actor)
    if idempotency_key and (earlier := fulfillment.bookings.filter(idempotency_key=idempotency_key).first()):
        return earlier
    _check_address(address)
    quote = order_transport_quote(order, zip_code=address.zip, enclosed=enclosed)
    if expected_price is not None and quote.price != expected_price:
        raise Conflict(
            f"The transport price is now ${quote.price:,} (you saw ${expected_price:,}). Check it and book again.",
            code="price_changed",
            details={"price": str(quote.price)},
        )
    booking = _booking_begin(
        order_id=order_id, actor=actor, address=address, quote=quote, idempotency_key=idempotency_key
    )
    if booking.status != TransportBooking.Status.AWAITING_PAYMENT or booking.payment_id:
        return booking
    key = f"transport-{booking.pk}"  # the booking's own key: a retry of this booking never charges twice
    try:
        charged = order_pay_transport(
            order_id=order_id, user=actor, amount=booking.price, idempotency_key=key, gateway=gateway
        )
    except DomainError as exc:
        _booking_payment_failed(booking.pk, reason=exc.message)
        raise
    payment = charged if isinstance(charged, Payment) else Payment.objects.get(order_id=order_id, idempotency_key=key)
    booking = transport_payment_settled(booking_id=booking.pk, payment=payment)
    if booking.status == TransportBooking.Status.PAID:
        transport_dispatch(booking_id=booking.pk, network=network)
        booking.refresh_from_db()
    return booking


def _check_address(address: DeliveryAddress) -> None:
    errors = {}
    for field in ("name", "address", "city"):
        if not getattr(address, field).strip():
            errors[field] = ["is required"]
    state = address.state.strip().upper()
    if len(state) != 2 or not state.isascii() or not state.isalpha():
        errors["state"] = ["must be a two-letter US state code"]
    if errors:
        raise DomainError("Complete the delivery address.", code="invalid_address", details=errors)


def _booking_begin(
    *, order_id: int, actor: Any, address: DeliveryAddress, quote: TransportQuote, idempotency_key: str | None
) -> TransportBooking:
    with transaction.atomic(durable=True):
        order, fulfillment = lock(order_id)
        if idempotency_key and (earlier := fulfillment.bookings.filter(idempotency_key=idempotency_key).first()):
            return earlier
        if not _may_choose(fulfillment):
            if fulfillment.vehicle_status == VehicleStatus.QUOTED:
                raise Conflict("A transport payment is already being processed. Please wait a moment.")
            raise Conflict("Transport can no longer be chosen for this vehicle; contact us to change the delivery.")
        attempt = fulfillment.bookings.count() + 1
        booking = TransportBooking.objects.create(
            fulfillment=fulfillment,
            attempt=attempt,
            price=quote.price,
            quote=quote.as_dict(),
            transport_type=quote.transport_type,
            inoperable=quote.inoperable,
            idempotency_key=idempotency_key or None,
            delivery_name=address.name.strip()[:200],
            delivery_phone=address.phone.strip()[:32],
            delivery_address=address.address.strip()[:200],
            delivery_city=address.city.strip()[:100],
            delivery_state=address.state.strip().upper(),
            delivery_zip=quote.destination_zip,
        )
        fulfillment.delivery_method = DeliveryMethod.TRANSPORT
        set_vehicle_status(
            fulfillment,
            VehicleStatus.QUOTED,
            message=f"The buyer chose transport to {quote.destination_zip}: {quote.summary}; charging the card",
            source=Source.BUYER,
            actor=actor,
            booking=booking.pk,
        )
    return booking


def _booking_payment_failed(booking_id: int, *, reason: str) -> None:
    with transaction.atomic(durable=True):
        booking = TransportBooking.objects.select_related("fulfillment").get(pk=booking_id)
        order, fulfillment = lock(booking.fulfillment.order_id)
        booking = TransportBooking.objects.select_for_update().get(pk=booking_id)
        if booking.status != TransportBooking.Status.AWAITING_PAYMENT:
            return
        booking.status = TransportBooking.Status.PAYMENT_FAILED
        booking.booking_error = reason[:500]
        booking.save(update_fields=["status", "booking_error"])
        set_vehicle_status(
            fulfillment,
            VehicleStatus.AWAITING_CHOICE,
            message=f"Transport not booked: {reason}",
            source=Source.SYSTEM,
            booking=booking.pk,
        )


def transport_payment_settled(*, booking_id: int, payment: Payment) -> TransportBooking:
    """Move a booking on from its payment's outcome, once: approved → paid (storage stops, booking follows);
    declined → the buyer chooses again; in flight → unchanged (the sweep comes back)."""
    booking = TransportBooking.objects.select_related("fulfillment").get(pk=booking_id)
    if payment.status in (Payment.Status.DECLINED, Payment.Status.ERROR):
        _booking_payment_failed(booking_id, reason=payment.reason or "the card was declined")
        return TransportBooking.objects.get(pk=booking_id)
    with transaction.atomic(durable=True):
        order, fulfillment = lock(booking.fulfillment.order_id)
        booking = TransportBooking.objects.select_for_update().get(pk=booking_id)
        if booking.payment_id is None:
            booking.payment = payment
            booking.save(update_fields=["payment"])
        if booking.status != TransportBooking.Status.AWAITING_PAYMENT or payment.status != Payment.Status.APPROVED:
            return booking
        booking.status = TransportBooking.Status.PAID
        booking.save(update_fields=["status"])
        fulfillment.storage_stopped_at = fulfillment.storage_stopped_at or timezone.now()
        fulfillment.save()
        record(
            fulfillment,
            track=Track.VEHICLE,
            kind="transport_paid",
            message=f"Transport paid (${booking.price:,}); booking a carrier",
            source=Source.SYSTEM,
            booking=booking.pk,
        )
        tell(
            order,
            "transport_status",
            who=["seller"],
            status="the buyer booked door-to-door transport; a carrier will collect the vehicle",
        )
    return booking


def transport_payments_sweep() -> int:
    """Beat: bookings whose payment was still being confirmed (timeouts, review) follow its outcome."""
    moved = 0
    for booking in TransportBooking.objects.filter(status=TransportBooking.Status.AWAITING_PAYMENT).select_related(
        "payment", "fulfillment__order"
    ):
        payment = (
            booking.payment
            or Payment.objects.filter(
                order_id=booking.fulfillment.order_id, idempotency_key=f"transport-{booking.pk}"
            ).first()
        )
        if payment is None:
            if booking.created_at < timezone.now() - timedelta(minutes=15):
                _booking_payment_failed(booking.pk, reason="the payment did not start; please try again")
                moved += 1
            continue
        if payment.status in (Payment.Status.PENDING, Payment.Status.UNKNOWN, Payment.Status.HELD):
            continue
        if transport_payment_settled(booking_id=booking.pk, payment=payment).status == TransportBooking.Status.PAID:
            transport_dispatch(booking_id=booking.pk)
        moved += 1
    return moved


def _order_request(booking: TransportBooking) -> OrderRequest:
    order = booking.fulfillment.order
    vehicle, buyer = order.vehicle, order.buyer
    profile = SellerProfile.objects.filter(user_id=order.seller_id).first()
    released = booking.fulfillment.released_at or timezone.now()
    return OrderRequest(
        number=booking.vendor_number,
        price=str(booking.price),
        transport_type="ENCLOSED" if booking.transport_type == "enclosed" else "OPEN",
        customer={"name": buyer.get_full_name() or buyer.email, "email": buyer.email, "phone": buyer.phone},
        pickup=Venue(
            name=profile.business_name if profile else order.seller.get_full_name() or "Seller",
            address=profile.address_line1 if profile else order.seller.address_line1,
            city=vehicle.city,
            state=vehicle.state,
            zip=vehicle.postal_code,
            contact_name=order.seller.get_full_name(),
            contact_phone=order.seller.phone,
        ),
        delivery=Venue(
            name=booking.delivery_name,
            address=booking.delivery_address,
            city=booking.delivery_city,
            state=booking.delivery_state,
            zip=booking.delivery_zip,
            contact_name=booking.delivery_name,
            contact_phone=booking.delivery_phone,
        ),
        pickup_scheduled_at=max(released, timezone.now()) + timedelta(days=1),
        vin=vehicle.vin,
        year=vehicle.year,
        make=vehicle.make,
        model=vehicle.model,
        vehicle_type=vehicle.body_type or "other",
        is_inoperable=booking.inoperable,
    )


def transport_dispatch(*, booking_id: int, network: CarrierNetwork | None = None) -> TransportBooking:
    """Create the paid booking's order at the carrier network. Precondition: no transaction is open. Safe to
    call again: a booking that has its carrier order is left alone; a network outage leaves it for the task."""
    booking = TransportBooking.objects.select_related(
        "fulfillment__order__vehicle", "fulfillment__order__buyer", "fulfillment__order__seller"
    ).get(pk=booking_id)
    if booking.status != TransportBooking.Status.PAID or booking.vendor_guid:
        return booking
    network = network or get_carrier_network()
    try:
        created = network.create_order(_order_request(booking))
    except VendorUnavailable as exc:
        TransportBooking.objects.filter(pk=booking_id).update(booking_error=exc.message)
        return booking
    except CarrierRefused as exc:
        with transaction.atomic(durable=True):
            order, _ = lock(booking.fulfillment.order_id)
            first_time = TransportBooking.objects.filter(pk=booking_id, booking_error="").update(
                booking_error=exc.message
            )
            if first_time:
                tell_staff(order, f"Transport booking refused: {order.number}", exc.message)
        return booking
    with transaction.atomic(durable=True):
        order, fulfillment = lock(booking.fulfillment.order_id)
        booking = TransportBooking.objects.select_for_update().get(pk=booking_id)
        if booking.status != TransportBooking.Status.PAID or booking.vendor_guid:
            return booking
        booking.vendor_guid = created.guid
        booking.vendor_status = created.status
        booking.status = TransportBooking.Status.BOOKED
        booking.booked_at = timezone.now()
        booking.booking_error = ""
        booking.save()
        set_vehicle_status(
            fulfillment,
            VehicleStatus.BOOKED,
            message="Transport booked with the carrier network; a carrier will be assigned",
            source=Source.SYSTEM,
            booking=booking.pk,
        )
        tell(order, "transport_status", who=["buyer", "seller"], status="booked; a carrier will be assigned")
    transport_apply_report(carrier_order=created, source=Source.POLL)
    booking.refresh_from_db()
    return booking


def transports_dispatch_paid() -> int:
    """Beat: book the paid bookings whose booking did not go through (the carrier network was down)."""
    waiting = TransportBooking.objects.filter(status=TransportBooking.Status.PAID, vendor_guid="")
    done = 0
    for booking_id in list(waiting.values_list("pk", flat=True)[:100]):
        if transport_dispatch(booking_id=booking_id).vendor_guid:
            done += 1
    return done


# --- carrier reports ---------------------------------------------------------------------------------------------

DETAIL_FIELDS = ("carrier_name", "carrier_phone", "driver_name", "driver_phone", "pickup_eta", "delivery_eta")


def transport_apply_report(*, carrier_order: CarrierOrder, source: str) -> str:
    """Apply what the carrier network reports about an order (webhook or poll): details as they arrive, and
    the status only forward. Applying the same report twice changes nothing the second time."""
    with transaction.atomic(durable=True):
        found = TransportBooking.objects.filter(vendor_guid=carrier_order.guid).select_related("fulfillment").first()
        if found is None or not carrier_order.guid:
            return "ignored: unknown order"
        order, fulfillment = lock(found.fulfillment.order_id)
        booking = TransportBooking.objects.select_for_update().get(pk=found.pk)
        if booking.status != TransportBooking.Status.BOOKED or latest_booking(fulfillment) != booking:
            return "ignored: not the current booking"
        step = rules.transport_step(fulfillment.vehicle_status, carrier_order.status)
        reported = rules.CARRIER_STATUS.get(carrier_order.status.strip().lower())
        same_step = reported is not None and TRANSPORT_RANK.get(reported) == TRANSPORT_RANK.get(
            fulfillment.vehicle_status
        )
        if step is None and not same_step:
            return "ignored: not newer"
        changed = _update_details(booking, carrier_order)
        booking.vendor_status = carrier_order.status
        booking.synced_at = timezone.now()
        booking.save()
        if step is None:
            if changed:
                record(
                    fulfillment,
                    track=Track.VEHICLE,
                    kind="carrier_details",
                    message=_details_message(booking),
                    source=source,
                )
                tell(order, "transport_status", who=["buyer"], status=_details_message(booking))
            return "details updated" if changed else "ignored: nothing new"
        _apply_step(order, fulfillment, booking, step, carrier_order, source)
        return f"moved to {step}"


def _update_details(booking: TransportBooking, report: CarrierOrder) -> bool:
    changed = False
    for name in DETAIL_FIELDS:
        value = getattr(report, name)
        if value and getattr(booking, name) != value:
            setattr(booking, name, value)
            changed = True
    return changed


def _details_message(booking: TransportBooking) -> str:
    parts = []
    if booking.carrier_name:
        parts.append(
            f"carrier {booking.carrier_name}" + (f" ({booking.carrier_phone})" if booking.carrier_phone else "")
        )
    if booking.driver_name:
        parts.append(f"driver {booking.driver_name}" + (f" ({booking.driver_phone})" if booking.driver_phone else ""))
    if booking.pickup_eta and not booking.picked_up_at:
        parts.append(f"pickup expected {timezone.localtime(booking.pickup_eta):%a %b %-d, %-I:%M %p %Z}")
    if booking.delivery_eta and not booking.delivered_at:
        parts.append(f"delivery expected {timezone.localtime(booking.delivery_eta):%a %b %-d, %-I:%M %p %Z}")
    return "Carrier details: " + ", ".join(parts) if parts else "Carrier details updated"


def _apply_step(
    order: Order, fulfillment: Fulfillment, booking: TransportBooking, step: str, report: CarrierOrder, source: str
) -> None:
    now = timezone.now()
    if step == VehicleStatus.CARRIER_ASSIGNED:
        message = "Carrier assigned — " + _details_message(booking).removeprefix("Carrier details: ")
        status = "carrier assigned"
    elif step == VehicleStatus.PICKED_UP:
        booking.picked_up_at = report.picked_up_at or now
        booking.save()
        fulfillment.picked_up_at = booking.picked_up_at
        message = "The carrier picked the vehicle up" + (
            f"; delivery expected {timezone.localtime(booking.delivery_eta):%a %b %-d}" if booking.delivery_eta else ""
        )
        status = "picked up by the carrier"
    elif step == VehicleStatus.DELIVERED:
        booking.delivered_at = report.delivered_at or now
        booking.proof_signature_name = report.signature_name
        booking.proof_photos = list(report.photos)
        booking.save()
        fulfillment.picked_up_at = fulfillment.picked_up_at or booking.delivered_at
        fulfillment.delivered_at = booking.delivered_at
        signed = f", signed for by {report.signature_name}" if report.signature_name else ""
        message = f"Delivered{signed}"
        status = "delivered"
    else:  # cancelled by the carrier network
        booking.status = TransportBooking.Status.CANCELLED
        booking.save()
        message = "The carrier network cancelled the transport; we are re-booking it"
        status = "cancelled by the carrier network; we are re-booking it"
        tell_staff(order, f"Transport cancelled: {order.number}", "Re-book the transport from the admin.")
    set_vehicle_status(
        fulfillment, step, message=message, source=source, booking=booking.pk, vendor_status=report.status
    )
    if step == VehicleStatus.DELIVERED:
        order_mark_delivered(order=order, at=fulfillment.delivered_at or now, message="The vehicle was delivered")
    tell(order, "transport_status", who=["buyer", "seller"], status=status)


def transports_poll(*, network: CarrierNetwork | None = None) -> int:
    """Beat: ask the carrier network about every open booking (in case a webhook was lost)."""
    network = network or get_carrier_network()
    guids = TransportBooking.objects.filter(
        status=TransportBooking.Status.BOOKED, fulfillment__vehicle_status__in=ACTIVE_TRANSPORT
    ).exclude(vendor_guid="")
    moved = 0
    for guid in list(guids.values_list("vendor_guid", flat=True)[:200]):
        try:
            report = network.get_order(guid)
        except VendorUnavailable:
            break
        except CarrierRefused:
            continue
        if transport_apply_report(carrier_order=report, source=Source.POLL).startswith("moved"):
            moved += 1
    return moved


def transport_sync(*, guid: str, network: CarrierNetwork | None = None) -> str:
    """Fetch one order from the carrier network and apply it (what a webhook triggers)."""
    network = network or get_carrier_network()
    return transport_apply_report(carrier_order=network.get_order(guid), source=Source.WEBHOOK)


def transport_rebook(
    *, order_id: int, actor: Any, reason: str, charge_seller: bool = False, network: CarrierNetwork | None = None
) -> TransportBooking:
    """Staff book the transport again (the carrier network cancelled it, or the vehicle was not released when
    the carrier came). The buyer is not charged again; when the seller caused it, the cost is deducted from
    their proceeds."""
    reason = reason.strip()
    if not reason:
        raise DomainError("Say why the transport is booked again.")
    network = network or get_carrier_network()
    fulfillment = Fulfillment.objects.get(order_id=order_id)
    current = latest_booking(fulfillment)
    if current is None or fulfillment.delivery_method != DeliveryMethod.TRANSPORT:
        raise Conflict("This order has no transport to book again.")
    if fulfillment.vehicle_status not in (
        VehicleStatus.CANCELLED,
        VehicleStatus.BOOKED,
        VehicleStatus.CARRIER_ASSIGNED,
    ):
        raise Conflict("Transport can be booked again only before the carrier picks the vehicle up.")
    if current.status == TransportBooking.Status.BOOKED and current.vendor_guid:
        network.update_order(current.vendor_guid, {"status": "canceled"})  # outside any transaction
    with transaction.atomic(durable=True):
        order, fulfillment = lock(order_id)
        current = TransportBooking.objects.select_for_update().get(pk=current.pk)
        if fulfillment.vehicle_status not in (
            VehicleStatus.CANCELLED,
            VehicleStatus.BOOKED,
            VehicleStatus.CARRIER_ASSIGNED,
        ):
            raise Conflict("Transport can be booked again only before the carrier picks the vehicle up.")
        if current.status != TransportBooking.Status.CANCELLED:
            current.status = TransportBooking.Status.CANCELLED
            current.save(update_fields=["status"])
        booking = TransportBooking.objects.create(
            fulfillment=fulfillment,
            attempt=current.attempt + 1,
            status=TransportBooking.Status.PAID,
            price=current.price,
            quote=current.quote,
            transport_type=current.transport_type,
            inoperable=current.inoperable,
            payment=current.payment,
            charged_to_seller=charge_seller,
            delivery_name=current.delivery_name,
            delivery_phone=current.delivery_phone,
            delivery_address=current.delivery_address,
            delivery_city=current.delivery_city,
            delivery_state=current.delivery_state,
            delivery_zip=current.delivery_zip,
        )
        set_vehicle_status(
            fulfillment,
            VehicleStatus.QUOTED,
            message=f"Staff are booking the transport again: {reason}",
            source=Source.STAFF,
            actor=actor,
        )
        if charge_seller:
            proceeds_add_charge(
                order=order,
                fulfillment=fulfillment,
                kind=ProceedsLine.Kind.TRANSPORT,
                amount=current.price,
                reason=f"Transport booked again: {reason}",
                actor=actor,
            )
    return transport_dispatch(booking_id=booking.pk, network=network)
