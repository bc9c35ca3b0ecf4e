"""A local Authorize.Net speaking the XML API (VENDORS.md), for running the real SDK-based client in tests.

Wire format: one endpoint `POST /xml/v1/request.api`; the root element names the operation; every
response starts with a UTF-8 BOM (the SDK drops the first 3 characters) and lists elements in schema
order. Requests whose elements are out of schema order get E00003, bad credentials E00007.

Sandbox rules (the same in accounts/authorize_net_sandbox.py):
- cards must pass Luhn (else reason 6); an expiry in the past is reason 8;
- card 4000000000000002 and billing ZIP 46282 are declined (response 2, reason 2, E00027);
- a duplicate merchantCustomerId + email is E00039 "A duplicate record with ID n already exists.";
  a duplicate card on one profile is E00039 with both ids; unknown ids are E00040;
- a charge repeating amount + profile + invoice number inside `duplicateWindow` is response 3, reason 11; so is a
  refund repeating the charge, amount and its own invoice number (with the window set: the first refund's transId);
- `state.hold_next = True` answers the next charge with response 4 (held for review, reason 253);
- transactions stay unsettled until `state.settle(trans_id)`; refunding an unsettled one is reason 54,
  voiding a settled one is reason 16 ("the transaction cannot be found" for a void);
- `state.delay` seconds of latency before answering, `state.fail_status` answers with that HTTP status;
- `state.respond_delay_once` processes the next request (the next containing `state.late_once_for`, when set)
  and answers that late: a response lost after the gateway acted;
- `state.requests` counts requests per operation.
"""

from __future__ import annotations

import itertools
import threading
import time
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from tests.fakes.http import FakeHandler, start_fake_server

NS = "AnetApi/xml/v1/schema/AnetApiSchema.xsd"
BOM = b"\xef\xbb\xbf"
LOGIN_ID = "fakeLogin01"
TRANSACTION_KEY = "FakeTxnKey000001"  # the schema allows 16 characters
SIGNATURE_KEY = "FAKE0SIGNATURE0KEY0123456789ABCDEF"
DECLINED_CARD = "4000000000000002"
DECLINED_ZIP = "46282"
EMPTY_PROFILE_LISTS = "<customerPaymentProfileIdList /><customerShippingAddressIdList />"

# Element order of each request the fake understands (the schema's sequence).
REQUEST_ORDER = {
    "createCustomerProfileRequest": ["merchantAuthentication", "clientId", "refId", "profile", "validationMode"],
    "createCustomerPaymentProfileRequest": [
        "merchantAuthentication",
        "clientId",
        "refId",
        "customerProfileId",
        "paymentProfile",
        "validationMode",
    ],
    "deleteCustomerProfileRequest": ["merchantAuthentication", "clientId", "refId", "customerProfileId"],
    "deleteCustomerPaymentProfileRequest": [
        "merchantAuthentication",
        "clientId",
        "refId",
        "customerProfileId",
        "customerPaymentProfileId",
    ],
    "createTransactionRequest": ["merchantAuthentication", "clientId", "refId", "transactionRequest"],
    "getTransactionDetailsRequest": ["merchantAuthentication", "clientId", "refId", "transId"],
}
CHILD_ORDER = {
    "profile": ["merchantCustomerId", "description", "email", "paymentProfiles", "shipToList", "profileType"],
    "paymentProfiles": ["customerType", "billTo", "payment", "driversLicense", "taxId", "defaultPaymentProfile"],
    "paymentProfile": ["customerType", "billTo", "payment", "driversLicense", "taxId", "defaultPaymentProfile"],
    "transactionRequest": [
        "transactionType",
        "amount",
        "currencyCode",
        "payment",
        "profile",
        "solution",
        "callId",
        "terminalNumber",
        "authCode",
        "refTransId",
        "splitTenderId",
        "order",
        "lineItems",
        "tax",
        "duty",
        "shipping",
        "taxExempt",
        "poNumber",
        "customer",
        "billTo",
        "shipTo",
        "customerIP",
        "cardholderAuthentication",
        "retail",
        "employeeId",
        "transactionSettings",
    ],
}


