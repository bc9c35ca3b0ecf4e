"""core/throttles.py, the one admission rule, against the real Redis: the windows a request counts in, one
script run for a request (and for every request of one event-loop turn), the wait DRF's 429 reports, a Redis
that lost its scripts or is down, and the same windows in-process without Redis."""

import asyncio
import uuid

import pytest
from redis.asyncio import Redis as AsyncRedis

from core.shared_redis import shared_redis
from core.throttles import SLIDING_WINDOWS_SHA, Rates, admit, admit_async, windows


@pytest.fixture
def user_id(monkeypatch):
    monkeypatch.setattr(Rates, "THROTTLE_RATES", {"anon": "4/min", "user": "3/min", "bids": "2/min"})
    return f"u-{uuid.uuid4().hex}"  # an ident no other test or run has counted


def test_a_user_counts_in_user_and_the_endpoint_s_scope_anyone_else_by_address(user_id):
    assert [w.key for w in windows(user_id=user_id, address="10.0.0.1", scope="bids")] == [
        f"throttle_user_{user_id}",
        f"throttle_bids_{user_id}",
    ]
    assert [w.key for w in windows(user_id=None, address="10.0.0.1")] == [
        "throttle_anon_10.0.0.1",
        "throttle_user_10.0.0.1",
    ]


def test_one_turn_of_the_event_loop_is_one_command(user_id, monkeypatch):
    sent: list[str] = []
    real = AsyncRedis.execute_command

    async def spy(self, *args, **options):
        sent.append(args[0])
        return await real(self, *args, **options)

    monkeypatch.setattr(AsyncRedis, "execute_command", spy)

    async def together() -> list:
        return await asyncio.gather(
            *(admit_async(windows(user_id=f"{user_id}-{i}", address=None, scope="bids")) for i in range(5))
        )

    assert all(a.allowed for a in asyncio.run(together()))
    assert sent == ["EVALSHA"]  # one run of the script; no SCRIPT EXISTS before it


def test_requests_count_in_every_window_and_the_fullest_sets_the_wait(user_id):
    async def four() -> list:
        return [await admit_async(windows(user_id=user_id, address=None, scope="bids")) for _ in range(4)]

    answers = asyncio.run(four())
    assert [a.allowed for a in answers] == [True, True, False, False]  # bids: 2 a minute
    assert 55 < answers[2].wait <= 60
    # as with DRF's classes, a window counts a request it has room for even when another refuses it: `user`
    # (3 a minute) counted the first three; the thread path (DRF views) reads the same keys
    assert not admit(windows(user_id=user_id, address=None)).allowed


@pytest.mark.parametrize("path", ["async", "sync"])
def test_a_redis_that_lost_its_scripts_still_answers(user_id, path):
    client = shared_redis()
    client.script_flush()  # as a restarted Redis: no script by that sha

    def check() -> bool:
        checks = [w for w in windows(user_id=user_id, address=None, scope="bids") if "bids" in w.key]
        return (asyncio.run(admit_async(checks)) if path == "async" else admit(checks)).allowed

    assert [check(), check(), check()] == [True, True, False]  # both first checks counted
    assert client.script_exists(SLIDING_WINDOWS_SHA) == [True]


def test_redis_down_lets_the_requests_through(user_id, monkeypatch):
    async def refused(*args, **kwargs):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(AsyncRedis, "execute_command", refused)
    assert asyncio.run(admit_async(windows(user_id=user_id, address=None, scope="bids"))).allowed


def test_without_redis_nothing_is_limited(user_id, monkeypatch):
    monkeypatch.setattr("core.shared_redis._url", lambda: None)
    checks = windows(user_id=user_id, address=None, scope="bids")
    assert [admit(checks).allowed for _ in range(3)] == [True, True, True]
    assert asyncio.run(admit_async(checks)).allowed
