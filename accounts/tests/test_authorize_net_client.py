"""The real Authorize.Net client (official SDK) over HTTP against the local fake, operation by operation."""

import hashlib
import hmac
import threading
import time
from datetime import date
from decimal import Decimal

import pytest

from accounts.authorize_net import (
    AuthorizeNetClient,
    AuthorizeNetError,
    AuthorizeNetUnavailable,
    BillTo,
    CardInput,
    OpaqueCard,
    ProfileOutcome,
    TransactionStatus,
    get_gateway,
    parse_direct_response,
    parse_webhook,
    verify_webhook_signature,
)
from core.errors import VendorUnavailable
from core.webhooks import WebhookRejected
from tests.fakes.authorize_net import BOM, LOGIN_ID, SIGNATURE_KEY, TRANSACTION_KEY

NEXT_YEAR = date.today().year + 1
VISA = CardInput("4111111111111111", 12, NEXT_YEAR, "123")
BILL_TO = BillTo("Bea", "Buyer", "100 Nicollet Mall", "Minneapolis", "MN", "55401")


@pytest.fixture
def client(fake_authorize_net) -> AuthorizeNetClient:
    gateway = get_gateway()
    assert isinstance(gateway, AuthorizeNetClient)
    return gateway


@pytest.fixture
def stored_card(client):
    result = client.create_customer_profile(
        merchant_customer_id="user-1", email="bea@example.test", card=VISA, bill_to=BILL_TO
    )
    assert result.ok
    return result


def _charge(client, card, amount="125.00", invoice="INV-1", window=120):
    return client.charge_profile(
        customer_profile_id=card.customer_profile_id,
        payment_profile_id=card.payment_profile_id,
        amount=Decimal(amount),
        invoice_number=invoice,
        description="Order 1",
        duplicate_window=window,
    )


def test_create_customer_profile_returns_ids_brand_and_last_four_from_validation(client, fake_authorize_net):
    result = client.create_customer_profile(
        merchant_customer_id="user-7", email="a@example.test", card=VISA, bill_to=BILL_TO
    )

    assert result.outcome == ProfileOutcome.CREATED
    assert result.customer_profile_id in fake_authorize_net.profiles
    assert result.payment_profile_id in fake_authorize_net.profiles[result.customer_profile_id].payment_profiles
    assert (result.brand, result.last4) == ("Visa", "1111")
    assert client.last_schema_valid, "the fake's response must pass the SDK's schema binding"
    sent = fake_authorize_net.raw_requests[-1].decode()
    assert "<validationMode>liveMode</validationMode>" in sent
    assert sent.index("<merchantAuthentication>") < sent.index("<profile>") < sent.index("<validationMode>")


def test_every_response_of_the_fake_starts_with_a_utf8_bom(fake_authorize_net):
    import requests

    reply = requests.post(fake_authorize_net.url, data=b"<garbage", timeout=5)
    assert reply.content.startswith(BOM)


def test_declined_zip_comes_back_as_declined_with_processor_reason(client):
    result = client.create_customer_profile(
        merchant_customer_id="user-8", email="d@example.test", card=VISA, bill_to=BillTo(zip="46282")
    )
    assert result.outcome == ProfileOutcome.DECLINED
    assert result.message_code == "E00027"
    assert (result.reason_code, result.reason_text) == ("2", "This transaction has been declined.")
    assert client.last_schema_valid


def test_declined_card_number_is_declined(client):
    card = CardInput("4000000000000002", 1, NEXT_YEAR)
    result = client.create_customer_profile(
        merchant_customer_id="user-9", email="e@example.test", card=card, bill_to=BILL_TO
    )
    assert result.outcome == ProfileOutcome.DECLINED
    assert result.reason_code == "2"


def test_card_failing_luhn_is_invalid_number(client):
    card = CardInput("4111111111111112", 1, NEXT_YEAR)
    result = client.create_customer_profile(
        merchant_customer_id="user-10", email="f@example.test", card=card, bill_to=BILL_TO
    )
    assert result.outcome == ProfileOutcome.DECLINED
    assert result.reason_code == "6"


