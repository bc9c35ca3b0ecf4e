"""JSON API endpoints of the accounts domain."""

from typing import Any

from django.conf import settings
from django.db import IntegrityError
from django.utils.module_loading import import_string
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import exceptions, serializers, status
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer, TokenRefreshSerializer
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from accounts.login_guard import (
    LOCKED_MESSAGE,
    SLOWED_MESSAGE,
    Verdict,
    record_api_login,
    record_second_factor_failure,
    refusal,
)
from accounts.mfa import second_factor_passes
from accounts.services import user_register
from core.api import Pagination, error_body, ok
from core.error_schema import ErrorOutput
from core.errors import Conflict, NotFound


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

    @extend_schema_serializer(component_name="RegisterInput")
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
    code = serializers.CharField(
        required=False, allow_blank=True, write_only=True, help_text="TOTP or recovery code when 2FA is on"
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        code = str(attrs.pop("code", "") or "")
        request = self.context["request"]
        try:
            data: dict[str, Any] = dict(super().validate(attrs))
        except AuthenticationFailed:
            if getattr(request, "axes_locked_out", False):  # axes refused the try, or this failure filled a count
                raise LoginRefused(refusal(request)) from None
            raise
        if self.user is not None and not second_factor_passes(self.user, code):
            record_second_factor_failure(request, self.user.email)  # type: ignore[attr-defined]
            if getattr(request, "axes_locked_out", False):
                raise LoginRefused(refusal(request))
            raise AuthenticationFailed(
                "Two-factor code required." if not code else "Incorrect two-factor code.", code="mfa_required"
            )
        if self.user is not None and self.user.suspended_at is not None:  # type: ignore[attr-defined]
            data["suspended"] = True
        data["user"] = UserOutput(self.user).data
        record_api_login(request, self.user)
        return data


class LoginRefused(exceptions.Throttled):
    """A try the failed-login policy refused (accounts/login_guard.py): 429 with Retry-After, never a 401."""

    def __init__(self, verdict: Verdict) -> None:
        message = SLOWED_MESSAGE if verdict.code == "login_slowed" else LOCKED_MESSAGE
        super().__init__(wait=verdict.retry_after, detail=message, code=verdict.code)
        self.default_code = verdict.code


LoginOutput = inline_serializer(
    "LoginOutput",
    {
        "access": serializers.CharField(help_text="The access token (Bearer)"),
        "refresh": serializers.CharField(help_text="The refresh token, for POST /api/auth/refresh"),
        "user": UserOutput(),
        "suspended": serializers.BooleanField(required=False, help_text="Present (true) when the account is suspended"),
    },
)
TOKEN_REFUSED = {401: OpenApiResponse(ErrorOutput, description="Wrong credentials, or an invalid or expired token")}


class LoginApi(TokenObtainPairView):
    schema_conflicts = False  # core.schema: no state to conflict with
    serializer_class = LoginSerializer
    throttle_scope = "auth"

    @extend_schema(
        responses={200: LoginOutput, **TOKEN_REFUSED},
        summary="Exchange email and password for an access and a refresh token",
        tags=["auth"],
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().post(request, *args, **kwargs)


class RefreshApi(TokenRefreshView):
    schema_conflicts = False  # core.schema: no state to conflict with
    throttle_scope = "auth"

    @extend_schema(
        responses={200: TokenRefreshSerializer, **TOKEN_REFUSED},
        summary="Exchange a refresh token for a new access token (the old refresh is blacklisted)",
        tags=["auth"],
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().post(request, *args, **kwargs)


class LogoutApi(APIView):
    schema_conflicts = False  # core.schema: no state to conflict with
    permission_classes = [IsAuthenticated]

    @extend_schema_serializer(component_name="LogoutInput")
    class Input(serializers.Serializer):
        refresh = serializers.CharField()

    @extend_schema(
        request=Input,
        responses={
            200: inline_serializer(
                "LogoutOutput", {"message": serializers.CharField(), "data": serializers.JSONField()}
            )
        },
        summary="Blacklist the refresh token",
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            token = RefreshToken(data.validated_data["refresh"])
            if str(token.get("user_id")) != str(request.user.pk):
                return Response(
                    error_body("That refresh token belongs to another user.", code="invalid_token"),
                    status=status.HTTP_400_BAD_REQUEST,
                )
            token.blacklist()
        except TokenError as exc:
            return Response(
                error_body(f"Invalid refresh token: {exc}", code="invalid_token"), status=status.HTTP_400_BAD_REQUEST
            )
        return ok(None, message="Logged out.")


class WsTicketApi(APIView):
    schema_conflicts = False  # core.schema: no state to conflict with
    """`POST /api/ws-ticket`: a one-time ticket for one WebSocket handshake (`ws/...?ticket=<ticket>`), for
    clients that cannot send a Sec-WebSocket-Protocol header; see core/auth.py."""

    permission_classes = [IsAuthenticated]

    class Output(serializers.Serializer):
        ticket = serializers.CharField()
        expires_in = serializers.IntegerField(help_text="Seconds")

    @extend_schema(
        request=None,
        responses={
            201: inline_serializer("WsTicketAnswer", {"data": Output()}),
            401: OpenApiResponse(ErrorOutput, description="Not logged in"),
        },
        summary="A one-time WebSocket ticket (valid 30 s, used once): ws/auctions/<id>/?ticket=<ticket>",
        description="Or send the access token in the handshake: Sec-WebSocket-Protocol: bearer, <access token>.",
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        from core.auth import TICKET_SECONDS, ws_ticket_issue

        ticket = ws_ticket_issue(user=request.user)
        return ok({"ticket": ticket, "expires_in": TICKET_SECONDS}, status_code=status.HTTP_201_CREATED)


# --- users: profile, public profile, dashboard -------------------------------------------------------


class MissingStepOutput(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # the key "label"
    url = serializers.CharField(help_text="Where to do it, a site path")


class EligibilityOutput(serializers.Serializer):
    ok = serializers.BooleanField()
    message = serializers.CharField()
    missing = MissingStepOutput(many=True)


class CardOutput(serializers.Serializer):
    label = serializers.CharField()  # type: ignore[assignment]  # the key "label"
    brand = serializers.CharField()
    last4 = serializers.CharField()
    expiry = serializers.CharField()
    expired = serializers.BooleanField()


class SellerApplicationOutput(serializers.Serializer):
    status = serializers.CharField()
    business_name = serializers.CharField()
    rejection_reason = serializers.CharField()
    submitted_at = serializers.CharField()


def _eligibility(eligibility: Any) -> dict[str, Any]:
    return {
        "ok": eligibility.ok,
        "message": eligibility.message,
        "missing": [{"code": r.code, "label": r.label, "url": r.url} for r in eligibility.missing],
    }


class ProfileOutput(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    display_name = serializers.CharField()
    phone = serializers.CharField()
    address_line1 = serializers.CharField()
    address_line2 = serializers.CharField()
    city = serializers.CharField()
    state = serializers.CharField()
    postal_code = serializers.CharField()
    role = serializers.CharField()
    is_suspended = serializers.BooleanField()
    date_joined = serializers.DateTimeField()


def _profile_body(user: Any) -> dict[str, Any]:
    from accounts import selectors
    from accounts.models import CardOnFile

    card = CardOnFile.objects.filter(user=user).first()
    application = selectors.seller_application(user)
    return {
        **ProfileOutput(user).data,
        "email_verified": selectors.has_verified_email(user),
        "two_factor_enabled": selectors.has_two_factor(user),
        "identity_status": selectors.identity_status(user),
        "card": (
            {
                "label": card.label,
                "brand": card.brand,
                "last4": card.last4,
                "expiry": card.expiry,
                "expired": card.is_expired(),
            }
            if card
            else None
        ),
        "seller_application": (
            {
                "status": application.status,
                "business_name": application.business_name,
                "rejection_reason": application.rejection_reason,
                "submitted_at": application.submitted_at.isoformat(),
            }
            if application
            else None
        ),
        "bidding": _eligibility(selectors.bidding_eligibility(user)),
        "selling": _eligibility(selectors.selling_eligibility(user)),
    }


class ProfileBody(ProfileOutput):
    email_verified = serializers.BooleanField()
    two_factor_enabled = serializers.BooleanField()
    identity_status = serializers.CharField()
    card = CardOutput(allow_null=True, help_text="The card on file, or null")
    seller_application = SellerApplicationOutput(allow_null=True, help_text="The seller application, or null")
    bidding = EligibilityOutput()
    selling = EligibilityOutput()


PROFILE_RESPONSE = inline_serializer(
    "ProfileResponse", {"message": serializers.CharField(required=False), "data": ProfileBody()}
)


class PublicUserOutput(serializers.Serializer):
    id = serializers.IntegerField()
    display_name = serializers.CharField()
    member_since = serializers.DateField()
    is_seller = serializers.BooleanField()
    seller_business_name = serializers.CharField(allow_null=True)
    counts = serializers.DictField(child=serializers.IntegerField())


def _paged(name: str, item_setting: str) -> Any:
    """A page of the items another app provides; the app names their serializer in `item_setting`."""
    path = getattr(settings, item_setting, "")
    items = import_string(path)(many=True) if path else serializers.ListField(child=serializers.DictField())
    return inline_serializer(
        name,
        {
            "count": serializers.IntegerField(),
            "page": serializers.IntegerField(),
            "pages": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": items,
        },
    )


class ProfileApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema_serializer(component_name="ProfileUpdateInput")
    class Input(serializers.Serializer):
        first_name = serializers.CharField(required=False, allow_blank=True, max_length=80)
        last_name = serializers.CharField(required=False, allow_blank=True, max_length=80)
        phone = serializers.CharField(required=False, allow_blank=True, max_length=32)
        address_line1 = serializers.CharField(required=False, allow_blank=True, max_length=200)
        address_line2 = serializers.CharField(required=False, allow_blank=True, max_length=200)
        city = serializers.CharField(required=False, allow_blank=True, max_length=100)
        state = serializers.CharField(required=False, allow_blank=True, max_length=2)
        postal_code = serializers.CharField(required=False, allow_blank=True, max_length=10)

    @extend_schema(
        responses={200: PROFILE_RESPONSE},
        summary="My profile, verification status and what I still need before bidding",
        tags=["users"],
    )
    def get(self, request: Request) -> Response:
        return ok(_profile_body(request.user))

    @extend_schema(
        request=Input,
        responses={200: PROFILE_RESPONSE},
        summary="Update my name, phone and address (fields left out stay as they are)",
        tags=["users"],
    )
    def put(self, request: Request) -> Response:
        from accounts.services import user_profile_update

        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        user = user_profile_update(user=request.user, **data.validated_data)  # type: ignore[arg-type]
        return ok(_profile_body(user), message="Profile saved.")

    @extend_schema(request=Input, responses={200: PROFILE_RESPONSE}, summary="Same as PUT", tags=["users"])
    def patch(self, request: Request) -> Response:
        return self.put(request)


class PublicUserApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        responses={200: inline_serializer("PublicUserResponse", {"data": PublicUserOutput()})},
        summary="A member's public profile: display name, member since, seller business name and counts",
        tags=["users"],
    )
    def get(self, request: Request, user_id: int) -> Response:
        from accounts.dashboard import public_counts
        from accounts.models import SellerProfile, User

        user = User.objects.filter(pk=user_id, is_active=True).first()
        if user is None:
            raise NotFound("No such member.")
        business = (
            SellerProfile.objects.approved().filter(user=user).values_list("business_name", flat=True).first()
            if user.is_seller
            else None
        )
        return ok(
            {
                "id": user.pk,
                "display_name": user.display_name,
                "member_since": user.date_joined.date().isoformat(),
                "is_seller": user.is_seller,
                "seller_business_name": business,
                "counts": public_counts(user),
            }
        )


class DashboardApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={
            200: inline_serializer(
                "DashboardResponse",
                {
                    "data": inline_serializer(
                        "DashboardCounts", {"counts": serializers.DictField(child=serializers.IntegerField())}
                    )
                },
            )
        },
        summary="My counts: active bids, leading, won, watchlist, open orders, listings",
        tags=["users"],
    )
    def get(self, request: Request) -> Response:
        from accounts.dashboard import dashboard_counts

        return ok({"counts": dashboard_counts(request.user)})


class _ProvidedListApi(APIView):
    """A paginated list another app provides through a setting (see accounts/dashboard.py)."""

    permission_classes = [AllowAny]

    def items(self, user: Any, viewer: Any) -> list[dict[str, Any]]:
        raise NotImplementedError

    def get(self, request: Request, user_id: int) -> Response:
        from accounts.models import User

        user = User.objects.filter(pk=user_id, is_active=True).first()
        if user is None:
            raise NotFound("No such member.")
        paginator = Pagination()
        page = paginator.paginate_queryset(self.items(user, request.user), request, view=self)  # type: ignore[arg-type]
        return paginator.get_paginated_response(page)


@extend_schema_view(
    get=extend_schema(
        responses={200: _paged("UserAuctionsPage", "USER_AUCTIONS_ITEM_SCHEMA")},
        summary="A member's auctions (filled by the auctions app)",
        tags=["users"],
    )
)
class UserAuctionsApi(_ProvidedListApi):
    def items(self, user: Any, viewer: Any) -> list[dict[str, Any]]:
        from accounts.dashboard import user_auctions

        return user_auctions(user, viewer)


@extend_schema_view(
    get=extend_schema(
        responses={
            200: _paged("UserBidsPage", "USER_BIDS_ITEM_SCHEMA"),
            403: OpenApiResponse(ErrorOutput, description="Not the member or staff (private)"),
        },
        summary="A member's bids: for the member and staff (403 for anyone else: aliases stay anonymous)",
        tags=["users"],
    )
)
class UserBidsApi(_ProvidedListApi):
    def items(self, user: Any, viewer: Any) -> list[dict[str, Any]]:
        from accounts.dashboard import user_bids

        return user_bids(user, viewer)
