"""The seller's hidden offer rules for one vehicle: an auto-decline floor and an auto-accept price."""

from decimal import Decimal
from typing import Any

from django.db import transaction

from core.errors import DomainError, NotAllowed
from core.money import MoneyError, parse_amount
from offers.models import OfferRules
from vehicles.models import Vehicle


def _optional_amount(raw: object, *, field: str) -> Decimal | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        return parse_amount(raw, field=field)
    except MoneyError as exc:
        raise DomainError(str(exc), code="invalid_amount", details={field: [str(exc)]}) from exc


def offer_rules_update(
    *, vehicle_id: int, actor: Any, auto_decline_below: object = None, auto_accept_at: object = None
) -> OfferRules:
    """Set (or clear, with blanks) both rules. They apply to offers and buyer counters from now on; buyers
    never see them. The floor must be below the auto-accept price; an auto-accept price at or above buy now
    never fires (offers must be below buy now)."""
    floor = _optional_amount(auto_decline_below, field="auto_decline_below")
    accept = _optional_amount(auto_accept_at, field="auto_accept_at")
    if floor is not None and accept is not None and floor >= accept:
        message = "The auto-decline floor must be below the auto-accept price."
        raise DomainError(message, code="invalid_rules", details={"auto_decline_below": [message]})
    with transaction.atomic(durable=True):
        vehicle = Vehicle.objects.select_for_update().filter(pk=vehicle_id).first()
        if vehicle is None or not (
            getattr(actor, "is_staff", False) or vehicle.seller_id == getattr(actor, "pk", None)
        ):
            raise NotAllowed("Only the vehicle's seller can set its offer rules.", code="not_seller")
        rules, _ = OfferRules.objects.update_or_create(
            vehicle=vehicle, defaults={"auto_decline_below": floor, "auto_accept_at": accept, "updated_by": actor}
        )
    return rules
