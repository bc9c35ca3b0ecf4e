"""Bidding over HTTP: `POST /api/auctions/<id>/bid` (Idempotency-Key), `/auto-bid`, `/api/bids/...`."""

from typing import Any, NoReturn

from django.db import InterfaceError, OperationalError
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from auctions import bid_protocol, selectors, services
from auctions.apis.common import BID_TAGS, client_ip, user_agent
from auctions.apis.output import AuctionDetailOutput, BidOutput, BidResultOutput, MyBidOutput
from auctions.models import Bid
from core import idempotency
from core.amount_fields import AmountField
from core.api import Pagination, ok
from core.error_schema import ErrorOutput
from core.errors import DomainError
from core.response_schema import enveloped, paginated


class BidInput(serializers.Serializer):
    """Documentation of the body bid_protocol.read accepts: one of the three names, in the one amount grammar."""

    amount = AmountField(required=False, help_text="Your bid (a max bid)")
    max_amount = AmountField(required=False, help_text="Another name for amount")
    max = AmountField(required=False, help_text="Another name for amount")


class BidAnswer(serializers.Serializer):
    message = serializers.CharField()
    data = BidResultOutput()  # type: ignore[assignment]


BID_RESPONSES = {
    201: BidAnswer,
    400: ErrorOutput,
    401: ErrorOutput,
    403: ErrorOutput,
    404: ErrorOutput,
    409: ErrorOutput,
    429: ErrorOutput,
    503: ErrorOutput,
}
BID_ERRORS = (
    "Errors (auctions/bid_protocol.py, the same codes and messages as the site's form and the live room): 400 "
    "invalid_amount, below_minimum (details.minimum_bid), not_above_own_max, invalid_idempotency_key; 401 "
    "not_authenticated; 403 own_vehicle, not_eligible (details.missing), suspended; 404 auction_not_found; 409 "
    "auction_ended, auction_not_started, auction_cancelled, idempotency_key_reused; 429 throttled (Retry-After); "
    "503 unavailable (Retry-After) or bid_unconfirmed. Nothing is stored when a bid is refused."
)


class BidApi(APIView):
    """The API's bid door (transport only): bid_protocol reads the request, the service decides, bid_protocol
    tells the outcome."""

    permission_classes = [IsAuthenticated]
    throttle_scope = "bids"

    def permission_denied(self, request: Request, message: str | None = None, code: str | None = None) -> NoReturn:
        if request.authenticators and not request.successful_authenticator:
            raise exceptions.NotAuthenticated(bid_protocol.LOGIN_MESSAGE)
        super().permission_denied(request, message, code)

    def place(self, request: Request, auction_id: int) -> Response:
        outcome: object
        try:
            ask = bid_protocol.read(request.data, request.headers.get(idempotency.HEADER))
            outcome = services.bid_place(
                auction_id=auction_id,
                bidder=request.user,
                max_amount=ask.amount,
                ip=client_ip(request),
                user_agent=user_agent(request),
                idempotency_key=ask.idempotency_key,
            )
        except (DomainError, OperationalError, InterfaceError) as exc:
            outcome = exc
        told = bid_protocol.tell(outcome)
        return Response(told.body, status=told.status, headers=told.headers)


class AuctionBidApi(BidApi):
    @extend_schema(
        request=BidInput,
        parameters=[idempotency.openapi_header()],
        responses=BID_RESPONSES,
        summary="Bid on an auction (every bid is a max bid: the system bids for you up to it)",
        description=BID_ERRORS,
        tags=BID_TAGS,
    )
    def post(self, request: Request, auction_id: int) -> Response:
        return self.place(request, auction_id)


class AuctionAutoBidApi(BidApi):
    @extend_schema(
        request=BidInput,
        parameters=[idempotency.openapi_header()],
        responses=BID_RESPONSES,
        summary="Set (or raise) your maximum bid; proxy bidding raises your bid only as needed",
        description=BID_ERRORS,
        tags=BID_TAGS,
    )
    def post(self, request: Request, auction_id: int) -> Response:
        return self.place(request, auction_id)


class AuctionBidsApi(BidApi):
    """`GET/POST /api/bids/auction/<auction_id>`: the public history under aliases, or place a bid."""

    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(
        responses=paginated(BidOutput),
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
        parameters=[idempotency.openapi_header()],
        responses=BID_RESPONSES,
        summary="Place a bid",
        description=BID_ERRORS,
        tags=BID_TAGS,
    )
    def post(self, request: Request, auction_id: int) -> Response:
        return self.place(request, auction_id)


class UserBidsApi(ListAPIView):
    permission_classes = [IsAuthenticated]

    def get_queryset(self):  # type: ignore[no-untyped-def]
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Bid.objects.none()
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

    @extend_schema(responses=MyBidOutput(many=True), summary="My bids, newest first", tags=BID_TAGS)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class BidDetailApi(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(
        responses=enveloped(BidOutput), summary="One bid: your own in full, others' under their alias", tags=BID_TAGS
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
        responses=enveloped(AuctionDetailOutput),
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
