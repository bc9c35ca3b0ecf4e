"""OpenAPI schema generation (drf-spectacular) fitted to our style of nested Input/Output serializers, and
documenting, on every operation, the error answers it can give (the Error body, core/error_schema.py).

Which errors an operation documents (`AutoSchema.error_statuses`), unless its `extend_schema` says otherwise:
400 when it takes a body or query parameters; 401 when it authenticates (a missing, expired or forged token is
refused on every such route, even a public one); 403 unless anyone may call it; 404 when its path names an
object or it takes a page number; 409 on writes (a state that does not allow it now), unless the view sets
`schema_conflicts = False` (a write that changes no object's state: logging in, decoding a VIN); 429 when it is
throttled; 503 always (the database or a vendor briefly unavailable). 429 and 503 carry `Retry-After`.
"""

from typing import Any

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework.permissions import AllowAny, IsAuthenticatedOrReadOnly

from core.error_schema import ErrorOutput

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
ERROR_DESCRIPTIONS = {
    400: "Invalid input: the body or a query parameter outside its grammar (details per field)",
    401: "Not logged in, or the token is missing, expired or invalid",
    403: "Logged in, but not allowed to do this",
    404: "No such object, or not one you may see",
    409: "The object's state does not allow this now (e.g. already sold, already paid, bidding closed)",
    429: "Too many requests: wait Retry-After seconds",
    503: "Briefly unavailable (the database or a vendor): try again after Retry-After seconds",
}
RETRY_AFTER = {
    "schema": {"type": "integer", "minimum": 0},
    "description": "Seconds to wait before trying again",
}


class AutoSchema(SpectacularAutoSchema):
    def error_statuses(self) -> list[int]:
        """The error statuses this operation can answer with (see the module's docstring)."""
        statuses = [503]
        if self.view.get_authenticators():
            statuses.append(401)
        if self.view.get_throttles():
            statuses.append(429)
        takes_input = self.method in WRITE_METHODS or any(
            parameter.get("in") == "query" for parameter in self._get_parameters()
        )
        if takes_input:
            statuses.append(400)
        reading = self.method in ("GET", "HEAD", "OPTIONS")
        anyone = all(
            isinstance(permission, AllowAny) or (reading and isinstance(permission, IsAuthenticatedOrReadOnly))
            for permission in self.view.get_permissions()
        )
        if not anyone:
            statuses.append(403)
        paged = any(parameter.get("name") == "page" for parameter in self._get_parameters())
        if "{" in self.path or paged:  # a page past the last (or `page=0`) is a 404 too
            statuses.append(404)
        if self.method in WRITE_METHODS and getattr(self.view, "schema_conflicts", True):
            statuses.append(409)
        return sorted(statuses)

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for status in self.error_statuses():
            if str(status) not in responses:
                error = OpenApiResponse(ErrorOutput, description=ERROR_DESCRIPTIONS[status])
                responses[str(status)] = self._get_response_for_code(error, str(status), direction=direction)
        return dict(sorted(responses.items()))

    def _get_response_headers_for_code(self, status_code: Any, direction: Any = "response") -> dict[str, Any]:
        headers: dict[str, Any] = super()._get_response_headers_for_code(status_code, direction)
        if str(status_code) in ("429", "503"):
            headers.setdefault("Retry-After", RETRY_AFTER)
        return headers

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
