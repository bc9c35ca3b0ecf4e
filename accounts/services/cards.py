"""Card on file: validate with Authorize.Net (liveMode) and keep only ids, brand, last four and expiry.

Network calls happen before and after the transaction that saves the row, never inside it. A timeout
leaves nothing saved here; the retry reconciles with what Authorize.Net may have kept (E00039 duplicates
hand back the existing ids).
"""

import structlog
from django.db import transaction
from django.utils import timezone

from accounts.authorize_net import (
    AuthorizeNetGateway,
    BillTo,
    CardInput,
    OpaqueCard,
    PaymentProfileResult,
    ProfileOutcome,
    get_gateway,
)
from accounts.models import AccountEvent, CardOnFile, User
from accounts.services.events import event_record, notify_on_commit
from core.errors import DomainError, NotAllowed, NotFound, VendorUnavailable

logger = structlog.get_logger(__name__)

PLAIN_REASONS = {
    "2": "Your bank declined this card.",
    "3": "Your bank asked to be called before approving this card; try another card.",
    "4": "Your bank declined this card (reported lost or stolen).",
    "6": "The card number is not valid. Check it and try again.",
    "7": "The expiration date is not valid.",
    "8": "This card has expired.",
    "11": "The same card was just submitted; wait two minutes and try again.",
    "17": "We cannot accept this type of card.",
    "27": "The billing address does not match the card. Check the billing street address and ZIP code.",
    "44": "The security code (CVV) was declined.",
    "45": "The billing address and security code do not match the card.",
    "65": "The security code (CVV) does not match the card.",
    "78": "The security code (CVV) is not valid.",
}


class CardDeclined(DomainError):
    """The processor refused the card; the message says why in plain words."""

    status_code = 402
    code = "card_declined"


def _bill_to(user: User, billing: BillTo | None = None) -> BillTo:
    """The card's billing address: the one entered with the card, else the profile's."""
    if billing is not None:
        return BillTo(
            first_name=billing.first_name or user.first_name,
            last_name=billing.last_name or user.last_name,
            address=billing.address,
            city=billing.city,
            state=billing.state,
            zip=billing.zip,
            phone=billing.phone or user.phone,
        )
    return BillTo(
        first_name=user.first_name,
        last_name=user.last_name,
        address=user.address_line1,
        city=user.city,
        state=user.state,
        zip=user.postal_code,
        phone=user.phone,
    )


def _profile_address_fill(user: User, billing: BillTo) -> None:
    """A profile without an address takes the card's billing address (one form, not two); one with an
    address keeps it (a card billed elsewhere does not move the buyer)."""
    if user.address_line1 or user.postal_code:
        return
    fields = {"address_line1": billing.address, "city": billing.city, "state": billing.state}
    fields["postal_code"] = billing.zip
    User.objects.filter(pk=user.pk).update(**fields)
    for key, value in fields.items():
        setattr(user, key, value)


def _declined(result: PaymentProfileResult) -> CardDeclined:
    plain = PLAIN_REASONS.get(result.reason_code, "The card could not be verified.")
    said = result.reason_text or result.message_text
    message = f"{plain} (The processor said: “{said}”)" if said else plain
    return CardDeclined(message, details={"card": [plain], "reason_code": result.reason_code})


def _validate_at_gateway(
    *,
    gateway: AuthorizeNetGateway,
    user: User,
    card: CardInput | OpaqueCard,
    existing: CardOnFile | None,
    billing: BillTo | None = None,
) -> PaymentProfileResult:
    bill_to = _bill_to(user, billing)
    if existing is not None:
        result = gateway.add_payment_profile(
            customer_profile_id=existing.customer_profile_id, card=card, bill_to=bill_to
        )
        if result.message_code != "E00040":
            return result
        # The customer profile is gone at Authorize.Net: start a new one below.
    result = gateway.create_customer_profile(
        merchant_customer_id=f"user-{user.pk}", email=user.email, card=card, bill_to=bill_to
    )
    if result.outcome == ProfileOutcome.DUPLICATE and result.customer_profile_id:
        # An earlier attempt created the profile but we never saved it (timeout): add the card to it.
        result = gateway.add_payment_profile(customer_profile_id=result.customer_profile_id, card=card, bill_to=bill_to)
    return result