def test_accept_js_opaque_data_creates_a_profile(client, fake_authorize_net):
    nonce = OpaqueCard(
        "COMMON.ACCEPT.INAPP.PAYMENT", f"fake-nonce:5424000000000015:{NEXT_YEAR}-01", 1, NEXT_YEAR, "0015"
    )
    result = client.create_customer_profile(
        merchant_customer_id="user-11", email="g@example.test", card=nonce, bill_to=BILL_TO
    )
    assert result.ok
    assert (result.brand, result.last4) == ("MasterCard", "0015")
    assert "<opaqueData>" in fake_authorize_net.raw_requests[-1].decode()
    assert "5424000000000015" not in fake_authorize_net.raw_requests[-1].decode().replace(
        "fake-nonce:5424000000000015", ""
    )


def test_duplicate_customer_profile_is_e00039_with_existing_id(client, stored_card):
    again = client.create_customer_profile(
        merchant_customer_id="user-1", email="bea@example.test", card=VISA, bill_to=BILL_TO
    )
    assert again.outcome == ProfileOutcome.DUPLICATE
    assert again.message_code == "E00039"
    assert again.customer_profile_id == stored_card.customer_profile_id
    assert client.last_schema_valid


def test_add_payment_profile_to_existing_customer_and_duplicate_card_returns_existing_ids(client, stored_card):
    mastercard = CardInput("5424000000000015", 6, NEXT_YEAR)
    added = client.add_payment_profile(
        customer_profile_id=stored_card.customer_profile_id, card=mastercard, bill_to=BILL_TO
    )
    assert added.ok
    assert added.customer_profile_id == stored_card.customer_profile_id
    assert (added.brand, added.last4) == ("MasterCard", "0015")

    duplicate = client.add_payment_profile(
        customer_profile_id=stored_card.customer_profile_id, card=VISA, bill_to=BILL_TO
    )
    assert duplicate.outcome == ProfileOutcome.DUPLICATE
    assert duplicate.payment_profile_id == stored_card.payment_profile_id


def test_add_payment_profile_to_unknown_customer_is_e00040(client):
    result = client.add_payment_profile(customer_profile_id="123", card=VISA, bill_to=BILL_TO)
    assert result.message_code == "E00040"
    assert not result.ok


def test_delete_payment_and_customer_profile_and_missing_ones_count_as_deleted(client, stored_card, fake_authorize_net):
    assert client.delete_payment_profile(
        customer_profile_id=stored_card.customer_profile_id, payment_profile_id=stored_card.payment_profile_id
    )
    assert client.delete_customer_profile(customer_profile_id=stored_card.customer_profile_id)
    assert stored_card.customer_profile_id not in fake_authorize_net.profiles
    assert client.delete_customer_profile(customer_profile_id=stored_card.customer_profile_id)  # E00040: already gone


def test_charge_approved_sends_invoice_number_and_duplicate_window(client, stored_card, fake_authorize_net):
    result = _charge(client, stored_card, window=600)

    assert result.status == TransactionStatus.APPROVED
    assert result.approved
    assert result.trans_id
    assert result.auth_code
    assert result.account_number == "XXXX1111"
    assert client.last_schema_valid
    sent = fake_authorize_net.raw_requests[-1].decode()
    assert "<invoiceNumber>INV-1</invoiceNumber>" in sent
    assert "<settingName>duplicateWindow</settingName><settingValue>600</settingValue>" in sent
    assert fake_authorize_net.transactions[result.trans_id].amount == Decimal("125.00")


def test_repeat_charge_inside_duplicate_window_is_reason_11_and_after_it_goes_through(
    client, stored_card, fake_authorize_net
):
    first = _charge(client, stored_card, window=120)
    second = _charge(client, stored_card, window=120)
    assert first.approved
    assert second.status == TransactionStatus.ERROR
    assert second.is_duplicate
    fake_authorize_net.advance(121)
    assert _charge(client, stored_card, window=120).approved


def test_charge_on_declined_zip_profile_is_declined_e00027_with_transaction_response(client, fake_authorize_net):
    profile = client.create_customer_profile(
        merchant_customer_id="user-2", email="z@example.test", card=VISA, bill_to=BILL_TO
    )
    fake_authorize_net.profiles[profile.customer_profile_id].payment_profiles[profile.payment_profile_id].zip = "46282"
    result = _charge(client, profile)
    assert result.status == TransactionStatus.DECLINED
    assert result.message_code == "E00027"
    assert (result.reason_code, result.reason_text) == ("2", "This transaction has been declined.")
    assert result.trans_id


def test_held_for_review_is_response_code_4(client, stored_card, fake_authorize_net):
    fake_authorize_net.hold_next = True
    result = _charge(client, stored_card, invoice="INV-HOLD")
    assert result.status == TransactionStatus.HELD
    assert result.trans_id


