"""The orders API and pages: list, detail, pay (Idempotency-Key), invoice, and who may see what."""

import hashlib
import hmac
import json
import subprocess
import tempfile
from decimal import Decimal

import pytest

from orders.models import Order, Payment
from tests.fakes.authorize_net import SIGNATURE_KEY


@pytest.fixture
def buyer(user_factory, card_for, fake_authorize_net):
    user = user_factory(state="MN", first_name="Bea", last_name="Buyer")
    card_for(user)
    return user


def pdf_text(content: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(content)
        handle.flush()
        return subprocess.run(
            ["pdftotext", "-layout", handle.name, "-"], capture_output=True, text=True, check=True
        ).stdout


@pytest.mark.django_db
def test_buyer_lists_and_reads_their_orders_with_amounts_as_strings(order_factory, buyer, auth_client):
    order = order_factory(buyer=buyer, price=Decimal("15000"))
    client = auth_client(buyer)
    listing = client.get("/api/orders").json()
    assert listing["count"] == 1
    assert listing["results"][0]["number"] == order.number
    detail = client.get(f"/api/orders/{order.pk}").json()
    assert detail["vehicle_price"] == "15000.00"
    assert detail["balance"] == str(order.total)
    assert detail["role"] == "buyer"
    assert detail["timeline"][0]["kind"] == "created"


@pytest.mark.django_db
def test_seller_sees_the_sale_under_role_seller(order_factory, buyer, auth_client):
    order = order_factory(buyer=buyer)
    client = auth_client(order.seller)
    assert client.get("/api/orders").json()["count"] == 0
    assert client.get("/api/orders?role=seller").json()["results"][0]["id"] == order.pk


@pytest.mark.django_db
def test_someone_elses_order_invoice_and_pay_are_404(
    order_factory, buyer, user_factory, auth_client, fake_authorize_net
):
    order = order_factory(buyer=buyer)
    stranger = auth_client(user_factory())
    for response in (
        stranger.get(f"/api/orders/{order.pk}"),
        stranger.get(f"/api/orders/{order.pk}/invoice"),
        stranger.post(f"/api/orders/{order.pk}/pay"),
    ):
        assert response.status_code == 404
        assert response.json()["error"] == "Order not found."
    assert fake_authorize_net.total_requests() == 1  # only the buyer's card profile


@pytest.mark.django_db
def test_anonymous_gets_401(order_factory, buyer, api_client):
    order = order_factory(buyer=buyer)
    assert api_client.get(f"/api/orders/{order.pk}").status_code == 401


@pytest.mark.django_db
def test_pay_with_idempotency_key_returns_the_first_response(order_factory, buyer, auth_client, fake_authorize_net):
    order = order_factory(buyer=buyer)
    client = auth_client(buyer)
    first = client.post(f"/api/orders/{order.pk}/pay", HTTP_IDEMPOTENCY_KEY="abc-123")
    again = client.post(f"/api/orders/{order.pk}/pay", HTTP_IDEMPOTENCY_KEY="abc-123")
    assert first.status_code == 200, first.json()
    assert first.json()["message"].startswith("Payment approved")
    assert again.status_code == 200
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Payment.objects.filter(order=order).count() == 1
    third = client.post(f"/api/orders/{order.pk}/pay", HTTP_IDEMPOTENCY_KEY="other")
    assert third.status_code == 409
    assert third.json()["error"] == "This order is already paid."
    too_long = client.post(f"/api/orders/{order.pk}/pay", HTTP_IDEMPOTENCY_KEY="k" * 101)
    assert (too_long.status_code, too_long.json()["code"]) == (400, "invalid_idempotency_key")


@pytest.mark.django_db
def test_declined_payment_is_402_with_the_reason(
    order_factory, user_factory, card_for, auth_client, fake_authorize_net
):
    buyer = user_factory()
    card_for(buyer)
    fake_authorize_net.decline_next = True
    order = order_factory(buyer=buyer)
    response = auth_client(buyer).post(f"/api/orders/{order.pk}/pay")
    assert response.status_code == 402
    assert "declined" in response.json()["error"].lower()
    order.refresh_from_db()
    assert order.is_payable


@pytest.mark.django_db
def test_invoice_pdf_shows_the_order_and_is_re_rendered_after_payment(
    order_factory, buyer, auth_client, fake_authorize_net
):
    order = order_factory(buyer=buyer, price=Decimal("12000"), vin="1HGCM82633A004352")
    client = auth_client(buyer)
    response = client.get(f"/api/orders/{order.pk}/invoice")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(b"".join(response.streaming_content))
    for expected in (
        order.number,
        "1HGCM82633A004352",
        "12,000.00",
        "Buyer fee",
        "Sales tax",
        "Balance due",
        f"{order.total:,}",
    ):
        assert expected in text, expected
    client.post(f"/api/orders/{order.pk}/pay")
    paid_text = pdf_text(b"".join(client.get(f"/api/orders/{order.pk}/invoice").streaming_content))
    assert "Balance due: $0.00" in paid_text
    assert order.invoices.count() == 2


@pytest.mark.django_db
def test_seller_and_staff_may_download_the_invoice(order_factory, buyer, auth_client, staff_user):
    order = order_factory(buyer=buyer)
    assert auth_client(order.seller).get(f"/api/orders/{order.pk}/invoice").status_code == 200
    assert auth_client(staff_user).get(f"/api/orders/{order.pk}/invoice").status_code == 200


def signed(body: dict, key: str = SIGNATURE_KEY) -> tuple[bytes, str]:
    raw = json.dumps(body).encode()
    return raw, "sha512=" + hmac.new(key.encode(), raw, hashlib.sha512).hexdigest().upper()


@pytest.mark.django_db
def test_webhook_refund_made_in_the_console_is_recorded_once(order_factory, buyer, client, fake_authorize_net):
    from orders.payments import order_pay

    order = order_factory(buyer=buyer)
    charge = order_pay(order_id=order.pk, user=buyer)
    event = {
        "notificationId": "n-1",
        "eventType": "net.authorize.payment.refund.created",
        "eventDate": "2026-11-21T10:00:00Z",
        "webhookId": "w-1",
        "payload": {
            "responseCode": 1,
            "authAmount": 125.5,
            "invoiceNumber": charge.invoice_number,
            "entityName": "transaction",
            "id": "777001",
        },
    }
    raw, signature = signed(event)
    for _ in range(2):  # a replay changes nothing
        response = client.post(
            "/api/webhooks/authorize-net", raw, content_type="application/json", HTTP_X_ANET_SIGNATURE=signature
        )
        assert response.status_code == 200
    order.refresh_from_db()
    assert order.amount_refunded == Decimal("125.50")
    assert order.payments.filter(kind="refund", gateway_transaction_id="777001").count() == 1


@pytest.mark.django_db
def test_webhook_with_a_bad_signature_is_rejected(client, fake_authorize_net):
    raw, _ = signed({"notificationId": "n-2", "eventType": "net.authorize.payment.void.created", "payload": {}})
    response = client.post(
        "/api/webhooks/authorize-net", raw, content_type="application/json", HTTP_X_ANET_SIGNATURE="sha512=" + "0" * 128
    )
    assert response.status_code == 401
    assert client.post("/api/webhooks/authorize-net", raw, content_type="application/json").status_code == 401


@pytest.mark.django_db
def test_order_pages_show_the_balance_and_pay_button(order_factory, buyer, client, fake_authorize_net):
    order = order_factory(buyer=buyer)
    client.force_login(buyer)
    page = client.get(f"/orders/{order.pk}/").content.decode()
    assert order.number in page
    assert "Pay with" in page
    response = client.post(f"/orders/{order.pk}/pay/", {"pay_token": "t1"}, follow=True)
    assert "approved" in response.content.decode()
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    listing = client.get("/orders/").content.decode()
    assert order.number in listing


@pytest.mark.django_db
def test_invoice_pdf_prints_mileage_with_a_separator_and_the_sellers_business_name(
    order_factory, buyer, auth_client, seller_application_factory
):
    """Issue 16, item 11: "52,500 miles", and the dealer's business name rather than the person's."""
    order = order_factory(buyer=buyer, mileage=52500)
    seller_application_factory(user=order.seller, business_name="Lakeside Auto Sales", status="approved")
    order.seller.first_name, order.seller.last_name = "Pat", "Person"
    order.seller.save(update_fields=["first_name", "last_name"])
    text = pdf_text(b"".join(auth_client(buyer).get(f"/api/orders/{order.pk}/invoice").streaming_content))
    assert "52,500 miles" in text
    assert "Lakeside Auto Sales" in text
    assert "Pat Person" not in text
