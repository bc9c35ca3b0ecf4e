"""JSON API endpoints of the accounts domain."""

from typing import Any

from django.db import IntegrityError
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from accounts.services import user_register
from core.api import error_body, ok
from core.errors import Conflict


class UserOutput(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    role = serializers.CharField()
    is_staff = serializers.BooleanField()


def _tokens_for(user: Any) -> dict[str, str]:
    refresh = RefreshToken.for_user(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


class RegisterApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    throttle_scope = "auth"

    class Input(serializers.Serializer):
        email = serializers.EmailField()
        password = serializers.CharField(write_only=True, trim_whitespace=False)
        first_name = serializers.CharField(required=False, allow_blank=True, max_length=80, default="")
        last_name = serializers.CharField(required=False, allow_blank=True, max_length=80, default="")

    @extend_schema(
        request=Input,
        responses={
            201: inline_serializer("RegisterOutput", {"message": serializers.CharField(), "data": UserOutput()})
        },
        summary="Create an account; a verification link is emailed. Bidding needs a verified email.",
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            user = user_register(**data.validated_data, request=request._request)
        except IntegrityError as exc:  # two registrations racing for one email
            raise Conflict("An account with this email already exists.") from exc
        body = {**UserOutput(user).data, "tokens": _tokens_for(user)}
        return ok(body, message="Account created. Check your email to verify your address.", status_code=201)


class LoginSerializer(TokenObtainPairSerializer):
    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        data: dict[str, Any] = dict(super().validate(attrs))
        if self.user is not None and self.user.suspended_at is not None:  # type: ignore[attr-defined]
            data["suspended"] = True
        data["user"] = UserOutput(self.user).data
        return data


class LoginApi(TokenObtainPairView):
    serializer_class = LoginSerializer
    throttle_scope = "auth"

    @extend_schema(summary="Exchange email and password for an access and a refresh token", tags=["auth"])
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().post(request, *args, **kwargs)


class RefreshApi(TokenRefreshView):
    throttle_scope = "auth"

    @extend_schema(
        summary="Exchange a refresh token for a new access token (the old refresh is blacklisted)", tags=["auth"]
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().post(request, *args, **kwargs)


class LogoutApi(APIView):
    permission_classes = [IsAuthenticated]

    class Input(serializers.Serializer):
        refresh = serializers.CharField()

    @extend_schema(request=Input, summary="Blacklist the refresh token", tags=["auth"])
    def post(self, request: Request) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            token = RefreshToken(data.validated_data["refresh"])
            if str(token.get("user_id")) != str(request.user.pk):
                return Response(
                    error_body("That refresh token belongs to another user."), status=status.HTTP_400_BAD_REQUEST
                )
            token.blacklist()
        except TokenError as exc:
            return Response(error_body(f"Invalid refresh token: {exc}"), status=status.HTTP_400_BAD_REQUEST)
        return ok(None, message="Logged out.")