def test_charge_on_unknown_payment_profile_is_error_e00040(client, stored_card):
    result = client.charge_profile(
        customer_profile_id=stored_card.customer_profile_id,
        payment_profile_id="999",
        amount=Decimal("10.00"),
        invoice_number="INV-X",
    )
    assert result.status == TransactionStatus.ERROR
    assert result.message_code == "E00040"


def test_invoice_number_longer_than_20_characters_is_refused_before_sending(client, stored_card, fake_authorize_net):
    before = fake_authorize_net.total_requests()
    with pytest.raises(ValueError, match="20 characters"):
        _charge(client, stored_card, invoice="X" * 21)
    assert fake_authorize_net.total_requests() == before


def test_refund_of_unsettled_charge_is_reason_54_then_void_works(client, stored_card, fake_authorize_net):
    charge = _charge(client, stored_card)
    refund = client.refund(trans_id=charge.trans_id, amount=Decimal("125.00"), last4="1111")
    assert refund.status == TransactionStatus.ERROR
    assert refund.must_void_instead

    void = client.void(trans_id=charge.trans_id)
    assert void.approved
    assert fake_authorize_net.transactions[charge.trans_id].status == "voided"
    assert client.get_transaction_details(trans_id=charge.trans_id).transaction_status == "voided"


def test_refund_of_settled_charge_sends_last_four_and_is_approved(client, stored_card, fake_authorize_net):
    charge = _charge(client, stored_card)
    fake_authorize_net.settle(charge.trans_id)

    refund = client.refund(trans_id=charge.trans_id, amount=Decimal("25.00"), last4="1111")

    assert refund.approved
    assert refund.trans_id != charge.trans_id
    sent = fake_authorize_net.raw_requests[-1].decode()
    assert "<cardNumber>1111</cardNumber><expirationDate>XXXX</expirationDate>" in sent
    assert f"<refTransId>{charge.trans_id}</refTransId>" in sent
    details = client.get_transaction_details(trans_id=refund.trans_id)
    assert details.transaction_status == "refundPendingSettlement"
    assert details.transaction_type == "refundTransaction"


def test_void_of_settled_charge_is_refused(client, stored_card, fake_authorize_net):
    charge = _charge(client, stored_card)
    fake_authorize_net.settle(charge.trans_id)
    assert client.void(trans_id=charge.trans_id).status == TransactionStatus.ERROR


def test_get_transaction_details_reads_status_amounts_and_invoice(client, stored_card, fake_authorize_net):
    charge = _charge(client, stored_card, amount="10.50", invoice="INV-77")
    details = client.get_transaction_details(trans_id=charge.trans_id)
    assert client.last_schema_valid
    assert details.transaction_status == "capturedPendingSettlement"
    assert not details.is_settled
    assert details.invoice_number == "INV-77"
    assert details.auth_amount == Decimal("10.50")
    assert details.settle_amount == Decimal("0.00")
    fake_authorize_net.settle(charge.trans_id)
    settled = client.get_transaction_details(trans_id=charge.trans_id)
    assert settled.is_settled
    assert settled.settle_amount == Decimal("10.50")


def test_get_transaction_details_of_unknown_transaction_is_none(client):
    assert client.get_transaction_details(trans_id="424242") is None


def test_bad_credentials_are_a_gateway_error_not_a_decline(client, fake_authorize_net):
    fake_authorize_net.transaction_key = "SomethingElse001"
    with pytest.raises(AuthorizeNetError) as caught:
        client.create_customer_profile(
            merchant_customer_id="user-3", email="x@example.test", card=VISA, bill_to=BILL_TO
        )
    assert caught.value.vendor_code == "E00007"
    assert isinstance(caught.value, VendorUnavailable)


def test_http_error_status_is_retryable_unavailable(client, fake_authorize_net):
    fake_authorize_net.fail_status = 503
    with pytest.raises(AuthorizeNetUnavailable):
        client.get_transaction_details(trans_id="1")


def test_slow_gateway_is_cut_off_by_our_timeout(fake_authorize_net, settings):
    settings.AUTHORIZE_NET_TIMEOUT = 0.3
    fake_authorize_net.delay = 1.0
    client = get_gateway()
    started = time.monotonic()
    with pytest.raises(AuthorizeNetUnavailable, match="try again"):
        client.create_customer_profile(
            merchant_customer_id="user-4", email="s@example.test", card=VISA, bill_to=BILL_TO
        )
    assert time.monotonic() - started < 0.9


