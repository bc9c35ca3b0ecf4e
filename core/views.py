from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django_prometheus.exports import ExportToDjangoView
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, authentication_classes, permission_classes, throttle_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import SERVER_ERROR, error_body
from core.health import health_report

_CHECK = inline_serializer(
    "HealthCheck",
    {
        "ok": serializers.BooleanField(),
        "detail": serializers.CharField(help_text="What answered, or the error"),
        "ms": serializers.FloatField(help_text="How long the probe took"),
    },
)
HEALTH = inline_serializer(
    "Health",
    {
        "status": serializers.ChoiceField(choices=["ok", "degraded"]),
        "checks": inline_serializer(
            "HealthChecks",
            dict.fromkeys(("database", "cache", "channel_layer", "broker"), _CHECK),
        ),
    },
)


@extend_schema(
    summary="Service health: database, cache, channel layer and broker",
    responses={200: HEALTH, 503: HEALTH},
    tags=["health"],
)
@api_view(["GET"])
@authentication_classes([])
@permission_classes([AllowAny])
@throttle_classes([])
def health(request: Request) -> Response:
    report = health_report()
    return Response(report, status=200 if report["status"] == "ok" else 503)


def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics: open in development, staff or `Authorization: Bearer <METRICS_TOKEN>` in production."""
    token = settings.METRICS_TOKEN
    bearer = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    allowed = (
        settings.METRICS_PUBLIC
        or (token and bearer == token)
        or (request.user.is_authenticated and request.user.is_staff)
    )
    if not allowed:
        return JsonResponse(
            error_body("Metrics are for staff or a metrics token.", code="permission_denied"), status=403
        )
    return ExportToDjangoView(request)


def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers and crawlers ask for without reading a page: the static icon (the pages
    link it from base.html). Temporary, so a renamed static file never sticks in a browser's cache."""
    response = redirect(static("favicon.ico"))
    response["Cache-Control"] = "public, max-age=86400"
    return response


def home(request: HttpRequest) -> HttpResponse:
    context: dict[str, Any] = {}
    return render(request, "home.html", context)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("Not found.", code="not_found"), status=404)
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(error_body(SERVER_ERROR, code="server_error"), status=500)
    return render(request, "500.html", status=500)
