"""The Redis clients for small shared counters and queues (throttles, the auctions' notification queue and
watcher counts): one per process for threads, one per event loop for coroutines (redis.asyncio's
connections belong to the loop that opened them). None where the project runs without Redis (`make run`)."""

import asyncio
import functools
import threading
import weakref
from typing import Any

from django.core.signals import setting_changed

_client: Any = None
_client_lock = threading.Lock()
_loop_clients: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any]" = weakref.WeakKeyDictionary()
TIMEOUT_SECONDS = 2  # connect and read: a hung Redis must not hold a request for long


@functools.cache
def _url() -> str | None:
    """Redis's URL when the project runs with Redis (read once: every bid asks)."""
    from django.conf import settings

    url = getattr(settings, "REDIS_URL", "")
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    return url if url and "redis" in backend.lower() else None


def _settings_changed(*, setting: str, **kwargs: Any) -> None:
    global _client
    if setting in ("REDIS_URL", "CACHES"):  # tests
        _url.cache_clear()
        _client = None
        _loop_clients.clear()


setting_changed.connect(_settings_changed)


def shared_redis() -> Any | None:
    """This process's client (redis-py), or None without Redis."""
    global _client
    url = _url()
    if url is None:
        return None
    if _client is None:
        with _client_lock:
            if _client is None:
                import redis

                _client = redis.Redis.from_url(
                    url, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS
                )
    return _client


def shared_redis_async() -> Any | None:
    """The running event loop's client (redis.asyncio), or None without Redis."""
    url = _url()
    if url is None:
        return None
    loop = asyncio.get_running_loop()
    client = _loop_clients.get(loop)
    if client is None:
        import redis.asyncio as aioredis

        # a blocking pool: a burst waits for a connection instead of failing (redis-py's default is 100)
        pool = aioredis.BlockingConnectionPool.from_url(
            url,
            max_connections=64,
            timeout=20,
            socket_timeout=TIMEOUT_SECONDS,
            socket_connect_timeout=TIMEOUT_SECONDS,
        )
        client = _loop_clients[loop] = aioredis.Redis(connection_pool=pool)
    return client


def redis_key(name: str) -> str:
    """`name` under the cache's key prefix, so test workers and benchmarks keep apart."""
    from django.conf import settings

    prefix = settings.CACHES.get("default", {}).get("KEY_PREFIX", "")
    return f"{prefix}:{name}" if prefix else name
