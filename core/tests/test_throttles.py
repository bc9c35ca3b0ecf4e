"""core/throttles.py against the real Redis: the HTTP bid lane's batch check (one round trip from the event loop,
counting in the same keys as the throttle classes), and a Redis that lost its scripts."""

import asyncio
import time
import uuid

import pytest
from redis.asyncio.client import Pipeline as AsyncPipeline

from core.shared_redis import shared_redis
from core.throttles import (
    SLIDING_WINDOW_SHA,
    ScopedRateThrottle,
    UserRateThrottle,
    _window,
    check_windows,
    throttle_many_async,
)


@pytest.fixture
def ident(monkeypatch):
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "3/min"})
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"bids": "2/min"})
    return f"u-{uuid.uuid4().hex}"  # an ident no other test or run has counted


def now_ms() -> int:
    return int(time.time() * 1000)


def both(ident: str) -> list:
    return [(UserRateThrottle, "user", ident), (ScopedRateThrottle, "bids", ident)]


def test_a_batch_is_one_pipeline_and_nothing_else(ident, monkeypatch):
    executed: list[list] = []
    real_execute = AsyncPipeline.execute

    async def count(self, *args, **options):
        executed.append([command[0][0] for command in self.command_stack])
        return await real_execute(self, *args, **options)

    monkeypatch.setattr(AsyncPipeline, "execute", count)
    assert asyncio.run(throttle_many_async([*both(ident), *both(ident + "-other")])) == [True] * 4
    assert executed == [["EVALSHA"] * 4]  # no SCRIPT EXISTS round trip before it (redis-py's registered scripts)


def test_counts_as_the_throttle_classes_do(ident):
    async def four() -> list:
        return [await throttle_many_async(both(ident)) for _ in range(4)]

    # bids: 2 a minute; user: 3 a minute (each check counts when it is allowed)
    assert asyncio.run(four()) == [[True, True], [True, True], [True, False], [False, False]]
    # the sync path (the throttle classes) counts in the same key
    ((allowed, count, _oldest),) = check_windows(shared_redis(), [_window(f"throttle_user_{ident}", now_ms(), 3, 60)])
    assert (int(allowed), int(count)) == (0, 3)


@pytest.mark.parametrize("path", ["async", "sync"])
def test_a_redis_that_lost_its_scripts_still_answers(ident, path):
    client = shared_redis()
    client.script_flush()  # as a restarted Redis: no script by that sha

    def check() -> bool:
        if path == "async":
            return asyncio.run(throttle_many_async([(ScopedRateThrottle, "bids", ident)]))[0]
        ((allowed, _count, _oldest),) = check_windows(client, [_window(f"throttle_bids_{ident}", now_ms(), 2, 60)])
        return bool(int(allowed))

    assert [check(), check(), check()] == [True, True, False]  # both first checks counted
    assert client.script_exists(SLIDING_WINDOW_SHA) == [True]


def test_redis_down_lets_the_requests_through(ident, monkeypatch):
    async def refused(*args, **kwargs):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(AsyncPipeline, "execute", refused)
    assert asyncio.run(throttle_many_async(both(ident))) == [True, True]


def test_without_redis_the_callers_use_drf(ident, monkeypatch):
    monkeypatch.setattr("core.shared_redis._url", lambda: None)
    assert asyncio.run(throttle_many_async(both(ident))) is None
