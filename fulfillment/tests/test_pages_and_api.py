"""The order page after the sale (buyer, seller, staff), My sales with the seller's net, the statement and its
CSV, the bill of sale, the API's order detail and writes, and the staff console's actions."""

import csv
import io
from decimal import Decimal

import pytest

from fulfillment import services
from fulfillment.models import ProceedsStatus, SellerProceeds, StorageDay, TitleStatus, VehicleStatus
from tests.fixtures.fulfillment import PDF, fulfillment_of

pytestmark = pytest.mark.django_db


def page(client, user, order, query=""):
    client.force_login(user)
    response = client.get(f"/orders/{order.pk}/{query}")
    assert response.status_code == 200
    return response.content.decode()


def test_the_buyer_sees_the_one_next_action_the_pickup_code_and_a_transport_quote_for_their_address(client, paid_order):
    order = paid_order()
    html = page(client, order.buyer, order)
    assert 'data-who="buyer"' in html
    assert "Choose pickup or door-to-door transport" in html
    assert fulfillment_of(order).pickup_code in html
    assert "Book transport for $250.00" in html  # Minneapolis to Minneapolis: the minimum
    assert "Your proceeds" not in html
    assert "Title transfer" in html
    assert "Getting the vehicle" in html


def test_the_buyer_asks_for_another_zip_and_a_zip_that_does_not_exist_is_a_field_error(client, paid_order):
    order = paid_order()
    html = page(client, order.buyer, order, "?delivery_zip=60601")
    assert "Book transport for $685.65" in html
    html = page(client, order.buyer, order, "?delivery_zip=00000")
    assert "There is no US ZIP code 00000" in html
    assert 'aria-invalid="true"' in html
    assert "Book transport for" not in html


def test_the_seller_sees_their_next_action_their_proceeds_not_the_buyers_invoice_and_no_pickup_code(client, paid_order):
    order = paid_order()
    html = page(client, order.seller, order)
    assert 'data-who="seller"' in html
    assert "Upload the title documents" in html
    assert "Your proceeds" in html
    assert "$9,750.00" in html
    assert 'id="price-heading"' not in html  # the buyer's price lines
    assert "Download invoice" not in html
    assert fulfillment_of(order).pickup_code not in html
    assert "Release the vehicle" in html


def test_a_stranger_gets_a_404_for_every_fulfillment_page_and_form(client, paid_order, user_factory):
    order = paid_order()
    client.force_login(user_factory())
    for url in (f"/orders/{order.pk}/", f"/orders/{order.pk}/bill-of-sale/"):
        assert client.get(url).status_code == 404
    for url in (
        f"/orders/{order.pk}/delivery/",
        f"/orders/{order.pk}/pickup/",
        f"/orders/{order.pk}/release/",
        f"/orders/{order.pk}/title-received/",
    ):
        assert client.post(url, {"method": "pickup", "code": "123456"}).status_code == 404
    assert fulfillment_of(order).vehicle_status == VehicleStatus.AWAITING_CHOICE


def test_booking_transport_from_the_page_without_javascript(client, paid_order, fake_super_dispatch):
    order = paid_order()
    client.force_login(order.buyer)
    form = {
        "method": "transport", "name": "Bea Buyer", "phone": "", "address": "1 W Wacker Dr", "city": "Chicago",
        "state": "IL", "zip": "60601", "expected_price": "685.65", "token": "tok-1",
    }  # fmt: skip
    response = client.post(f"/orders/{order.pk}/delivery/", form, follow=True)
    assert "Transport booked and $685.65 charged" in response.content.decode()
    assert fulfillment_of(order).vehicle_status == VehicleStatus.BOOKED
    client.post(f"/orders/{order.pk}/delivery/", form)  # the same form again: the same booking
    assert fulfillment_of(order).bookings.count() == 1


def test_a_wrong_pickup_code_on_the_page_says_how_many_attempts_are_left(client, paid_order):
    order = paid_order()
    services.delivery_choose_pickup(order_id=order.pk, actor=order.buyer)
    code = fulfillment_of(order).pickup_code
    client.force_login(order.seller)
    response = client.post(f"/orders/{order.pk}/pickup/", {"code": f"{(int(code) + 7) % 10**6:06d}"}, follow=True)
    assert "4 attempts left" in response.content.decode()


def test_the_seller_uploads_a_title_document_from_the_page_and_a_non_pdf_is_refused(client, paid_order):
    from django.core.files.uploadedfile import SimpleUploadedFile

    order = paid_order()
    client.force_login(order.seller)
    bad = SimpleUploadedFile("x.pdf", b"not a pdf at all", content_type="application/pdf")
    response = client.post(f"/orders/{order.pk}/title-documents/", {"kind": "title_front", "file": bad}, follow=True)
    assert "does not match its type" in response.content.decode()
    good = SimpleUploadedFile("front.pdf", PDF, content_type="application/pdf")
    response = client.post(f"/orders/{order.pk}/title-documents/", {"kind": "title_front", "file": good}, follow=True)
    assert "Signed title (front) uploaded." in response.content.decode()
    assert fulfillment_of(order).documents.count() == 1


