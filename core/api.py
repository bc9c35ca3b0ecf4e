"""API conventions shared by every app: the error shape, success envelope and pagination.

Errors are always `{"error": "<message>", "details": {...}}`; successes that carry a message
are `{"message": ..., "data": ...}`.
"""

import logging
import threading
import time
import uuid
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status, throttling
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


def ok(data: Any = None, *, message: str | None = None, status_code: int = status.HTTP_200_OK) -> Response:
    body: dict[str, Any] = {"data": data}
    if message:
        body = {"message": message, "data": data}
    return Response(body, status=status_code)


class CachedCountPagination(Pagination):
    """For public lists over many rows (the inventory): large counts cached briefly (core/paginator.py)."""

    django_paginator_class = CachedCountPaginator


def error_body(message: str, details: Any = None) -> dict[str, Any]:
    return {"error": message, "details": details if details is not None else {}}


# A database that does not answer (MariaDB restarting, connections refused) is a passing outage, not a bug:
# API clients get a 503 with Retry-After, from the DRF views and the HTTP bid lane alike.
DATABASE_DOWN_MESSAGE = "The service is briefly unavailable. Please try again in a few seconds."
DATABASE_DOWN_RETRY_AFTER = "5"


def database_down_answer(exc: BaseException) -> tuple[dict[str, Any], dict[str, str]] | None:
    """For a database that does not answer: the 503's body and headers (logged here); None for other errors."""
    from django.db import InterfaceError, OperationalError

    if not isinstance(exc, OperationalError | InterfaceError):
        return None
    logger.error("database unavailable", exc_info=exc)
    return error_body(DATABASE_DOWN_MESSAGE), {"Retry-After": DATABASE_DOWN_RETRY_AFTER}


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
    # imported here: rest_framework.views reads DEFAULT_THROTTLE_CLASSES (this module) when imported
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, DomainError):
        return Response(error_body(exc.message, exc.details), status=exc.status_code)
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
    response.data = error_body(message, details)
    return response


# --- throttling (performance) ------------------------------------------------------------------
# DRF's throttles keep a list per key in the Django cache: a GET and a SET per throttle, and under
# ASGI every request builds a new cache client and Redis connection. These keep DRF's rules (the
# same rates, scopes, keys and sliding window) in one Redis round trip per throttle, on one client
# per process. Without Redis (`make run`) they are DRF's own. If Redis fails they let the request
# through (a throttle protects the site; it must not take the API down with it).

_SLIDING_WINDOW = """
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, count, oldest[2] or tostring(now)}
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], window)
return {1, count + 1, tostring(now)}
"""

_throttle_client: Any = None
_throttle_script: Any = None
_throttle_lock = threading.Lock()


def _throttle_redis() -> tuple[Any, Any] | None:
    """The process-wide Redis client and registered script for throttles, or None without Redis."""
    global _throttle_client, _throttle_script
    from django.conf import settings

    url = getattr(settings, "REDIS_URL", "")
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if not url or "redis" not in backend.lower():
        return None
    if _throttle_script is None:
        with _throttle_lock:
            if _throttle_script is None:
                import redis

                _throttle_client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
                _throttle_script = _throttle_client.register_script(_SLIDING_WINDOW)
    return _throttle_client, _throttle_script


def _throttle_key(key: str) -> str:
    return redis_key(f"throttle:{key}")


def _check_window(script: Any, key: str, now_ms: int, limit: int, duration: int, client: Any = None) -> Any:
    """One sliding-window check of the throttle script (on `client`, a pipeline, when given): the reply is
    (allowed, count, oldest ms) — or, on a pipeline, comes with its execute()."""
    member = f"{now_ms}-{uuid.uuid4().hex[:12]}"
    return script(keys=[_throttle_key(key)], args=[now_ms, duration * 1000, limit, member], client=client)


