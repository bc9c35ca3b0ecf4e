"""core.eager: a coroutine runs in its caller until it first waits; only then does a task finish it."""

import asyncio

import pytest
from asgiref.sync import async_to_sync

from core import eager


def run(scenario):
    return async_to_sync(scenario)()


def test_a_coroutine_that_never_waits_finishes_in_the_call():
    done = []

    async def write() -> None:
        done.append("written")

    async def scenario():
        assert eager.start(write()) is None
        assert done == ["written"]  # before anything else ran

    run(scenario)


def test_an_error_before_the_first_wait_is_raised_in_the_call():
    async def closed() -> None:
        raise ConnectionResetError("gone")

    async def scenario():
        with pytest.raises(ConnectionResetError):
            eager.start(closed())

    run(scenario)


def test_a_coroutine_that_waits_is_finished_by_a_task_with_its_result_and_errors():
    async def scenario():
        gate = asyncio.Event()
        steps = []

        async def write(fail: bool) -> str:
            steps.append("before")
            await gate.wait()
            steps.append("after")
            if fail:
                raise BrokenPipeError
            return "written"

        rest = eager.start(write(fail=False))
        failing = eager.start(write(fail=True))
        assert rest is not None
        assert failing is not None
        assert steps == ["before", "before"]
        finished = asyncio.ensure_future(rest)
        failed = asyncio.ensure_future(failing)
        gate.set()
        assert await finished == "written"
        with pytest.raises(BrokenPipeError):
            await failed
        assert steps == ["before", "before", "after", "after"]

    run(scenario)


def test_cancelling_the_task_that_finishes_it_cancels_the_coroutine_where_it_waits():
    async def scenario():
        gate = asyncio.Event()
        cleaned = []

        async def write() -> None:
            try:
                await gate.wait()
            finally:
                cleaned.append("cleaned up")

        rest = eager.start(write())
        assert rest is not None
        task = asyncio.ensure_future(rest)
        await asyncio.sleep(0)  # the task reaches the wait (one step of the loop, not a timing guess)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert cleaned == ["cleaned up"]

    run(scenario)
