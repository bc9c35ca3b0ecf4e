"""API conventions shared by every app: the error shape, success envelope and pagination.

Errors are always `{"error": "<message>", "code": "<reason>", "details": {...}}`; successes that carry a message
are `{"message": ..., "data": ...}`.
"""

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from core.errors import DomainError
from core.paginator import CachedCountPaginator

logger = logging.getLogger(__name__)


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

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        described: dict[str, Any] = super().get_paginated_response_schema(schema)
        described["required"] = ["count", "page", "pages", "next", "previous", "results"]
        described["properties"]["page"] = {"type": "integer", "example": 1, "description": "This page's number"}
        described["properties"]["pages"] = {"type": "integer", "example": 3, "description": "How many pages"}
        return described


def ok(data: Any = None, *, message: str | None = None, status_code: int = status.HTTP_200_OK) -> Response:
    body: dict[str, Any] = {"data": data}
    if message:
        body = {"message": message, "data": data}
    return Response(body, status=status_code)


class CachedCountPagination(Pagination):
    """For public lists over many rows (the inventory): large counts cached briefly (core/paginator.py)."""

    django_paginator_class = CachedCountPaginator


def error_body(message: str, details: Any = None, *, code: str | None = None) -> dict[str, Any]:
    """The error shape; `code` is the machine-readable reason (`below_minimum`, `not_authenticated`, …)."""
    body: dict[str, Any] = {"error": message}
    if code:
        body["code"] = code
    body["details"] = details if details is not None else {}
    return body


# A database that does not answer (MariaDB restarting, connections refused) is a passing outage, not a bug:
# API clients get a 503 with Retry-After, from the DRF views and the HTTP bid lane alike.
SERVER_ERROR = "Internal server error. Please try again later."
DATABASE_DOWN_MESSAGE = "The service is briefly unavailable. Please try again in a few seconds."
DATABASE_DOWN_RETRY_AFTER = "5"


def database_down_answer(exc: BaseException) -> tuple[dict[str, Any], dict[str, str]] | None:
    """For a database that does not answer: the 503's body and headers (logged here); None for other errors."""
    from django.db import InterfaceError, OperationalError

    if not isinstance(exc, OperationalError | InterfaceError):
        return None
    logger.error("database unavailable", exc_info=exc)
    return error_body(DATABASE_DOWN_MESSAGE, code="unavailable"), {"Retry-After": DATABASE_DOWN_RETRY_AFTER}


def _first_message(detail: Any) -> str:
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    if isinstance(detail, dict) and detail:
        key, value = next(iter(detail.items()))
        text = _first_message(value)
        return text if key in ("non_field_errors", "detail", "error") else f"{key}: {text}"
    return str(detail)


def _codes(codes: Any) -> set[str]:
    if isinstance(codes, dict):
        return set().union(*(_codes(value) for value in codes.values())) if codes else set()
    if isinstance(codes, list):
        return set().union(*(_codes(value) for value in codes)) if codes else set()
    return {str(codes)}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, reshaped into our error body; domain errors map to their own status."""
    # imported here: rest_framework.views loads the configured API classes when it is imported
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, DomainError):
        return Response(error_body(exc.message, exc.details, code=exc.code), status=exc.status_code)
    if (down := database_down_answer(exc)) is not None:
        body, headers = down
        return Response(body, status=503, headers=headers)
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
    code = getattr(exc, "default_code", "error")
    if isinstance(exc, exceptions.ValidationError):
        # an amount outside the one grammar (core.amount_fields) is `invalid_amount` at every door
        code = "invalid_amount" if "invalid_amount" in _codes(exc.get_codes()) else "invalid"
    response.data = error_body(message, details, code=code)
    return response
