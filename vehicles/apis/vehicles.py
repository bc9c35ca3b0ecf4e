"""Vehicles: inventory search, CRUD for sellers, VIN decoding, submit for review, AI description."""

from typing import Any

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer, inline_serializer
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import Pagination, ok
from core.errors import NotAllowed
from core.replica import replica_reads_view
from core.response_schema import enveloped
from vehicles import condition, services
from vehicles.apis.output import VehicleCardOutput, VehicleDetailOutput
from vehicles.filters import VehicleFilter
from vehicles.models import Vehicle
from vehicles.paging import InventoryPaginator
from vehicles.selectors import vehicle_visible_to
from vehicles.validation import EDITABLE_FIELDS


class DamageEntry(serializers.Serializer):
    panel = serializers.ChoiceField(choices=condition.PANELS)
    type = serializers.ChoiceField(choices=condition.DAMAGE_TYPES)
    severity = serializers.ChoiceField(choices=condition.SEVERITIES)
    photo_id = serializers.IntegerField(required=False, allow_null=True, help_text="One of this vehicle's photos")


class VehicleInput(serializers.Serializer):
    """Documentation of the accepted fields; values are validated by the service (one set of rules for
    the form, the API and the CSV import). Prices are strings like "5250.00"."""

    vin = serializers.CharField(required=False, help_text="17 characters; the check digit is verified")
    year = serializers.IntegerField(required=False, help_text="Filled from the VIN when omitted on create")
    make = serializers.CharField(required=False)
    model = serializers.CharField(required=False)
    trim = serializers.CharField(required=False, allow_blank=True)
    body_type = serializers.ChoiceField(choices=Vehicle.BodyType.choices, required=False, allow_blank=True)
    engine = serializers.CharField(required=False, allow_blank=True)
    transmission = serializers.ChoiceField(choices=Vehicle.Transmission.choices, required=False, allow_blank=True)
    drivetrain = serializers.ChoiceField(choices=Vehicle.Drivetrain.choices, required=False, allow_blank=True)
    fuel_type = serializers.ChoiceField(choices=Vehicle.FuelType.choices, required=False, allow_blank=True)
    mileage = serializers.IntegerField(required=False)
    exterior_color = serializers.CharField(required=False, allow_blank=True)
    interior_color = serializers.CharField(required=False, allow_blank=True)
    condition_grade = serializers.ChoiceField(choices=Vehicle.ConditionGrade.choices, required=False, allow_blank=True)
    condition_notes = serializers.CharField(required=False, allow_blank=True)
    title_type = serializers.ChoiceField(choices=Vehicle.TitleType.choices, required=False)
    title_state = serializers.CharField(required=False, allow_blank=True, help_text="The title's issuing state")
    starts = serializers.ChoiceField(choices=condition.Starts.choices, required=False, allow_blank=True)
    drives = serializers.ChoiceField(choices=condition.YesNo.choices, required=False, allow_blank=True)
    keys_count = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=20)
    odometer_brand = serializers.ChoiceField(choices=condition.OdometerBrand.choices, required=False)
    airbags_deployed = serializers.ChoiceField(choices=condition.YesNo.choices, required=False, allow_blank=True)
    damage = DamageEntry(many=True, required=False, help_text="One entry per (panel, type); replaces the list")
    announcements = serializers.CharField(required=False, allow_blank=True)
    features = serializers.ListField(child=serializers.CharField(), required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    city = serializers.CharField(required=False, allow_blank=True)
    state = serializers.CharField(required=False, allow_blank=True)
    postal_code = serializers.CharField(required=False, allow_blank=True)
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, allow_null=True)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, allow_null=True)
    starting_price = serializers.CharField(required=False, allow_null=True)
    reserve_price = serializers.CharField(required=False, allow_null=True)
    buy_now_price = serializers.CharField(required=False, allow_null=True)
    accepts_offers = serializers.BooleanField(required=False)


def _fields_from(request: Request) -> dict[str, Any]:
    data = request.data if hasattr(request.data, "get") else {}
    return {name: data.get(name) for name in EDITABLE_FIELDS if name in data}


def _detail(request: Request, vehicle: Vehicle) -> dict[str, Any]:
    vehicle = Vehicle.objects.select_related("seller").prefetch_related("photos").get(pk=vehicle.pk)
    return VehicleDetailOutput(vehicle, context={"request": request}).data  # type: ignore[return-value]


class InventoryPagination(Pagination):
    """The public inventory: the count stops at 10,000 (`count_capped` says there are more); vehicles/paging.py."""

    django_paginator_class = InventoryPaginator

    def get_paginated_response(self, data: Any) -> Response:
        response = super().get_paginated_response(data)
        assert self.page is not None
        response.data["count_capped"] = getattr(self.page.paginator, "capped", False)
        return response

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        described = super().get_paginated_response_schema(schema)
        described["properties"]["count_capped"] = {
            "type": "boolean",
            "description": "True when more than `count` (10,000) vehicles match",
        }
        return described


