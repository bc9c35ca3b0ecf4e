"""Auctions over HTTP: list/search, detail, schedule/update/cancel, buy now, reserve, decision, preview, comments."""

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from auctions import selectors, services
from auctions.apis.common import AUCTION_TAGS, client_ip, query_amount, query_datetime, user_agent
from auctions.apis.output import (
    AuctionCancelledOutput,
    AuctionCardOutput,
    AuctionDetailOutput,
    CommentOutput,
    FavoriteAuctionOutput,
    PricePreviewOutput,
)
from auctions.models import Auction
from auctions.services.comments import comment_payload
from core.amount_fields import AmountField
from core.api import ok
from core.error_schema import ErrorOutput
from core.errors import NotFound
from core.replica import replica_reads_view
from core.response_schema import enveloped

LIST_PARAMETERS = [
    OpenApiParameter(
        "status", str, description='scheduled, live, ended, cancelled (comma-separated), "open" (default) or "all"'
    ),
    OpenApiParameter("make", str),
    OpenApiParameter("model", str),
    OpenApiParameter("min_price", str),
    OpenApiParameter("max_price", str),
    OpenApiParameter("ending_before", str, description="ISO date-time"),
    OpenApiParameter("q", str, description="Words matched against make, model, trim, year, VIN and description"),
    OpenApiParameter("sort", str, description=", ".join(selectors.SORTS)),
]


class AuctionListApi(ListAPIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    class Input(serializers.Serializer):
        vehicle_id = serializers.IntegerField()
        starting_price = AmountField(required=False)
        reserve_price = AmountField(required=False, allow_null=True)
        buy_now_price = AmountField(required=False, allow_null=True)
        starts_at = serializers.DateTimeField(required=False)
        ends_at = serializers.DateTimeField()
        soft_close_window_seconds = serializers.IntegerField(required=False, default=120)
        soft_close_extension_seconds = serializers.IntegerField(required=False, default=120)

    def get_queryset(self):  # type: ignore[no-untyped-def]
        request = self.request
        params = request.query_params
        return selectors.auction_list(
            status=params.get("status"),
            make=params.get("make"),
            model=params.get("model"),
            min_price=query_amount(request, "min_price"),
            max_price=query_amount(request, "max_price"),
            ending_before=query_datetime(request, "ending_before"),
            q=params.get("q"),
            sort=params.get("sort") or "ending_soon",
        )

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        assert page is not None
        from auctions.services.increments import increment_table

        increments = increment_table()
        return self.get_paginated_response([selectors.auction_card(a, increments) for a in page])

    @extend_schema(
        parameters=LIST_PARAMETERS,
        responses=AuctionCardOutput(many=True),
        summary="Auctions, ending soonest first",
        operation_id="auctions_list",
        tags=AUCTION_TAGS,
    )
    @replica_reads_view  # listing and search decide nothing: the read replica may answer (core/replica.py)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=Input,
        responses={
            201: enveloped(AuctionDetailOutput),
            404: OpenApiResponse(ErrorOutput, description="No such vehicle"),
        },
        summary="Schedule an auction for an approved vehicle (its seller or staff)",
        description="Validations: the end after the start and in the future; reserve at least the starting price; "
        "buy now above the reserve. Prices default to the vehicle's listing prices.",
        tags=AUCTION_TAGS,
    )
    def post(self, request: Request) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        vehicle_id = values.pop("vehicle_id")
        terms = _terms(values, vehicle_id=vehicle_id)
        auction = services.auction_schedule(vehicle_id=vehicle_id, actor=request.user, terms=terms)
        return ok(
            selectors.auction_detail(auction.pk, user=request.user), message="Auction scheduled.", status_code=201
        )


def _terms(
    values: dict[str, Any], *, vehicle_id: int | None = None, current: Auction | None = None
) -> services.AuctionTermsInput:
    """Fill what the request left out from the current auction (PUT) or the vehicle's listing prices (POST)."""
    from django.utils import timezone

    from vehicles.models import Vehicle

    defaults: dict[str, Any] = {}
    if current is not None:
        defaults = {
            "starting_price": current.starting_price,
            "reserve_price": current.reserve_price,
            "buy_now_price": current.buy_now_price,
            "starts_at": current.starts_at,
            "ends_at": current.ends_at,
            "soft_close_window_seconds": current.soft_close_window_seconds,
            "soft_close_extension_seconds": current.soft_close_extension_seconds,
        }
    elif vehicle_id is not None:
        vehicle = Vehicle.objects.filter(pk=vehicle_id).first()
        if vehicle is None:
            raise NotFound("Vehicle not found.", code="vehicle_not_found")
        defaults = {
            "starting_price": vehicle.starting_price,
            "reserve_price": vehicle.reserve_price,
            "buy_now_price": vehicle.buy_now_price,
            "starts_at": timezone.now(),
        }
    merged = {**defaults, **values}
    if merged.get("starting_price") is None:
        merged["starting_price"] = Decimal("0")
    return services.AuctionTermsInput(
        starting_price=merged["starting_price"],
        starts_at=merged.get("starts_at") or timezone.now(),
        ends_at=merged["ends_at"],
        reserve_price=merged.get("reserve_price"),
        buy_now_price=merged.get("buy_now_price"),
        soft_close_window_seconds=merged.get("soft_close_window_seconds", 120),
        soft_close_extension_seconds=merged.get("soft_close_extension_seconds", 120),
    )


