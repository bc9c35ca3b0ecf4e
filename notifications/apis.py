"""JSON API endpoints of the notifications domain."""

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import Pagination, ok
from notifications.kinds import KINDS
from notifications.selectors import notifications_for, preferences_for, unread_count
from notifications.services import notification_mark_read, notifications_mark_all_read, preferences_update

TAGS = ["notifications"]


class NotificationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    title = serializers.CharField()
    body = serializers.CharField()
    url = serializers.CharField()
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)
    is_read = serializers.BooleanField()


class NotificationListApi(APIView):
    permission_classes = [IsAuthenticated]

    class Pagination(Pagination):
        page_size = 20

    @extend_schema(
        parameters=[
            OpenApiParameter("unread", bool, description="only unread notifications"),
            OpenApiParameter("page", int),
            OpenApiParameter("page_size", int, description="1-100, default 20"),
        ],
        responses={
            200: inline_serializer(
                "NotificationPage",
                {
                    "count": serializers.IntegerField(),
                    "page": serializers.IntegerField(),
                    "pages": serializers.IntegerField(),
                    "next": serializers.URLField(allow_null=True),
                    "previous": serializers.URLField(allow_null=True),
                    "unread_count": serializers.IntegerField(),
                    "results": NotificationOutput(many=True),
                },
            )
        },
        summary="Your notifications, newest first, with the unread count",
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        unread_only = str(request.query_params.get("unread", "")).lower() in ("1", "true", "yes")
        paginator = self.Pagination()
        page = paginator.paginate_queryset(
            notifications_for(user=request.user, unread_only=unread_only), request, view=self
        )
        response = paginator.get_paginated_response(NotificationOutput(page, many=True).data)
        response.data["unread_count"] = unread_count(user=request.user)
        return response


class NotificationReadApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={
            200: inline_serializer(
                "NotificationReadOutput",
                {
                    "message": serializers.CharField(),
                    "data": inline_serializer(
                        "NotificationReadData",
                        {"notification": NotificationOutput(), "unread_count": serializers.IntegerField()},
                    ),
                },
            )
        },
        summary="Mark one of your notifications read (idempotent)",
        tags=TAGS,
    )
    def post(self, request: Request, notification_id: int) -> Response:
        notification = notification_mark_read(user=request.user, notification_id=notification_id)
        data = {"notification": NotificationOutput(notification).data, "unread_count": unread_count(user=request.user)}
        return ok(data, message="Marked as read.")


class NotificationReadAllApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={
            200: inline_serializer(
                "NotificationReadAllOutput",
                {
                    "message": serializers.CharField(),
                    "data": inline_serializer(
                        "NotificationReadAllData",
                        {"marked": serializers.IntegerField(), "unread_count": serializers.IntegerField()},
                    ),
                },
            )
        },
        summary="Mark all your notifications read",
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        marked = notifications_mark_all_read(user=request.user)
        return ok({"marked": marked, "unread_count": unread_count(user=request.user)}, message="All caught up.")


class PreferenceOutput(serializers.Serializer):
    kind = serializers.CharField()
    category = serializers.CharField()
    in_app = serializers.BooleanField()
    email = serializers.BooleanField()
    locked = serializers.BooleanField()


def _preference_rows(user: Any) -> list[dict[str, Any]]:
    return [
        {
            "kind": row.kind.name,
            "category": group.category,
            "in_app": row.in_app,
            "email": row.email,
            "locked": row.locked,
        }
        for group in preferences_for(user=user)
        for row in group.rows
    ]


class NotificationPreferencesApi(APIView):
    permission_classes = [IsAuthenticated]

    class Input(serializers.Serializer):
        class Choice(serializers.Serializer):
            in_app = serializers.BooleanField(required=False)
            email = serializers.BooleanField(required=False)

        preferences = serializers.DictField(child=Choice(), help_text='{"outbid": {"email": false}, ...}')

        def validate_preferences(self, value: dict[str, Any]) -> dict[str, Any]:
            unknown = sorted(set(value) - set(KINDS))
            if unknown:
                raise serializers.ValidationError(f"Unknown kinds: {', '.join(unknown)}")
            locked = sorted(k for k in value if not KINDS[k].optional and self._changes_default(k, value[k]))
            if locked:
                raise serializers.ValidationError(f"These notifications cannot be turned off: {', '.join(locked)}")
            return value

        @staticmethod
        def _changes_default(kind_name: str, choice: dict[str, bool]) -> bool:
            kind = KINDS[kind_name]
            return any(
                choice.get(channel, kind.default_for(channel)) != kind.default_for(channel) for channel in choice
            )

    @extend_schema(
        responses={200: inline_serializer("PreferencesOutput", {"data": PreferenceOutput(many=True)})},
        summary="Your notification preferences per kind (locked kinds cannot be turned off)",
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        return ok(_preference_rows(request.user))

    @extend_schema(
        request=Input,
        responses={
            200: inline_serializer(
                "PreferencesUpdateOutput", {"message": serializers.CharField(), "data": PreferenceOutput(many=True)}
            )
        },
        summary="Turn channels on or off per kind",
        tags=TAGS,
    )
    def put(self, request: Request) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        preferences_update(user=request.user, choices=data.validated_data["preferences"])
        return ok(_preference_rows(request.user), message="Preferences saved.")