def test_my_sales_shows_the_sellers_net_not_the_buyers_total(client, paid_order):
    order = paid_order()
    client.force_login(order.seller)
    html = client.get("/orders/sales/").content.decode()
    assert "$9,750.00" in html
    assert f"${order.total:,}" not in html
    assert "Held until the sale completes" in html


def test_the_statement_lists_every_sale_and_exports_csv_safely(client, paid_order, order_factory, staff_user, settings):
    order = paid_order()
    unpaid = order_factory(buyer=order.buyer)
    SellerProceeds.objects.filter(order=order).update(
        status=ProceedsStatus.PAID_OUT,
        released_at=order.paid_at,
        paid_out_at=order.paid_at,
        payout_reference='=HYPERLINK("x")',
    )
    client.force_login(order.seller)
    assert client.get("/sell/statement/").status_code == 200
    response = client.get("/sell/statement.csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:8] == ["order", "vehicle", "vin", "sold", "sale price", "seller fee", "charges", "net"]
    mine = next(row for row in rows if row[0] == order.number)
    assert mine[4:8] == ["10000.00", "250.00", "0.00", "9750.00"]
    assert mine[11] == '\'=HYPERLINK("x")'  # a formula-looking cell is neutralised
    assert unpaid.number not in {row[0] for row in rows} or unpaid.seller_id != order.seller_id


def test_the_bill_of_sale_is_a_pdf_for_both_parties_once_paid(client, paid_order, order_factory, user_factory):
    order = paid_order()
    for person in (order.buyer, order.seller):
        client.force_login(person)
        response = client.get(f"/orders/{order.pk}/bill-of-sale/")
        assert response.status_code == 200
        body = b"".join(response.streaming_content)
        assert body.startswith(b"%PDF-")
    unpaid = order_factory()
    client.force_login(unpaid.buyer)
    assert client.get(f"/orders/{unpaid.pk}/bill-of-sale/").status_code == 404


def test_the_api_order_detail_has_title_delivery_next_action_and_proceeds_only_for_the_seller(auth_client, paid_order):
    order = paid_order()
    buyer_view = auth_client(order.buyer).get(f"/api/orders/{order.pk}").json()
    assert buyer_view["title"]["status"] == TitleStatus.AWAITING_DOCUMENTS
    assert buyer_view["vehicle_delivery"]["pickup_code"] == fulfillment_of(order).pickup_code
    assert buyer_view["vehicle_delivery"]["status"] == VehicleStatus.AWAITING_CHOICE
    assert buyer_view["next_action"]["who"] == "buyer"
    assert buyer_view["proceeds"] is None
    assert buyer_view["payments"]
    assert buyer_view["timeline"]
    seller_view = auth_client(order.seller).get(f"/api/orders/{order.pk}").json()
    assert seller_view["vehicle_delivery"]["pickup_code"] is None
    assert seller_view["proceeds"]["net"] == "9750.00"
    assert [line["kind"] for line in seller_view["proceeds"]["lines"]] == ["sale", "seller_fee"]
    assert {hold["code"] for hold in seller_view["proceeds"]["holds"]} == {"title", "vehicle"}


def test_api_delivery_pickup_and_transport(auth_client, paid_order, fake_super_dispatch):
    order = paid_order()
    client = auth_client(order.buyer)
    response = client.post(f"/api/orders/{order.pk}/delivery", {"method": "pickup"}, format="json")
    assert response.status_code == 200
    assert response.json()["data"]["vehicle_delivery"]["status"] == VehicleStatus.AWAITING_PICKUP
    body = {
        "method": "transport",
        "name": "B",
        "address": "1 Main",
        "city": "Chicago",
        "state": "IL",
        "zip": "60601",
        "expected_price": "600.00",
    }
    changed = client.post(f"/api/orders/{order.pk}/delivery", body, format="json", HTTP_IDEMPOTENCY_KEY="a1")
    assert changed.status_code == 409
    assert changed.json() == {"error": changed.json()["error"], "code": "price_changed", "details": {"price": "685.65"}}
    booked = client.post(
        f"/api/orders/{order.pk}/delivery",
        {**body, "expected_price": "685.65"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="a2",
    )
    assert booked.status_code == 200, booked.json()
    assert booked.json()["data"]["vehicle_delivery"]["transport"]["price"] == "685.65"
    replay = client.post(
        f"/api/orders/{order.pk}/delivery",
        {**body, "expected_price": "685.65"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="a2",
    )
    assert replay.status_code == 200
    assert len(fake_super_dispatch.orders) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"method": "teleport"}, "method"),
        (
            {
                "method": "transport",
                "name": "B",
                "address": "1",
                "city": "C",
                "state": "IL",
                "zip": "60601",
                "expected_price": "6.5e2",
            },
            "expected_price",
        ),
        (
            {
                "method": "transport",
                "name": "B",
                "address": "1",
                "city": "C",
                "state": "IL",
                "zip": "60601",
                "enclosed": "yes",
            },
            "enclosed",
        ),
        ({"method": "transport", "name": "B", "city": "C", "state": "IL", "zip": "60601"}, "address"),
    ],
)
def test_api_delivery_refuses_bad_input_with_the_field_named(auth_client, paid_order, body, field):
    order = paid_order()
    response = auth_client(order.buyer).post(f"/api/orders/{order.pk}/delivery", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["details"]
    assert fulfillment_of(order).vehicle_status == VehicleStatus.AWAITING_CHOICE


def test_api_unknown_zip_for_transport_is_a_400_and_nothing_is_charged(auth_client, paid_order):
    order = paid_order()
    body = {"method": "transport", "name": "B", "address": "1 Main", "city": "Nowhere", "state": "MN", "zip": "00000"}
    response = auth_client(order.buyer).post(f"/api/orders/{order.pk}/delivery", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "unknown_zip"
    order.refresh_from_db()
    assert order.transport_fee == 0
    assert not order.payments.filter(purpose="transport").exists()


def test_api_pickup_code_errors(auth_client, paid_order):
    order = paid_order()
    seller = auth_client(order.seller)
    assert (
        seller.post(f"/api/orders/{order.pk}/pickup", {"code": "123456"}, format="json").status_code == 409
    )  # not chosen yet
    services.delivery_choose_pickup(order_id=order.pk, actor=order.buyer)
    code = fulfillment_of(order).pickup_code
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    response = seller.post(f"/api/orders/{order.pk}/pickup", {"code": wrong}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "wrong_code"
    assert response.json()["details"]["attempts_left"] == 4
    assert (
        auth_client(order.buyer).post(f"/api/orders/{order.pk}/pickup", {"code": code}, format="json").status_code
        == 403
    )
    for _ in range(4):
        last = seller.post(f"/api/orders/{order.pk}/pickup", {"code": wrong}, format="json")
    assert last.status_code == 423
    assert seller.post(f"/api/orders/{order.pk}/pickup", {"code": code}, format="json").status_code == 423


def test_api_statement(auth_client, paid_order):
    order = paid_order()
    data = auth_client(order.seller).get("/api/sales/statement").json()["data"]
    assert data["rows"][0]["net"] == "9750.00"
    assert data["totals"]["held"] == "9750.00"


def test_staff_console_actions_call_the_services(
    client, paid_order, staff_user, upload_title_documents, settings, frozen_now
):
    settings.TITLE_TRANSFER_SANDBOX_STEP_SECONDS = 3600
    order = paid_order()
    fulfillment = fulfillment_of(order)
    upload_title_documents(order)
    client.force_login(staff_user)
    change = client.get(f"/admin/fulfillment/fulfillment/{fulfillment.pk}/change/").content.decode()
    assert "Approve the title documents" in change
    assert fulfillment.pickup_code not in change
    response = client.post(
        f"/admin/fulfillment/fulfillment/{fulfillment.pk}/act/approve/", {"confirm": "on"}, follow=True
    )
    assert "Approve the title documents: done." in response.content.decode()
    assert fulfillment_of(order).title_status == TitleStatus.FILED
    # waive storage with a reason
    services.vehicle_release(order_id=order.pk, actor=order.seller)
    from datetime import timedelta

    frozen_now(fulfillment.free_storage_until + timedelta(days=3))
    services.storage_sweep()
    assert StorageDay.objects.filter(fulfillment=fulfillment, status="charged").exists()
    refused = client.post(f"/admin/fulfillment/fulfillment/{fulfillment.pk}/act/waive/", {"reason": ""})
    assert refused.status_code == 200  # the form again, with the error
    client.post(
        f"/admin/fulfillment/fulfillment/{fulfillment.pk}/act/waive/", {"reason": "Yard closed for the holiday"}
    )
    order.refresh_from_db()
    assert order.storage_fee == 0
    assert client.get("/admin/fulfillment/sellerproceeds/").status_code == 200
    assert client.get("/admin/fulfillment/fulfillmentevent/").status_code == 200
    assert client.get("/admin/core/transportratecard/").status_code == 200


def test_staff_mark_the_payout_paid_in_the_console(client, paid_order, staff_user):
    order = paid_order()
    SellerProceeds.objects.filter(order=order).update(status=ProceedsStatus.RELEASED, released_at=order.paid_at)
    client.force_login(staff_user)
    fulfillment = fulfillment_of(order)
    client.post(f"/admin/fulfillment/fulfillment/{fulfillment.pk}/act/payout/", {"reference": "ACH-77"})
    proceeds = SellerProceeds.objects.get(order=order)
    assert (proceeds.status, proceeds.payout_reference) == (ProceedsStatus.PAID_OUT, "ACH-77")
    assert proceeds.net == Decimal("9750.00")