class AuctionSearchApi(AuctionListApi):
    http_method_names = ["get", "head", "options"]  # a search; scheduling is POST /api/auctions only

    @extend_schema(
        parameters=LIST_PARAMETERS,
        responses=AuctionCardOutput(many=True),
        summary="Search auctions (?q=)",
        tags=AUCTION_TAGS,
    )
    @replica_reads_view
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class AuctionDetailApi(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    class UpdateInput(serializers.Serializer):
        starting_price = AmountField(required=False)
        reserve_price = AmountField(required=False, allow_null=True)
        buy_now_price = AmountField(required=False, allow_null=True)
        starts_at = serializers.DateTimeField(required=False)
        ends_at = serializers.DateTimeField(required=False)
        soft_close_window_seconds = serializers.IntegerField(required=False)
        soft_close_extension_seconds = serializers.IntegerField(required=False)

    @extend_schema(
        responses=enveloped(AuctionDetailOutput),
        summary="One auction: state (with seq for gap detection), vehicle, your status, watchers",
        tags=AUCTION_TAGS,
    )
    def get(self, request: Request, auction_id: int) -> Response:
        return ok(selectors.auction_detail(auction_id, user=request.user))

    @extend_schema(
        request=UpdateInput,
        responses=enveloped(AuctionDetailOutput),
        summary="Change an auction before its first bid",
        tags=AUCTION_TAGS,
    )
    def put(self, request: Request, auction_id: int) -> Response:
        current = selectors.auction_get(auction_id)
        data = self.UpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        terms = _terms(dict(data.validated_data), current=current)
        auction = services.auction_update(auction_id=auction_id, actor=request.user, terms=terms)
        return ok(selectors.auction_detail(auction.pk, user=request.user), message="Auction updated.")

    @extend_schema(
        responses={200: enveloped(AuctionCancelledOutput)},
        summary="Withdraw an auction (seller before the first bid; staff any time before close). Kept for the record.",
        tags=AUCTION_TAGS,
    )
    def delete(self, request: Request, auction_id: int) -> Response:
        reason = str(request.data.get("reason", "")) if isinstance(request.data, dict) else ""
        services.auction_cancel(auction_id=auction_id, actor=request.user, reason=reason or "Withdrawn")
        return ok({"id": auction_id, "status": "cancelled"}, message="Auction cancelled.")


class AuctionCancelApi(APIView):
    permission_classes = [IsAuthenticated]

    class Input(serializers.Serializer):
        reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)

    @extend_schema(
        request=Input,
        responses=enveloped(AuctionDetailOutput),
        summary="Cancel (staff; seller before the first bid)",
        tags=AUCTION_TAGS,
    )
    def post(self, request: Request, auction_id: int) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        services.auction_cancel(auction_id=auction_id, actor=request.user, reason=data.validated_data["reason"])
        return ok(selectors.auction_detail(auction_id, user=request.user), message="Auction cancelled.")


class AuctionBuyNowApi(APIView):
    permission_classes = [IsAuthenticated]
    throttle_scope = "bids"

    @extend_schema(
        request=None,
        responses=enveloped(AuctionDetailOutput),
        summary="Buy now: ends the auction with you as the winner",
        tags=AUCTION_TAGS,
    )
    def post(self, request: Request, auction_id: int) -> Response:
        services.auction_buy_now(
            auction_id=auction_id, buyer=request.user, ip=client_ip(request), user_agent=user_agent(request)
        )
        return ok(
            selectors.auction_detail(auction_id, user=request.user), message="You bought it! We'll email your invoice."
        )


class AuctionReserveApi(APIView):
    permission_classes = [IsAuthenticated]

    class Input(serializers.Serializer):
        reserve_price = AmountField()

    @extend_schema(
        request=Input,
        responses=enveloped(AuctionDetailOutput),
        summary="Seller: lower an unmet reserve",
        tags=AUCTION_TAGS,
    )
    def post(self, request: Request, auction_id: int) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        services.auction_lower_reserve(
            auction_id=auction_id, actor=request.user, reserve_price=data.validated_data["reserve_price"]
        )
        return ok(selectors.auction_detail(auction_id, user=request.user), message="Reserve lowered.")


