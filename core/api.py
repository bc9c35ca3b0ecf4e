"""API conventions shared by every app: the error shape, success envelope and pagination.

Errors are always `{"error": "<message>", "details": {...}}`; successes that carry a message
are `{"message": ..., "data": ...}`.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import DomainError


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_paginated_response(self, data: Any) -> Response:
        assert self.page is not None
        return Response(
            {
                "count": self.page.paginator.count,
                "page": self.page.number,
                "pages": self.page.paginator.num_pages,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )


def ok(data: Any = None, *, message: str | None = None, status_code: int = status.HTTP_200_OK) -> Response:
    body: dict[str, Any] = {"data": data}
    if message:
        body = {"message": message, "data": data}
    return Response(body, status=status_code)


def error_body(message: str, details: Any = None) -> dict[str, Any]:
    return {"error": message, "details": details if details is not None else {}}


def _first_message(detail: Any) -> str:
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    if isinstance(detail, dict) and detail:
        key, value = next(iter(detail.items()))
        text = _first_message(value)
        return text if key in ("non_field_errors", "detail", "error") else f"{key}: {text}"
    return str(detail)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, reshaped into our error body; domain errors map to their own status."""
    if isinstance(exc, DomainError):
        return Response(error_body(exc.message, exc.details), status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = response.data
    if isinstance(exc, exceptions.ValidationError):
        message = _first_message(detail) if detail else "Invalid input"
        details: Any = detail if isinstance(detail, dict) else {"non_field_errors": detail}
    else:
        message = str(detail.get("detail", detail)) if isinstance(detail, dict) else _first_message(detail)
        details = {k: v for k, v in detail.items() if k != "detail"} if isinstance(detail, dict) else {}
        wait = getattr(exc, "wait", None)
        if isinstance(exc, exceptions.Throttled) and wait is not None:
            details["retry_after_seconds"] = int(wait)
    response.data = error_body(message, details)
    return response