def card_save(*, user: User, card: CardInput | OpaqueCard, billing: BillTo | None = None) -> CardOnFile:
    """Validate a card with a live $0 authorization and keep it on file, replacing the previous card.

    `billing` is the billing address entered with the card (else the profile's); a profile without an
    address takes it once the card is saved.

    Raises CardDeclined (the processor's reason in plain words) or VendorUnavailable ("try again").
    """
    if user.suspended_at is not None:
        raise NotAllowed("Your account is suspended; contact support.")
    existing = CardOnFile.objects.filter(user=user).first()
    gateway = get_gateway()
    result = _validate_at_gateway(gateway=gateway, user=user, card=card, existing=existing, billing=billing)
    if result.outcome == ProfileOutcome.DECLINED:
        raise _declined(result)
    if not result.customer_profile_id or not result.payment_profile_id:
        logger.error("card.incomplete_result", user_id=user.pk, code=result.message_code)
        raise VendorUnavailable("The payment processor gave an incomplete answer. Nothing was saved; please try again.")
    with transaction.atomic():
        User.objects.select_for_update().get(pk=user.pk)  # one card change per user at a time
        if billing is not None:
            _profile_address_fill(user, billing)
        current = CardOnFile.objects.filter(user=user).first()
        fields = {
            "customer_profile_id": result.customer_profile_id,
            "payment_profile_id": result.payment_profile_id,
            "brand": result.brand or "Card",
            "last4": result.last4[-4:],
            "exp_month": card.exp_month,
            "exp_year": card.exp_year,
            "validated_at": timezone.now(),
        }
        replaced = None
        if current is None:
            saved = CardOnFile.objects.create(user=user, **fields)
            kind = AccountEvent.Kind.CARD_ADDED
        else:
            replaced = (current.customer_profile_id, current.payment_profile_id, current.label)
            for key, value in fields.items():
                setattr(current, key, value)
            current.save()
            saved = current
            kind = AccountEvent.Kind.CARD_REPLACED
        event_record(
            user=user,
            actor=user,
            kind=kind,
            from_status=replaced[2] if replaced else "",
            to_status=saved.label,
            data={"card": saved.label, "expiry": saved.expiry},
        )
        notify_on_commit(
            user_id=user.pk,
            kind="card_validated",
            context={"card": saved.label, "expiry": saved.expiry, "status": "validated"},
            object_key=f"card:{user.pk}",
        )
    if replaced and replaced[:2] != (saved.customer_profile_id, saved.payment_profile_id):
        _forget_at_gateway(
            gateway,
            customer_profile_id=replaced[0],
            payment_profile_id=replaced[1],
            keep_customer=replaced[0] == saved.customer_profile_id,
        )
    return saved


def _forget_at_gateway(
    gateway: AuthorizeNetGateway, *, customer_profile_id: str, payment_profile_id: str, keep_customer: bool
) -> None:
    """Best effort clean-up of a replaced card; a failure leaves an unused profile at the vendor, not a bug here."""
    try:
        if keep_customer:
            gateway.delete_payment_profile(
                customer_profile_id=customer_profile_id, payment_profile_id=payment_profile_id
            )
        else:
            gateway.delete_customer_profile(customer_profile_id=customer_profile_id)
    except VendorUnavailable:
        logger.warning(
            "card.cleanup_failed", customer_profile_id=customer_profile_id, payment_profile_id=payment_profile_id
        )


def card_remove(*, user: User) -> None:
    """Delete the card at Authorize.Net, then here. If the processor does not answer, nothing is removed."""
    card = CardOnFile.objects.filter(user=user).first()
    if card is None:
        raise NotFound("You have no card on file.")
    get_gateway().delete_customer_profile(customer_profile_id=card.customer_profile_id)
    with transaction.atomic():
        User.objects.select_for_update().get(pk=user.pk)
        deleted, _ = CardOnFile.objects.filter(pk=card.pk, payment_profile_id=card.payment_profile_id).delete()
        if deleted:
            event_record(
                user=user,
                actor=user,
                kind=AccountEvent.Kind.CARD_REMOVED,
                from_status=card.label,
                to_status="",
                data={"card": card.label},
            )
