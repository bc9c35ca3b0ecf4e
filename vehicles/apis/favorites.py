"""The watchlist. `/api/favorites/vehicle/<id>`; auctions adds `/api/favorites/auction/<id>` on the same services."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import ok
from core.response_schema import enveloped
from vehicles import services
from vehicles.apis.output import VehicleCardOutput
from vehicles.models import Vehicle
from vehicles.selectors import is_favorite, watchlist

FavoriteState = inline_serializer(
    "FavoriteState", {"vehicle_id": serializers.IntegerField(), "is_favorite": serializers.BooleanField()}
)


class FavoriteListApi(ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = VehicleCardOutput

    def get_queryset(self):  # type: ignore[no-untyped-def]
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Vehicle.objects.none()
        return watchlist(self.request.user)

    @extend_schema(summary="My watchlist: watched vehicles, most recently added first", tags=["favorites"])
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().get(request, *args, **kwargs)


class FavoriteVehicleApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=enveloped(FavoriteState), summary="Is this vehicle on my watchlist?", tags=["favorites"])
    def get(self, request: Request, vehicle_id: int) -> Response:
        return ok({"vehicle_id": vehicle_id, "is_favorite": is_favorite(request.user, vehicle_id)})

    @extend_schema(
        request=None,
        responses={201: enveloped(FavoriteState)},
        summary="Watch a vehicle (idempotent)",
        tags=["favorites"],
    )
    def post(self, request: Request, vehicle_id: int) -> Response:
        services.favorite_add(user=request.user, vehicle_id=vehicle_id)
        return ok(
            {"vehicle_id": vehicle_id, "is_favorite": True},
            message="Added to your watchlist.",
            status_code=status.HTTP_201_CREATED,
        )

    @extend_schema(
        responses={200: enveloped(FavoriteState)}, summary="Stop watching a vehicle (idempotent)", tags=["favorites"]
    )
    def delete(self, request: Request, vehicle_id: int) -> Response:
        services.favorite_remove(user=request.user, vehicle_id=vehicle_id)
        return ok({"vehicle_id": vehicle_id, "is_favorite": False}, message="Removed from your watchlist.")
