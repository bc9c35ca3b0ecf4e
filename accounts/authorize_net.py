"""Authorize.Net adapter: card on file (accounts) and the transactions orders will run on it.

Interface: `get_gateway()` returns an `AuthorizeNetGateway` — the real `AuthorizeNetClient` (official
`authorizenet` SDK) when AUTHORIZE_NET_LOGIN_ID and AUTHORIZE_NET_TRANSACTION_KEY are set, else the
in-process `SandboxGateway` (accounts/authorize_net_sandbox.py) used by `make run`.

Rules the real client keeps (STACK.md, VENDORS.md):
- The SDK's environment is process-global and every controller constructor resets it to the public
  sandbox. We construct, `setenvironment(url)` and start `execute()` under one lock, released by the
  controller's `beforeexecute` hook right after it has read the URL, so concurrent calls never leak to
  the wrong endpoint and the network round trip itself runs unlocked.
- The SDK's `requests.post` has no timeout and swallows network errors. Our call runs in a worker thread
  bounded by AUTHORIZE_NET_TIMEOUT (and the post gets a socket timeout); a timeout, a swallowed error or
  a `None` response raises `AuthorizeNetUnavailable` — retryable. For a charge the outcome is then
  unknown: reconcile with `get_transaction_details` / the invoice number before charging again.
- Declines are results, not exceptions: `TransactionResult.status` is approved/declined/error/held.
- There is no idempotency key: put a unique `invoiceNumber` on every charge and set `duplicateWindow`;
  a repeat inside the window comes back as an error with reason code 11 (`result.is_duplicate`).
- A refund of an unsettled transaction fails with reason code 54 (`result.must_void_instead`): void it.
- Never called inside a database transaction.

Choices where the public documentation is silent (kept identical in tests/fakes/authorize_net.py):
- validationDirectResponse fields (1-based): 1 response code, 3 reason code, 4 reason text, 7 trans id,
  51 masked account number (XXXX1111), 52 card type.
- E00039 on a customer profile carries the existing id in its text ("A duplicate record with ID 123
  already exists."); we reuse that profile.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import threading
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol

import requests
import structlog
from django.conf import settings

from core.errors import VendorUnavailable
from core.money import money
from core.vendor_http import assert_outside_transaction
from core.webhooks import WebhookRejected

logger = structlog.get_logger(__name__)
# PyXB warns "Multiple accepting paths" on every parse of a valid response; it is noise, not a fault.
logging.getLogger("pyxb").setLevel(logging.ERROR)

VENDOR = "authorize_net"
TRY_AGAIN = (
    "The payment processor is not answering right now. Nothing was charged or saved; please try again in a minute."
)
RETRYABLE_MESSAGE_CODES = frozenset({"E00001", "E00053"})  # internal error, server busy
CARD_INPUT_MESSAGE_CODES = frozenset({"E00013", "E00014", "E00015", "E00027"})  # the card itself was refused


class AuthorizeNetUnavailable(VendorUnavailable):
    """No usable answer (network, timeout, HTTP error, unparsable body): retry later."""


class AuthorizeNetError(VendorUnavailable):
    """The gateway refused the request itself (credentials, schema, internal error): not the card's fault."""

    def __init__(self, message: str, *, code: str = "", text: str = "") -> None:
        super().__init__(message, details={"code": code, "text": text})
        self.vendor_code = code
        self.vendor_text = text


# --- inputs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CardInput:
    """A card typed into our sandbox/local form. Never stored; only sent on to the gateway."""

    number: str
    exp_month: int
    exp_year: int
    cvv: str = ""

    @property
    def last4(self) -> str:
        return self.number[-4:]

    @property
    def expiration_date(self) -> str:
        return f"{self.exp_year:04d}-{self.exp_month:02d}"


@dataclass(frozen=True)
class OpaqueCard:
    """Accept.js payment nonce: the card never reached our server. Expiry and last four come from the form."""

    data_descriptor: str
    data_value: str
    exp_month: int
    exp_year: int
    last4: str = ""


@dataclass(frozen=True)
class BillTo:
    first_name: str = ""
    last_name: str = ""
    address: str = ""
    city: str = ""
    state: str = ""
    zip: str = ""
    country: str = "US"
    phone: str = ""


