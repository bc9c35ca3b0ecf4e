"""Photos and documents: upload tickets (presigned POST), attach after upload, reorder, delete."""

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_serializer, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import ok
from core.response_schema import enveloped
from vehicles import services
from vehicles.apis.output import DocumentOutput, PhotoOutput
from vehicles.models import VehicleDocument, VehiclePhoto
from vehicles.selectors import vehicle_visible_to

TicketOutput = inline_serializer(
    "UploadTicket",
    {
        "url": serializers.CharField(help_text="POST the form here: every field below, then the file as `file`"),
        "fields": serializers.DictField(child=serializers.CharField()),
        "key": serializers.CharField(),
        "max_bytes": serializers.IntegerField(),
        "token": serializers.CharField(help_text="hand back to the attach endpoint once uploaded"),
    },
)


class UploadTicketApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema_serializer(component_name="UploadTicketInput")
    class Input(serializers.Serializer):
        kind = serializers.ChoiceField(choices=["photo", "document"])
        filename = serializers.CharField(max_length=255)
        content_type = serializers.CharField(max_length=100)
        size = serializers.IntegerField(min_value=0)

    @extend_schema(
        request=Input,
        responses={201: enveloped(TicketOutput, name="VehicleUploadTicketEnvelope")},
        summary="Get a presigned POST to upload one photo or document straight to storage",
        tags=["vehicle files"],
    )
    def post(self, request: Request, vehicle_id: int) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        ticket = services.upload_prepare(actor=request.user, vehicle_id=vehicle_id, **data.validated_data)
        return ok(ticket.as_dict(), status_code=status.HTTP_201_CREATED)


class PhotoListApi(APIView):
    def get_permissions(self) -> list[Any]:
        return [AllowAny()] if self.request.method == "GET" else [IsAuthenticated()]

    @extend_schema_serializer(component_name="PhotoAttachInput")
    class Input(serializers.Serializer):
        upload_token = serializers.CharField()

    @extend_schema(
        responses=enveloped(PhotoOutput, many=True), summary="The vehicle's photos in order", tags=["vehicle files"]
    )
    def get(self, request: Request, vehicle_id: int) -> Response:
        vehicle = vehicle_visible_to(vehicle_id=vehicle_id, user=request.user)
        return ok(PhotoOutput(VehiclePhoto.objects.filter(vehicle=vehicle), many=True).data)

    @extend_schema(
        request=Input,
        responses={201: enveloped(PhotoOutput)},
        summary="Attach an uploaded photo after verifying it (real JPEG/PNG/WebP, size, dimensions)",
        tags=["vehicle files"],
    )
    def post(self, request: Request, vehicle_id: int) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        photo = services.photo_attach(
            actor=request.user, vehicle_id=vehicle_id, upload_token=data.validated_data["upload_token"]
        )
        return ok(PhotoOutput(photo).data, message="Photo added.", status_code=status.HTTP_201_CREATED)


class PhotoOrderApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema_serializer(component_name="PhotoOrderInput")
    class Input(serializers.Serializer):
        photo_ids = serializers.ListField(child=serializers.IntegerField(), allow_empty=False)

    @extend_schema(
        request=Input,
        responses=enveloped(PhotoOutput, many=True),
        summary="Reorder the gallery (every photo id once); the first photo becomes the primary photo",
        tags=["vehicle files"],
    )
    def put(self, request: Request, vehicle_id: int) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        photos = services.photos_reorder(
            actor=request.user, vehicle_id=vehicle_id, photo_ids=data.validated_data["photo_ids"]
        )
        return ok(PhotoOutput(photos, many=True).data, message="Order saved.")


class PhotoDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={204: None}, summary="Remove a photo", tags=["vehicle files"])
    def delete(self, request: Request, vehicle_id: int, photo_id: int) -> Response:
        services.photo_delete(actor=request.user, vehicle_id=vehicle_id, photo_id=photo_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DocumentListApi(APIView):
    def get_permissions(self) -> list[Any]:
        return [AllowAny()] if self.request.method == "GET" else [IsAuthenticated()]

    @extend_schema_serializer(component_name="DocumentAttachInput")
    class Input(serializers.Serializer):
        upload_token = serializers.CharField()
        kind = serializers.ChoiceField(choices=VehicleDocument.Kind.choices)
        is_public = serializers.BooleanField(default=False)

    @extend_schema(
        responses=enveloped(DocumentOutput, many=True), summary="Documents you may read", tags=["vehicle files"]
    )
    def get(self, request: Request, vehicle_id: int) -> Response:
        from vehicles.selectors import documents_for

        vehicle = vehicle_visible_to(vehicle_id=vehicle_id, user=request.user)
        return ok(DocumentOutput(documents_for(request.user, vehicle), many=True).data)

    @extend_schema(
        request=Input,
        responses={201: enveloped(DocumentOutput)},
        summary="Attach an uploaded document (PDF, JPEG or PNG); private unless is_public",
        tags=["vehicle files"],
    )
    def post(self, request: Request, vehicle_id: int) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        document = services.document_attach(actor=request.user, vehicle_id=vehicle_id, **data.validated_data)
        return ok(DocumentOutput(document).data, message="Document added.", status_code=status.HTTP_201_CREATED)


class DocumentDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={204: None}, summary="Remove a document", tags=["vehicle files"])
    def delete(self, request: Request, vehicle_id: int, document_id: int) -> Response:
        services.document_delete(actor=request.user, vehicle_id=vehicle_id, document_id=document_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
