"""JSON API after the sale: the order detail with its title, vehicle delivery and (seller) proceeds; choosing
pickup or transport; the seller's pickup confirmation; title documents; the seller's statement.

`GET /api/orders/<id>` is served here (config/urls.py lists fulfillment's API routes before orders'): it is
orders' own detail (`orders.apis.OrderDetailOutput`) plus `title`, `vehicle_delivery`, `proceeds` and
`next_action`, which orders cannot know about.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import ok
from core.error_schema import ErrorOutput
from core.money import MoneyError, parse_amount
from core.us_states import StateSerializerField
from fulfillment import selectors, services
from fulfillment.holds import proceeds_hold_reasons
from fulfillment.models import (
    DeliveryMethod,
    Fulfillment,
    ProceedsStatus,
    SellerProceeds,
    TitleDocument,
    TransportBooking,
)
from fulfillment.rules import PICKUP_CODE_MAX_FAILURES
from fulfillment.services.common import role_of
from orders.apis import OrderDetailOutput
from orders.models import Order
from orders.selectors import order_visible_to

TAGS = ["fulfillment"]
IDEMPOTENCY = OpenApiParameter(
    "Idempotency-Key",
    str,
    location=OpenApiParameter.HEADER,
    description="Retries with the same key answer the first request",
)


class StrictBooleanField(serializers.BooleanField):
    """Only true/false (JSON booleans, or the words in a form): no "yes", "on", 1 or "1"."""

    def to_internal_value(self, data: Any) -> bool:
        if data is True or data == "true":
            return True
        if data is False or data == "false":
            return False
        self.fail("invalid", input=data)
        return False  # unreachable: fail() raises


# --- output ---------------------------------------------------------------------------------------------------


class TitleDocumentOutput(serializers.ModelSerializer):  # type: ignore[type-arg]
    url = serializers.SerializerMethodField()

    class Meta:
        model = TitleDocument
        fields = [
            "id",
            "kind",
            "status",
            "original_name",
            "content_type",
            "size_bytes",
            "rejection_reason",
            "created_at",
            "url",
        ]

    def get_url(self, document: TitleDocument) -> str:
        return f"/orders/{document.fulfillment.order_id}/title-documents/{document.pk}/"


class TitleOutput(serializers.Serializer):  # type: ignore[type-arg]
    status = serializers.CharField()
    status_label = serializers.CharField()
    documents_due_at = serializers.DateTimeField()
    documents_late = serializers.BooleanField()
    promised_by = serializers.DateTimeField(help_text="Title issued within 15 business days of payment")
    title_number = serializers.CharField(allow_blank=True)
    issued_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)
    rejection_reason = serializers.CharField(allow_blank=True)
    documents = TitleDocumentOutput(many=True)


class TransportOutput(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = TransportBooking
        fields = [
            "attempt",
            "status",
            "price",
            "transport_type",
            "inoperable",
            "delivery_address",
            "delivery_city",
            "delivery_state",
            "delivery_zip",
            "carrier_name",
            "carrier_phone",
            "driver_name",
            "driver_phone",
            "pickup_eta",
            "delivery_eta",
            "picked_up_at",
            "delivered_at",
            "proof_signature_name",
            "proof_photos",
            "booking_error",
        ]


class StorageOutput(serializers.Serializer):  # type: ignore[type-arg]
    free_until = serializers.DateTimeField()
    charged_days = serializers.IntegerField()
    charged_total = serializers.DecimalField(max_digits=12, decimal_places=2)
    waived_days = serializers.IntegerField()
    waived_reasons = serializers.ListField(child=serializers.CharField())


class VehicleDeliveryOutput(serializers.Serializer):  # type: ignore[type-arg]
    method = serializers.ChoiceField(choices=["", *DeliveryMethod.values])
    status = serializers.CharField()
    status_label = serializers.CharField()
    released_at = serializers.DateTimeField(allow_null=True)
    pickup_code = serializers.CharField(allow_null=True, help_text="The buyer's code (only to the buyer)")
    pickup_attempts_left = serializers.IntegerField()
    pickup_locked = serializers.BooleanField()
    picked_up_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)
    storage = StorageOutput()
    transport = TransportOutput(allow_null=True)


class HoldOutput(serializers.Serializer):  # type: ignore[type-arg]
    code = serializers.CharField()
    message = serializers.CharField()
    until = serializers.DateTimeField(allow_null=True)


class ProceedsLineOutput(serializers.Serializer):  # type: ignore[type-arg]
    kind = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # the JSON key is "label"
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)


class ProceedsOutput(serializers.Serializer):  # type: ignore[type-arg]
    status = serializers.ChoiceField(choices=ProceedsStatus.values)
    net = serializers.DecimalField(max_digits=12, decimal_places=2, help_text="The sum of the lines")
    lines = ProceedsLineOutput(many=True)
    holds = HoldOutput(many=True, help_text="Why the proceeds are still held (empty once released)")
    released_at = serializers.DateTimeField(allow_null=True)
    payout_due_at = serializers.DateTimeField(allow_null=True)
    paid_out_at = serializers.DateTimeField(allow_null=True)
    payout_reference = serializers.CharField(allow_blank=True)


class NextActionOutput(serializers.Serializer):  # type: ignore[type-arg]
    who = serializers.ChoiceField(choices=["buyer", "seller", "staff", "carrier", "title_service", "nobody"])
    text = serializers.CharField()
    by = serializers.DateTimeField(allow_null=True)


def title_data(fulfillment: Fulfillment) -> dict[str, Any]:
    from django.utils import timezone

    return {
        "status": fulfillment.title_status,
        "status_label": fulfillment.get_title_status_display(),
        "documents_due_at": fulfillment.documents_due_at,
        "documents_late": fulfillment.documents_late(timezone.now()),
        "promised_by": fulfillment.title_promised_by,
        "title_number": fulfillment.title_number,
        "issued_at": fulfillment.title_issued_at,
        "delivered_at": fulfillment.title_delivered_at,
        "rejection_reason": fulfillment.title_rejection_reason,
        "documents": selectors.documents_visible(fulfillment),
    }


def delivery_data(fulfillment: Fulfillment, role: str | None) -> dict[str, Any]:
    storage = selectors.storage_summary(fulfillment)
    booking = selectors.latest_booking(fulfillment) if fulfillment.delivery_method == DeliveryMethod.TRANSPORT else None
    return {
        "method": fulfillment.delivery_method,
        "status": fulfillment.vehicle_status,
        "status_label": fulfillment.get_vehicle_status_display(),
        "released_at": fulfillment.released_at,
        "pickup_code": fulfillment.pickup_code if role == "buyer" else None,
        "pickup_attempts_left": max(PICKUP_CODE_MAX_FAILURES - fulfillment.pickup_code_failures, 0),
        "pickup_locked": fulfillment.pickup_locked,
        "picked_up_at": fulfillment.picked_up_at,
        "delivered_at": fulfillment.delivered_at,
        "storage": {
            "free_until": fulfillment.free_storage_until,
            "charged_days": storage["charged_days"],
            "charged_total": storage["charged_total"],
            "waived_days": storage["waived_days"],
            "waived_reasons": storage["waived_reasons"],
        },
        "transport": TransportOutput(booking).data if booking else None,
    }


def proceeds_data(order: Order) -> dict[str, Any] | None:
    proceeds = SellerProceeds.objects.filter(order_id=order.pk).first()
    if proceeds is None:
        return None
    holds = proceeds_hold_reasons(order) if proceeds.status == ProceedsStatus.HELD else []
    return {
        "status": proceeds.status,
        "net": proceeds.net,
        "lines": [
            {"kind": line.kind, "label": line.label, "amount": line.amount} for line in proceeds.lines.order_by("pk")
        ],
        "holds": [{"code": h.code, "message": h.message, "until": h.until} for h in holds],
        "released_at": proceeds.released_at,
        "payout_due_at": proceeds.payout_due_at,
        "paid_out_at": proceeds.paid_out_at,
        "payout_reference": proceeds.payout_reference,
    }


@extend_schema_serializer(component_name="OrderDetail")
class FulfilledOrderOutput(OrderDetailOutput):
    title = serializers.SerializerMethodField()
    vehicle_delivery = serializers.SerializerMethodField()
    proceeds = serializers.SerializerMethodField()
    next_action = serializers.SerializerMethodField()

    class Meta(OrderDetailOutput.Meta):
        fields = [*OrderDetailOutput.Meta.fields, "title", "vehicle_delivery", "proceeds", "next_action"]

    def _fulfillment(self, order: Order) -> Fulfillment | None:
        if not hasattr(self, "_cached_fulfillment"):
            self._cached_fulfillment = Fulfillment.objects.filter(order_id=order.pk).first()
        return self._cached_fulfillment

    def _role(self, order: Order) -> str | None:
        return role_of(order, self.context.get("user"))

    @extend_schema_field(TitleOutput(allow_null=True))
    def get_title(self, order: Order) -> Any:
        fulfillment = self._fulfillment(order)
        return TitleOutput(title_data(fulfillment)).data if fulfillment else None

    @extend_schema_field(VehicleDeliveryOutput(allow_null=True))
    def get_vehicle_delivery(self, order: Order) -> Any:
        fulfillment = self._fulfillment(order)
        return VehicleDeliveryOutput(delivery_data(fulfillment, self._role(order))).data if fulfillment else None

    @extend_schema_field(ProceedsOutput(allow_null=True))
    def get_proceeds(self, order: Order) -> Any:
        if self._role(order) not in ("seller", "staff"):
            return None
        data = proceeds_data(order)
        return ProceedsOutput(data).data if data else None

    @extend_schema_field(NextActionOutput(allow_null=True))
    def get_next_action(self, order: Order) -> Any:
        fulfillment = self._fulfillment(order)
        if fulfillment is None:
            return None
        action = selectors.next_action(order, fulfillment, role=self._role(order))
        return {"who": action.who, "text": action.text, "by": action.by}


# --- endpoints ----------------------------------------------------------------------------------------------------


class OrderEnvelope(serializers.Serializer):  # type: ignore[type-arg]
    message = serializers.CharField(required=False)
    data = FulfilledOrderOutput()  # type: ignore[assignment]  # the envelope key is "data"


def order_answer(order_id: int, request: Request, *, message: str = "", status_code: int = 200) -> Response:
    order = order_visible_to(order_id=order_id, user=request.user)
    return ok(
        FulfilledOrderOutput(order, context={"user": request.user}).data,
        message=message or None,
        status_code=status_code,
    )


ERRORS = {400: ErrorOutput, 401: ErrorOutput, 403: ErrorOutput, 404: ErrorOutput, 409: ErrorOutput}


class OrderDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="One order: price lines, payments, timeline, and after payment its title, vehicle delivery, next "
        "action and (for the seller) proceeds",
        responses={200: FulfilledOrderOutput, 401: ErrorOutput, 404: ErrorOutput},
        tags=["orders"],
    )
    def get(self, request: Request, order_id: int) -> Response:
        order = order_visible_to(order_id=order_id, user=request.user)
        return Response(FulfilledOrderOutput(order, context={"user": request.user}).data)


class DeliveryApi(APIView):
    permission_classes = [IsAuthenticated]

    class Input(serializers.Serializer):  # type: ignore[type-arg]
        method = serializers.ChoiceField(choices=DeliveryMethod.values)
        name = serializers.CharField(max_length=200, required=False, allow_blank=True)
        phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
        address = serializers.CharField(max_length=200, required=False, allow_blank=True)
        city = serializers.CharField(max_length=100, required=False, allow_blank=True)
        state = StateSerializerField(required=False, allow_blank=True)
        zip = serializers.CharField(max_length=10, required=False, allow_blank=True)
        enclosed = StrictBooleanField(required=False, default=False)
        expected_price = serializers.JSONField(
            required=False, help_text="The transport price you were shown (amount string); refused if it changed"
        )

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            if attrs["method"] == DeliveryMethod.TRANSPORT:
                missing = {
                    f: ["is required for transport"]
                    for f in ("name", "address", "city", "state", "zip")
                    if not attrs.get(f)
                }
                if missing:
                    raise serializers.ValidationError(missing)
                if "expected_price" in attrs:
                    try:
                        attrs["expected_price"] = parse_amount(attrs["expected_price"], field="expected_price")
                    except MoneyError as exc:
                        raise serializers.ValidationError({"expected_price": [str(exc)]}) from exc
            return attrs

    @extend_schema(
        summary="Buyer: choose pickup, or book and pay the quoted transport (charged as its own payment)",
        parameters=[IDEMPOTENCY],
        request=Input,
        responses={
            200: OrderEnvelope,  # pickup chosen, or transport paid and booked
            202: OrderEnvelope,  # the transport payment is still being confirmed
            402: ErrorOutput,  # the card was declined: nothing booked
            **ERRORS,  # 409 price_changed (details.price is the new price), transport already booked, ...
            423: ErrorOutput,
        },
        tags=TAGS,
    )
    def post(self, request: Request, order_id: int) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if values["method"] == DeliveryMethod.PICKUP:
            services.delivery_choose_pickup(order_id=order_id, actor=request.user)
            return order_answer(order_id, request, message="Pickup chosen: bring your pickup code.")
        key = (request.headers.get("Idempotency-Key") or "").strip()[:100] or None
        booking = services.transport_book(
            order_id=order_id,
            actor=request.user,
            address=services.DeliveryAddress(
                name=values["name"],
                phone=values.get("phone", ""),
                address=values["address"],
                city=values["city"],
                state=values["state"],
                zip=values["zip"],
            ),
            enclosed=values["enclosed"],
            expected_price=values.get("expected_price"),
            idempotency_key=key,
        )
        if booking.status == TransportBooking.Status.PAYMENT_FAILED:
            return Response(
                {
                    "error": f"Your card was not charged: {booking.booking_error}",
                    "code": "payment_declined",
                    "details": {},
                },
                status=402,
            )
        if booking.status == TransportBooking.Status.AWAITING_PAYMENT:
            return order_answer(order_id, request, message="Confirming the transport payment.", status_code=202)
        return order_answer(
            order_id,
            request,
            message="Transport paid; the carrier is booked."
            if booking.vendor_guid
            else "Transport paid; booking the carrier.",
        )


class PickupApi(APIView):
    permission_classes = [IsAuthenticated]

    class Input(serializers.Serializer):  # type: ignore[type-arg]
        code = serializers.CharField(max_length=12, help_text="The buyer's 6-digit pickup code")

    @extend_schema(
        summary="Seller: confirm the buyer collected the vehicle, with the buyer's pickup code (5 wrong codes lock it)",
        request=Input,
        responses={
            200: OrderEnvelope,
            **ERRORS,
            423: ErrorOutput,
        },  # 400 wrong_code (details.attempts_left), 409 balance_due
        tags=TAGS,
    )
    def post(self, request: Request, order_id: int) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        services.pickup_confirm(order_id=order_id, actor=request.user, code=data.validated_data["code"])
        return order_answer(order_id, request, message="Pickup confirmed.")


class ReleaseApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Seller: the vehicle is ready to be collected",
        request=None,
        responses={200: OrderEnvelope, **ERRORS},
        tags=TAGS,
    )
    def post(self, request: Request, order_id: int) -> Response:
        services.vehicle_release(order_id=order_id, actor=request.user)
        return order_answer(order_id, request, message="Vehicle released.")


class TitleReceivedApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Buyer: the new title arrived", request=None, responses={200: OrderEnvelope, **ERRORS}, tags=TAGS
    )
    def post(self, request: Request, order_id: int) -> Response:
        services.title_mark_delivered(order_id=order_id, actor=request.user)
        return order_answer(order_id, request, message="Title received.")


class UploadTicketOutput(serializers.Serializer):  # type: ignore[type-arg]
    url = serializers.CharField(help_text="POST the form here: every field below, then the file as `file`")
    fields = serializers.DictField(child=serializers.CharField())  # type: ignore[assignment]  # the JSON key is "fields"
    key = serializers.CharField()
    max_bytes = serializers.IntegerField()
    token = serializers.CharField(help_text="Hand back to POST /api/orders/<id>/title-documents once uploaded")


class UploadTicketEnvelope(serializers.Serializer):  # type: ignore[type-arg]
    data = UploadTicketOutput()  # type: ignore[assignment]  # the envelope key is "data"


class DocumentEnvelope(serializers.Serializer):  # type: ignore[type-arg]
    message = serializers.CharField()
    data = TitleDocumentOutput()  # type: ignore[assignment]  # the envelope key is "data"


class DocumentListEnvelope(serializers.Serializer):  # type: ignore[type-arg]
    data = TitleDocumentOutput(many=True)  # type: ignore[assignment]  # the envelope key is "data"


class TitleUploadTicketApi(APIView):
    permission_classes = [IsAuthenticated]

    class Input(serializers.Serializer):  # type: ignore[type-arg]
        kind = serializers.ChoiceField(choices=TitleDocument.Kind.choices)
        filename = serializers.CharField(max_length=255)
        content_type = serializers.ChoiceField(choices=["application/pdf", "image/jpeg", "image/png"])
        size = serializers.IntegerField(min_value=1)

    @extend_schema(
        summary="Seller: a presigned POST to upload one title document (PDF, JPEG or PNG) straight to storage",
        request=Input,
        responses={201: UploadTicketEnvelope, **ERRORS},
        tags=TAGS,
    )
    def post(self, request: Request, order_id: int) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        ticket = services.title_document_upload_prepare(actor=request.user, order_id=order_id, **data.validated_data)
        return ok(ticket.as_dict(), status_code=status.HTTP_201_CREATED)


class TitleDocumentsApi(APIView):
    permission_classes = [IsAuthenticated]

    class Input(serializers.Serializer):  # type: ignore[type-arg]
        upload_token = serializers.CharField()
        kind = serializers.ChoiceField(choices=TitleDocument.Kind.choices)

    @extend_schema(
        summary="The order's title documents (buyer, seller, staff)",
        responses={200: DocumentListEnvelope, 401: ErrorOutput, 404: ErrorOutput},
        tags=TAGS,
    )
    def get(self, request: Request, order_id: int) -> Response:
        order = order_visible_to(order_id=order_id, user=request.user)
        fulfillment = selectors.fulfillment_of(order)
        documents = selectors.documents_visible(fulfillment) if fulfillment else []
        return ok(TitleDocumentOutput(documents, many=True).data)

    @extend_schema(
        summary="Seller: attach an uploaded title document after verifying it (its first bytes must be a PDF, JPEG "
        "or PNG); the complete set goes to staff review",
        request=Input,
        responses={201: DocumentEnvelope, **ERRORS},
        tags=TAGS,
    )
    def post(self, request: Request, order_id: int) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        document = services.title_document_attach(actor=request.user, order_id=order_id, **data.validated_data)
        return ok(TitleDocumentOutput(document).data, message="Document added.", status_code=status.HTTP_201_CREATED)


class StatementRowOutput(serializers.Serializer):  # type: ignore[type-arg]
    order_id = serializers.IntegerField()
    order_number = serializers.CharField()
    vehicle = serializers.CharField()
    sold_at = serializers.DateTimeField()
    sale_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    seller_fee = serializers.DecimalField(max_digits=12, decimal_places=2)
    charges = serializers.DecimalField(max_digits=12, decimal_places=2)
    net = serializers.DecimalField(max_digits=12, decimal_places=2)
    status = serializers.CharField(help_text="held, released, paid_out, or the order's status before payment")
    payout_reference = serializers.CharField(allow_blank=True)


class StatementOutput(serializers.Serializer):  # type: ignore[type-arg]
    rows = StatementRowOutput(many=True)
    totals = serializers.DictField(child=serializers.DecimalField(max_digits=14, decimal_places=2))


class StatementEnvelope(serializers.Serializer):  # type: ignore[type-arg]
    data = StatementOutput()  # type: ignore[assignment]  # the envelope key is "data"


class StatementApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Seller: every sale with its fee, charges, net and payout (the CSV is /sell/statement.csv)",
        parameters=[OpenApiParameter("year", int)],
        responses={200: StatementEnvelope, 401: ErrorOutput},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        raw = request.query_params.get("year", "")
        year = int(raw) if raw.isascii() and raw.isdigit() and len(raw) == 4 else None
        data = selectors.seller_statement(request.user, year=year)
        rows = [
            {
                "order_id": row.order.pk,
                "order_number": row.order.number,
                "vehicle": str(row.order.vehicle),
                "sold_at": row.order.sold_at,
                "sale_price": row.gross,
                "seller_fee": row.fee,
                "charges": row.charges,
                "net": row.net,
                "status": row.proceeds.status if row.proceeds else row.order.status,
                "payout_reference": row.proceeds.payout_reference if row.proceeds else "",
            }
            for row in data["rows"]
        ]
        return ok(StatementOutput({"rows": rows, "totals": data["totals"]}).data)