# --- results ----------------------------------------------------------------------------------


class TransactionStatus(StrEnum):
    APPROVED = "approved"
    DECLINED = "declined"
    ERROR = "error"
    HELD = "held"


RESPONSE_CODE_STATUS = {
    "1": TransactionStatus.APPROVED,
    "2": TransactionStatus.DECLINED,
    "3": TransactionStatus.ERROR,
    "4": TransactionStatus.HELD,
}


@dataclass(frozen=True)
class TransactionResult:
    status: TransactionStatus
    trans_id: str = ""
    auth_code: str = ""
    reason_code: str = ""
    reason_text: str = ""
    account_number: str = ""
    account_type: str = ""
    avs_result_code: str = ""
    cvv_result_code: str = ""
    message_code: str = ""  # top-level code, e.g. I00001, E00027, E00040

    @property
    def approved(self) -> bool:
        return self.status == TransactionStatus.APPROVED

    @property
    def is_duplicate(self) -> bool:
        return self.status == TransactionStatus.ERROR and self.reason_code == "11"

    @property
    def must_void_instead(self) -> bool:
        """Refund refused because the transaction has not settled yet (reason 54): void it instead."""
        return self.reason_code == "54"

    @property
    def retryable(self) -> bool:
        return self.message_code in RETRYABLE_MESSAGE_CODES


class ProfileOutcome(StrEnum):
    CREATED = "created"
    DECLINED = "declined"
    DUPLICATE = "duplicate"


@dataclass(frozen=True)
class PaymentProfileResult:
    outcome: ProfileOutcome
    customer_profile_id: str = ""
    payment_profile_id: str = ""
    brand: str = ""
    last4: str = ""
    reason_code: str = ""
    reason_text: str = ""
    message_code: str = ""
    message_text: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome == ProfileOutcome.CREATED


@dataclass(frozen=True)
class TransactionDetails:
    trans_id: str
    transaction_status: str  # capturedPendingSettlement, settledSuccessfully, voided, declined, ...
    transaction_type: str = ""
    response_code: str = ""
    reason_code: str = ""
    reason_text: str = ""
    invoice_number: str = ""
    auth_amount: Decimal = Decimal("0.00")
    settle_amount: Decimal = Decimal("0.00")
    account_number: str = ""
    submitted_at: str = ""

    @property
    def is_settled(self) -> bool:
        return self.transaction_status in ("settledSuccessfully", "refundSettledSuccessfully")


@dataclass(frozen=True)
class WebhookEvent:
    notification_id: str
    event_type: str
    trans_id: str = ""
    response_code: str = ""
    invoice_number: str = ""
    amount: Decimal | None = None
    payload: dict[str, Any] = field(default_factory=dict)


class AuthorizeNetGateway(Protocol):
    """What accounts and orders use. Every method raises AuthorizeNetUnavailable when there is no answer."""

    def create_customer_profile(
        self, *, merchant_customer_id: str, email: str, card: CardInput | OpaqueCard, bill_to: BillTo
    ) -> PaymentProfileResult: ...

    def add_payment_profile(
        self, *, customer_profile_id: str, card: CardInput | OpaqueCard, bill_to: BillTo
    ) -> PaymentProfileResult: ...

    def delete_payment_profile(self, *, customer_profile_id: str, payment_profile_id: str) -> bool: ...

    def delete_customer_profile(self, *, customer_profile_id: str) -> bool: ...

    def charge_profile(
        self,
        *,
        customer_profile_id: str,
        payment_profile_id: str,
        amount: Decimal,
        invoice_number: str,
        description: str = "",
        duplicate_window: int = 120,
    ) -> TransactionResult: ...

    def refund(
        self,
        *,
        trans_id: str,
        amount: Decimal,
        last4: str,
        invoice_number: str = "",
        duplicate_window: int | None = None,
    ) -> TransactionResult: ...

    def void(self, *, trans_id: str) -> TransactionResult: ...

    def get_transaction_details(self, *, trans_id: str) -> TransactionDetails | None: ...


