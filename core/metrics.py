"""Domain counters, histograms and gauges, exported by django-prometheus at /metrics (and by each Celery worker
process when CELERY_METRICS_PORT is set: config/celery.py). observability/ holds the scrape configuration,
the dashboard and the alert rules that use them (tests/test_observability.py checks every name they use).

Counters and histograms are counted where things happen. Gauges about shared state (the close backlog, the
email queue, the worker heartbeat) are read when Prometheus scrapes, from the collectors listed in
settings.METRICS_COLLECTORS (dotted callables returning metric families), so any web process tells the same.
"""

from collections.abc import Iterator
from typing import Any

from prometheus_client import REGISTRY, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

bids_total = Counter("auction_bids_total", "Bids received, by outcome (accepted, or the refusal's code)", ["outcome"])
bid_seconds = Histogram(
    "auction_bid_seconds", "Time to place a bid, in seconds", buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1)
)
bid_batch_size = Histogram(
    "auction_bid_batch_size",
    "Bids decided together in one transaction (group commit, auctions/services/combiner.py)",
    buckets=(1, 2, 4, 8, 16, 32, 64, 100),
)
auctions_closed_total = Counter("auction_closed_total", "Auctions closed, by outcome", ["outcome"])
close_lag_seconds = Histogram(
    "auction_close_lag_seconds",
    "From an auction's ends_at to its close, in seconds (database clock)",
    buckets=(0.5, 1, 2, 3, 5, 10, 30, 60, 300),
)
payments_total = Counter("payments_total", "Payment attempts, by result", ["result"])
vendor_calls_total = Counter("vendor_calls_total", "Vendor API calls, by vendor and result", ["vendor", "result"])
notifications_total = Counter("notifications_total", "Notifications created, by kind", ["kind"])
webhook_failures_total = Counter(
    "webhook_failures_total",
    "Webhook deliveries refused, by vendor and reason (signature, malformed)",
    ["vendor", "reason"],
)
websocket_connections = Gauge(
    "websocket_connections", "WebSocket connections open in this process", ["route"], multiprocess_mode="livesum"
)


class SettingsCollectors(Collector):
    """Calls each of settings.METRICS_COLLECTORS at scrape time; one that fails is skipped (and logged)."""

    def collect(self) -> Iterator[Any]:
        from django.conf import settings
        from django.utils.module_loading import import_string

        for path in getattr(settings, "METRICS_COLLECTORS", []):
            try:
                yield from import_string(path)()
            except Exception:  # noqa: BLE001 - a scrape never fails because one source is down
                import structlog

                structlog.get_logger(__name__).warning("metrics.collector_failed", collector=path, exc_info=True)

    def describe(self) -> list[Any]:
        return []  # collected at scrape time only (no query at registration)


def gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def worker_heartbeat() -> list[GaugeMetricFamily]:
    """Seconds since a Celery worker last ran the beat-scheduled heartbeat (every 30 s): grows when no worker
    consumes (or beat is down)."""
    from datetime import datetime

    from django.core.cache import cache
    from django.utils import timezone

    stamp = cache.get("celery:heartbeat")
    age = (timezone.now() - datetime.fromisoformat(stamp)).total_seconds() if stamp else float("inf")
    return [gauge("celery_heartbeat_age_seconds", "Seconds since a worker last ran the heartbeat task", age)]


def celery_queue() -> list[GaugeMetricFamily]:
    """Messages waiting in each Celery queue, by `queue`: the default one and order creation's (Redis broker)."""
    from django.conf import settings

    from config.celery import app

    if not settings.CELERY_BROKER_URL.startswith("redis"):
        return []
    queues = (getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery"), settings.CELERY_ORDERS_QUEUE)
    family = GaugeMetricFamily("celery_queue_length", "Task messages waiting in a Celery queue", labels=["queue"])
    with app.connection_for_read() as connection:
        client = connection.default_channel.client  # type: ignore[attr-defined]
        for queue in queues:
            family.add_metric([queue], client.llen(queue))
    return [family]


_registered = False


def register_collectors() -> None:
    """Once per process (core.apps)."""
    global _registered
    if not _registered:
        REGISTRY.register(SettingsCollectors())
        _registered = True


WEBSOCKET_ROUTES = frozenset({"auctions", "notifications", "site"})


class CountWebSockets:
    """ASGI middleware: `websocket_connections{route}` counts this process' accepted WebSockets until they close.
    The route is the path's segment after /ws/ (auctions, notifications, site; anything else is "other")."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __getattr__(self, name: str) -> Any:
        if name == "app":
            raise AttributeError(name)
        return getattr(self.app, name)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] != "websocket":
            return await self.app(scope, receive, send)
        parts = scope.get("path", "").strip("/").split("/")
        route = parts[1] if len(parts) > 1 and parts[0] == "ws" and parts[1] in WEBSOCKET_ROUTES else "other"
        gauge = websocket_connections.labels(route=route)
        accepted = False

        async def counting_send(message: dict[str, Any]) -> None:
            nonlocal accepted
            await send(message)
            if message["type"] == "websocket.accept" and not accepted:
                accepted = True
                gauge.inc()

        try:
            return await self.app(scope, receive, counting_send)
        finally:
            if accepted:
                gauge.dec()


def serve_on_port(variable: str, offset: int = 0) -> int | None:
    """Serve this process' metrics on the port in environment variable `variable` (+ `offset`), on every
    interface, for Prometheus on the internal network (observability/prometheus.yml); None when unset."""
    import os

    from prometheus_client import start_http_server

    port = os.environ.get(variable)
    if not port:
        return None
    start_http_server(int(port) + offset)
    return int(port) + offset
