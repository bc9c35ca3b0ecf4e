"""How vehicles look in JSON. The reserve amount is never shown to the public (BIDDING.md), only
whether there is one; the seller and staff see it."""

from typing import Any

from django.core.files.storage import default_storage
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from vehicles import condition
from vehicles.models import Vehicle, VehicleDocument, VehiclePhoto
from vehicles.selectors import can_manage, seller_public_name


def media_url(name: str | None) -> str | None:
    return default_storage.url(name) if name else None


class PhotoOutput(serializers.Serializer):
    id = serializers.IntegerField()
    position = serializers.IntegerField()
    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()

    def get_url(self, photo: VehiclePhoto) -> str | None:
        return media_url(photo.image.name)

    def get_thumbnail_url(self, photo: VehiclePhoto) -> str | None:
        return media_url(photo.thumbnail.name)


class DocumentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    kind_label = serializers.CharField(source="get_kind_display")
    name = serializers.CharField(source="original_name")
    content_type = serializers.CharField()
    size_bytes = serializers.IntegerField()
    is_public = serializers.BooleanField()
    url = serializers.SerializerMethodField()

    def get_url(self, document: VehicleDocument) -> str:
        return f"/vehicles/{document.vehicle_id}/documents/{document.pk}/"


class BadgeOutput(serializers.Serializer):
    label = serializers.CharField()  # type: ignore[assignment]
    tone = serializers.ChoiceField(choices=["good", "warning", "info"])
    description = serializers.CharField()


class DamageOutput(serializers.Serializer):
    panel = serializers.CharField()
    panel_label = serializers.CharField()
    type = serializers.CharField()
    type_label = serializers.CharField()
    severity = serializers.CharField()
    photo_id = serializers.IntegerField(allow_null=True)


class VehicleCardOutput(serializers.Serializer):
    """One row of the inventory: what a card shows."""

    id = serializers.IntegerField()
    url = serializers.SerializerMethodField()
    title = serializers.CharField()
    vin = serializers.CharField()
    year = serializers.IntegerField()
    make = serializers.CharField()
    model = serializers.CharField()
    trim = serializers.CharField()
    body_type = serializers.CharField()
    fuel_type = serializers.CharField()
    transmission = serializers.CharField()
    drivetrain = serializers.CharField()
    mileage = serializers.IntegerField()
    title_type = serializers.CharField()
    city = serializers.CharField()
    state = serializers.CharField()
    status = serializers.CharField()
    price = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    starting_price = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    current_price = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    buy_now_price = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    has_reserve = serializers.SerializerMethodField()
    buy_now_available = serializers.BooleanField()
    accepts_offers = serializers.BooleanField()
    auction_status = serializers.CharField()
    auction_ends_at = serializers.DateTimeField(allow_null=True)
    bid_count = serializers.IntegerField()
    thumbnail_url = serializers.SerializerMethodField()
    approved_at = serializers.DateTimeField(allow_null=True)
    runs_and_drives = serializers.BooleanField(source="runs_drives")
    keys_count = serializers.IntegerField(allow_null=True)
    badges = serializers.SerializerMethodField()
    title_warning = serializers.CharField(help_text="Shown before a buyer commits; empty for a clean title")
    distance_miles = serializers.SerializerMethodField(help_text="Miles from the search's ZIP, when given")

    @extend_schema_field(BadgeOutput(many=True))
    def get_badges(self, vehicle: Vehicle) -> list[dict[str, str]]:
        return [{"label": b.label, "tone": b.tone, "description": b.description} for b in vehicle.condition_badges]

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_distance_miles(self, vehicle: Vehicle) -> float | None:
        value = getattr(vehicle, "distance_miles", None)
        return round(float(value), 1) if value is not None else None

    def get_url(self, vehicle: Vehicle) -> str:
        return f"/vehicles/{vehicle.pk}/"

    def get_has_reserve(self, vehicle: Vehicle) -> bool:
        return vehicle.reserve_price is not None

    def get_thumbnail_url(self, vehicle: Vehicle) -> str | None:
        return media_url(vehicle.cover_thumbnail)

    def to_representation(self, instance: Vehicle) -> dict[str, Any]:
        if type(self) is VehicleCardOutput:
            return card(instance)
        return super().to_representation(instance)  # the detail: the declared fields, the generic way


_MONEY = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
_WHEN = serializers.DateTimeField(allow_null=True)


def _money(value: Any) -> str | None:
    return None if value is None else _MONEY.to_representation(value)


def _when(value: Any) -> str | None:
    return None if value is None else _WHEN.to_representation(value)


