"""API authentication: simplejwt's JWTAuthentication, with validated access tokens remembered and the user
read by a pre-composed query.

Every API request with a Bearer token loads its user; the ORM spent longer composing that one-row
SELECT than the database spent answering it. Same rules as simplejwt (user must exist and be active,
and a changed password revokes tokens when CHECK_REVOKE_TOKEN is on).

performance: checking a token's signature and claims was ~18% of a daphne's time on a hot lot over
HTTP. An access token's validity depends only on its bytes, the signing key and the clock (access tokens
have no blacklist; the user is still loaded and checked on every request), so a token that passed is
remembered, per process, until its `exp`."""

import time
from typing import Any, NamedTuple

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils.translation import gettext as _
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token
from rest_framework_simplejwt.utils import get_md5_hash_password

from core.sql import row_by_sql, row_instance


class AuthColumns(NamedTuple):
    """The columns of a user that `check_user` reads: for a caller that reads them with its own SQL (the bid
    batch checks the HTTP bid lane's users under the auction lock, in the statement it runs anyway)."""

    is_active: bool
    password: str


def check_user(user: Any, validated_token: Token) -> None:
    """simplejwt's rules for the token's user: it exists, is active, and (when CHECK_REVOKE_TOKEN is on) the
    password has not changed since the token was issued. Raises AuthenticationFailed. `user` may be a User or
    an AuthColumns."""
    if user is None:
        raise AuthenticationFailed(_("User not found"), code="user_not_found")
    if api_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
        raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
    if api_settings.CHECK_REVOKE_TOKEN and validated_token.get(
        api_settings.REVOKE_TOKEN_CLAIM
    ) != get_md5_hash_password(user.password):
        raise AuthenticationFailed(_("The user's password has been changed."), code="password_changed")


def passes_user_checks(user: Any, validated_token: Token) -> bool:
    """`check_user` as a yes or no."""
    try:
        check_user(user, validated_token)
    except AuthenticationFailed:
        return False
    return True


VALIDATED_TOKENS_KEPT = 10_000  # per process; the memo starts over when full
_validated: dict[bytes, tuple[float, Token]] = {}


class FastJWTAuthentication(JWTAuthentication):
    def get_validated_token(self, raw_token: bytes) -> Token:
        """simplejwt's validation, once per token and process; a remembered token is used until its `exp`
        (simplejwt would accept it a leeway longer; past `exp` it is validated again, and refused)."""
        known = _validated.get(raw_token)
        if known is not None and time.time() < known[0]:
            return known[1]
        token = super().get_validated_token(raw_token)
        expires = token.get("exp")
        if isinstance(expires, int | float):
            if len(_validated) >= VALIDATED_TOKENS_KEPT:
                _validated.clear()
            _validated[raw_token] = (float(expires), token)
        return token

    def get_user(self, validated_token: Token) -> Any:
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError as exc:
            raise InvalidToken(_("Token contained no recognizable user identification")) from exc
        model = get_user_model()
        sql = row_by_sql(model, api_settings.USER_ID_FIELD, vendor=connection.vendor)
        user = row_instance(model, sql, [user_id])
        check_user(user, validated_token)
        return user