class OrderError(Exception):
    pass


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _find(node: ET.Element | None, *path: str) -> ET.Element | None:
    for name in path:
        if node is None:
            return None
        node = node.find(f"{{{NS}}}{name}")
    return node


def _get(node: ET.Element | None, *path: str) -> str:
    found = _find(node, *path)
    return (found.text or "").strip() if found is not None else ""


def _check_order(node: ET.Element, order: list[str]) -> None:
    position = -1
    for child in node:
        name = _local(child.tag)
        if name not in order:
            continue
        index = order.index(name)
        if index < position:
            raise OrderError(
                f"The element '{_local(node.tag)}' in namespace '{NS}' has invalid child element '{name}' "
                f"in namespace '{NS}'."
            )
        position = index
        nested = CHILD_ORDER.get(name)
        if nested and not (name == "profile" and _local(node.tag) == "transactionRequest"):
            _check_order(child, nested)


def luhn_valid(number: str) -> bool:
    if not number.isdigit() or not 13 <= len(number) <= 19:
        return False
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char) * (2 if index % 2 else 1)
        total += digit - 9 if digit > 9 else digit
    return total % 10 == 0


def card_type(number: str) -> str:
    if number.startswith("4"):
        return "Visa"
    if number[:2] in {"51", "52", "53", "54", "55"}:
        return "MasterCard"
    if number[:2] in {"34", "37"}:
        return "AmericanExpress"
    if number.startswith("6011"):
        return "Discover"
    return "Visa"


REASONS = {
    "1": "This transaction has been approved.",
    "2": "This transaction has been declined.",
    "6": "The credit card number is invalid.",
    "8": "The credit card has expired.",
    "11": "A duplicate transaction has been submitted.",
    "16": "The transaction cannot be found.",
    "33": "Credit card number is required.",
    "54": "The referenced transaction does not meet the criteria for issuing a credit.",
    "253": "Your order has been received. Thank you for your business!",
}


@dataclass
class PaymentProfile:
    id: str
    number: str
    expiration: str  # YYYY-MM
    zip: str


@dataclass
class CustomerProfile:
    id: str
    merchant_customer_id: str
    email: str
    payment_profiles: dict[str, PaymentProfile] = field(default_factory=dict)


@dataclass
class Transaction:
    id: str
    type: str
    amount: Decimal
    status: str
    response_code: str
    reason_code: str
    invoice_number: str = ""
    last4: str = ""
    ref_trans_id: str = ""
    submitted_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    refunded: Decimal = Decimal("0.00")


@dataclass
class FakeAuthorizeNetState:
    login_id: str = LOGIN_ID
    transaction_key: str = TRANSACTION_KEY
    delay: float = 0.0
    fail_status: int | None = None
    hold_next: bool = False
    decline_next: bool = False  # the next charge is declined (a valid card without funds)
    respond_delay_once: float = 0.0  # process the next request, then answer this late (a lost response)
    late_once_for: str = ""  # with respond_delay_once: only the next request containing this (e.g. "refundTransaction")
    profiles: dict[str, CustomerProfile] = field(default_factory=dict)
    transactions: dict[str, Transaction] = field(default_factory=dict)
    requests: Counter[str] = field(default_factory=Counter)
    raw_requests: list[bytes] = field(default_factory=list)
    clock_offset: float = 0.0
    _recent_charges: dict[tuple[str, ...], float] = field(default_factory=dict)
    _recent_charge_ids: dict[tuple[str, ...], str] = field(default_factory=dict)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(900001))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def next_id(self) -> str:
        return str(next(self._ids))

    def now(self) -> float:
        return time.monotonic() + self.clock_offset

    def advance(self, seconds: float) -> None:
        """Move the fake's clock forward (duplicate windows)."""
        self.clock_offset += seconds

    def settle(self, trans_id: str) -> None:
        transaction = self.transactions[trans_id]
        transaction.status = {
            "capturedPendingSettlement": "settledSuccessfully",
            "refundPendingSettlement": "refundSettledSuccessfully",
        }.get(transaction.status, transaction.status)

    def settle_all(self) -> None:
        for trans_id in list(self.transactions):
            self.settle(trans_id)

    def total_requests(self) -> int:
        return sum(self.requests.values())