def shared_redis() -> Any | None:
    """This process's Redis client for small shared counters and queues (throttles, the auctions' notification
    queue), or None where the project runs without Redis (`make run`)."""
    found = _throttle_redis()
    return found[0] if found else None


def redis_key(name: str) -> str:
    """`name` under the cache's key prefix, so test workers and benchmarks keep apart."""
    from django.conf import settings

    prefix = settings.CACHES.get("default", {}).get("KEY_PREFIX", "")
    return f"{prefix}:{name}" if prefix else name


def throttle_many(checks: list[tuple[type[throttling.SimpleRateThrottle], str, Any]]) -> list[bool] | None:
    """Throttles checked for several requests in one Redis round trip (a pipeline of the same script): each
    check is (throttle class, scope, ident) — `(UserRateThrottle, "user", user_id)`, `(ScopedRateThrottle,
    "bids", user_id)` — with the class's rates and the same keys, so both paths count together.
    Returns whether each request may go ahead, or None when there is no Redis (callers use the DRF path)."""
    redis_and_script = _throttle_redis()
    if redis_and_script is None:
        return None
    client, script = redis_and_script
    now_ms = int(time.time() * 1000)
    pipe = client.pipeline(transaction=False)
    limited: list[int] = []
    for index, (throttle, scope, ident) in enumerate(checks):
        rate = throttle.THROTTLE_RATES.get(scope)
        if rate is None:
            continue
        limit, duration = throttling.SimpleRateThrottle.parse_rate(None, rate)  # type: ignore[arg-type]
        if limit is None or duration is None:
            continue
        key = throttling.SimpleRateThrottle.cache_format % {"scope": scope, "ident": ident}
        _check_window(script, key, now_ms, limit, duration, client=pipe)
        limited.append(index)
    allowed = [True] * len(checks)
    if not limited:
        return allowed
    try:
        replies = pipe.execute()
    except Exception:  # noqa: BLE001 - Redis down: let the requests through, as the throttle classes do
        logger.warning("throttle check skipped: Redis unavailable", exc_info=True)
        return allowed
    for index, (ok_, _count, _oldest) in zip(limited, replies, strict=True):
        allowed[index] = bool(int(ok_))
    return allowed


class FastThrottleMixin:
    """One Redis round trip per throttle (a sliding log in a sorted set, by a Lua script)."""

    rate: str | None
    num_requests: int
    duration: int
    key: str | None
    history: list[float]
    now: float

    def allow_request(self, request: Any, view: Any) -> bool:
        return self.fast_allow_request(request, view)

    def fast_allow_request(self, request: Any, view: Any) -> bool:
        redis_and_script = _throttle_redis()
        if redis_and_script is None:
            return throttling.SimpleRateThrottle.allow_request(self, request, view)  # type: ignore[arg-type]
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)  # type: ignore[attr-defined]
        if self.key is None:
            return True
        self.now = time.time()
        now_ms = int(self.now * 1000)
        _client, script = redis_and_script
        try:
            allowed, count, oldest = _check_window(script, self.key, now_ms, self.num_requests, self.duration)
        except Exception:  # noqa: BLE001 - Redis down: let the request through, say so in the log
            logger.warning("throttle check skipped: Redis unavailable", exc_info=True)
            return True
        # Shape `history` like DRF's (newest first, oldest last) so its `wait()` gives the same answer.
        self.history = [self.now] * (int(count) - 1) + [float(oldest) / 1000]
        return bool(int(allowed))


class AnonRateThrottle(FastThrottleMixin, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(FastThrottleMixin, throttling.UserRateThrottle):
    pass


class ScopedRateThrottle(FastThrottleMixin, throttling.ScopedRateThrottle):
    def allow_request(self, request: Any, view: Any) -> bool:
        # DRF's ScopedRateThrottle.allow_request: the rate comes from the view's `throttle_scope`
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)  # type: ignore[assignment]
        return self.fast_allow_request(request, view)
