"""API authentication: simplejwt's JWTAuthentication, with the user read by a pre-composed query.

Every API request with a Bearer token loads its user; the ORM spent longer composing that one-row
SELECT than the database spent answering it. Same rules as simplejwt (user must exist and be active,
and a changed password revokes tokens when CHECK_REVOKE_TOKEN is on)."""

from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils.translation import gettext as _
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token
from rest_framework_simplejwt.utils import get_md5_hash_password

from core.sql import row_by_sql


def check_user(user: Any, validated_token: Token) -> None:
    """simplejwt's rules for the token's user: it exists, is active, and (when CHECK_REVOKE_TOKEN is on) the
    password has not changed since the token was issued. Raises AuthenticationFailed. Shared with the HTTP
    bid lane, which loads a batch's users at once."""
    if user is None:
        raise AuthenticationFailed(_("User not found"), code="user_not_found")
    if api_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
        raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
    if api_settings.CHECK_REVOKE_TOKEN and validated_token.get(
        api_settings.REVOKE_TOKEN_CLAIM
    ) != get_md5_hash_password(user.password):
        raise AuthenticationFailed(_("The user's password has been changed."), code="password_changed")


class FastJWTAuthentication(JWTAuthentication):
    def get_user(self, validated_token: Token) -> Any:
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError as exc:
            raise InvalidToken(_("Token contained no recognizable user identification")) from exc
        model = get_user_model()
        sql = row_by_sql(model, api_settings.USER_ID_FIELD, vendor=connection.vendor)
        user = next(iter(model.objects.raw(sql, [user_id])), None)
        check_user(user, validated_token)
        return user
