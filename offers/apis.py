"""JSON API of the offers domain (thin): parse, call one service, render.

`GET /api/offers?role=buyer|seller&status=`, `POST /api/vehicles/<id>/offers`, `GET /api/offers/<id>`,
`POST /api/offers/<id>/accept|decline|counter|withdraw`, `GET /api/offers/price-preview?amount=`, and after an
auction without a sale `POST /api/auctions/<id>/counter-offer` (seller) and `/best-offer` (high bidder).
Writes accept `Idempotency-Key` (core/idempotency.py, through the services): a retry replays the first answer.
"""

from collections.abc import Mapping
from typing import Any

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from auctions.services import parse_bid_amount
from core import idempotency
from core.api import Pagination
from core.error_schema import ErrorOutput
from core.errors import DomainError, NotFound
from offers import selectors, services
from offers.models import OfferThread
from offers.payloads import (
    OfferListOutput,
    OfferResultOutput,
    OfferThreadDetailOutput,
    PricePreviewOutput,
    plain,
    result_payload,
    thread_data,
)
from offers.selectors import total_at
from vehicles.models import Vehicle

TAGS = ["offers"]


class AmountInput(serializers.Serializer):  # type: ignore[type-arg]
    amount = serializers.CharField(
        help_text='Dollars and cents: "8500.00", "8500" or the JSON number 8500 (digits, at most two decimals)'
    )


def _amount(request: Request) -> Any:
    """The amount exactly as sent (a JSON number arrives as Decimal): the service judges it with the grammar."""
    data = request.data
    if not isinstance(data, Mapping) or "amount" not in data:
        raise DomainError("amount is required", code="invalid_amount", details={"amount": ["This field is required."]})
    return data["amount"]


def _errors(*codes: int) -> dict[int, OpenApiResponse]:
    descriptions = {
        400: "Bad input: `invalid_amount` (the grammar), `counter_out_of_range` (details: the range), "
        "`invalid_idempotency_key`",
        401: "Not logged in",
        403: "`own_vehicle`, `not_eligible` (details.missing), `suspended`, `not_seller`, `not_high_bidder`",
        404: "`offer_not_found` (also for threads that are not yours), `vehicle_not_found`, `auction_not_found`",
        409: "`offers_closed`, `auction_live`, `auction_started`, `vehicle_sold`, `use_buy_now`, `offer_open`, "
        "`not_your_turn`, `not_your_offer`, `offer_seen`, `counter_limit`, `expired`, `sold_to_another`, "
        "`declined`, `withdrawn`, `accepted`, `no_decision_pending`, `decision_expired`, `best_offer_used`, "
        "`best_offer_pending`, `idempotency_key_reused`, `idempotency_key_in_use`",
        429: "Too many offer writes (throttle `offers`); `Retry-After` says when to try again",
    }
    return {code: OpenApiResponse(ErrorOutput, description=descriptions[code]) for code in codes}


def _key(request: Request) -> str | None:
    return idempotency.parse_key(request.headers.get(idempotency.HEADER))


def answer(result: services.OfferResult | idempotency.Replay, user: Any, status: int) -> Response:
    """A write's answer, or the first answer again for a retried Idempotency-Key."""
    if isinstance(result, idempotency.Replay):
        return idempotency.replay_response(result)
    return Response(result_payload(result, user), status=status)


WRITE_ERRORS = _errors(400, 401, 403, 404, 409, 429)


class OfferListApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="offers_list",
        summary="My offer threads (as buyer; ?role=seller for offers on my vehicles)",
        parameters=[
            OpenApiParameter("role", str, enum=["buyer", "seller"]),
            OpenApiParameter(
                "status",
                str,
                description="waiting (my turn), open (the other side's turn), ended, or a thread status "
                "(accepted, declined, expired, withdrawn, auction_started, sold_to_another)",
            ),
            OpenApiParameter("vehicle", int, description="Only this vehicle's threads"),
        ],
        responses={200: OfferListOutput, **_errors(400, 401)},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        role = request.query_params.get("role", "buyer")
        if role not in ("buyer", "seller"):
            raise DomainError("role must be buyer or seller.", code="invalid_filter", details={"role": ["Invalid."]})
        status = request.query_params.get("status") or None
        allowed = {"waiting", "open", "ended", *OfferThread.Status.values}
        if status is not None and status not in allowed:
            raise DomainError(
                f"status must be one of {', '.join(sorted(allowed))}.",
                code="invalid_filter",
                details={"status": ["Invalid."]},
            )
        vehicle = request.query_params.get("vehicle")
        if vehicle is not None and not (vehicle.isascii() and vehicle.isdigit()):
            raise DomainError("vehicle must be an id.", code="invalid_filter", details={"vehicle": ["Invalid."]})
        threads = selectors.threads_for(
            request.user, role=role, status=status, vehicle_id=int(vehicle) if vehicle else None
        )
        paginator = Pagination()
        page = paginator.paginate_queryset(threads, request, view=self)
        assert page is not None
        return paginator.get_paginated_response([thread_data(thread, request.user, request=request) for thread in page])


class OfferMakeApi(APIView):
    permission_classes = [IsAuthenticated]
    throttle_scope = "offers"

    @extend_schema(
        summary="Make an offer on a vehicle (the seller's hidden auto rules may accept or decline it at once)",
        request=AmountInput,
        parameters=[idempotency.openapi_header()],
        responses={201: OfferResultOutput, **WRITE_ERRORS},
        tags=TAGS,
    )
    def post(self, request: Request, vehicle_id: int) -> Response:
        result = services.offer_make(
            vehicle_id=vehicle_id, buyer=request.user, amount=_amount(request), idempotency_key=_key(request)
        )
        return answer(result, request.user, 201)


class OfferDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="offers_retrieve",
        summary="One thread with its amounts (reading it as the other side records that you saw the latest amount)",
        responses={200: OfferThreadDetailOutput, **_errors(401, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, thread_id: int) -> Response:
        thread = selectors.thread_visible_to(thread_id=thread_id, user=request.user)
        if services.offer_mark_shown(thread_id=thread.pk, viewer=request.user):
            thread.refresh_from_db()
        return Response(thread_data(thread, request.user, detail=True, request=request))


class OfferAcceptApi(APIView):
    permission_classes = [IsAuthenticated]
    throttle_scope = "offers"

    @extend_schema(
        summary="Accept the latest amount (your turn): a binding sale; the order follows at once",
        request=None,
        parameters=[idempotency.openapi_header()],
        responses={200: OfferResultOutput, **WRITE_ERRORS},
        tags=TAGS,
    )
    def post(self, request: Request, thread_id: int) -> Response:
        result = services.offer_accept(thread_id=thread_id, actor=request.user, idempotency_key=_key(request))
        return answer(result, request.user, 200)


class OfferDeclineApi(APIView):
    permission_classes = [IsAuthenticated]
    throttle_scope = "offers"

    @extend_schema(
        summary="Decline the latest amount (your turn); the thread ends",
        request=None,
        parameters=[idempotency.openapi_header()],
        responses={200: OfferResultOutput, **_errors(400, 401, 404, 409, 429)},
        tags=TAGS,
    )
    def post(self, request: Request, thread_id: int) -> Response:
        result = services.offer_decline(thread_id=thread_id, actor=request.user, idempotency_key=_key(request))
        return answer(result, request.user, 200)


class OfferCounterApi(APIView):
    permission_classes = [IsAuthenticated]
    throttle_scope = "offers"

    @extend_schema(
        summary="Counter with a new amount (your turn; counters converge, at most 3 per side)",
        request=AmountInput,
        parameters=[idempotency.openapi_header()],
        responses={200: OfferResultOutput, **WRITE_ERRORS},
        tags=TAGS,
    )
    def post(self, request: Request, thread_id: int) -> Response:
        result = services.offer_counter(
            thread_id=thread_id, actor=request.user, amount=_amount(request), idempotency_key=_key(request)
        )
        return answer(result, request.user, 200)


class OfferWithdrawApi(APIView):
    permission_classes = [IsAuthenticated]
    throttle_scope = "offers"

    @extend_schema(
        summary="Withdraw your latest amount, only before the other side has seen it",
        request=None,
        parameters=[idempotency.openapi_header()],
        responses={200: OfferResultOutput, **_errors(400, 401, 404, 409, 429)},
        tags=TAGS,
    )
    def post(self, request: Request, thread_id: int) -> Response:
        result = services.offer_withdraw(thread_id=thread_id, actor=request.user, idempotency_key=_key(request))
        return answer(result, request.user, 200)


class ReserveCounterApi(APIView):
    permission_classes = [IsAuthenticated]
    throttle_scope = "offers"

    @extend_schema(
        summary="Reserve not met: counter the high bid (seller; above it and at most the reserve, 24 hours)",
        request=AmountInput,
        parameters=[idempotency.openapi_header()],
        responses={201: OfferResultOutput, **WRITE_ERRORS},
        tags=TAGS,
    )
    def post(self, request: Request, auction_id: int) -> Response:
        result = services.offer_counter_high_bid(
            auction_id=auction_id, seller=request.user, amount=_amount(request), idempotency_key=_key(request)
        )
        return answer(result, request.user, 201)


class BestOfferApi(APIView):
    permission_classes = [IsAuthenticated]
    throttle_scope = "offers"

    @extend_schema(
        summary="Reserve not met: the high bidder's one best offer above their high bid",
        request=AmountInput,
        parameters=[idempotency.openapi_header()],
        responses={201: OfferResultOutput, **WRITE_ERRORS},
        tags=TAGS,
    )
    def post(self, request: Request, auction_id: int) -> Response:
        result = services.offer_best_offer(
            auction_id=auction_id, buyer=request.user, amount=_amount(request), idempotency_key=_key(request)
        )
        return answer(result, request.user, 201)


class PricePreviewApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="What I would pay at an amount (price, buyer fee, documentation, title fee and tax by my state)",
        parameters=[
            OpenApiParameter("amount", str, required=True),
            OpenApiParameter("vehicle", int, description="With delivery from this vehicle to my quoted ZIP"),
        ],
        responses={200: PricePreviewOutput, **_errors(400, 401, 404)},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        amount = parse_bid_amount(request.query_params.get("amount", ""))
        vehicle = None
        if raw_vehicle := request.query_params.get("vehicle"):
            if not (raw_vehicle.isascii() and raw_vehicle.isdigit()):
                raise DomainError("vehicle must be an id.", code="invalid_filter", details={"vehicle": ["Invalid."]})
            vehicle = Vehicle.objects.published().filter(pk=int(raw_vehicle)).first()
            if vehicle is None:
                raise NotFound("Vehicle not found.", code="vehicle_not_found")
        total = total_at(amount, request.user, request=request, vehicle=vehicle)
        return Response(plain(PricePreviewOutput({"total": total.__dict__}).data))
