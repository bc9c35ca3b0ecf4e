"""GET /api/transport/quote?vehicle=<id>&zip=<ZIP>[&enclosed=true]: door-to-door transport for a vehicle."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import ok
from core.error_schema import ErrorOutput
from vehicles.selectors import vehicle_visible_to
from vehicles.transport import remember_delivery_zip, vehicle_transport_quote


class PlaceOutput(serializers.Serializer):  # type: ignore[type-arg]
    zip = serializers.CharField()
    city = serializers.CharField()
    state = serializers.CharField()


class QuoteLineOutput(serializers.Serializer):  # type: ignore[type-arg]
    label = serializers.CharField()  # type: ignore[assignment]  # the JSON key is "label"
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)


class TransportQuoteOutput(serializers.Serializer):  # type: ignore[type-arg]
    vehicle_id = serializers.IntegerField()
    origin = PlaceOutput(help_text="Where the vehicle is (its ZIP code's centre)")
    destination = PlaceOutput()
    straight_miles = serializers.IntegerField()
    road_miles = serializers.IntegerField(help_text="Estimated: straight-line miles × the rate card's road factor")
    transport_type = serializers.ChoiceField(choices=["open", "enclosed"])
    inoperable = serializers.BooleanField(help_text="The vehicle does not run (graded for parts): winch loading")
    lines = QuoteLineOutput(many=True, help_text="Add up to `price` to the cent")
    price = serializers.DecimalField(max_digits=12, decimal_places=2)
    days_min = serializers.IntegerField(help_text="Door-to-door days, at best")
    days_max = serializers.IntegerField(help_text="Door-to-door days, at worst")
    summary = serializers.CharField()


class TransportQuoteEnvelope(serializers.Serializer):  # type: ignore[type-arg]
    data = TransportQuoteOutput()  # type: ignore[assignment]  # the envelope key is "data"


class TransportQuoteApi(APIView):
    permission_classes = [AllowAny]

    class Input(serializers.Serializer):  # type: ignore[type-arg]
        vehicle = serializers.IntegerField(min_value=1)
        zip = serializers.CharField(required=False, allow_blank=True, max_length=20, trim_whitespace=False)
        enclosed = serializers.ChoiceField(choices=["true", "false"], required=False, default="false")

    @extend_schema(
        summary="Door-to-door transport quote for a vehicle to a US ZIP code (price, lines, estimated days)",
        parameters=[
            OpenApiParameter("vehicle", int, required=True, description="The vehicle's id"),
            OpenApiParameter("zip", str, required=True, description="Deliver to this US ZIP code: 55401 or 55401-1234"),
            OpenApiParameter("enclosed", str, enum=["true", "false"], description="Enclosed trailer (default false)"),
        ],
        responses={
            200: TransportQuoteEnvelope,
            400: ErrorOutput,  # codes: zip_required, invalid_zip, unknown_zip, invalid (vehicle / enclosed)
            404: ErrorOutput,  # no such vehicle (or not visible to you)
            409: ErrorOutput,  # no_origin: the vehicle's location is not a ZIP code we know
        },
        tags=["transport"],
    )
    def get(self, request: Request) -> Response:
        data = self.Input(data=request.query_params)
        data.is_valid(raise_exception=True)
        vehicle = vehicle_visible_to(vehicle_id=data.validated_data["vehicle"], user=request.user)
        quote = vehicle_transport_quote(
            vehicle,
            destination_zip=data.validated_data.get("zip", ""),
            enclosed=data.validated_data["enclosed"] == "true",
        )
        remember_delivery_zip(request._request, quote)
        return ok(TransportQuoteOutput({"vehicle_id": vehicle.pk, **quote.as_dict()}).data)
