"""core/throttles.py against the real Redis: the HTTP bid lane's batch check (one command from the event loop,
counting in the same keys as the throttle classes), and a Redis that lost its scripts."""

import asyncio
import time
import uuid

import pytest
from redis.asyncio import Redis as AsyncRedis

from core.shared_redis import shared_redis
from core.throttles import (
    SLIDING_WINDOWS_SHA,
    ScopedRateThrottle,
    UserRateThrottle,
    Windows,
    check_windows,
    throttle_many_async,
)


@pytest.fixture
def ident(monkeypatch):
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "3/min"})
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"bids": "2/min"})
    return f"u-{uuid.uuid4().hex}"  # an ident no other test or run has counted


def windows(key: str, limit: int) -> Windows:
    checks = Windows(int(time.time() * 1000))
    checks.add(key, limit, 60)
    return checks


def both(ident: str) -> list:
    return [(UserRateThrottle, "user", ident), (ScopedRateThrottle, "bids", ident)]


def test_a_batch_is_one_command(ident, monkeypatch):
    sent: list[str] = []
    real = AsyncRedis.execute_command

    async def spy(self, *args, **options):
        sent.append(args[0])
        return await real(self, *args, **options)

    monkeypatch.setattr(AsyncRedis, "execute_command", spy)
    assert asyncio.run(throttle_many_async([*both(ident), *both(ident + "-other")])) == [True] * 4
    assert sent == ["EVALSHA"]  # one run of the script; no SCRIPT EXISTS before it (redis-py's registered scripts)


def test_checks_of_the_same_key_in_one_batch_each_count(ident):
    assert asyncio.run(throttle_many_async([(ScopedRateThrottle, "bids", ident)] * 3)) == [True, True, False]


def test_counts_as_the_throttle_classes_do(ident):
    async def four() -> list:
        return [await throttle_many_async(both(ident)) for _ in range(4)]

    # bids: 2 a minute; user: 3 a minute (each check counts when it is allowed)
    assert asyncio.run(four()) == [[True, True], [True, True], [True, False], [False, False]]
    # the sync path (the throttle classes) counts in the same key
    ((allowed, count, _oldest),) = check_windows(shared_redis(), windows(f"throttle_user_{ident}", 3))
    assert (int(allowed), int(count)) == (0, 3)


@pytest.mark.parametrize("path", ["async", "sync"])
def test_a_redis_that_lost_its_scripts_still_answers(ident, path):
    client = shared_redis()
    client.script_flush()  # as a restarted Redis: no script by that sha

    def check() -> bool:
        if path == "async":
            return asyncio.run(throttle_many_async([(ScopedRateThrottle, "bids", ident)]))[0]
        ((allowed, _count, _oldest),) = check_windows(client, windows(f"throttle_bids_{ident}", 2))
        return bool(int(allowed))

    assert [check(), check(), check()] == [True, True, False]  # both first checks counted
    assert client.script_exists(SLIDING_WINDOWS_SHA) == [True]


def test_redis_down_lets_the_requests_through(ident, monkeypatch):
    async def refused(*args, **kwargs):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(AsyncRedis, "execute_command", refused)
    assert asyncio.run(throttle_many_async(both(ident))) == [True, True]


def test_without_redis_the_callers_use_drf(ident, monkeypatch):
    monkeypatch.setattr("core.shared_redis._url", lambda: None)
    assert asyncio.run(throttle_many_async(both(ident))) is None
