"""Demo orders after the sale for `make run`, each bought through the real path (an auction bought now, paid
with the sandbox card) and moved on with the real services, so the order pages show fulfillment in several
states:

1. just paid (buyer@demo.test): the seller owes the title documents, the buyer chooses pickup or transport;
2. documents in staff review, pickup chosen, vehicle released (buyer2@demo.test): staff approve in the admin,
   the seller enters the buyer's code;
3. transport booked and the title filed (buyer@demo.test): the sandboxes move both tracks on, a step a minute;
4. completed (buyer2@demo.test): proceeds released to the seller, the payout due (staff mark it paid).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import User
from core.errors import DomainError

SELLER_EMAIL = "seller@demo.test"
PDF = b"%PDF-1.4\n% North Star demo title document\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# (VIN prefix, year, make, model, trim, body, price)
CARS = [
    ("1FTFW1E5", 2019, "Ford", "F-150", "Lariat", "pickup", Decimal("27500")),
    ("1C4RJFBG", 2018, "Jeep", "Grand Cherokee", "Limited", "suv", Decimal("21400")),
    ("5YJ3E1EA", 2020, "Tesla", "Model 3", "Long Range", "sedan", Decimal("26900")),
    ("JM1BPACL", 2021, "Mazda", "Mazda3", "Select", "sedan", Decimal("17800")),
]


def seed(stdout: Any) -> None:
    seller = User.objects.filter(email=SELLER_EMAIL).first()
    staff = User.objects.filter(is_staff=True).order_by("pk").first()
    buyers = {u.email: u for u in User.objects.filter(email__in=["buyer@demo.test", "buyer2@demo.test"])}
    if seller is None or staff is None or len(buyers) < 2:
        stdout.write("  fulfillment: demo users missing, skipped")
        return
    orders = []
    for index, car in enumerate(CARS):
        buyer = buyers["buyer@demo.test" if index % 2 == 0 else "buyer2@demo.test"]
        try:
            orders.append(_sold_and_paid(car, index, seller=seller, staff=staff, buyer=buyer))
        except DomainError as exc:
            stdout.write(f"  fulfillment: demo order {index + 1} skipped ({exc.message})")
            return
    _in_review_pickup(orders[1], staff=staff)
    _transport_and_title_filed(orders[2], staff=staff)
    _completed(orders[3], staff=staff)
    stdout.write(f"  {len(orders)} orders after the sale (paid, documents in review, in transit, completed)")


def _sold_and_paid(car: tuple[Any, ...], index: int, *, seller: User, staff: User, buyer: User) -> Any:
    from auctions.services import AuctionTermsInput, auction_buy_now, auction_schedule
    from fulfillment.services import fulfillment_start
    from orders.payments import order_pay
    from orders.sources import order_create_for_auction
    from vehicles.images import gradient_photo
    from vehicles.services import vehicle_approve, vehicle_create, vehicle_submit
    from vehicles.services.media import attach_photo_bytes
    from vehicles.vin import with_check_digit

    prefix, year, make, model, trim, body, price = car
    vehicle = vehicle_create(
        seller=seller,
        data={
            "vin": with_check_digit(f"{prefix}0KA{700000 + index * 131:06d}"),
            "year": year, "make": make, "model": model, "trim": trim, "body_type": body, "mileage": 30000 + 9000 * index,
            "condition_grade": "good", "description": f"{year} {make} {model} {trim}, one owner, serviced at the dealer.",
            "city": "Minneapolis", "state": "MN", "postal_code": "55401", "starting_price": str(price - 3000),
            "starts": "yes", "drives": "yes", "keys_count": 2, "odometer_brand": "actual", "airbags_deployed": "no",
        },
    )  # fmt: skip
    attach_photo_bytes(
        vehicle=vehicle, data=gradient_photo(f"{year} {make} {model}", size=(800, 600)), original_name="demo.jpg"
    )
    vehicle_submit(vehicle_id=vehicle.pk, actor=seller)
    vehicle_approve(vehicle_id=vehicle.pk, actor=staff)
    now = timezone.now()
    auction = auction_schedule(
        vehicle_id=vehicle.pk,
        actor=seller,
        terms=AuctionTermsInput(
            starting_price=price - 3000,
            buy_now_price=price,
            starts_at=now - timedelta(minutes=5),
            ends_at=now + timedelta(days=2),
        ),
    )
    auction_buy_now(auction_id=auction.pk, buyer=buyer)
    order = order_create_for_auction(auction_id=auction.pk)
    if order is None:
        raise DomainError("The demo auction was not sold.")
    order_pay(order_id=order.pk, user=buyer)
    fulfillment_start(order_id=order.pk)
    order.refresh_from_db()
    return order


def _upload_documents(order: Any) -> None:
    from fulfillment.services import title_document_upload
    from fulfillment.services.title import required_kinds

    for kind in required_kinds(order):
        upload = SimpleUploadedFile(f"{kind}.pdf", PDF, content_type="application/pdf")
        title_document_upload(actor=order.seller, order_id=order.pk, kind=kind, upload=upload)


def _in_review_pickup(order: Any, *, staff: User) -> None:
    from fulfillment.services import delivery_choose_pickup, vehicle_release

    _upload_documents(order)
    delivery_choose_pickup(order_id=order.pk, actor=order.buyer)
    vehicle_release(order_id=order.pk, actor=order.seller)


def _transport_and_title_filed(order: Any, *, staff: User) -> None:
    from fulfillment.services import DeliveryAddress, title_documents_approve, transport_book, vehicle_release

    _upload_documents(order)
    title_documents_approve(order_id=order.pk, actor=staff)
    vehicle_release(order_id=order.pk, actor=order.seller)
    buyer = order.buyer
    transport_book(
        order_id=order.pk,
        actor=buyer,
        address=DeliveryAddress(
            buyer.get_full_name() or "Demo Buyer", buyer.phone, "600 E Grand Ave", "Chicago", "IL", "60611"
        ),
        enclosed=False,
        expected_price=None,
    )


def _completed(order: Any, *, staff: User) -> None:
    from fulfillment.models import Fulfillment, SandboxRecord
    from fulfillment.services import (
        delivery_choose_pickup,
        fulfillment_complete,
        pickup_confirm,
        title_documents_approve,
        title_mark_delivered,
        titles_poll,
        vehicle_release,
    )
    from orders.models import Order

    _upload_documents(order)
    title_documents_approve(order_id=order.pk, actor=staff)
    fulfillment = Fulfillment.objects.get(order_id=order.pk)
    # demo data only: this transfer was filed long ago, so the sandbox has issued the title by now
    SandboxRecord.objects.filter(external_id=fulfillment.title_transfer_id).update(
        created_at=timezone.now() - timedelta(days=1)
    )
    titles_poll()
    title_mark_delivered(order_id=order.pk, actor=order.buyer)
    vehicle_release(order_id=order.pk, actor=order.seller)
    delivery_choose_pickup(order_id=order.pk, actor=order.buyer)
    pickup_confirm(order_id=order.pk, actor=order.seller, code=Fulfillment.objects.get(order_id=order.pk).pickup_code)
    # demo data only: the pickup was over a week ago, so the claim window has passed
    Order.objects.filter(pk=order.pk).update(delivered_at=timezone.now() - timedelta(days=8))
    fulfillment_complete(order_id=order.pk)
