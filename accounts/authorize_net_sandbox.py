"""The local stand-in for Authorize.Net used by `make run` (no credentials): same interface, same rules.

Documented sandbox rules (tests/fakes/authorize_net.py follows the same ones):
- any Luhn-valid number is accepted, e.g. Visa 4111111111111111, 4007000000027, 4012888818888,
  Mastercard 5424000000000015, Amex 370000000000002, Discover 6011000000000012;
- a number failing Luhn is "The credit card number is invalid." (reason 6); a past expiry is reason 8;
- card 4000000000000002 or billing ZIP 46282 is declined ("This transaction has been declined.", reason 2);
- a charge of an amount ending in .04 is held for review (response 4);
- a repeat of amount + card + invoice number within the duplicate window is reason 11;
- transactions settle AUTHORIZE_NET_SANDBOX_SETTLE_SECONDS after submission (default 24 hours, like Authorize.Net's
  daily batch; `make run` settles after 2 minutes so a partial refund can be tried); before that a refund is
  reason 54 (void instead).
State lives in the Django cache (shared by web and worker processes: Redis, or `make run`'s file cache).
"""

from __future__ import annotations

import secrets
import time
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.cache import cache

from accounts.authorize_net import (
    BillTo,
    CardInput,
    OpaqueCard,
    PaymentProfileResult,
    ProfileOutcome,
    TransactionDetails,
    TransactionResult,
    TransactionStatus,
    card_brand,
    luhn_valid,
)
from core.money import money

DECLINED_CARD = "4000000000000002"
DECLINED_ZIP = "46282"
SETTLE_AFTER_SECONDS = 24 * 3600
TTL = 30 * 24 * 3600
REASONS = {
    "1": "This transaction has been approved.",
    "2": "This transaction has been declined.",
    "6": "The credit card number is invalid.",
    "8": "The credit card has expired.",
    "11": "A duplicate transaction has been submitted.",
    "16": "The transaction cannot be found.",
    "54": "The referenced transaction does not meet the criteria for issuing a credit.",
    "253": "Your order has been received. Thank you for your business!",
}


def settle_after_seconds() -> float:
    return float(getattr(settings, "AUTHORIZE_NET_SANDBOX_SETTLE_SECONDS", SETTLE_AFTER_SECONDS))


def _key(*parts: str) -> str:
    return "anet-sandbox:" + ":".join(parts)


def _new_id() -> str:
    return str(secrets.randbelow(9 * 10**9) + 10**9)


def _declined(
    card: CardInput | OpaqueCard, brand: str, reason: str, customer_profile_id: str = ""
) -> PaymentProfileResult:
    return PaymentProfileResult(
        ProfileOutcome.DECLINED,
        customer_profile_id=customer_profile_id,
        last4=card.last4,
        brand=brand,
        reason_code=reason,
        reason_text=REASONS[reason],
        message_code="E00027",
        message_text=REASONS[reason],
    )


