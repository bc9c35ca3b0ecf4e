"""Request id on every log line and response; JSON errors for Django's own 404/500 under /api/;
the ASGI handler daphne serves (long-lived threads, one hop per request)."""

import asyncio
import functools
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
    """Django's ASGI handler, for speed (pages and API behave the same): a request's sync code runs on one of
    `ASGI_SYNC_THREADS` long-lived threads per process (Django starts and stops one per request, so no
    database connection or Celery producer survived a request), and the middleware `chain`
    (settings.MIDDLEWARE by default) and the view run there in one hop, not one per sync/async boundary."""

    _executors: list[ThreadPoolExecutor] | None = None
    _free: "asyncio.Queue[ThreadPoolExecutor] | None" = None

    def __init__(self, chain: list[str] | None = None) -> None:
        BaseHandler.__init__(self)
        self._chain = chain
        self.load_middleware(is_async=False)
        if PooledThreadsASGIHandler._executors is None:
            size = max(1, int(getattr(settings, "ASGI_SYNC_THREADS", 16)))
            PooledThreadsASGIHandler._executors = [
                ThreadPoolExecutor(max_workers=1, thread_name_prefix="django-sync") for _ in range(size)
            ]

    def load_middleware(self, is_async: bool = False) -> None:
        if self._chain is None:
            super().load_middleware(is_async=is_async)
            return
        from django.test.utils import override_settings  # Django loads the chain from settings.MIDDLEWARE

        with override_settings(MIDDLEWARE=self._chain):
            super().load_middleware(is_async=is_async)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        cls = PooledThreadsASGIHandler
        if cls._free is None:
            cls._free = asyncio.Queue()
            for executor in cls._executors or []:
                cls._free.put_nowait(executor)
        executor = await cls._free.get()
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.handle(scope, receive, send)
        finally:
            cls._free.put_nowait(executor)

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)


def api_middleware() -> list[str]:
    """settings.MIDDLEWARE without settings.SITE_ONLY_MIDDLEWARE, in order."""
    return [name for name in settings.MIDDLEWARE if name not in settings.SITE_ONLY_MIDDLEWARE]


def is_api_client(scope: dict[str, Any]) -> bool:
    """An API client's request: under /api/, with a Bearer token and no cookie (no session, CSRF or messages
    to serve, no page)."""
    if not scope.get("path", "").startswith("/api/"):
        return False
    bearer = False
    for name, value in scope.get("headers") or []:
        if name == b"cookie":
            return False
        if name == b"authorization":
            bearer = value[:7].lower() == b"bearer "
    return bearer


class AnsweredRequests(BaseHandler):
    """A middleware chain around answers made already (the bid lane's): where the chain calls the view it gets
    the prepared response, so those answers carry the headers, request id and metrics of every answer. Runs
    in the event loop: the chain must not touch the database (the API chain does not)."""

    def __init__(self, chain: list[str]) -> None:
        super().__init__()
        from django.test.utils import override_settings  # Django loads the chain from settings.MIDDLEWARE

        with override_settings(MIDDLEWARE=chain):
            self.load_middleware(is_async=False)

    def _get_response(self, request: HttpRequest) -> HttpResponseBase:
        request.resolver_match = _resolved(request.path_info)  # the view's name, for the per-view metrics
        return request.prepared_response  # type: ignore[attr-defined,no-any-return]


@functools.lru_cache(maxsize=1024)
def _resolved(path: str) -> Any:
    """performance: resolving a path was a third of an answer's time in the chain; a hot lot's path repeats."""
    from django.urls import resolve

    return resolve(path)


class DjangoHttp:
    """HTTP into Django: API clients' requests through MIDDLEWARE without settings.SITE_ONLY_MIDDLEWARE, the
    rest through MIDDLEWARE: security headers, request ids, API errors and metrics from the one list."""

    def __init__(self) -> None:
        self.site = PooledThreadsASGIHandler()
        self.api = PooledThreadsASGIHandler(api_middleware())
        self.answered = AnsweredRequests(api_middleware())

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        handler = self.api if is_api_client(scope) else self.site
        await handler(scope, receive, send)

    async def answer(
        self, request: HttpRequest, body: dict[str, Any], status: int, headers: dict[str, str], send: Any
    ) -> None:
        """Send an answer made outside Django's views (the bid lane's) through the API's middleware chain."""
        request.prepared_response = JsonResponse(  # type: ignore[attr-defined]
            body, status=status, headers=headers, json_dumps_params={"separators": (",", ":"), "ensure_ascii": False}
        )
        response = self.answered.get_response(request)
        await self.api.send_response(response, send)
