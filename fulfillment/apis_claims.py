"""JSON API of claims for the buyer and the seller: list and read an order's claims, open one, answer it, add a
message; photos are uploaded first (`POST /api/orders/<id>/claims/uploads` gives a presigned POST, as for title
documents) and handed over as `photo_tokens`. Staff decide in the console."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import ok
from core.error_schema import ErrorOutput
from core.errors import NotFound
from fulfillment import selectors, services
from fulfillment.apis import UploadTicketEnvelope
from fulfillment.models_claims import Claim, ClaimCategory, ClaimEvent, ClaimOutcome, ClaimPhoto, ClaimStatus
from fulfillment.services.common import role_of
from orders.selectors import order_visible_to

TAGS = ["claims"]
ERRORS = {400: ErrorOutput, 401: ErrorOutput, 403: ErrorOutput, 404: ErrorOutput, 409: ErrorOutput}


class ClaimPhotoOutput(serializers.ModelSerializer):  # type: ignore[type-arg]
    url = serializers.SerializerMethodField()

    class Meta:
        model = ClaimPhoto
        fields = ["id", "original_name", "content_type", "size_bytes", "url"]

    def get_url(self, photo: ClaimPhoto) -> str:
        return f"/orders/{photo.claim.order_id}/claims/{photo.claim_id}/photos/{photo.pk}/"


class ClaimEventOutput(serializers.ModelSerializer):  # type: ignore[type-arg]
    photos = ClaimPhotoOutput(many=True)

    class Meta:
        model = ClaimEvent
        fields = ["id", "kind", "role", "message", "from_status", "to_status", "created_at", "photos"]


class ClaimOutput(serializers.ModelSerializer):  # type: ignore[type-arg]
    order_id = serializers.IntegerField()
    category = serializers.ChoiceField(choices=ClaimCategory.choices)
    category_label = serializers.CharField(source="get_category_display")
    status = serializers.ChoiceField(choices=ClaimStatus.choices)
    status_label = serializers.CharField(source="get_status_display")
    outcome = serializers.ChoiceField(choices=ClaimOutcome.choices)
    outcome_label = serializers.CharField(source="get_outcome_display")
    return_step = serializers.ChoiceField(
        choices=["", "buyer", "seller", "returned"],
        help_text="A full refund with return: who acts on the vehicle's return — the buyer returns it (by "
        "return_due_at), the seller confirms receipt (by receipt_due_at) — or returned; empty without a return",
    )
    events = ClaimEventOutput(many=True)

    class Meta:
        model = Claim
        fields = [
            "id",
            "order_id",
            "category",
            "category_label",
            "description",
            "status",
            "status_label",
            "opened_at",
            "due_at",
            "seller_due_at",
            "seller_answered_at",
            "decision_due_at",
            "outcome",
            "outcome_label",
            "decision_reason",
            "decided_at",
            "refunded",
            "return_step",
            "return_due_at",
            "return_sent_at",
            "return_note",
            "receipt_due_at",
            "returned_at",
            "events",
        ]


class ClaimEnvelope(serializers.Serializer):  # type: ignore[type-arg]
    message = serializers.CharField(required=False)
    data = ClaimOutput()  # type: ignore[assignment]  # the envelope key is "data"


class ClaimListEnvelope(serializers.Serializer):  # type: ignore[type-arg]
    data = ClaimOutput(many=True)  # type: ignore[assignment]  # the envelope key is "data"


class PhotoTokensInput(serializers.Serializer):  # type: ignore[type-arg]
    photo_tokens = serializers.ListField(
        child=serializers.CharField(max_length=2000), required=False, default=list, max_length=10,
        help_text="Tokens from POST /api/orders/<id>/claims/uploads, once each file is uploaded",
    )  # fmt: skip


def claim_for(claim_id: int, request: Request) -> Claim:
    claim = Claim.objects.select_related("order").prefetch_related("events__photos__claim").filter(pk=claim_id).first()
    if claim is None or role_of(claim.order, request.user) is None:
        raise NotFound("Claim not found.")
    return claim


class OrderClaimsApi(APIView):
    permission_classes = [IsAuthenticated]

    class Input(PhotoTokensInput):
        category = serializers.ChoiceField(choices=ClaimCategory.choices)
        description = serializers.CharField(min_length=20, max_length=4000)

    @extend_schema(
        summary="The order's claims with their messages and photos (buyer, seller, staff)",
        responses={200: ClaimListEnvelope, 401: ErrorOutput, 404: ErrorOutput},
        tags=TAGS,
    )
    def get(self, request: Request, order_id: int) -> Response:
        order = order_visible_to(order_id=order_id, user=request.user)
        return ok(ClaimOutput(selectors.claims_of(order), many=True).data)

    @extend_schema(
        summary="Buyer: open a claim — within 7 days of delivery for a vehicle not as described or damaged in "
        "transport (at least one photo), or once the promised title date passed. 409 claim_not_allowed (outside "
        "its window), claim_open (one is open already), claim_decided, claim_closed",
        request=Input,
        responses={201: ClaimEnvelope, **ERRORS},
        tags=TAGS,
    )
    def post(self, request: Request, order_id: int) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        claim = services.claim_open(
            actor=request.user, order_id=order_id, category=values["category"], description=values["description"],
            photo_tokens=values["photo_tokens"],
        )  # fmt: skip
        return ok(
            ClaimOutput(claim_for(claim.pk, request)).data,
            message="Claim opened; the seller has 2 business days to answer.",
            status_code=status.HTTP_201_CREATED,
        )


class ClaimUploadTicketApi(APIView):
    permission_classes = [IsAuthenticated]

    class Input(serializers.Serializer):  # type: ignore[type-arg]
        filename = serializers.CharField(max_length=255)
        content_type = serializers.ChoiceField(choices=["image/jpeg", "image/png", "application/pdf"])
        size = serializers.IntegerField(min_value=1)

    @extend_schema(
        summary="Buyer or seller: a presigned POST to upload one claim photo (JPEG, PNG or PDF) straight to storage",
        request=Input,
        responses={201: UploadTicketEnvelope, **ERRORS},
        tags=TAGS,
    )
    def post(self, request: Request, order_id: int) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        ticket = services.claim_upload_prepare(actor=request.user, order_id=order_id, **data.validated_data)
        return ok(ticket.as_dict(), status_code=status.HTTP_201_CREATED)


class ClaimDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="One claim with its messages, photos and decision (buyer, seller, staff)",
        responses={200: ClaimEnvelope, 401: ErrorOutput, 404: ErrorOutput},
        tags=TAGS,
    )
    def get(self, request: Request, claim_id: int) -> Response:
        return ok(ClaimOutput(claim_for(claim_id, request)).data)


class MessageInput(PhotoTokensInput):
    message = serializers.CharField(max_length=4000)


class ClaimAnswerApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Seller: answer the claim (text and photos) within 2 business days; it then goes to staff",
        request=MessageInput,
        responses={200: ClaimEnvelope, **ERRORS},
        tags=TAGS,
    )
    def post(self, request: Request, claim_id: int) -> Response:
        data = MessageInput(data=request.data)
        data.is_valid(raise_exception=True)
        values: dict[str, Any] = data.validated_data
        claim_for(claim_id, request)
        services.claim_answer(
            actor=request.user, claim_id=claim_id, message=values["message"], photo_tokens=values["photo_tokens"]
        )
        return ok(ClaimOutput(claim_for(claim_id, request)).data, message="Answer sent.")


class ClaimMessageApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Buyer or seller: add a message (and photos) to an open claim; the other side and staff are told",
        request=MessageInput,
        responses={201: ClaimEnvelope, **ERRORS},
        tags=TAGS,
    )
    def post(self, request: Request, claim_id: int) -> Response:
        data = MessageInput(data=request.data)
        data.is_valid(raise_exception=True)
        values: dict[str, Any] = data.validated_data
        claim_for(claim_id, request)
        services.claim_message(
            actor=request.user, claim_id=claim_id, message=values["message"], photo_tokens=values["photo_tokens"]
        )
        return ok(
            ClaimOutput(claim_for(claim_id, request)).data, message="Message sent.", status_code=status.HTTP_201_CREATED
        )


class ReturnInput(serializers.Serializer):  # type: ignore[type-arg]
    note = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")


def _return_step(request: Request, claim_id: int, step: Callable[..., Any], message: str) -> Response:
    """One step of a vehicle's return (`step`: the service), answered with the claim as the caller may see it."""
    data = ReturnInput(data=request.data)
    data.is_valid(raise_exception=True)
    claim_for(claim_id, request)
    step(actor=request.user, claim_id=claim_id, note=data.validated_data["note"])
    return ok(ClaimOutput(claim_for(claim_id, request)).data, message=message)


class ClaimReturnSentApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Buyer: after a full refund with return, the vehicle is on its way back (note: how); the seller "
        "confirms receipt within 2 business days. 409 claim_not_returning, return_sent, returned",
        request=ReturnInput,
        responses={200: ClaimEnvelope, **ERRORS},
        tags=TAGS,
    )
    def post(self, request: Request, claim_id: int) -> Response:
        return _return_step(request, claim_id, services.claim_return_sent, "The seller was told.")


class ClaimReturnReceivedApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Seller: the vehicle of a full refund with return is back; the claim closes. Once: a second "
        "confirmation gets 409 returned (also claim_not_returning)",
        request=ReturnInput,
        responses={200: ClaimEnvelope, **ERRORS},
        tags=TAGS,
    )
    def post(self, request: Request, claim_id: int) -> Response:
        return _return_step(request, claim_id, services.claim_return_received, "Return confirmed; the claim is closed.")
