"""Bidding over HTTP: `POST /api/auctions/<id>/bid` (Idempotency-Key), `/auto-bid`, `/api/bids/...`."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from auctions import selectors, services
from auctions.apis.common import BID_TAGS, client_ip, user_agent
from core import idempotency
from core.api import Pagination, ok
from core.errors import DomainError

IDEMPOTENCY_HEADER = idempotency.openapi_header()


class BidInput(serializers.Serializer):
    amount = serializers.CharField(required=False, help_text="Your bid (a max bid), e.g. 5250 or 5250.00")
    max_amount = serializers.CharField(required=False, help_text="Alias of amount")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        raw = attrs.get("amount", attrs.get("max_amount"))
        if raw is None:
            raise serializers.ValidationError({"amount": ["amount is required"]})
        return {"amount": raw}


AMOUNT_FIELDS = ("amount", "max_amount", "max")


def amount_sent(data: Any) -> tuple[bool, Any]:
    """(found, the amount exactly as sent) from a request body; a JSON number arrives as Decimal, so
    parse_amount judges it. Shared with the HTTP bid lane (fast_lane.py)."""
    if not hasattr(data, "get"):
        return False, None
    for name in AMOUNT_FIELDS:
        if name in data:
            value = data[name]
            return True, value[0] if isinstance(value, list) and value else value
    return False, None


def _raw_amount(request: Request) -> Any:
    found, value = amount_sent(request.data)
    if not found:
        raise DomainError("amount is required", code="invalid_amount", details={"amount": ["This field is required."]})
    return value


def place_bid(request: Request, auction_id: int) -> Response:
    """Shared by /bid, /auto-bid and /api/bids/auction/<id>: one service, one response shape."""
    raw = _raw_amount(request)
    key = idempotency.parse_key(request.headers.get(idempotency.HEADER))
    result = services.bid_place(
        auction_id=auction_id,
        bidder=request.user,
        max_amount=raw,
        ip=client_ip(request),
        user_agent=user_agent(request),
        idempotency_key=key,
    )
    if isinstance(result, idempotency.Replay):
        return idempotency.replay_response(result)
    return ok(result.as_dict(), message=result.message, status_code=201)


class AuctionBidApi(APIView):
    permission_classes = [IsAuthenticated]
    throttle_scope = "bids"

    @extend_schema(
        request=BidInput,
        parameters=[IDEMPOTENCY_HEADER],
        responses={201: OpenApiTypes.OBJECT},
        summary="Bid on an auction (every bid is a max bid: the system bids for you up to it)",
        description="Errors: 400 invalid amount or below the minimum next bid (details.minimum_bid); 401 not "
        "logged in; 403 own vehicle, not eligible (details.missing) or suspended; 404 no such auction; "
        "409 the auction is not live. Nothing is stored when a bid is refused.",
        tags=BID_TAGS,
    )
    def post(self, request: Request, auction_id: int) -> Response:
        return place_bid(request, auction_id)


class AuctionAutoBidApi(AuctionBidApi):
    @extend_schema(
        request=BidInput,
        parameters=[IDEMPOTENCY_HEADER],
        responses={201: OpenApiTypes.OBJECT},
        summary="Set (or raise) your maximum bid; proxy bidding raises your bid only as needed",
        tags=BID_TAGS,
    )
    def post(self, request: Request, auction_id: int) -> Response:
        return place_bid(request, auction_id)


class AuctionBidsApi(APIView):
    """`GET/POST /api/bids/auction/<auction_id>`: the public history under aliases, or place a bid."""

    permission_classes = [IsAuthenticatedOrReadOnly]
    throttle_scope = "bids"

    @extend_schema(
        responses=OpenApiTypes.OBJECT,
        summary="Bid history, newest first, under per-auction aliases (names for the seller and staff)",
        tags=BID_TAGS,
    )
    def get(self, request: Request, auction_id: int) -> Response:
        auction = selectors.auction_get(auction_id)
        paginator = Pagination()
        page = paginator.paginate_queryset(selectors.bid_history(auction), request, view=self)
        assert page is not None
        return paginator.get_paginated_response(
            [selectors.bid_public(b, viewer=request.user, auction=auction) for b in page]
        )

    @extend_schema(
        request=BidInput,
        parameters=[IDEMPOTENCY_HEADER],
        responses={201: OpenApiTypes.OBJECT},
        summary="Place a bid",
        tags=BID_TAGS,
    )
    def post(self, request: Request, auction_id: int) -> Response:
        return place_bid(request, auction_id)


class UserBidsApi(ListAPIView):
    permission_classes = [IsAuthenticated]

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.user_bid_list(self.request.user)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        assert page is not None
        return self.get_paginated_response(
            [
                {
                    **selectors.bid_public(b, viewer=request.user, auction=b.auction),
                    "auction": {
                        "id": b.auction_id,
                        "status": b.auction.status,
                        "vehicle": b.auction.vehicle.title,
                        "my_status": selectors.viewer_status(b.auction, int(request.user.pk or 0)),
                    },
                }
                for b in page
            ]
        )

    @extend_schema(responses=OpenApiTypes.OBJECT, summary="My bids, newest first", tags=BID_TAGS)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class BidDetailApi(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(
        responses=OpenApiTypes.OBJECT, summary="One bid: your own in full, others' under their alias", tags=BID_TAGS
    )
    def get(self, request: Request, bid_id: int) -> Response:
        bid = selectors.bid_visible(bid_id)
        return ok(selectors.bid_public(bid, viewer=request.user, auction=bid.auction))


class BidVoidApi(APIView):
    permission_classes = [IsAuthenticated]

    class Input(serializers.Serializer):
        reason = serializers.CharField(max_length=500)

    @extend_schema(
        request=Input,
        responses=OpenApiTypes.OBJECT,
        summary="Staff: void a bid; the state is recomputed",
        tags=BID_TAGS,
    )
    def post(self, request: Request, bid_id: int) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        auction = services.bid_void(bid_id=bid_id, actor=request.user, reason=data.validated_data["reason"])
        return ok(
            selectors.auction_detail(auction.pk, user=request.user), message="Bid voided; the auction was recomputed."
        )
