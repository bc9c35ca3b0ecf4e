"""DRF's throttles (performance): the same rates, scopes, keys and sliding window, in one Redis round trip.

DRF's throttles keep a list per key in the Django cache: a GET and a SET per throttle, and under ASGI every
request builds a new cache client and Redis connection. These keep DRF's rules in a Lua script (a sliding log
in a sorted set per key, several keys per run) run by EVALSHA on the shared client (core/shared_redis.py).
Without Redis (`make run`) they are DRF's own. If Redis fails they let the request through (a throttle
protects the site; it must not take the API down with it). `throttle_many_async` checks several requests'
throttles in one round trip from the event loop (the HTTP bid lane, auctions/apis/fast_lane.py), counting in
the same keys.
"""

import hashlib
import logging
import random
import time
from typing import Any

from rest_framework import throttling

from core.shared_redis import redis_key, shared_redis, shared_redis_async

logger = logging.getLogger(__name__)

SLIDING_WINDOWS = """
local now = tonumber(ARGV[1])
local replies = {}
for i, key in ipairs(KEYS) do
  local window = tonumber(ARGV[3 * i - 1])
  local limit = tonumber(ARGV[3 * i])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local count = redis.call('ZCARD', key)
  if count >= limit then
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    replies[i] = {0, count, oldest[2] or tostring(now)}
  else
    redis.call('ZADD', key, now, ARGV[3 * i + 1])
    redis.call('PEXPIRE', key, window)
    replies[i] = {1, count + 1, tostring(now)}
  end
end
return replies
"""
SLIDING_WINDOWS_SHA = hashlib.sha1(SLIDING_WINDOWS.encode()).hexdigest()  # noqa: S324 - Redis names scripts so


class Windows:
    """Throttle checks sent together: one run of the script, whatever their number. Each check is a key (DRF's
    cache key) with its limit and duration; its reply is (allowed, count, oldest ms). Checks of the same key
    count one after the other (each has its own member in the key's sorted set)."""

    def __init__(self, now_ms: int) -> None:
        self.keys: list[str] = []
        self.args: list[Any] = [now_ms]

    def add(self, key: str, limit: int, duration: int) -> None:
        # the member only has to be unique within the key's window: random bits from Python's generator
        # (reseeded in every forked process), no system call per check
        self.keys.append(redis_key(f"throttle:{key}"))
        self.args += [duration * 1000, limit, f"{self.args[0]}-{random.getrandbits(64):016x}"]

    def command(self) -> list[Any]:
        return ["EVALSHA", SLIDING_WINDOWS_SHA, len(self.keys), *self.keys, *self.args]


def check_windows(client: Any, windows: Windows) -> list[Any]:
    """One round trip (the script loaded first only when Redis answers NOSCRIPT: a restarted or flushed
    Redis, where no check ran). redis-py's registered scripts would ask SCRIPT EXISTS before every pipeline."""
    from redis.exceptions import NoScriptError

    try:
        return list(client.execute_command(*windows.command()))
    except NoScriptError:
        client.script_load(SLIDING_WINDOWS)
    return list(client.execute_command(*windows.command()))


async def check_windows_async(client: Any, windows: Windows) -> list[Any]:
    """`check_windows` on a redis.asyncio client."""
    from redis.exceptions import NoScriptError

    try:
        return list(await client.execute_command(*windows.command()))
    except NoScriptError:
        await client.script_load(SLIDING_WINDOWS)
    return list(await client.execute_command(*windows.command()))


async def throttle_many_async(checks: list[tuple[type[throttling.SimpleRateThrottle], str, Any]]) -> list[bool] | None:
    """Throttles checked for several requests in one Redis round trip (one run of the script), from the event
    loop: each check is (throttle class, scope, ident) — `(UserRateThrottle, "user", user_id)`,
    `(ScopedRateThrottle, "bids", user_id)` — with the class's rates and the same keys, so both paths count
    together. Returns whether each request may go ahead, or None when there is no Redis (callers use the DRF
    path)."""
    client = shared_redis_async()
    if client is None:
        return None
    windows = Windows(int(time.time() * 1000))
    limited: list[int] = []
    for index, (throttle, scope, ident) in enumerate(checks):
        rate = throttle.THROTTLE_RATES.get(scope)
        if rate is None:
            continue
        limit, duration = throttling.SimpleRateThrottle.parse_rate(None, rate)  # type: ignore[arg-type]
        if limit is None or duration is None:
            continue
        key = throttling.SimpleRateThrottle.cache_format % {"scope": scope, "ident": ident}
        windows.add(key, limit, duration)
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
        windows = Windows(int(self.now * 1000))
        windows.add(self.key, self.num_requests, self.duration)
        try:
            ((allowed, count, oldest),) = check_windows(client, windows)
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