class AuctionDecisionApi(APIView):
    permission_classes = [IsAuthenticated]

    class Input(serializers.Serializer):
        accept = serializers.BooleanField()

    @extend_schema(
        request=Input,
        responses=enveloped(AuctionDetailOutput),
        summary="Seller: accept or decline the high bid (reserve not met)",
        tags=AUCTION_TAGS,
    )
    def post(self, request: Request, auction_id: int) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        accept = data.validated_data["accept"]
        services.auction_seller_decide(auction_id=auction_id, actor=request.user, accept=accept)
        message = "Sold to the high bidder." if accept else "Declined; the vehicle can be relisted."
        return ok(selectors.auction_detail(auction_id, user=request.user), message=message)


class PricePreviewApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter("max", str, required=True),
            OpenApiParameter("state", str, description="If not logged in"),
        ],
        responses=enveloped(PricePreviewOutput),
        summary="What you would pay in total at this max: price, buyer fee, documentation fee, title fee, tax",
        tags=AUCTION_TAGS,
    )
    def get(self, request: Request, auction_id: int) -> Response:
        from core.pricing import purchase_breakdown

        auction = selectors.auction_get(auction_id)
        amount = services.parse_bid_amount(request.query_params.get("max"))
        user = request.user
        buyer_state = getattr(user, "state", "") if user.is_authenticated else ""
        buyer_state = buyer_state or request.query_params.get("state", "")
        breakdown = purchase_breakdown(price=amount, buyer_state=buyer_state)
        return ok(
            {
                "auction_id": auction.pk,
                "max": f"{amount:.2f}",
                **breakdown.as_strings(),
                "confirm_required": auction.needs_confirmation(amount),
            }
        )


class AuctionCommentsApi(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    class Input(serializers.Serializer):
        body = serializers.CharField(max_length=2000, trim_whitespace=True)
        parent_id = serializers.IntegerField(required=False, allow_null=True)

    @extend_schema(
        responses=enveloped(CommentOutput, many=True), summary="Comments and questions, oldest first", tags=AUCTION_TAGS
    )
    def get(self, request: Request, auction_id: int) -> Response:
        selectors.auction_get(auction_id)
        return ok([comment_payload(c) for c in selectors.visible_comments(auction_id)])

    @extend_schema(
        request=Input, responses={201: enveloped(CommentOutput)}, summary="Post a comment or reply", tags=AUCTION_TAGS
    )
    def post(self, request: Request, auction_id: int) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        comment = services.comment_post(
            auction_id=auction_id,
            author=request.user,
            body=data.validated_data["body"],
            parent_id=data.validated_data.get("parent_id"),
        )
        return ok(comment_payload(comment), message="Comment posted.", status_code=201)


class CommentHideApi(APIView):
    permission_classes = [IsAuthenticated]

    class Input(serializers.Serializer):
        reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)

    @extend_schema(
        request=Input, responses=enveloped(CommentOutput), summary="Staff: hide a comment", tags=AUCTION_TAGS
    )
    def post(self, request: Request, comment_id: int) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        comment = services.comment_hide(comment_id=comment_id, actor=request.user, reason=data.validated_data["reason"])
        return ok(comment_payload(comment), message="Comment hidden.")


class FavoriteAuctionApi(APIView):
    """`/api/favorites/auction/<auction_id>`: the watchlist by auction id, on the vehicles app's services."""

    permission_classes = [IsAuthenticated]

    def _vehicle_id(self, auction_id: int) -> int:
        return selectors.auction_get(auction_id, queryset=Auction.objects.only("pk", "vehicle_id")).vehicle_id

    @extend_schema(
        responses=enveloped(FavoriteAuctionOutput), summary="Is this auction on my watchlist?", tags=["favorites"]
    )
    def get(self, request: Request, auction_id: int) -> Response:
        from vehicles.selectors import is_favorite

        vehicle_id = self._vehicle_id(auction_id)
        return ok(
            {"auction_id": auction_id, "vehicle_id": vehicle_id, "is_favorite": is_favorite(request.user, vehicle_id)}
        )

    @extend_schema(
        request=None,
        responses={201: enveloped(FavoriteAuctionOutput)},
        summary="Watch an auction (idempotent)",
        tags=["favorites"],
    )
    def post(self, request: Request, auction_id: int) -> Response:
        from vehicles.services import favorite_add

        vehicle_id = self._vehicle_id(auction_id)
        favorite_add(user=request.user, vehicle_id=vehicle_id)
        return ok(
            {"auction_id": auction_id, "vehicle_id": vehicle_id, "is_favorite": True},
            message="Added to your watchlist.",
            status_code=201,
        )

    @extend_schema(
        responses={200: enveloped(FavoriteAuctionOutput)},
        summary="Stop watching an auction (idempotent)",
        tags=["favorites"],
    )
    def delete(self, request: Request, auction_id: int) -> Response:
        from vehicles.services import favorite_remove

        vehicle_id = self._vehicle_id(auction_id)
        favorite_remove(user=request.user, vehicle_id=vehicle_id)
        return ok(
            {"auction_id": auction_id, "vehicle_id": vehicle_id, "is_favorite": False},
            message="Removed from your watchlist.",
        )
