"""The offers API's response shapes: the Output serializers (documented in the schema) and the builders of the
bodies. The services build a write's answer here inside their transaction, because an Idempotency-Key stores
that answer with the change it answers for."""

from typing import Any

from rest_framework import serializers

from offers import selectors
from offers.models import OfferThread


class PurchaseTotalOutput(serializers.Serializer):  # type: ignore[type-arg]
    """What the buyer pays at the amount (core.pricing.purchase_breakdown): the bid form's total."""

    vehicle_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    buyer_fee = serializers.DecimalField(max_digits=12, decimal_places=2)
    documentation_fee = serializers.DecimalField(max_digits=12, decimal_places=2)
    title_fee = serializers.DecimalField(max_digits=12, decimal_places=2)
    sales_tax_rate = serializers.DecimalField(max_digits=6, decimal_places=5)
    sales_tax = serializers.DecimalField(max_digits=12, decimal_places=2)
    total = serializers.DecimalField(max_digits=12, decimal_places=2)
    buyer_state = serializers.CharField()
    tax_collected = serializers.BooleanField()
    transport_fee = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="Door-to-door transport to delivery_zip; 0.00 without a quote"
    )
    delivery_zip = serializers.CharField(help_text="The ZIP the transport was quoted to; empty without a quote")
    total_with_delivery = serializers.DecimalField(max_digits=12, decimal_places=2)


class BuyerCardOutput(serializers.Serializer):  # type: ignore[type-arg]
    alias = serializers.CharField(help_text='"Buyer N" on this vehicle')
    verified = serializers.BooleanField(help_text="Verified email, approved ID check and a card on file")
    purchases = serializers.IntegerField(help_text="Vehicles bought here (auctions won, offers accepted)")


class AmountOutput(serializers.Serializer):  # type: ignore[type-arg]
    seq = serializers.IntegerField()
    side = serializers.ChoiceField(choices=["buyer", "seller"])
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    first_shown_at = serializers.DateTimeField(allow_null=True, help_text="When the other side first saw it")


class VehicleRefOutput(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField()
    title = serializers.CharField()
    url = serializers.CharField()


class OfferThreadOutput(serializers.Serializer):  # type: ignore[type-arg]
    """A thread as the requesting user sees it (names per OFFERS.md "Privacy")."""

    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=OfferThread.Kind.choices)
    status = serializers.ChoiceField(choices=OfferThread.Status.choices)
    role = serializers.ChoiceField(choices=["buyer", "seller", "staff"])
    vehicle = VehicleRefOutput()
    buyer_name = serializers.CharField(help_text='"Buyer N" for the seller until acceptance')
    seller_name = serializers.CharField()
    buyer = BuyerCardOutput(allow_null=True, help_text="For the seller and staff")
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, help_text="The latest amount")
    accepted_amount = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    turn = serializers.CharField(help_text='"buyer" or "seller" while open, "" once ended')
    your_turn = serializers.BooleanField()
    expires_at = serializers.DateTimeField(help_text="When the latest amount expires (database clock)")
    can_accept = serializers.BooleanField()
    can_decline = serializers.BooleanField()
    can_counter = serializers.BooleanField()
    can_withdraw = serializers.BooleanField()
    counters_left = serializers.IntegerField()
    counter_min_exclusive = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    counter_max = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    counter_max_inclusive = serializers.BooleanField(allow_null=True)
    total = PurchaseTotalOutput(help_text="What the buyer pays if the latest (or accepted) amount is the price")
    end_reason = serializers.CharField()
    created_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True)
    version = serializers.IntegerField()
    url = serializers.CharField(help_text="The thread's page")


class OfferThreadDetailOutput(OfferThreadOutput):
    amounts = AmountOutput(many=True)


class OfferResultOutput(serializers.Serializer):  # type: ignore[type-arg]
    message = serializers.CharField()
    outcome = serializers.ChoiceField(choices=["made", "countered", "accepted", "declined", "withdrawn"])
    data = OfferThreadDetailOutput()  # type: ignore[assignment]  # a field named "data": the API envelope


class OfferListOutput(serializers.Serializer):  # type: ignore[type-arg]
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = OfferThreadOutput(many=True)


class PricePreviewOutput(serializers.Serializer):  # type: ignore[type-arg]
    total = PurchaseTotalOutput()


def thread_data(thread: OfferThread, user: Any, *, detail: bool = False, request: Any = None) -> dict[str, Any]:
    """A thread as `user` sees it; with `request`, the buyer's total includes delivery to their quoted ZIP."""
    view = selectors.thread_view(thread, user, request=request)
    rng = view.counter_range
    side = view.viewer_side or "staff"
    data: dict[str, Any] = {
        "id": thread.pk,
        "kind": thread.kind,
        "status": thread.status,
        "role": side,
        "vehicle": {"id": thread.vehicle_id, "title": thread.vehicle.title, "url": f"/vehicles/{thread.vehicle_id}/"},
        "buyer_name": view.buyer_name,
        "seller_name": view.seller_name,
        "buyer": (
            {"alias": view.buyer.alias, "verified": view.buyer.verified, "purchases": view.buyer.purchases}
            if view.buyer
            else None
        ),
        "amount": thread.amount,
        "accepted_amount": thread.accepted_amount,
        "turn": thread.turn,
        "your_turn": view.waiting_on == "you",
        "expires_at": thread.expires_at,
        "can_accept": view.can_accept,
        "can_decline": view.can_decline,
        "can_counter": view.can_counter,
        "can_withdraw": view.can_withdraw,
        "counters_left": view.counters_left,
        "counter_min_exclusive": rng.low if rng else None,
        "counter_max": rng.high if rng else None,
        "counter_max_inclusive": rng.high_inclusive if rng else None,
        "total": view.total.__dict__,
        "end_reason": thread.end_reason,
        "created_at": thread.created_at,
        "ended_at": thread.ended_at,
        "version": thread.version,
        "url": f"/offers/{thread.pk}/",
    }
    if detail:
        data["amounts"] = [a.__dict__ for a in view.amounts]
        return plain(OfferThreadDetailOutput(data).data)
    return plain(OfferThreadOutput(data).data)


def plain(data: Any) -> Any:
    """Serializer output (ReturnDict/OrderedDict) as plain dicts and lists, for JSON storage."""
    if isinstance(data, dict):
        return {key: plain(value) for key, value in data.items()}
    if isinstance(data, list):
        return [plain(value) for value in data]
    return data


def result_payload(result: Any, user: Any) -> dict[str, Any]:
    """A write's answer body (OfferResultOutput): stored as is for Idempotency-Key replays."""
    return {"message": result.message, "outcome": result.outcome, "data": thread_data(result.thread, user, detail=True)}
