"""JSON API for orders: list, detail, pay (idempotent), invoice."""

from typing import Any

from django.http import FileResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core import idempotency
from core.api import Pagination
from core.response_schema import paginated
from orders.answers import PaymentOutput, payment_answer
from orders.invoices import invoice_download
from orders.models import ORDER_AMOUNT_FIELDS, Order
from orders.payments import order_pay
from orders.selectors import order_payments, order_timeline, order_visible_to


class OrderVehicleOutput(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField()
    vin = serializers.CharField()
    year = serializers.IntegerField(allow_null=True)
    make = serializers.CharField()
    model = serializers.CharField()
    trim = serializers.CharField()
    mileage = serializers.IntegerField(allow_null=True)


class OrderEventOutput(serializers.Serializer):  # type: ignore[type-arg]
    kind = serializers.CharField()
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    message = serializers.CharField()
    at = serializers.DateTimeField()


class OrderOutput(serializers.ModelSerializer):
    vehicle = serializers.SerializerMethodField()
    balance = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)
    role = serializers.SerializerMethodField()

    class Meta:
        model = Order
        fields = [
            "id",
            "number",
            "status",
            "source_type",
            "source_id",
            "role",
            "vehicle",
            "buyer_state",
            *ORDER_AMOUNT_FIELDS,
            "balance",
            "sold_at",
            "due_at",
            "paid_at",
            "created_at",
        ]

    @extend_schema_field(OrderVehicleOutput)
    def get_vehicle(self, order: Order) -> dict[str, Any]:
        v = order.vehicle
        return {
            "id": v.pk,
            "vin": v.vin,
            "year": v.year,
            "make": v.make,
            "model": v.model,
            "trim": v.trim,
            "mileage": v.mileage,
        }

    def get_role(self, order: Order) -> str:
        user = self.context.get("user")
        if user is not None and order.buyer_id == user.pk:
            return "buyer"
        if user is not None and order.seller_id == user.pk:
            return "seller"
        return "staff"


class OrderDetailOutput(OrderOutput):
    payments = serializers.SerializerMethodField()
    timeline = serializers.SerializerMethodField()

    class Meta(OrderOutput.Meta):
        fields = [*OrderOutput.Meta.fields, "payments", "timeline"]

    def get_payments(self, order: Order) -> Any:
        return PaymentOutput(order_payments(order), many=True).data

    @extend_schema_field(OrderEventOutput(many=True))
    def get_timeline(self, order: Order) -> list[dict[str, Any]]:
        return [
            {
                "kind": e.kind,
                "from_status": e.from_status,
                "to_status": e.to_status,
                "message": e.message,
                "at": e.created_at,
            }
            for e in order_timeline(order)
        ]


class OrderListApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="My orders (as buyer; ?role=seller for my sales)",
        parameters=[OpenApiParameter("role", str, enum=["buyer", "seller"]), OpenApiParameter("status", str)],
        responses=paginated(OrderOutput),
        operation_id="orders_list",
        tags=["orders"],
    )
    def get(self, request: Request) -> Response:
        role = request.query_params.get("role", "buyer")
        user: Any = request.user
        orders = Order.objects.for_seller(user) if role == "seller" else Order.objects.for_buyer(user)
        if status_filter := request.query_params.get("status"):
            orders = orders.filter(status=status_filter)
        paginator = Pagination()
        page = paginator.paginate_queryset(orders.select_related("vehicle").order_by("-created_at"), request, view=self)
        return paginator.get_paginated_response(OrderOutput(page, many=True, context={"user": request.user}).data)


class OrderDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="One order with its payments and timeline", responses=OrderDetailOutput, tags=["orders"])
    def get(self, request: Request, order_id: int) -> Response:
        order = order_visible_to(order_id=order_id, user=request.user)
        return Response(OrderDetailOutput(order, context={"user": request.user}).data)


class OrderPayApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Pay the balance with the card on file (send an Idempotency-Key header to make retries safe)",
        description="200 approved, 202 held for review or still confirming, 402 declined (the reason in error); "
        "400 invalid_idempotency_key; 409 already paid, a payment in flight, idempotency_key_reused or "
        "idempotency_key_in_flight. A retry with the same key gets the first answer (Idempotent-Replayed: true).",
        parameters=[idempotency.openapi_header()],
        request=None,
        responses=PaymentOutput,
        tags=["orders"],
    )
    def post(self, request: Request, order_id: int) -> Response:
        key = idempotency.parse_key(request.headers.get(idempotency.HEADER))
        result = order_pay(order_id=order_id, user=request.user, idempotency_key=key)
        if isinstance(result, idempotency.Replay):
            return idempotency.replay_response(result)
        answer = payment_answer(result)
        return Response(answer.body, status=answer.status)


class OrderInvoiceApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="The invoice PDF", responses={(200, "application/pdf"): bytes}, tags=["orders"])
    def get(self, request: Request, order_id: int) -> FileResponse:
        order = order_visible_to(order_id=order_id, user=request.user)
        return invoice_download(order)
