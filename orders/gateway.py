"""The payment outcomes orders acts on, over the Authorize.Net gateway that accounts owns.

`accounts.authorize_net.get_gateway()` gives the real client or the sandbox; these functions turn its
results into a `GatewayResult` and its "no answer" exceptions into status "unknown" (a charge that
may or may not have happened and must be reconciled before any retry).
"""

from dataclasses import dataclass
from decimal import Decimal

import structlog

from accounts.authorize_net import AuthorizeNetGateway, TransactionDetails, TransactionResult, get_gateway
from core.errors import VendorUnavailable

logger = structlog.get_logger(__name__)

__all__ = ["AuthorizeNetGateway", "GatewayResult", "TransactionDetails", "get_gateway"]

VOIDABLE = {"authorizedPendingCapture", "capturedPendingSettlement", "FDSPendingReview", "FDSAuthorizedPendingReview"}
CAPTURED = {"capturedPendingSettlement", "settledSuccessfully", "authorizedPendingCapture"}
REFUNDED = {"refundPendingSettlement", "refundSettledSuccessfully"}
FAILED = {"declined", "voided", "expired", "generalError", "communicationError", "settlementError", "failedReview"}


@dataclass(frozen=True)
class GatewayResult:
    """`status`: approved, declined, error, held, duplicate (reason 11) or unknown (no answer)."""

    status: str
    transaction_id: str = ""
    reason: str = ""
    response_code: str = ""
    reason_code: str = ""


def _from_transaction(result: TransactionResult) -> GatewayResult:
    status = "duplicate" if result.is_duplicate else str(result.status)
    return GatewayResult(
        status=status,
        transaction_id=result.trans_id if result.trans_id not in ("", "0") else "",
        reason=result.reason_text,
        response_code={"approved": "1", "declined": "2", "error": "3", "held": "4"}.get(str(result.status), ""),
        reason_code=result.reason_code,
    )


def charge(
    gateway: AuthorizeNetGateway,
    *,
    customer_profile_id: str,
    payment_profile_id: str,
    amount: Decimal,
    invoice_number: str,
    description: str,
    duplicate_window: int,
) -> GatewayResult:
    try:
        result = gateway.charge_profile(
            customer_profile_id=customer_profile_id,
            payment_profile_id=payment_profile_id,
            amount=amount,
            invoice_number=invoice_number,
            description=description,
            duplicate_window=duplicate_window,
        )
    except VendorUnavailable as exc:
        logger.warning("payment.no_answer", invoice=invoice_number, error=exc.message)
        return GatewayResult(status="unknown", reason=exc.message)
    return _from_transaction(result)


def refund(
    gateway: AuthorizeNetGateway,
    *,
    transaction_id: str,
    amount: Decimal,
    card_last4: str,
    invoice_number: str = "",
    duplicate_window: int | None = None,
) -> GatewayResult:
    try:
        return _from_transaction(
            gateway.refund(
                trans_id=transaction_id,
                amount=amount,
                last4=card_last4,
                invoice_number=invoice_number,
                duplicate_window=duplicate_window,
            )
        )
    except VendorUnavailable as exc:
        return GatewayResult(status="unknown", reason=exc.message)


def void(gateway: AuthorizeNetGateway, *, transaction_id: str) -> GatewayResult:
    try:
        return _from_transaction(gateway.void(trans_id=transaction_id))
    except VendorUnavailable as exc:
        return GatewayResult(status="unknown", reason=exc.message)


def details(gateway: AuthorizeNetGateway, *, transaction_id: str) -> TransactionDetails | None:
    """The transaction as the gateway sees it, or None when it does not answer or doesn't know it."""
    try:
        return gateway.get_transaction_details(trans_id=transaction_id)
    except VendorUnavailable:
        return None


def is_voidable(found: TransactionDetails) -> bool:
    return found.transaction_status in VOIDABLE


def is_captured(found: TransactionDetails) -> bool:
    return found.transaction_status in CAPTURED


def is_refunded(found: TransactionDetails) -> bool:
    """A refund transaction the gateway took (pending settlement or settled)."""
    return found.transaction_status in REFUNDED


def has_failed(found: TransactionDetails) -> bool:
    return found.transaction_status in FAILED
