"""Admission: one rate-limit rule for every door (DRF views, the bid lane, the site's bid form, each live-room
frame). A request counts in sliding windows keyed as DRF keys them, at DRF's rates: a logged-in user in `user`
plus the endpoint's scope (`bids`) by id; anyone else in `anon` and `user` (and the scope) by address. Over a
window: 429 `throttled` with `Retry-After`. One run of a Lua script counts a request's windows, or every
request of one event-loop turn (`admit_async`). Without Redis (`make run`) nothing is limited; if Redis
fails, requests are let through (a throttle protects the site; it must not take it down with it).
"""

import asyncio
import hashlib
import logging
import random
import time
import weakref
from dataclasses import dataclass
from typing import Any

from rest_framework import throttling
from rest_framework.settings import api_settings

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


@dataclass(frozen=True)
class Admission:
    """Whether the request may go ahead; when not, the seconds until its fullest window has room."""

    allowed: bool
    wait: float | None = None


ALLOWED = Admission(True)


@dataclass(frozen=True)
class Window:
    key: str  # DRF's cache key, throttle_<scope>_<ident>
    limit: int
    seconds: int


class Rates:
    """The rates: DRF's setting, unless a test sets THROTTLE_RATES."""

    THROTTLE_RATES: dict[str, str | None] | None = None

    @classmethod
    def get(cls, scope: str) -> str | None:
        rates = cls.THROTTLE_RATES if cls.THROTTLE_RATES is not None else api_settings.DEFAULT_THROTTLE_RATES
        rate = rates.get(scope)
        return str(rate) if rate else None


def windows(*, user_id: Any | None, address: str | None, scope: str | None = None) -> list[Window]:
    """The windows a request counts in (see the module docstring)."""
    if user_id is not None:
        scopes, ident = ["user"], str(user_id)
    else:
        scopes, ident = ["anon", "user"], str(address or "unknown")
    if scope:
        scopes.append(scope)
    found = []
    for name in scopes:
        rate = Rates.get(name)
        if not rate:
            continue
        limit, seconds = throttling.SimpleRateThrottle.parse_rate(None, rate)  # type: ignore[arg-type]
        if limit is not None and seconds is not None:
            key = throttling.SimpleRateThrottle.cache_format % {"scope": name, "ident": ident}
            found.append(Window(key, limit, seconds))
    return found


def _script_args(checks: list[Window], now_ms: int) -> list[Any]:
    keys: list[str] = []
    args: list[Any] = [now_ms]
    for window in checks:
        # the member only has to be unique within the key's window: random bits from Python's generator
        # (reseeded in every forked process), no system call per check
        keys.append(redis_key(f"throttle:{window.key}"))
        args += [window.seconds * 1000, window.limit, f"{now_ms}-{random.getrandbits(64):016x}"]
    return ["EVALSHA", SLIDING_WINDOWS_SHA, len(keys), *keys, *args]


def _admissions(groups: list[list[Window]], replies: list[Any], now_ms: int) -> list[Admission]:
    """Per request (a group of windows): allowed when every window had room; else the longest wait."""
    answers, at = [], 0
    for group in groups:
        waits = []
        for window, (allowed, _count, oldest) in zip(group, replies[at : at + len(group)], strict=True):
            if not int(allowed):
                waits.append(max(0.0, (float(oldest) + window.seconds * 1000 - now_ms) / 1000))
        at += len(group)
        answers.append(Admission(not waits, max(waits) if waits else None))
    return answers


def admit(checks: list[Window]) -> Admission:
    """One request's admission, from a thread (DRF views): one Redis round trip."""
    if not checks:
        return ALLOWED
    now_ms = int(time.time() * 1000)
    client = shared_redis()
    if client is None:
        return ALLOWED
    from redis.exceptions import NoScriptError

    command = _script_args(checks, now_ms)
    try:
        try:
            replies = client.execute_command(*command)
        except NoScriptError:  # a restarted or flushed Redis
            client.script_load(SLIDING_WINDOWS)
            replies = client.execute_command(*command)
    except Exception:  # noqa: BLE001 - Redis down: let the request through, say so in the log
        logger.warning("throttle check skipped: Redis unavailable", exc_info=True)
        return ALLOWED
    return _admissions([checks], list(replies), now_ms)[0]


class _Turn:
    def __init__(self) -> None:
        self.pending: list[tuple[list[Window], asyncio.Future[Admission]]] = []
        self.running: set[asyncio.Task[None]] = set()  # referenced until done (asyncio keeps weak ones)


_turns: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Turn]" = weakref.WeakKeyDictionary()


async def admit_async(checks: list[Window]) -> Admission:
    """`admit` from the event loop (WebSocket frames): the requests of one turn of the loop are counted by one
    run of the script, sent at once (later turns do not wait for it)."""
    if not checks:
        return ALLOWED
    loop = asyncio.get_running_loop()
    turn = _turns.get(loop)
    if turn is None:
        turn = _turns[loop] = _Turn()
    future: asyncio.Future[Admission] = loop.create_future()
    if not turn.pending:
        loop.call_soon(_send_turn, turn)
    turn.pending.append((checks, future))
    return await future


def _send_turn(turn: _Turn) -> None:
    batch, turn.pending = turn.pending, []
    task = asyncio.ensure_future(_count_turn(batch))
    turn.running.add(task)
    task.add_done_callback(turn.running.discard)


async def _count_turn(batch: list[tuple[list[Window], "asyncio.Future[Admission]"]]) -> None:
    groups = [checks for checks, _ in batch]
    now_ms = int(time.time() * 1000)
    client = shared_redis_async()
    answers = [ALLOWED] * len(batch)
    if client is not None:
        from redis.exceptions import NoScriptError

        command = _script_args([w for group in groups for w in group], now_ms)
        try:
            try:
                replies = await client.execute_command(*command)
            except NoScriptError:
                await client.script_load(SLIDING_WINDOWS)
                replies = await client.execute_command(*command)
            answers = _admissions(groups, list(replies), now_ms)
        except Exception:  # noqa: BLE001 - Redis down: let the requests through
            logger.warning("throttle check skipped: Redis unavailable", exc_info=True)
    for (_, future), answer in zip(batch, answers, strict=True):
        if not future.done():  # the caller may have gone
            future.set_result(answer)


class Admit(throttling.BaseThrottle):
    """DRF's throttle class: the one admission rule for every API view (the view's `throttle_scope` too)."""

    def allow_request(self, request: Any, view: Any) -> bool:
        user = getattr(request, "user", None)
        user_id = user.pk if user is not None and user.is_authenticated else None
        self.admission = admit(
            windows(user_id=user_id, address=self.get_ident(request), scope=getattr(view, "throttle_scope", None))
        )
        return self.admission.allowed

    def wait(self) -> float | None:
        return self.admission.wait
