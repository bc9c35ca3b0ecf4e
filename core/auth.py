"""Authentication for API clients, one implementation for HTTP and WebSocket: simplejwt's validation of an
access token and its rules for the token's user (exists, is active, password unchanged: CHECK_REVOKE_TOKEN).
HTTP: `Authorization: Bearer <access token>` (`FastJWTAuthentication`). WebSocket (`WebSocketAuthMiddleware`):
the browser's session cookie; API clients send `Sec-WebSocket-Protocol: bearer, <access token>` (answered
`bearer`) or a one-time ticket, `?ticket=`, from `POST /api/ws-ticket`. Never a token in a query string.

performance: a token's validity depends only on its bytes, the key and the clock, so one that passed is
remembered per process until its `exp` (its signature check was ~18% of a server's time on a hot lot); the
user is still read, by a pre-composed query, on every request."""

import secrets
import time
from typing import Any, NamedTuple
from urllib.parse import parse_qs

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.utils.translation import gettext as _
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token
from rest_framework_simplejwt.utils import get_md5_hash_password

from core.sql import row_by_sql, row_instance

WS_PROTOCOL = "bearer"  # Sec-WebSocket-Protocol: bearer, <access token>
TICKET_SECONDS = 30


class AccountRule(NamedTuple):
    """What an access token asks of its user's row, as plain values (for a caller that reads the row with its
    own SQL: the bid batch, under the auction's lock, in the statement it runs anyway)."""

    user_id: Any
    password_stamp: str | None  # the token's revocation claim (CHECK_REVOKE_TOKEN), or None


def account_rule(validated_token: Token) -> AccountRule:
    return AccountRule(
        validated_token.get(api_settings.USER_ID_CLAIM), validated_token.get(api_settings.REVOKE_TOKEN_CLAIM)
    )


def account_refusal(is_active: bool | None, password: str | None, stamp: str | None) -> AuthenticationFailed | None:
    """simplejwt's rules for a token's user, on plain values (None for a user that does not exist): it exists,
    is active, and (when CHECK_REVOKE_TOKEN is on) its password is the one the token was issued under. The
    refusal (a 401), or None."""
    if is_active is None or password is None:
        return AuthenticationFailed(_("User not found"), code="user_not_found")
    if api_settings.CHECK_USER_IS_ACTIVE and not is_active:
        return AuthenticationFailed(_("User is inactive"), code="user_inactive")
    if api_settings.CHECK_REVOKE_TOKEN and stamp != get_md5_hash_password(password):
        return AuthenticationFailed(_("The user's password has been changed."), code="password_changed")
    return None


def check_user(user: Any, validated_token: Token) -> None:
    """`account_refusal` for a user object (or None). Raises AuthenticationFailed."""
    refusal = account_refusal(
        getattr(user, "is_active", None),
        getattr(user, "password", None),
        validated_token.get(api_settings.REVOKE_TOKEN_CLAIM),
    )
    if refusal is not None:
        raise refusal


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
        try:
            user = row_instance(model, sql, [user_id])
        except (TypeError, ValueError) as exc:  # a claim that cannot be a key of the user table
            raise InvalidToken(_("Token contained no recognizable user identification")) from exc
        check_user(user, validated_token)
        return user


_authentication = FastJWTAuthentication()  # keeps no per-request state


def validated_token(raw: str | bytes) -> Token | None:
    """The access token, validated as the API validates it (signature, expiry, type; remembered until `exp`),
    or None. Its user is checked by `check_user` / `account_refusal`."""
    try:
        return _authentication.get_validated_token(raw.encode() if isinstance(raw, str) else raw)
    except (InvalidToken, TokenError):
        return None


def user_for_token(raw: str | bytes) -> Any:
    """The user of a valid access token, by exactly the API's rules, or AnonymousUser (sync: reads the user)."""
    token = validated_token(raw)
    try:
        return _authentication.get_user(token) if token is not None else AnonymousUser()
    except (InvalidToken, AuthenticationFailed):
        return AnonymousUser()


def _ticket_key(ticket: str) -> str:
    from core.shared_redis import redis_key

    return redis_key(f"ws-ticket:{ticket}")


def ws_ticket_issue(*, user: Any) -> str:
    """A one-time ticket that authenticates one WebSocket handshake as `user` within TICKET_SECONDS (kept in
    Redis; in the process's cache where there is none, `make run`)."""
    from django.core.cache import cache

    from core.shared_redis import shared_redis

    ticket = secrets.token_urlsafe(32)
    client = shared_redis()
    if client is not None:
        client.set(_ticket_key(ticket), int(user.pk), ex=TICKET_SECONDS)
    else:
        cache.set(_ticket_key(ticket), int(user.pk), TICKET_SECONDS)
    return ticket


def ws_ticket_redeem(ticket: str) -> Any:
    """The ticket's user, once (read and deleted in one step), or AnonymousUser. The user must still pass the
    API's rules (exists, is active)."""
    from django.core.cache import cache

    from core.shared_redis import shared_redis

    if not ticket or len(ticket) > 100:
        return AnonymousUser()
    client = shared_redis()
    if client is not None:
        user_id = client.getdel(_ticket_key(ticket))
    else:
        user_id = cache.get(_ticket_key(ticket))
        cache.delete(_ticket_key(ticket))
    if user_id is None:
        return AnonymousUser()
    user = get_user_model().objects.filter(pk=int(user_id)).first()
    if user is None or (api_settings.CHECK_USER_IS_ACTIVE and not user.is_active):
        return AnonymousUser()
    return user


class WebSocketAuthMiddleware:
    """The API clients' WebSocket authentication, inside Channels' AuthMiddlewareStack (which has set the
    session's user): a bearer token in Sec-WebSocket-Protocol, or a one-time ticket. The server's accept
    answers the `bearer` protocol the client offered (a client that offers protocols requires one back)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        from channels.db import database_sync_to_async

        offered = [str(protocol) for protocol in scope.get("subprotocols") or []]  # Sec-WebSocket-Protocol
        user = scope.get("user")
        if user is None or not user.is_authenticated:
            if len(offered) >= 2 and offered[0] == WS_PROTOCOL:
                scope = {**scope, "user": await database_sync_to_async(user_for_token)(offered[1])}
            elif ticket := parse_qs(scope.get("query_string", b"").decode("latin-1")).get("ticket", [""])[0]:
                scope = {**scope, "user": await database_sync_to_async(ws_ticket_redeem)(ticket)}
        if WS_PROTOCOL not in offered:
            return await self.inner(scope, receive, send)

        async def answering(message: dict[str, Any]) -> None:
            if message.get("type") == "websocket.accept" and not message.get("subprotocol"):
                message = {**message, "subprotocol": WS_PROTOCOL}
            await send(message)

        return await self.inner(scope, receive, answering)


def session_auth_middleware(inner: Any) -> Any:
    """Channels' AuthMiddlewareStack (cookies, session, the session's user), without its trip to the database
    thread for a socket that has no session cookie: that socket's user is anonymous, and a room's watchers
    mostly are (a thousand joining together queued behind each other on that thread for nothing)."""
    from channels.auth import AuthMiddleware
    from channels.sessions import SessionMiddlewareStack

    class SessionAuthMiddleware(AuthMiddleware):
        async def resolve_scope(self, scope: dict[str, Any]) -> None:
            if scope["session"].session_key is None:
                scope["user"]._wrapped = AnonymousUser()
                return
            await super().resolve_scope(scope)

    return SessionMiddlewareStack(SessionAuthMiddleware(inner))