def get_gateway() -> AuthorizeNetGateway:
    """The real client when credentials are configured, else the local sandbox."""
    if settings.AUTHORIZE_NET_LOGIN_ID and settings.AUTHORIZE_NET_TRANSACTION_KEY:
        return AuthorizeNetClient(
            login_id=settings.AUTHORIZE_NET_LOGIN_ID,
            transaction_key=settings.AUTHORIZE_NET_TRANSACTION_KEY,
            url=settings.AUTHORIZE_NET_API_URL,
            timeout=settings.AUTHORIZE_NET_TIMEOUT,
            validation_mode=settings.AUTHORIZE_NET_VALIDATION_MODE,
        )
    from accounts.authorize_net_sandbox import SandboxGateway

    return SandboxGateway()


def uses_accept_js() -> bool:
    return bool(settings.AUTHORIZE_NET_CLIENT_KEY and settings.AUTHORIZE_NET_LOGIN_ID)


# --- helpers shared with the sandbox -------------------------------------------------------------


def parse_direct_response(raw: str) -> dict[str, str]:
    """Pick the fields we use out of a comma-separated direct response (see module docstring)."""
    parts = raw.split(",") if raw else []

    def at(position: int) -> str:
        return parts[position - 1].strip() if len(parts) >= position else ""

    masked = at(51)
    return {
        "response_code": at(1),
        "reason_code": at(3),
        "reason_text": at(4),
        "trans_id": at(7),
        "last4": masked[-4:] if masked else "",
        "brand": at(52),
    }


def card_brand(number: str) -> str:
    """Brand from the card number's prefix (used when the gateway did not tell us)."""
    if number.startswith("4"):
        return "Visa"
    if number[:2] in {"51", "52", "53", "54", "55"} or "2221" <= number[:4] <= "2720":
        return "MasterCard"
    if number[:2] in {"34", "37"}:
        return "AmericanExpress"
    if number.startswith(("6011", "65")) or number[:3] in {"644", "645", "646", "647", "648", "649"}:
        return "Discover"
    if number[:2] in {"36", "38", "30"}:
        return "DinersClub"
    if number.startswith("35"):
        return "JCB"
    return "Card"


def luhn_valid(number: str) -> bool:
    if not number.isdigit() or not 13 <= len(number) <= 19:
        return False
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


_DUPLICATE_ID = re.compile(r"ID\s+(\d+)")


# --- webhooks -------------------------------------------------------------------------------------


def verify_webhook_signature(*, header: str, body: bytes, signature_key: str) -> None:
    """Check `X-ANET-Signature: sha512=<HEX>` = HMAC-SHA512(signature key as text, raw body); raise WebhookRejected."""
    if not signature_key:
        raise WebhookRejected("webhook signature key is not configured", 401)
    scheme, _, signature = (header or "").strip().partition("=")
    if scheme.lower() != "sha512" or not signature:
        raise WebhookRejected("missing signature", 401)
    expected = hmac.new(signature_key.encode(), body, hashlib.sha512).hexdigest()
    if not hmac.compare_digest(expected.lower(), signature.strip().lower()):
        raise WebhookRejected("bad signature", 401)


def parse_webhook(body: bytes) -> WebhookEvent:
    """Read a (verified) webhook body; de-duplicate on `notification_id` with core.webhooks.record_delivery."""
    try:
        data = json.loads(body, parse_float=Decimal)
    except ValueError as exc:
        raise WebhookRejected("body is not JSON", 400) from exc
    if not isinstance(data, dict) or not data.get("notificationId") or not data.get("eventType"):
        raise WebhookRejected("not an Authorize.Net notification", 400)
    payload = data.get("payload") or {}
    amount = payload.get("authAmount")
    return WebhookEvent(
        notification_id=str(data["notificationId"]),
        event_type=str(data["eventType"]),
        trans_id=str(payload.get("id") or ""),
        response_code=str(payload.get("responseCode") or ""),
        invoice_number=str(payload.get("invoiceNumber") or ""),
        amount=money(str(amount)) if amount is not None else None,
        payload=data,
    )


# --- the real client --------------------------------------------------------------------------------


