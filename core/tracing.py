"""OpenTelemetry tracing across the web processes (Django, DRF, the bid lane, the Channels consumers), Celery
tasks, MySQL, Redis and outgoing vendor HTTP, with the trace id on every log line.

On when OTEL_EXPORTER_OTLP_ENDPOINT is set: spans are exported over OTLP/HTTP (protobuf) in batches, and the
usual OTEL_* variables (OTEL_SERVICE_NAME, OTEL_EXPORTER_OTLP_HEADERS, OTEL_TRACES_SAMPLER, …) apply. Off
otherwise, and then free: no instrumentation is installed, `traced` calls the function straight through and
the log processor returns at once.

Each process calls `setup_tracing` once: config/asgi.py (web), config/celery.py (each worker process, beat).
Spans of our own (`traced`): `auction.bid_batch` (the group-commit transaction), `auction.bids_accepted` and
`auction.closed` (the after-commit broadcasts and notices), under the request, socket message or task that
caused them.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, MutableMapping
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

_provider: Any = None  # the TracerProvider when tracing is on
_tracer: Any = None


def enabled() -> bool:
    return _tracer is not None


def setup_tracing(service: str) -> bool:
    """Turn tracing on for this process when OTEL_EXPORTER_OTLP_ENDPOINT is set; True if it is on."""
    if _tracer is not None or not os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        return _tracer is not None
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    name = os.environ.get("OTEL_SERVICE_NAME") or f"northstar-{service}"
    provider = TracerProvider(resource=Resource.create({"service.name": name, "service.namespace": "northstar"}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    instrument(provider)
    return True


def instrument(provider: Any) -> None:
    """Install every instrumentation with this provider (tests pass one with an in-memory exporter)."""
    global _provider, _tracer
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.mysqlclient import MySQLClientInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor
    from opentelemetry.instrumentation.requests import RequestsInstrumentor

    _provider, _tracer = provider, provider.get_tracer("northstar")
    DjangoInstrumentor().instrument(tracer_provider=provider)  # Django and DRF views (HTTP outside the lane)
    CeleryInstrumentor().instrument(tracer_provider=provider)  # task publish and run, context carried across
    MySQLClientInstrumentor().instrument(tracer_provider=provider, enable_commenter=False)
    RedisInstrumentor().instrument(tracer_provider=provider)  # sync and asyncio clients: cache, layer, broker
    RequestsInstrumentor().instrument(tracer_provider=provider)  # vendor HTTP (core.vendor_http)


def uninstrument() -> None:
    global _provider, _tracer
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.mysqlclient import MySQLClientInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor
    from opentelemetry.instrumentation.requests import RequestsInstrumentor

    for instrumentor in (
        DjangoInstrumentor(),
        CeleryInstrumentor(),
        MySQLClientInstrumentor(),
        RedisInstrumentor(),
        RequestsInstrumentor(),
    ):
        instrumentor.uninstrument()
    _provider = _tracer = None


def asgi(app: Any) -> Any:
    """The ASGI application inside OpenTelemetry's ASGI middleware when tracing is on: a server span for
    every HTTP request (the bid lane's too, which Django never sees) and every WebSocket connection, with its
    messages. Unchanged when off."""
    if _tracer is None:
        return app
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

    return OpenTelemetryMiddleware(app, tracer_provider=_provider)


def traced(name: str) -> Callable[[F], F]:
    """A span named `name` around each call (with `auction_id` from the keyword arguments when given)."""

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if _tracer is None:
                return function(*args, **kwargs)
            with _tracer.start_as_current_span(name) as span:
                if "auction_id" in kwargs:
                    span.set_attribute("auction.id", kwargs["auction_id"])
                elif args and isinstance(args[0], int):
                    span.set_attribute("auction.id", args[0])
                return function(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def add_trace_ids(logger: Any, method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: `trace_id` and `span_id` of the current span on every log line (tracing on)."""
    if _tracer is None:
        return event_dict
    from opentelemetry import trace

    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event_dict["trace_id"] = format(context.trace_id, "032x")
        event_dict["span_id"] = format(context.span_id, "016x")
    return event_dict