def card(vehicle: Vehicle) -> dict[str, Any]:
    """`VehicleCardOutput`'s fields as a plain function (an inventory page serializes 24-96 cards per request;
    the generic serializer cost about three times as much, profiled). Same keys, order and formats:
    vehicles/tests/test_card.py."""
    distance = getattr(vehicle, "distance_miles", None)
    keys = vehicle.keys_count
    return {
        "id": vehicle.pk,
        "url": f"/vehicles/{vehicle.pk}/",
        "title": vehicle.title,
        "vin": vehicle.vin,
        "year": vehicle.year,
        "make": vehicle.make,
        "model": vehicle.model,
        "trim": vehicle.trim,
        "body_type": vehicle.body_type,
        "fuel_type": vehicle.fuel_type,
        "transmission": vehicle.transmission,
        "drivetrain": vehicle.drivetrain,
        "mileage": vehicle.mileage,
        "title_type": vehicle.title_type,
        "city": vehicle.city,
        "state": vehicle.state,
        "status": vehicle.status,
        "price": _money(vehicle.price),
        "starting_price": _money(vehicle.starting_price),
        "current_price": _money(vehicle.current_price),
        "buy_now_price": _money(vehicle.buy_now_price),
        "has_reserve": vehicle.reserve_price is not None,
        "buy_now_available": vehicle.buy_now_available,
        "accepts_offers": vehicle.accepts_offers,
        "auction_status": vehicle.auction_status,
        "auction_ends_at": _when(vehicle.auction_ends_at),
        "bid_count": vehicle.bid_count,
        "thumbnail_url": media_url(vehicle.cover_thumbnail),
        "approved_at": _when(vehicle.approved_at),
        "runs_and_drives": None if vehicle.runs_drives is None else bool(vehicle.runs_drives),
        "keys_count": None if keys is None else int(keys),
        "badges": [{"label": b.label, "tone": b.tone, "description": b.description} for b in vehicle.condition_badges],
        "title_warning": vehicle.title_warning,
        "distance_miles": round(float(distance), 1) if distance is not None else None,
    }


class VehicleDetailOutput(VehicleCardOutput):
    engine = serializers.CharField()
    exterior_color = serializers.CharField()
    interior_color = serializers.CharField()
    condition_grade = serializers.CharField()
    condition_notes = serializers.CharField()
    title_state = serializers.CharField()
    starts = serializers.CharField()
    drives = serializers.CharField()
    odometer_brand = serializers.CharField()
    airbags_deployed = serializers.CharField()
    damage = serializers.SerializerMethodField()
    announcements = serializers.CharField()
    features = serializers.ListField(child=serializers.CharField())
    description = serializers.CharField()
    postal_code = serializers.CharField()
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    seller_name = serializers.SerializerMethodField()
    reserve_price = serializers.SerializerMethodField()
    rejection_reason = serializers.SerializerMethodField()
    photos = serializers.SerializerMethodField()
    documents = serializers.SerializerMethodField()
    decoded_specs = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def _manager(self, vehicle: Vehicle) -> bool:
        request = self.context.get("request")
        return bool(request is not None and can_manage(request.user, vehicle))

    def get_seller_name(self, vehicle: Vehicle) -> str:
        return seller_public_name(vehicle.seller)

    def get_reserve_price(self, vehicle: Vehicle) -> str | None:
        if not self._manager(vehicle) or vehicle.reserve_price is None:
            return None
        return str(vehicle.reserve_price)

    def get_rejection_reason(self, vehicle: Vehicle) -> str:
        return vehicle.rejection_reason if self._manager(vehicle) else ""

    def get_decoded_specs(self, vehicle: Vehicle) -> dict[str, Any]:
        return vehicle.decoded_specs if self._manager(vehicle) else {}

    @extend_schema_field(DamageOutput(many=True))
    def get_damage(self, vehicle: Vehicle) -> list[dict[str, Any]]:
        rows = condition.damage_rows(vehicle.damage, {})
        ids = {(e["panel"], e["type"]): e.get("photo_id") for e in vehicle.damage or []}
        return [
            {key: row[key] for key in ("panel", "panel_label", "type", "type_label", "severity")}
            | {"photo_id": ids.get((row["panel"], row["type"]))}
            for row in rows
        ]

    @extend_schema_field(PhotoOutput(many=True))
    def get_photos(self, vehicle: Vehicle) -> list[dict[str, Any]]:
        return PhotoOutput(vehicle.photos.all(), many=True).data  # type: ignore[return-value]

    @extend_schema_field(DocumentOutput(many=True))
    def get_documents(self, vehicle: Vehicle) -> list[dict[str, Any]]:
        from vehicles.selectors import documents_for

        request = self.context.get("request")
        documents = documents_for(request.user if request else None, vehicle)
        return DocumentOutput(documents, many=True).data  # type: ignore[return-value]
