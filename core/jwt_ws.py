"""WebSocket auth for API clients: `?token=<JWT access token>` when there is no session."""

from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser


@database_sync_to_async
def _user_from_token(raw: str) -> Any:
    from rest_framework_simplejwt.exceptions import TokenError
    from rest_framework_simplejwt.tokens import AccessToken

    try:
        token = AccessToken(raw)  # type: ignore[arg-type]
    except TokenError:
        return AnonymousUser()
    return get_user_model().objects.filter(pk=token.get("user_id"), is_active=True).first() or AnonymousUser()


class JwtQueryAuthMiddleware:
    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        user = scope.get("user")
        if user is None or not user.is_authenticated:
            token = parse_qs(scope.get("query_string", b"").decode()).get("token", [""])[0]
            if token:
                scope = {**scope, "user": await _user_from_token(token)}
        return await self.inner(scope, receive, send)
