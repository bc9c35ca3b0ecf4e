"""Request id on every log line and response; JSON errors for Django's own 404/500 under /api/;
the ASGI handler daphne serves (long-lived threads, one hop per request)."""

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import csp.middleware
import structlog
from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.base import BaseHandler
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse

from core.api import SERVER_ERROR, error_body
from core.request_id import accept_or_new, reset_request_id, set_request_id

logger = structlog.get_logger(__name__)


class RequestIdMiddleware:
    header = "HTTP_X_REQUEST_ID"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = accept_or_new(request.META.get(self.header, ""))
        request.request_id = request_id  # type: ignore[attr-defined]
        token = set_request_id(request_id)
        structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            response = self.get_response(request)
        finally:
            structlog.contextvars.unbind_contextvars("request_id")
            reset_request_id(token)
        response["X-Request-ID"] = request_id
        return response


class CSPMiddleware(csp.middleware.CSPMiddleware):
    """django-csp's Content-Security-Policy, on documents only. A JSON answer is never rendered as a page
    (`X-Content-Type-Options: nosniff`), and the HTTP bid lane answers the same API without the header: the API's
    answers stay the same whichever path served them."""

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if response.get("Content-Type", "").startswith("application/json"):
            response._csp_exempt = True  # type: ignore[attr-defined]  # django-csp's own exemption flag
        return super().process_response(request, response)


class RefuseTraceMiddleware:
    """TRACE (and TRACK) echo a request back, cookies and all; no page or API of ours answers them: 405."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in ("TRACE", "TRACK"):
            response = JsonResponse(error_body("Method not allowed.", code="method_not_allowed"), status=405)
            response["Allow"] = "GET, HEAD, OPTIONS, POST, PUT, PATCH, DELETE"
            return response
        return self.get_response(request)


class ApiErrorMiddleware:
    """Under /api/, Django's HTML 404/405/500 pages become our JSON error body."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith("/api/") or response.status_code < 400:
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        messages = {
            404: ("Not found.", "not_found"),
            405: (f'Method "{request.method}" not allowed.', "method_not_allowed"),
            403: ("Forbidden.", "permission_denied"),
        }
        message, code = messages.get(response.status_code, ("The request could not be completed.", "error"))
        json_response = JsonResponse(error_body(message, code=code), status=response.status_code)
        for header in ("Allow", "Retry-After"):
            if header in response:
                json_response[header] = response[header]
        return json_response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not request.path.startswith("/api/"):
            return None
        if isinstance(exception, RequestDataTooBig):  # request.body past DATA_UPLOAD_MAX_MEMORY_SIZE
            return JsonResponse(error_body("The request body is too large.", code="too_large"), status=413)
        if isinstance(exception, SuspiciousOperation):  # what Django itself answers with a 400
            logger.warning("api.suspicious_request", path=request.path, error=str(exception))
            return JsonResponse(error_body("The request could not be read.", code="bad_request"), status=400)
        logger.exception("api.unhandled_exception", path=request.path)
        return JsonResponse(error_body(SERVER_ERROR, code="server_error"), status=500)


class PooledThreadsASGIHandler(ASGIHandler):
    """Django's ASGI handler with two changes, for speed (the page and API behave the same):

    - Django runs each request's sync code on a new thread it starts and stops per request, so nothing
      kept per thread survives a request: not the database connection (CONN_MAX_AGE has no effect), not
      Celery's producer. Here a fixed set of `ASGI_SYNC_THREADS` long-lived threads take turns; a request
      waits (in the event loop) for a free one.
    - The middleware chain and the view run in that thread in one hop (the chain is loaded in sync mode),
      instead of hopping between the event loop and the thread at every sync/async middleware boundary.
    """

    def __init__(self) -> None:
        BaseHandler.__init__(self)
        self.load_middleware(is_async=False)
        size = max(1, int(getattr(settings, "ASGI_SYNC_THREADS", 16)))
        self._executors = [ThreadPoolExecutor(max_workers=1, thread_name_prefix="django-sync") for _ in range(size)]
        self._free: asyncio.Queue[ThreadPoolExecutor] | None = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        if self._free is None:
            self._free = asyncio.Queue()
            for executor in self._executors:
                self._free.put_nowait(executor)
        executor = await self._free.get()
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.handle(scope, receive, send)
        finally:
            self._free.put_nowait(executor)

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)