class SandboxGateway:
    def _check_card(self, card: CardInput | OpaqueCard, bill_to: BillTo) -> tuple[str, str, str]:
        """(reason code, number or "", brand); reason "1" means the $0 authorization passed."""
        if isinstance(card, OpaqueCard):
            number = ""  # Accept.js nonces cannot be opened locally; trust the form's last four
            brand = "Card"
        else:
            number = card.number
            brand = card_brand(number)
            if not luhn_valid(number):
                return "6", number, brand
        today = time.gmtime()
        if (card.exp_year, card.exp_month) < (today.tm_year, today.tm_mon):
            return "8", number, brand
        if number == DECLINED_CARD or bill_to.zip.strip() == DECLINED_ZIP:
            return "2", number, brand
        return "1", number, brand

    def _store_profile(
        self, customer_profile_id: str, card: CardInput | OpaqueCard, bill_to: BillTo, brand: str
    ) -> str:
        payment_profile_id = _new_id()
        last4 = card.last4
        cache.set(
            _key("pp", payment_profile_id),
            {"customer": customer_profile_id, "last4": last4, "zip": bill_to.zip, "brand": brand},
            TTL,
        )
        return payment_profile_id

    def create_customer_profile(
        self, *, merchant_customer_id: str, email: str, card: CardInput | OpaqueCard, bill_to: BillTo
    ) -> PaymentProfileResult:
        reason, _, brand = self._check_card(card, bill_to)
        if reason != "1":
            return _declined(card, brand, reason)
        customer_profile_id = _new_id()
        cache.set(_key("customer", customer_profile_id), {"merchant_customer_id": merchant_customer_id}, TTL)
        return self._created(customer_profile_id, card, bill_to, brand)

    def add_payment_profile(
        self, *, customer_profile_id: str, card: CardInput | OpaqueCard, bill_to: BillTo
    ) -> PaymentProfileResult:
        reason, _, brand = self._check_card(card, bill_to)
        if reason != "1":
            return _declined(card, brand, reason, customer_profile_id=customer_profile_id)
        return self._created(customer_profile_id, card, bill_to, brand)

    def _created(
        self, customer_profile_id: str, card: CardInput | OpaqueCard, bill_to: BillTo, brand: str
    ) -> PaymentProfileResult:
        return PaymentProfileResult(
            ProfileOutcome.CREATED,
            customer_profile_id=customer_profile_id,
            payment_profile_id=self._store_profile(customer_profile_id, card, bill_to, brand),
            brand=brand,
            last4=card.last4,
            reason_code="1",
            reason_text=REASONS["1"],
            message_code="I00001",
        )

    def delete_payment_profile(self, *, customer_profile_id: str, payment_profile_id: str) -> bool:
        cache.delete(_key("pp", payment_profile_id))
        return True

    def delete_customer_profile(self, *, customer_profile_id: str) -> bool:
        cache.delete(_key("customer", customer_profile_id))
        return True

    # -- transactions ---------------------------------------------------------------------------------

    def _result(self, status: TransactionStatus, reason: str, **extra: Any) -> TransactionResult:
        return TransactionResult(
            status=status,
            reason_code=reason,
            reason_text=REASONS.get(reason, ""),
            message_code="I00001" if status in (TransactionStatus.APPROVED, TransactionStatus.HELD) else "E00027",
            **extra,
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
        amount = money(amount)
        profile = cache.get(_key("pp", payment_profile_id)) or {"last4": "1111", "zip": "", "brand": "Visa"}
        account = f"XXXX{profile['last4']}"
        duplicate_key = _key("dup", payment_profile_id, str(amount), invoice_number)
        if not cache.add(duplicate_key, 1, max(int(duplicate_window), 1)):
            return self._result(TransactionStatus.ERROR, "11", account_number=account)
        trans_id = _new_id()
        if profile.get("zip") == DECLINED_ZIP:
            status, reason, state = TransactionStatus.DECLINED, "2", "declined"
        elif str(amount).endswith(".04"):
            status, reason, state = TransactionStatus.HELD, "253", "FDSPendingReview"
        else:
            status, reason, state = TransactionStatus.APPROVED, "1", "capturedPendingSettlement"
        cache.set(
            _key("tx", trans_id),
            {
                "type": "authCaptureTransaction",
                "amount": str(amount),
                "status": state,
                "response_code": {"approved": "1", "declined": "2", "held": "4"}[status.value],
                "reason_code": reason,
                "invoice": invoice_number,
                "last4": profile["last4"],
                "at": time.time(),
                "refunded": "0.00",
            },
            TTL,
        )
        return self._result(
            status,
            reason,
            trans_id=trans_id,
            auth_code="SBX001" if status == TransactionStatus.APPROVED else "",
            account_number=account,
            account_type=profile.get("brand", "Visa"),
        )

    def _load(self, trans_id: str) -> dict[str, Any] | None:
        record = cache.get(_key("tx", trans_id))
        if (
            record
            and record["status"] == "capturedPendingSettlement"
            and time.time() - record["at"] >= settle_after_seconds()
        ):
            record["status"] = "settledSuccessfully"
        return record

    def refund(
        self,
        *,
        trans_id: str,
        amount: Decimal,
        last4: str,
        invoice_number: str = "",
        duplicate_window: int | None = None,
    ) -> TransactionResult:
        amount = money(amount)
        record = self._load(trans_id)
        if record is None:
            return self._result(TransactionStatus.ERROR, "16")
        duplicate_key = _key("refdup", trans_id, str(amount), invoice_number)
        if invoice_number and (first := cache.get(duplicate_key)):
            return self._result(TransactionStatus.ERROR, "11", trans_id=first if duplicate_window else "")
        remaining = Decimal(record["amount"]) - Decimal(record["refunded"])
        if record["status"] != "settledSuccessfully" or last4[-4:] != record["last4"] or amount > remaining:
            return self._result(TransactionStatus.ERROR, "54", account_number=f"XXXX{record['last4']}")
        record["refunded"] = str(Decimal(record["refunded"]) + amount)
        cache.set(_key("tx", trans_id), record, TTL)
        refund_id = _new_id()
        cache.set(
            _key("tx", refund_id),
            {**record, "type": "refundTransaction", "amount": str(amount), "status": "refundPendingSettlement"},
            TTL,
        )
        if invoice_number:
            cache.set(duplicate_key, refund_id, max(int(duplicate_window or 120), 1))
        return self._result(TransactionStatus.APPROVED, "1", trans_id=refund_id, account_number=f"XXXX{last4[-4:]}")

    def void(self, *, trans_id: str) -> TransactionResult:
        record = self._load(trans_id)
        if record is None or record["status"] not in ("capturedPendingSettlement", "FDSPendingReview"):
            return self._result(TransactionStatus.ERROR, "16")
        record["status"] = "voided"
        cache.set(_key("tx", trans_id), record, TTL)
        return self._result(TransactionStatus.APPROVED, "1", trans_id=trans_id, account_number=f"XXXX{record['last4']}")

    def get_transaction_details(self, *, trans_id: str) -> TransactionDetails | None:
        record = self._load(trans_id)
        if record is None:
            return None
        settled = record["status"] in ("settledSuccessfully", "refundSettledSuccessfully")
        return TransactionDetails(
            trans_id=trans_id,
            transaction_status=record["status"],
            transaction_type=record["type"],
            response_code=record["response_code"],
            reason_code=record["reason_code"],
            reason_text=REASONS.get(record["reason_code"], ""),
            invoice_number=record["invoice"],
            auth_amount=money(record["amount"]),
            settle_amount=money(record["amount"]) if settled else Decimal("0.00"),
            account_number=f"XXXX{record['last4']}",
        )