def test_unreachable_gateway_is_retryable_unavailable(settings):
    settings.AUTHORIZE_NET_LOGIN_ID = LOGIN_ID
    settings.AUTHORIZE_NET_TRANSACTION_KEY = TRANSACTION_KEY
    settings.AUTHORIZE_NET_API_URL = "http://127.0.0.1:9/xml/v1/request.api"
    with pytest.raises(AuthorizeNetUnavailable):
        get_gateway().void(trans_id="1")


@pytest.mark.django_db(transaction=True)
def test_calling_the_gateway_inside_a_transaction_is_refused(client):
    from django.db import transaction

    with transaction.atomic(), pytest.raises(RuntimeError, match="inside a database transaction"):
        client.void(trans_id="1")


def test_concurrent_calls_all_reach_the_configured_endpoint(client, stored_card, fake_authorize_net):
    """The SDK's environment is global and reset by every constructor: our lock keeps calls on our URL."""
    before = fake_authorize_net.requests["createTransactionRequest"]
    results = []

    def charge(index: int) -> None:
        results.append(_charge(client, stored_card, amount=f"{index + 1}.00", invoice=f"INV-C{index}"))

    threads = [threading.Thread(target=charge, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 8
    assert all(result.approved for result in results)
    assert fake_authorize_net.requests["createTransactionRequest"] - before == 8


def test_request_counting_per_operation(client, stored_card, fake_authorize_net):
    assert fake_authorize_net.requests["createCustomerProfileRequest"] == 1
    client.get_transaction_details(trans_id="1")
    assert fake_authorize_net.requests["getTransactionDetailsRequest"] == 1


def test_direct_response_parsing_picks_codes_and_masked_card():
    fields = [""] * 69
    fields[0], fields[2], fields[3], fields[6], fields[50], fields[51] = (
        "1",
        "1",
        "Approved.",
        "60",
        "XXXX0015",
        "MasterCard",
    )
    parsed = parse_direct_response(",".join(fields))
    assert parsed == {
        "response_code": "1",
        "reason_code": "1",
        "reason_text": "Approved.",
        "trans_id": "60",
        "last4": "0015",
        "brand": "MasterCard",
    }


# --- webhooks ---------------------------------------------------------------------------------------

WEBHOOK = (
    b'{"notificationId":"d0e8e7fe-c3e7-4add-a480-27bc5ce28a1f","eventType":"net.authorize.payment.authcapture.created",'
    b'"eventDate":"2026-11-21T23:00:00Z","webhookId":"wh-1","payload":{"responseCode":1,"authAmount":125.50,'
    b'"invoiceNumber":"INV-1","entityName":"transaction","id":"60012345678"}}'
)


def _anet_signature(body: bytes, key: str = SIGNATURE_KEY) -> str:
    return "sha512=" + hmac.new(key.encode(), body, hashlib.sha512).hexdigest().upper()


def test_webhook_signature_valid_in_any_case_passes():
    verify_webhook_signature(header=_anet_signature(WEBHOOK), body=WEBHOOK, signature_key=SIGNATURE_KEY)
    verify_webhook_signature(header=_anet_signature(WEBHOOK).lower(), body=WEBHOOK, signature_key=SIGNATURE_KEY)


@pytest.mark.parametrize(
    "header",
    ["", "sha512=", "sha256=abc", _anet_signature(WEBHOOK, key="another-key"), _anet_signature(WEBHOOK + b" ")],
)
def test_webhook_forged_or_unsigned_is_rejected(header):
    with pytest.raises(WebhookRejected):
        verify_webhook_signature(header=header, body=WEBHOOK, signature_key=SIGNATURE_KEY)


def test_webhook_without_configured_key_is_rejected():
    with pytest.raises(WebhookRejected):
        verify_webhook_signature(header=_anet_signature(WEBHOOK), body=WEBHOOK, signature_key="")


def test_webhook_body_parses_into_typed_event_with_decimal_amount():
    event = parse_webhook(WEBHOOK)
    assert event.notification_id == "d0e8e7fe-c3e7-4add-a480-27bc5ce28a1f"
    assert event.event_type == "net.authorize.payment.authcapture.created"
    assert (event.trans_id, event.invoice_number, event.response_code) == ("60012345678", "INV-1", "1")
    assert event.amount == Decimal("125.50")


def test_webhook_body_that_is_not_a_notification_is_rejected():
    with pytest.raises(WebhookRejected):
        parse_webhook(b'{"hello": "world"}')
