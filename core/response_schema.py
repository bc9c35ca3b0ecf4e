"""The success bodies as OpenAPI components: one rule for wrapping, so the schema says what the API sends.

The rule (docs/api.md): a list that can grow is the page object of core.api.Pagination
(`{"count", "page", "pages", "next", "previous", "results": [...]}`); every other success body is the envelope of
core.api.ok(), `{"data": <object or short list>, "message"?: "<for a person>"}`; 204 has no body. Documented
exceptions, kept because clients read them bare: `GET /api/orders/<id>` and the payment answers
(orders/answers.py), and the file downloads.

`enveloped(Output)` and `paginated(Output)` give `extend_schema(responses=...)` the matching component.
"""

from functools import cache
from typing import Any

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers


def _name(output: Any) -> str:
    cls = output if isinstance(output, type) else type(output)
    return cls.__qualname__.replace(".", "")


@cache
def enveloped(output: Any, *, many: bool = False, name: str | None = None) -> serializers.Serializer:  # type: ignore[type-arg]
    """The body of core.api.ok(data=Output(...).data): `{"data": {...}, "message"?: "..."}`
    (`many`: data is a list of Output, a short list that is not paginated)."""
    if isinstance(output, serializers.BaseSerializer):  # an inline_serializer(...) instance
        data, output_name = output, type(output).__name__
    else:
        data, output_name = (output(many=True) if many else output()), _name(output)
    return inline_serializer(
        name or f"{output_name}{'List' if many else ''}Envelope",
        {
            "data": data,
            "message": serializers.CharField(
                required=False, help_text="What happened, for a person (on writes and actions)"
            ),
        },
    )


@cache
def paginated(output: Any, *, name: str | None = None) -> serializers.Serializer:  # type: ignore[type-arg]
    """A page of Output from core.api.Pagination, for views that paginate by hand (APIView)."""
    return inline_serializer(
        name or f"{_name(output)}Page",
        {
            "count": serializers.IntegerField(help_text="How many match, over all pages"),
            "page": serializers.IntegerField(help_text="This page's number, from 1"),
            "pages": serializers.IntegerField(help_text="How many pages"),
            "next": serializers.URLField(allow_null=True, help_text="The next page's URL; null on the last"),
            "previous": serializers.URLField(allow_null=True, help_text="The previous page's URL; null on the first"),
            "results": output(many=True),
        },
    )