# --- response building -----------------------------------------------------------------------------


def _el(name: str, value: Any) -> str:
    return f"<{name}>{escape(str(value))}</{name}>"


def _messages(result_code: str, code: str, text: str) -> str:
    return f"<messages><resultCode>{result_code}</resultCode><message>{_el('code', code)}{_el('text', text)}</message></messages>"


def _document(root: str, inner: str) -> bytes:
    xml = (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<{root} xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        f'xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns="{NS}">{inner}</{root}>'
    )
    return BOM + xml.encode("utf-8")


def _error(root: str, code: str, text: str) -> bytes:
    return _document(root, _messages("Error", code, text))


def direct_response(
    *, response_code: str, reason_code: str, trans_id: str, amount: str, number: str, zip_code: str, auth_code: str = ""
) -> str:
    fields = [""] * 69
    fields[0], fields[1], fields[2], fields[3] = response_code, "1", reason_code, REASONS.get(reason_code, "")
    fields[4], fields[5], fields[6] = auth_code, "Y" if response_code == "1" else "N", trans_id
    fields[9], fields[10], fields[11] = amount, "CC", "auth_only"
    fields[19] = zip_code
    fields[50], fields[51] = f"XXXX{number[-4:]}", card_type(number)
    return ",".join(fields)


class FakeAuthorizeNetHandler(FakeHandler):
    state: FakeAuthorizeNetState  # type: ignore[assignment]

    def do_POST(self) -> None:  # noqa: N802 - http.server naming
        body = self.read_body()
        state = self.state
        if state.delay:
            time.sleep(state.delay)
        if self.path != "/xml/v1/request.api":
            self.send_bytes(404, b"not found", "text/plain")
            return
        if state.fail_status:
            self.send_bytes(state.fail_status, b"<html>Service Unavailable</html>", "text/html")
            return
        with state._lock:
            state.raw_requests.append(body)
            reply = self.dispatch(body)
            late = 0.0
            if not state.late_once_for or state.late_once_for.encode() in body:
                late, state.respond_delay_once, state.late_once_for = state.respond_delay_once, 0.0, ""
        if late:
            time.sleep(late)
        self.send_bytes(200, reply, "application/xml; charset=utf-8")

    def dispatch(self, body: bytes) -> bytes:
        state = self.state
        try:
            root = ET.fromstring(body.removeprefix(BOM))  # noqa: S314 - only our own test client talks to it
        except ET.ParseError:
            return _error("ErrorResponse", "E00003", "Root element is missing.")
        operation = _local(root.tag)
        response_root = operation.removesuffix("Request") + "Response"
        state.requests[operation] += 1
        if operation not in REQUEST_ORDER:
            return _error("ErrorResponse", "E00045", "The root node does not reference a valid XML namespace.")
        try:
            _check_order(root, REQUEST_ORDER[operation])
        except OrderError as exc:
            return _error("ErrorResponse", "E00003", str(exc))
        if _get(root, "merchantAuthentication", "name") != state.login_id or (
            _get(root, "merchantAuthentication", "transactionKey") != state.transaction_key
        ):
            return _error(response_root, "E00007", "User authentication failed due to invalid authentication values.")
        handler = getattr(self, f"op_{operation}")
        return handler(root, response_root)

    # -- card rules -------------------------------------------------------------------------------

    def _card_from(self, payment: ET.Element | None) -> tuple[str, str]:
        number = _get(payment, "creditCard", "cardNumber")
        expiration = _get(payment, "creditCard", "expirationDate")
        if not number and _find(payment, "opaqueData") is not None:
            # The fake's Accept.js nonce: "fake-nonce:<card number>:<YYYY-MM>".
            _, _, rest = _get(payment, "opaqueData", "dataValue").partition("fake-nonce:")
            number, _, expiration = rest.partition(":")
        return number, expiration

    def _validate_card(self, number: str, expiration: str, zip_code: str) -> tuple[str, str]:
        """(response code, reason code) of the $0 liveMode authorization."""
        if not luhn_valid(number):
            return "3", "6"
        if expiration and expiration < datetime.now(UTC).strftime("%Y-%m"):
            return "3", "8"
        if number == DECLINED_CARD or zip_code == DECLINED_ZIP:
            return "2", "2"
        return "1", "1"

    def _validation(self, payment_profile: ET.Element | None, mode: str) -> tuple[str, str, str, str, str]:
        number, expiration = self._card_from(_find(payment_profile, "payment"))
        zip_code = _get(payment_profile, "billTo", "zip")
        if not number:
            return "3", "33", number, expiration, zip_code
        if mode in ("liveMode", "testMode"):
            code, reason = self._validate_card(number, expiration, zip_code)
            if mode == "testMode" and code == "2":
                code, reason = "1", "1"  # testMode checks format only
            return code, reason, number, expiration, zip_code
        return "1", "1", number, expiration, zip_code

    # -- customer profiles ----------------------------------------------------------------------------

    def op_createCustomerProfileRequest(self, root: ET.Element, response_root: str) -> bytes:  # noqa: N802
        state = self.state
        merchant_id, email = _get(root, "profile", "merchantCustomerId"), _get(root, "profile", "email")
        for existing in state.profiles.values():
            if existing.merchant_customer_id == merchant_id and existing.email == email:
                return _document(
                    response_root,
                    _messages("Error", "E00039", f"A duplicate record with ID {existing.id} already exists.")
                    + EMPTY_PROFILE_LISTS
                    + "<validationDirectResponseList />",
                )
        payment_profile = _find(root, "profile", "paymentProfiles")
        mode = _get(root, "validationMode") or "none"
        code, reason, number, expiration, zip_code = self._validation(payment_profile, mode)
        validation = direct_response(
            response_code=code,
            reason_code=reason,
            trans_id="0" if code != "1" else state.next_id(),
            amount="0.00",
            number=number or "0000",
            zip_code=zip_code,
            auth_code="OK1234" if code == "1" else "",
        )
        validation_list = f"<validationDirectResponseList>{_el('string', validation)}</validationDirectResponseList>"
        if code != "1":
            return _document(
                response_root, _messages("Error", "E00027", REASONS[reason]) + EMPTY_PROFILE_LISTS + validation_list
            )
        profile = CustomerProfile(id=state.next_id(), merchant_customer_id=merchant_id, email=email)
        pp = PaymentProfile(id=state.next_id(), number=number, expiration=expiration, zip=zip_code)
        profile.payment_profiles[pp.id] = pp
        state.profiles[profile.id] = profile
        return _document(
            response_root,
            _messages("Ok", "I00001", "Successful.")
            + _el("customerProfileId", profile.id)
            + f"<customerPaymentProfileIdList>{_el('numericString', pp.id)}</customerPaymentProfileIdList>"
            + "<customerShippingAddressIdList />"
            + validation_list,
        )

    def op_createCustomerPaymentProfileRequest(self, root: ET.Element, response_root: str) -> bytes:  # noqa: N802
        state = self.state
        profile = state.profiles.get(_get(root, "customerProfileId"))
        if profile is None:
            return _error(response_root, "E00040", "The record cannot be found.")
        payment_profile = _find(root, "paymentProfile")
        number, expiration = self._card_from(_find(payment_profile, "payment"))
        for existing in profile.payment_profiles.values():
            if existing.number == number and existing.expiration == expiration:
                return _document(
                    response_root,
                    _messages("Error", "E00039", "A duplicate customer payment profile already exists.")
                    + _el("customerProfileId", profile.id)
                    + _el("customerPaymentProfileId", existing.id),
                )
        code, reason, number, expiration, zip_code = self._validation(payment_profile, _get(root, "validationMode"))
        validation = direct_response(
            response_code=code,
            reason_code=reason,
            trans_id=state.next_id() if code == "1" else "0",
            amount="0.00",
            number=number or "0000",
            zip_code=zip_code,
        )
        if code != "1":
            return _document(
                response_root,
                _messages("Error", "E00027", REASONS[reason])
                + _el("customerProfileId", profile.id)
                + _el("validationDirectResponse", validation),
            )
        pp = PaymentProfile(id=state.next_id(), number=number, expiration=expiration, zip=zip_code)
        profile.payment_profiles[pp.id] = pp
        return _document(
            response_root,
            _messages("Ok", "I00001", "Successful.")
            + _el("customerProfileId", profile.id)
            + _el("customerPaymentProfileId", pp.id)
            + _el("validationDirectResponse", validation),
        )

    def op_deleteCustomerProfileRequest(self, root: ET.Element, response_root: str) -> bytes:  # noqa: N802
        if self.state.profiles.pop(_get(root, "customerProfileId"), None) is None:
            return _error(response_root, "E00040", "The record cannot be found.")
        return _document(response_root, _messages("Ok", "I00001", "Successful."))

    def op_deleteCustomerPaymentProfileRequest(self, root: ET.Element, response_root: str) -> bytes:  # noqa: N802
        profile = self.state.profiles.get(_get(root, "customerProfileId"))
        if profile is None or profile.payment_profiles.pop(_get(root, "customerPaymentProfileId"), None) is None:
            return _error(response_root, "E00040", "The record cannot be found.")
        return _document(response_root, _messages("Ok", "I00001", "Successful."))

    # -- transactions ---------------------------------------------------------------------------------

    def _transaction_response(
        self,
        response_root: str,
        *,
        response_code: str,
        reason_code: str,
        trans_id: str = "0",
        ref_trans_id: str = "",
        last4: str = "",
        auth_code: str = "",
        card: str = "Visa",
    ) -> bytes:
        approved = response_code in ("1", "4")
        parts = [
            _el("responseCode", response_code),
            _el("authCode", auth_code),
            _el("avsResultCode", "Y" if approved else "P"),
            _el("cvvResultCode", "P" if approved else ""),
            _el("cavvResultCode", "2" if approved else ""),
            _el("transId", trans_id),
            _el("refTransID", ref_trans_id),
            _el("transHash", ""),
            _el("testRequest", "0"),
            _el("accountNumber", f"XXXX{last4}" if last4 else ""),
            _el("accountType", card if last4 else ""),
        ]
        text = REASONS.get(reason_code, "")
        if response_code in ("1", "4"):
            parts.append(
                f"<messages><message>{_el('code', reason_code)}{_el('description', text)}</message></messages>"
            )
        else:
            parts.append(f"<errors><error>{_el('errorCode', reason_code)}{_el('errorText', text)}</error></errors>")
        parts.append(_el("transHashSha2", ""))
        top = (
            _messages("Ok", "I00001", "Successful.")
            if response_code in ("1", "4")
            else _messages("Error", "E00027", "The transaction was unsuccessful.")
        )
        return _document(response_root, top + f"<transactionResponse>{''.join(parts)}</transactionResponse>")

    def op_createTransactionRequest(self, root: ET.Element, response_root: str) -> bytes:  # noqa: N802
        request = _find(root, "transactionRequest")
        kind = _get(request, "transactionType")
        if kind == "authCaptureTransaction":
            return self._charge(request, response_root)
        if kind == "refundTransaction":
            return self._refund(request, response_root)
        if kind == "voidTransaction":
            return self._void(request, response_root)
        return _error(response_root, "E00003", f"The value '{kind}' is invalid according to its datatype.")

    @staticmethod
    def _duplicate_window(request: ET.Element | None) -> tuple[int, bool]:
        """(seconds, whether the request set it): transactionSettings duplicateWindow, default 120."""
        for setting in _find(request, "transactionSettings") or []:
            if _get(setting, "settingName") == "duplicateWindow":
                return int(_get(setting, "settingValue") or "120"), True
        return 120, False

    def _charge(self, request: ET.Element | None, response_root: str) -> bytes:
        state = self.state
        amount = Decimal(_get(request, "amount") or "0")
        profile_id = _get(request, "profile", "customerProfileId")
        pp_id = _get(request, "profile", "paymentProfile", "paymentProfileId")
        invoice = _get(request, "order", "invoiceNumber")
        profile = state.profiles.get(profile_id)
        pp = profile.payment_profiles.get(pp_id) if profile else None
        if pp is None:
            return _error(response_root, "E00040", "Customer Profile ID or Customer Payment Profile ID not found.")
        window, window_given = self._duplicate_window(request)
        key = (profile_id, pp_id, str(amount), invoice)
        seen = state._recent_charges.get(key)
        if seen is not None and state.now() - seen < window:
            # With duplicateWindow in the request, the duplicate response carries the original
            # transaction's id (and auth code); without it, transId is 0 (unconfirmed: documented
            # for the duplicateWindow setting, kept identical in orders' reconciliation).
            original = state._recent_charge_ids.get(key, "0") if window_given else "0"
            return self._transaction_response(
                response_root, response_code="3", reason_code="11", trans_id=original, last4=pp.number[-4:]
            )
        state._recent_charges[key] = state.now()
        trans_id = state.next_id()
        state._recent_charge_ids[key] = trans_id
        if pp.number == DECLINED_CARD or pp.zip == DECLINED_ZIP or state.decline_next:
            state.decline_next = False
            response_code, reason, status = "2", "2", "declined"
        elif state.hold_next:
            state.hold_next = False
            response_code, reason, status = "4", "253", "FDSPendingReview"
        else:
            response_code, reason, status = "1", "1", "capturedPendingSettlement"
        state.transactions[trans_id] = Transaction(
            id=trans_id,
            type="authCaptureTransaction",
            amount=amount,
            status=status,
            response_code=response_code,
            reason_code=reason,
            invoice_number=invoice,
            last4=pp.number[-4:],
        )
        return self._transaction_response(
            response_root,
            response_code=response_code,
            reason_code=reason,
            trans_id=trans_id,
            last4=pp.number[-4:],
            auth_code="AUTH01" if response_code == "1" else "",
            card=card_type(pp.number),
        )

    def _refund(self, request: ET.Element | None, response_root: str) -> bytes:
        state = self.state
        original = state.transactions.get(_get(request, "refTransId"))
        amount = Decimal(_get(request, "amount") or "0")
        last4 = _get(request, "payment", "creditCard", "cardNumber")
        if original is None:
            return self._transaction_response(response_root, response_code="3", reason_code="16")
        invoice = _get(request, "order", "invoiceNumber")
        window, window_given = self._duplicate_window(request)
        key = ("refund", original.id, str(amount), invoice)
        seen = state._recent_charges.get(key)
        if invoice and seen is not None and state.now() - seen < window:
            first = state._recent_charge_ids.get(key, "0") if window_given else "0"
            return self._transaction_response(
                response_root, response_code="3", reason_code="11", trans_id=first, ref_trans_id=original.id,
                last4=original.last4,
            )  # fmt: skip
        if original.status != "settledSuccessfully" or last4 != original.last4:
            return self._transaction_response(
                response_root, response_code="3", reason_code="54", ref_trans_id=original.id, last4=original.last4
            )
        if amount <= 0 or original.refunded + amount > original.amount:
            return self._transaction_response(
                response_root, response_code="3", reason_code="54", ref_trans_id=original.id, last4=original.last4
            )
        original.refunded += amount
        trans_id = state.next_id()
        if invoice:
            state._recent_charges[key], state._recent_charge_ids[key] = state.now(), trans_id
        state.transactions[trans_id] = Transaction(
            id=trans_id,
            type="refundTransaction",
            amount=amount,
            status="refundPendingSettlement",
            response_code="1",
            reason_code="1",
            invoice_number=invoice or original.invoice_number,
            last4=original.last4,
            ref_trans_id=original.id,
        )
        return self._transaction_response(
            response_root, response_code="1", reason_code="1", trans_id=trans_id, ref_trans_id=original.id, last4=last4
        )

    def _void(self, request: ET.Element | None, response_root: str) -> bytes:
        original = self.state.transactions.get(_get(request, "refTransId"))
        if original is None or original.status not in (
            "capturedPendingSettlement",
            "authorizedPendingCapture",
            "FDSPendingReview",
        ):
            return self._transaction_response(
                response_root, response_code="3", reason_code="16", ref_trans_id=original.id if original else ""
            )
        original.status = "voided"
        return self._transaction_response(
            response_root,
            response_code="1",
            reason_code="1",
            trans_id=original.id,
            ref_trans_id=original.id,
            last4=original.last4,
        )

    def op_getTransactionDetailsRequest(self, root: ET.Element, response_root: str) -> bytes:  # noqa: N802
        transaction = self.state.transactions.get(_get(root, "transId"))
        if transaction is None:
            return _error(response_root, "E00040", "The record cannot be found.")
        submitted = transaction.submitted_at
        settled = transaction.status in ("settledSuccessfully", "refundSettledSuccessfully")
        inner = "".join(
            [
                _el("transId", transaction.id),
                _el("refTransId", transaction.ref_trans_id) if transaction.ref_trans_id else "",
                _el("submitTimeUTC", submitted.strftime("%Y-%m-%dT%H:%M:%S.%fZ")),
                _el("submitTimeLocal", submitted.strftime("%Y-%m-%dT%H:%M:%S.%f")),
                _el("transactionType", transaction.type),
                _el("transactionStatus", transaction.status),
                _el("responseCode", transaction.response_code),
                _el("responseReasonCode", transaction.reason_code),
                _el("responseReasonDescription", "Approval" if transaction.response_code == "1" else "Declined"),
                _el("authCode", "AUTH01") if transaction.response_code == "1" else "",
                _el("AVSResponse", "Y"),
                f"<order>{_el('invoiceNumber', transaction.invoice_number)}</order>",
                _el("authAmount", f"{transaction.amount:.2f}"),
                _el("settleAmount", f"{transaction.amount if settled else Decimal('0'):.2f}"),
                _el("taxExempt", "false"),
                "<payment><creditCard>"
                + _el("cardNumber", f"XXXX{transaction.last4}")
                + _el("expirationDate", "XXXX")
                + _el("cardType", "Visa")
                + "</creditCard></payment>",
                _el("recurringBilling", "false"),
            ]
        )
        return _document(
            response_root, _messages("Ok", "I00001", "Successful.") + f"<transaction>{inner}</transaction>"
        )


@contextmanager
def running_fake_authorize_net(settings: Any) -> Iterator[FakeAuthorizeNetState]:
    """A running fake; settings point the real client at it (credentials set, so get_gateway() is real)."""
    state = FakeAuthorizeNetState()
    with start_fake_server(FakeAuthorizeNetHandler, state=state) as server:
        state.url = f"{server.base_url}/xml/v1/request.api"
        settings.AUTHORIZE_NET_LOGIN_ID = LOGIN_ID
        settings.AUTHORIZE_NET_TRANSACTION_KEY = TRANSACTION_KEY
        settings.AUTHORIZE_NET_SIGNATURE_KEY = SIGNATURE_KEY
        settings.AUTHORIZE_NET_API_URL = state.url
        settings.AUTHORIZE_NET_TIMEOUT = 2.0
        settings.AUTHORIZE_NET_CLIENT_KEY = ""
        yield state