class _BoundedRequests:
    """Stands in for the `requests` module inside the SDK so its post gets a socket timeout."""

    timeout: float = 10.0

    def post(self, url: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        return requests.post(url, **kwargs)  # noqa: S113 - timeout set just above


_bounded_requests = _BoundedRequests()
_sdk_environment_lock = threading.Lock()


def _deduplicated(
    transaction: Any, invoice_number: str, duplicate_window: int | None, *, description: str = ""
) -> None:
    """Put our invoice number (≤ 20 characters; `description` ≤ 255 beside it) and the `duplicateWindow` on a
    transaction request: the same request sent again inside the window is refused as a duplicate (reason 11)
    carrying the first one's transId — Authorize.Net's only idempotency. Either may be left out."""
    from authorizenet import apicontractsv1 as anet

    if invoice_number:
        if len(invoice_number) > 20:
            raise ValueError("Authorize.Net invoice numbers are at most 20 characters")
        order = anet.orderType()
        order.invoiceNumber = invoice_number
        if description:
            order.description = description[:255]
        transaction.order = order
    if duplicate_window is not None:
        window = anet.settingType()
        window.settingName = "duplicateWindow"
        window.settingValue = str(int(duplicate_window))
        transaction_settings = anet.ArrayOfSetting()
        transaction_settings.setting.append(window)
        transaction.transactionSettings = transaction_settings


def _install_bounded_requests() -> None:
    from authorizenet import apicontrollersbase

    apicontrollersbase.requests = _bounded_requests  # type: ignore[assignment]


def _child(node: Any, name: str) -> Any:
    """First child element with this local name (objectify's attribute access shadows names like "text")."""
    for child in node.iterchildren():
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag.rsplit("}", 1)[-1] == name:
            return child
    return None


def _text(node: Any, *path: str) -> str:
    """Walk an lxml path by local names; "" when any step is missing."""
    for name in path:
        if node is None:
            return ""
        node = _child(node, name)
    if node is None or node.text is None:
        return ""
    return str(node.text).strip()


class AuthorizeNetClient:
    def __init__(
        self, *, login_id: str, transaction_key: str, url: str, timeout: float = 10.0, validation_mode: str = "liveMode"
    ) -> None:
        self.login_id = login_id
        self.transaction_key = transaction_key
        self.url = url
        self.timeout = timeout
        self.validation_mode = validation_mode
        self.last_schema_valid = False  # did the SDK's schema binding accept the last response (tests check it)
        _install_bounded_requests()

    # -- plumbing ------------------------------------------------------------------------------

    def _auth(self) -> Any:
        from authorizenet import apicontractsv1 as anet

        auth = anet.merchantAuthenticationType()
        auth.name = self.login_id
        auth.transactionKey = self.transaction_key
        return auth

    def _execute(self, controller_class: Any, request: Any, operation: str) -> Any:
        """Run one SDK controller with the environment pinned and the time bounded; return the objectified response."""
        assert_outside_transaction(VENDOR)
        outcome: dict[str, Any] = {}
        _bounded_requests.timeout = self.timeout

        def work() -> None:
            if not _sdk_environment_lock.acquire(timeout=self.timeout):
                outcome["error"] = TimeoutError("SDK environment lock")
                return
            released = False

            def release() -> None:
                nonlocal released
                if not released:
                    released = True
                    _sdk_environment_lock.release()

            try:
                controller = controller_class(request)
                controller.setenvironment(self.url)
                original_before = controller.beforeexecute

                def before_execute() -> None:
                    release()  # the controller has copied the URL; let other calls proceed
                    original_before()

                controller.beforeexecute = before_execute
                controller.execute()
                outcome["response"] = controller.getresponse()
                outcome["schema_valid"] = controller._response is not None
            except Exception as exc:  # the SDK raises anything from lxml/pyxb on a garbled body
                outcome["error"] = exc
            finally:
                release()

        worker = threading.Thread(target=work, name=f"authorize-net-{operation}", daemon=True)
        worker.start()
        worker.join(self.timeout)
        if worker.is_alive():
            logger.warning("vendor.timeout", vendor=VENDOR, operation=operation, timeout=self.timeout)
            raise AuthorizeNetUnavailable(TRY_AGAIN)
        response = outcome.get("response")
        if response is None:
            logger.warning("vendor.no_response", vendor=VENDOR, operation=operation, error=str(outcome.get("error")))
            raise AuthorizeNetUnavailable(TRY_AGAIN)
        self.last_schema_valid = bool(outcome.get("schema_valid"))
        if not self.last_schema_valid:
            logger.info("vendor.schema_fallback", vendor=VENDOR, operation=operation)
        logger.info(
            "vendor.response",
            vendor=VENDOR,
            operation=operation,
            result=_text(response, "messages", "resultCode"),
            code=_text(response, "messages", "message", "code"),
        )
        return response

    @staticmethod
    def _message(response: Any) -> tuple[str, str, str]:
        return (
            _text(response, "messages", "resultCode"),
            _text(response, "messages", "message", "code"),
            _text(response, "messages", "message", "text"),
        )

    def _gateway_error(self, code: str, text: str) -> AuthorizeNetError:
        logger.error("vendor.gateway_error", vendor=VENDOR, code=code, text=text)
        return AuthorizeNetError(TRY_AGAIN, code=code, text=text)

    def _payment(self, card: CardInput | OpaqueCard) -> Any:
        from authorizenet import apicontractsv1 as anet

        payment = anet.paymentType()
        if isinstance(card, OpaqueCard):
            opaque = anet.opaqueDataType()
            opaque.dataDescriptor = card.data_descriptor
            opaque.dataValue = card.data_value
            payment.opaqueData = opaque
        else:
            credit_card = anet.creditCardType()
            credit_card.cardNumber = card.number
            credit_card.expirationDate = card.expiration_date
            if card.cvv:
                credit_card.cardCode = card.cvv
            payment.creditCard = credit_card
        return payment

    def _payment_profile(self, card: CardInput | OpaqueCard, bill_to: BillTo) -> Any:
        from authorizenet import apicontractsv1 as anet

        address = anet.customerAddressType()
        for attr, value in (
            ("firstName", bill_to.first_name),
            ("lastName", bill_to.last_name),
            ("address", bill_to.address),
            ("city", bill_to.city),
            ("state", bill_to.state),
            ("zip", bill_to.zip),
            ("country", bill_to.country),
            ("phoneNumber", bill_to.phone),
        ):
            if value:
                setattr(address, attr, value[:60])
        profile = anet.customerPaymentProfileType()
        profile.customerType = "individual"
        profile.billTo = address
        profile.payment = self._payment(card)
        return profile

    def _profile_result(
        self, response: Any, card: CardInput | OpaqueCard, direct_response: str, payment_profile_id: str
    ) -> PaymentProfileResult:
        result_code, code, text = self._message(response)
        direct = parse_direct_response(direct_response)
        fallback_brand = card_brand(card.number) if isinstance(card, CardInput) else ""
        common = {
            "customer_profile_id": _text(response, "customerProfileId"),
            "payment_profile_id": payment_profile_id,
            "brand": direct["brand"] or fallback_brand,
            "last4": direct["last4"] or card.last4,
            "reason_code": direct["reason_code"],
            "reason_text": direct["reason_text"],
            "message_code": code,
            "message_text": text,
        }
        if result_code == "Ok":
            return PaymentProfileResult(ProfileOutcome.CREATED, **common)
        if code == "E00039":
            match = _DUPLICATE_ID.search(text)
            if match and not common["customer_profile_id"]:
                common["customer_profile_id"] = match.group(1)
            return PaymentProfileResult(ProfileOutcome.DUPLICATE, **common)
        if code in CARD_INPUT_MESSAGE_CODES:
            return PaymentProfileResult(ProfileOutcome.DECLINED, **common)
        raise self._gateway_error(code, text)

    # -- card on file ------------------------------------------------------------------------------

    def create_customer_profile(
        self, *, merchant_customer_id: str, email: str, card: CardInput | OpaqueCard, bill_to: BillTo
    ) -> PaymentProfileResult:
        """createCustomerProfileRequest with one payment profile, validated per AUTHORIZE_NET_VALIDATION_MODE."""
        from authorizenet import apicontractsv1 as anet
        from authorizenet.apicontrollers import createCustomerProfileController

        customer = anet.customerProfileType()
        customer.merchantCustomerId = merchant_customer_id[:20]
        customer.email = email
        customer.paymentProfiles = [self._payment_profile(card, bill_to)]
        request = anet.createCustomerProfileRequest()
        request.merchantAuthentication = self._auth()
        request.profile = customer
        request.validationMode = self.validation_mode
        response = self._execute(createCustomerProfileController, request, "createCustomerProfile")
        direct = _text(response, "validationDirectResponseList", "string")
        payment_profile_id = _text(response, "customerPaymentProfileIdList", "numericString")
        return self._profile_result(response, card, direct, payment_profile_id)

    def add_payment_profile(
        self, *, customer_profile_id: str, card: CardInput | OpaqueCard, bill_to: BillTo
    ) -> PaymentProfileResult:
        """createCustomerPaymentProfileRequest on an existing customer profile (replacing a card)."""
        from authorizenet import apicontractsv1 as anet
        from authorizenet.apicontrollers import createCustomerPaymentProfileController

        request = anet.createCustomerPaymentProfileRequest()
        request.merchantAuthentication = self._auth()
        request.customerProfileId = customer_profile_id
        request.paymentProfile = self._payment_profile(card, bill_to)
        request.validationMode = self.validation_mode
        response = self._execute(createCustomerPaymentProfileController, request, "createCustomerPaymentProfile")
        result_code, code, text = self._message(response)
        if result_code != "Ok" and code == "E00040":
            return PaymentProfileResult(ProfileOutcome.DECLINED, message_code=code, message_text=text)
        direct = _text(response, "validationDirectResponse")
        result = self._profile_result(response, card, direct, _text(response, "customerPaymentProfileId"))
        if not result.customer_profile_id:
            result = PaymentProfileResult(**{**result.__dict__, "customer_profile_id": customer_profile_id})
        return result

    def delete_payment_profile(self, *, customer_profile_id: str, payment_profile_id: str) -> bool:
        """True when deleted or already gone (E00040)."""
        from authorizenet import apicontractsv1 as anet
        from authorizenet.apicontrollers import deleteCustomerPaymentProfileController

        request = anet.deleteCustomerPaymentProfileRequest()
        request.merchantAuthentication = self._auth()
        request.customerProfileId = customer_profile_id
        request.customerPaymentProfileId = payment_profile_id
        response = self._execute(deleteCustomerPaymentProfileController, request, "deleteCustomerPaymentProfile")
        return self._deleted(response)

    def delete_customer_profile(self, *, customer_profile_id: str) -> bool:
        """True when deleted or already gone (E00040)."""
        from authorizenet import apicontractsv1 as anet
        from authorizenet.apicontrollers import deleteCustomerProfileController

        request = anet.deleteCustomerProfileRequest()
        request.merchantAuthentication = self._auth()
        request.customerProfileId = customer_profile_id
        response = self._execute(deleteCustomerProfileController, request, "deleteCustomerProfile")
        return self._deleted(response)

    def _deleted(self, response: Any) -> bool:
        result_code, code, text = self._message(response)
        if result_code == "Ok" or code == "E00040":
            return True
        raise self._gateway_error(code, text)

    # -- transactions ---------------------------------------------------------------------------------

    def _transaction(self, transaction_request: Any, operation: str) -> TransactionResult:
        from authorizenet import apicontractsv1 as anet
        from authorizenet.apicontrollers import createTransactionController

        request = anet.createTransactionRequest()
        request.merchantAuthentication = self._auth()
        request.transactionRequest = transaction_request
        response = self._execute(createTransactionController, request, operation)
        result_code, code, text = self._message(response)
        tr = _child(response, "transactionResponse")
        if tr is None or not _text(tr, "responseCode"):
            if result_code == "Ok":  # should not happen; treat as an error the caller can inspect
                return TransactionResult(TransactionStatus.ERROR, message_code=code, reason_text=text)
            if code in ("E00007", "E00003", "E00001", "E00053"):
                logger.error("vendor.gateway_error", vendor=VENDOR, operation=operation, code=code, text=text)
            return TransactionResult(TransactionStatus.ERROR, message_code=code, reason_text=text)
        response_code = _text(tr, "responseCode")
        if _child(tr, "errors") is not None:
            reason_code, reason_text = (
                _text(tr, "errors", "error", "errorCode"),
                _text(tr, "errors", "error", "errorText"),
            )
        else:
            reason_code, reason_text = (
                _text(tr, "messages", "message", "code"),
                _text(tr, "messages", "message", "description"),
            )
        return TransactionResult(
            status=RESPONSE_CODE_STATUS.get(response_code, TransactionStatus.ERROR),
            trans_id=_text(tr, "transId"),
            auth_code=_text(tr, "authCode"),
            reason_code=reason_code,
            reason_text=reason_text,
            account_number=_text(tr, "accountNumber"),
            account_type=_text(tr, "accountType"),
            avs_result_code=_text(tr, "avsResultCode"),
            cvv_result_code=_text(tr, "cvvResultCode"),
            message_code=code,
        )

    def charge_profile(
        self,
        *,
        customer_profile_id: str,
        payment_profile_id: str,
        amount: Decimal,
        invoice_number: str,
        description: str = "",
        duplicate_window: int = 120,
    ) -> TransactionResult:
        """authCaptureTransaction on a stored card. `invoice_number` (≤ 20 chars) must be unique per charge."""
        from authorizenet import apicontractsv1 as anet

        transaction = anet.transactionRequestType()
        transaction.transactionType = "authCaptureTransaction"
        transaction.amount = money(amount)
        profile = anet.customerProfilePaymentType()
        profile.customerProfileId = customer_profile_id
        profile.paymentProfile = anet.paymentProfile()
        profile.paymentProfile.paymentProfileId = payment_profile_id
        transaction.profile = profile
        _deduplicated(transaction, invoice_number, duplicate_window, description=description)
        return self._transaction(transaction, "authCaptureTransaction")

    def refund(
        self,
        *,
        trans_id: str,
        amount: Decimal,
        last4: str,
        invoice_number: str = "",
        duplicate_window: int | None = None,
    ) -> TransactionResult:
        """refundTransaction against a settled charge; unsettled ones fail with reason 54 (void instead). With an
        `invoice_number` (our refund's own) and a `duplicate_window`, the identical refund sent again inside the
        window is refused as a duplicate (reason 11) carrying the first one's transId: how an unanswered refund is
        reconciled, as for charges."""
        from authorizenet import apicontractsv1 as anet

        transaction = anet.transactionRequestType()
        transaction.transactionType = "refundTransaction"
        transaction.amount = money(amount)
        credit_card = anet.creditCardType()
        credit_card.cardNumber = last4[-4:]
        credit_card.expirationDate = "XXXX"
        payment = anet.paymentType()
        payment.creditCard = credit_card
        transaction.payment = payment
        transaction.refTransId = trans_id
        _deduplicated(transaction, invoice_number, duplicate_window)
        return self._transaction(transaction, "refundTransaction")

    def void(self, *, trans_id: str) -> TransactionResult:
        from authorizenet import apicontractsv1 as anet

        transaction = anet.transactionRequestType()
        transaction.transactionType = "voidTransaction"
        transaction.refTransId = trans_id
        return self._transaction(transaction, "voidTransaction")

    def get_transaction_details(self, *, trans_id: str) -> TransactionDetails | None:
        """The gateway's view of one transaction; None when it does not exist (E00040)."""
        from authorizenet import apicontractsv1 as anet
        from authorizenet.apicontrollers import getTransactionDetailsController

        request = anet.getTransactionDetailsRequest()
        request.merchantAuthentication = self._auth()
        request.transId = trans_id
        response = self._execute(getTransactionDetailsController, request, "getTransactionDetails")
        result_code, code, text = self._message(response)
        if result_code != "Ok":
            if code == "E00040":
                return None
            raise self._gateway_error(code, text)
        tx = _child(response, "transaction")

        def amount(name: str) -> Decimal:
            value = _text(tx, name)
            return money(value) if value else Decimal("0.00")

        return TransactionDetails(
            trans_id=_text(tx, "transId"),
            transaction_status=_text(tx, "transactionStatus"),
            transaction_type=_text(tx, "transactionType"),
            response_code=_text(tx, "responseCode"),
            reason_code=_text(tx, "responseReasonCode"),
            reason_text=_text(tx, "responseReasonDescription"),
            invoice_number=_text(tx, "order", "invoiceNumber"),
            auth_amount=amount("authAmount"),
            settle_amount=amount("settleAmount"),
            account_number=_text(tx, "payment", "creditCard", "cardNumber"),
            submitted_at=_text(tx, "submitTimeUTC"),
        )
