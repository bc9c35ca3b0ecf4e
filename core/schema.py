"""OpenAPI schema generation (drf-spectacular) fitted to our style of nested Input/Output serializers."""

from typing import Any

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema


class AutoSchema(SpectacularAutoSchema):
    def get_serializer_name(self, serializer: Any, direction: Any) -> str:
        """Serializers nested in a view (`AuctionListApi.Input`) are named after the view too
        (`AuctionListApiInput`); otherwise every `Input` would collapse into one component."""
        qualname = type(serializer).__qualname__
        if "." in qualname and "<locals>" not in qualname:
            return qualname.replace(".", "")
        return super().get_serializer_name(serializer, direction)


def drop_trailing_slash_twins(endpoints: list[tuple[Any, ...]], **kwargs: Any) -> list[tuple[Any, ...]]:
    """Preprocessing hook: a route also served with a trailing slash is documented once, without it."""
    paths = {(endpoint[0], endpoint[2]) for endpoint in endpoints}
    return [
        endpoint
        for endpoint in endpoints
        if not (endpoint[0].endswith("/") and (endpoint[0].rstrip("/"), endpoint[2]) in paths)
    ]


class FastJWTScheme(SimpleJWTScheme):
    """core.auth.FastJWTAuthentication is simplejwt's Bearer scheme (the same `jwtAuth` in the schema)."""

    target_class = "core.auth.FastJWTAuthentication"
