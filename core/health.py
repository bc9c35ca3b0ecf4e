"""Health probes for /api/health: each returns (ok, detail) and never raises."""

import time
from collections.abc import Callable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.cache import cache
from django.db import connection

from config.celery import app as celery_app


def _timed(probe: Callable[[], str]) -> dict[str, object]:
    started = time.perf_counter()
    try:
        detail = probe()
        ok = True
    except Exception as exc:  # noqa: BLE001 - a probe reports any failure as "down"
        detail, ok = f"{type(exc).__name__}: {exc}", False
    return {"ok": ok, "detail": detail, "ms": round((time.perf_counter() - started) * 1000, 1)}


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connection.vendor


def _cache() -> str:
    cache.set("health:probe", "1", timeout=10)
    if cache.get("health:probe") != "1":
        raise RuntimeError("cache did not return what was written")
    return type(cache).__name__


def _channel_layer() -> str:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured")

    async def round_trip() -> None:
        channel = await layer.new_channel()
        await layer.send(channel, {"type": "health.probe"})
        message = await layer.receive(channel)
        if message.get("type") != "health.probe":
            raise RuntimeError("channel layer returned another message")

    async_to_sync(round_trip)()
    return type(layer).__name__


def _broker() -> str:
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
        return conn.transport_cls if isinstance(conn.transport_cls, str) else conn.transport.driver_type


def health_report() -> dict[str, object]:
    checks = {
        "database": _timed(_database),
        "cache": _timed(_cache),
        "channel_layer": _timed(_channel_layer),
        "broker": _timed(_broker),
    }
    return {"status": "ok" if all(c["ok"] for c in checks.values()) else "degraded", "checks": checks}
