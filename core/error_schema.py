"""The error body as an OpenAPI component, for `extend_schema(responses={400: ErrorOutput, ...})`.

Every API error is `{"error": "<message>", "code": "<reason>", "details": {...}}` (core/api.py)."""

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers


@extend_schema_serializer(component_name="Error")
class ErrorOutput(serializers.Serializer):  # type: ignore[type-arg]
    error = serializers.CharField(help_text="What went wrong, in words for a person")
    code = serializers.CharField(help_text="Machine-readable reason, e.g. unknown_zip, not_found, conflict")
    details = serializers.DictField(help_text="Per-field messages or extra facts; {} when there are none")