class VehicleListApi(ListAPIView):
    """GET: the public inventory with every filter of the inventory page; `mine=true` lists the caller's
    own vehicles in any status. POST: an approved seller creates a draft."""

    serializer_class = VehicleCardOutput
    filter_backends = [DjangoFilterBackend]
    filterset_class = VehicleFilter

    @property
    def paginator(self) -> Any:
        """The public inventory's large counts are cached briefly; a seller's own list is always exact."""
        if not hasattr(self, "_paginator"):
            self._paginator = Pagination() if self.mine else InventoryPagination()
        return self._paginator

    @property
    def mine(self) -> bool:
        return self.request.query_params.get("mine") in ("1", "true", "yes")

    def get_permissions(self) -> list[Any]:
        return [IsAuthenticated()] if self.request.method == "POST" else [AllowAny()]

    def get_queryset(self) -> QuerySet[Vehicle]:
        if self.mine:
            if not self.request.user.is_authenticated:
                raise NotAllowed("Log in to see your vehicles.")
            return Vehicle.objects.owned_by(self.request.user)  # type: ignore[arg-type]
        return Vehicle.objects.in_inventory()

    @extend_schema(
        summary="Search the inventory (filters, free text, sort, pagination)",
        tags=["vehicles"],
        parameters=[OpenApiParameter("mine", OpenApiTypes.BOOL, description="only my vehicles, any status")],
    )
    @replica_reads_view  # inventory search decides nothing: the read replica may answer (core/replica.py)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=VehicleInput,
        responses={201: enveloped(VehicleDetailOutput)},
        summary="Create a draft vehicle (approved sellers); specs missing from the request are decoded from the VIN",
        tags=["vehicles"],
    )
    def post(self, request: Request) -> Response:
        vehicle = services.vehicle_create(seller=request.user, data=_fields_from(request))
        return ok(_detail(request, vehicle), message="Draft created.", status_code=status.HTTP_201_CREATED)


class VehicleDetailApi(APIView):
    def get_permissions(self) -> list[Any]:
        return [AllowAny()] if self.request.method == "GET" else [IsAuthenticated()]

    @extend_schema(
        responses=enveloped(VehicleDetailOutput), summary="A vehicle (published, or your own)", tags=["vehicles"]
    )
    def get(self, request: Request, vehicle_id: int) -> Response:
        vehicle = vehicle_visible_to(vehicle_id=vehicle_id, user=request.user)
        return ok(_detail(request, vehicle))

    @extend_schema(
        request=VehicleInput,
        responses=enveloped(VehicleDetailOutput),
        summary="Change a vehicle: its seller while draft or rejected, staff any unsold vehicle; given fields only",
        tags=["vehicles"],
    )
    def put(self, request: Request, vehicle_id: int) -> Response:
        vehicle = services.vehicle_update(vehicle_id=vehicle_id, actor=request.user, data=_fields_from(request))
        return ok(_detail(request, vehicle), message="Saved.")

    @extend_schema(
        request=VehicleInput, responses=enveloped(VehicleDetailOutput), summary="Same as PUT", tags=["vehicles"]
    )
    def patch(self, request: Request, vehicle_id: int) -> Response:
        return self.put(request, vehicle_id)

    @extend_schema(
        responses={204: None}, summary="Delete a draft (its seller) or any vehicle (staff)", tags=["vehicles"]
    )
    def delete(self, request: Request, vehicle_id: int) -> Response:
        services.vehicle_delete(vehicle_id=vehicle_id, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class VehicleSubmitApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses=enveloped(VehicleDetailOutput),
        summary="Submit a complete draft (or a rejected vehicle) for staff review",
        tags=["vehicles"],
    )
    def post(self, request: Request, vehicle_id: int) -> Response:
        vehicle = services.vehicle_submit(vehicle_id=vehicle_id, actor=request.user)
        return ok(
            _detail(request, vehicle), message="Submitted for review. We will email you when staff have looked at it."
        )


class DecodeVinApi(APIView):
    schema_conflicts = False  # core.schema: no state to conflict with
    permission_classes = [AllowAny]

    @extend_schema_serializer(component_name="DecodeVinInput")
    class Input(serializers.Serializer):
        vin = serializers.CharField()
        model_year = serializers.IntegerField(required=False, min_value=1900, max_value=2100)

    @extend_schema(
        request=Input,
        responses=enveloped(
            inline_serializer(
                "DecodedVin",
                {
                    "vin": serializers.CharField(),
                    "source": serializers.ChoiceField(choices=["clearvin", "vpic", "offline"]),
                    "specs": serializers.DictField(),
                    "warnings": serializers.ListField(child=serializers.CharField()),
                },
            )
        ),
        summary="Check a VIN's check digit and decode it (ClearVIN → NHTSA vPIC → offline; cached per VIN)",
        tags=["vehicles"],
    )
    def post(self, request: Request) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        decoded = services.vin_decode(vin=data.validated_data["vin"], model_year=data.validated_data.get("model_year"))
        return ok({"vin": decoded.vin, "source": decoded.source, "specs": decoded.specs, "warnings": decoded.warnings})


class DraftDescriptionApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=VehicleInput,
        responses=enveloped(
            inline_serializer(
                "DescriptionDraft",
                {
                    "headline": serializers.CharField(),
                    "description": serializers.CharField(),
                    "highlights": serializers.ListField(child=serializers.CharField()),
                    "text": serializers.CharField(),
                    "source": serializers.CharField(),
                },
            )
        ),
        summary="Draft a description from the specs and condition notes (not saved; the seller edits it)",
        tags=["vehicles"],
    )
    def post(self, request: Request, vehicle_id: int) -> Response:
        draft = services.vehicle_draft_description(
            actor=request.user, vehicle_id=vehicle_id, overrides=_fields_from(request)
        )
        return ok(
            {
                "headline": draft.headline,
                "description": draft.description,
                "highlights": draft.highlights,
                "text": draft.text,
                "source": draft.source,
            },
            message="Draft written. Please read and edit it before you submit.",
        )
