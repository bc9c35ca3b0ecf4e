"""DRF's throttles (performance): the same rates, scopes, keys and sliding window, in one Redis round trip.

DRF's throttles keep a list per key in the Django cache: a GET and a SET per throttle, and under ASGI every
request builds a new cache client and Redis connection. These keep DRF's rules in a Lua script (a sliding log
in a sorted set) run by EVALSHA on the shared client (core/shared_redis.py). Without Redis (`make run`) they
are DRF's own. If Redis fails they let the request through (a throttle protects the site; it must not take
the API down with it). `throttle_many_async` checks several requests' throttles in one round trip from the
event loop (the HTTP bid lane, auctions/apis/fast_lane.py), counting in the same keys.
"""

import hashlib
import logging
import random
import time
from typing import Any

from rest_framework import throttling

from core.shared_redis import redis_key, shared_redis, shared_redis_async

logger = logging.getLogger(__name__)

SLIDING_WINDOW = """
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
SLIDING_WINDOW_SHA = hashlib.sha1(SLIDING_WINDOW.encode()).hexdigest()  # noqa: S324 - Redis names scripts so

# One check: (DRF cache key, script arguments). The reply is (allowed, count, oldest ms).
Window = tuple[str, list[Any]]


def _window(key: str, now_ms: int, limit: int, duration: int) -> Window:
    """A check of `key`; the member only has to be unique within the key's window (random bits from Python's
    generator, reseeded in every forked process: no system call per check)."""
    return redis_key(f"throttle:{key}"), [now_ms, duration * 1000, limit, f"{now_ms}-{random.getrandbits(64):016x}"]


def _queue(pipe: Any, windows: list[Window]) -> None:
    for key, args in windows:
        pipe.evalsha(SLIDING_WINDOW_SHA, 1, key, *args)


def check_windows(client: Any, windows: list[Window]) -> list[Any]:
    """The checks in one round trip: a pipeline of EVALSHA, the script loaded only when Redis answers NOSCRIPT
    (a restarted or flushed Redis: no check ran, so all are sent again). redis-py's registered scripts would
    ask SCRIPT EXISTS before every pipeline: a second round trip each time."""
    from redis.exceptions import NoScriptError

    try:
        pipe = client.pipeline(transaction=False)
        _queue(pipe, windows)
        return list(pipe.execute())
    except NoScriptError:
        client.script_load(SLIDING_WINDOW)
    pipe = client.pipeline(transaction=False)
    _queue(pipe, windows)
    return list(pipe.execute())


async def check_windows_async(client: Any, windows: list[Window]) -> list[Any]:
    """`check_windows` on a redis.asyncio client."""
    from redis.exceptions import NoScriptError

    try:
        async with client.pipeline(transaction=False) as pipe:
            _queue(pipe, windows)
            return list(await pipe.execute())
    except NoScriptError:
        await client.script_load(SLIDING_WINDOW)
    async with client.pipeline(transaction=False) as pipe:
        _queue(pipe, windows)
        return list(await pipe.execute())


async def throttle_many_async(checks: list[tuple[type[throttling.SimpleRateThrottle], str, Any]]) -> list[bool] | None:
    """Throttles checked for several requests in one Redis round trip, from the event loop: each check is
    (throttle class, scope, ident) — `(UserRateThrottle, "user", user_id)`, `(ScopedRateThrottle, "bids",
    user_id)` — with the class's rates and the same keys, so both paths count together. Returns whether each
    request may go ahead, or None when there is no Redis (callers use the DRF path)."""
    client = shared_redis_async()
    if client is None:
        return None
    now_ms = int(time.time() * 1000)
    windows: list[Window] = []
    limited: list[int] = []
    for index, (throttle, scope, ident) in enumerate(checks):
        rate = throttle.THROTTLE_RATES.get(scope)
        if rate is None:
            continue
        limit, duration = throttling.SimpleRateThrottle.parse_rate(None, rate)  # type: ignore[arg-type]
        if limit is None or duration is None:
            continue
        key = throttling.SimpleRateThrottle.cache_format % {"scope": scope, "ident": ident}
        windows.append(_window(key, now_ms, limit, duration))
        limited.append(index)
    allowed = [True] * len(checks)
    if not limited:
        return allowed
    try:
        replies = await check_windows_async(client, windows)
    except Exception:  # noqa: BLE001 - Redis down: let the requests through, as the throttle classes do
        logger.warning("throttle check skipped: Redis unavailable", exc_info=True)
        return allowed
    for index, (ok_, _count, _oldest) in zip(limited, replies, strict=True):
        allowed[index] = bool(int(ok_))
    return allowed


class FastThrottleMixin:
    """One Redis round trip per throttle."""

    rate: str | None
    num_requests: int
    duration: int
    key: str | None
    history: list[float]
    now: float

    def allow_request(self, request: Any, view: Any) -> bool:
        return self.fast_allow_request(request, view)

    def fast_allow_request(self, request: Any, view: Any) -> bool:
        client = shared_redis()
        if client is None:
            return throttling.SimpleRateThrottle.allow_request(self, request, view)  # type: ignore[arg-type]
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)  # type: ignore[attr-defined]
        if self.key is None:
            return True
        self.now = time.time()
        window = _window(self.key, int(self.now * 1000), self.num_requests, self.duration)
        try:
            ((allowed, count, oldest),) = check_windows(client, [window])
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
