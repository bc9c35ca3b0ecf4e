"""auctions/gather.py: what arrives in one turn of the event loop goes as one call, in arrival order; a later
turn's batch goes without waiting for an earlier one to be answered; a failure reaches every caller in its
batch and no other."""

import asyncio
from typing import Any

from auctions.gather import Gatherer


class Calls:
    def __init__(self) -> None:
        self.batches: list[tuple[int, list[Any]]] = []
        self.release: dict[int, asyncio.Event] = {}

    async def run(self, auction_id: int, items: list[Any]) -> list[Any]:
        self.batches.append((auction_id, list(items)))
        if "boom" in items:
            raise RuntimeError("boom")
        gate = self.release.get(len(self.batches))
        if gate is not None:
            await gate.wait()
        return [f"{auction_id}:{item}" for item in items]


def test_callers_of_one_turn_share_one_call_in_arrival_order_per_auction():
    calls = Calls()
    gatherer = Gatherer(calls.run)

    async def main() -> list[Any]:
        return await asyncio.gather(
            *(gatherer.submit(auction, item) for auction, item in [(1, "a"), (2, "b"), (1, "c")])
        )

    assert asyncio.run(main()) == ["1:a", "2:b", "1:c"]
    assert sorted(calls.batches) == [(1, ["a", "c"]), (2, ["b"])]


def test_a_later_batch_does_not_wait_for_an_earlier_one_to_be_answered():
    calls = Calls()
    gatherer = Gatherer(calls.run)

    async def main() -> list[Any]:
        calls.release[1] = asyncio.Event()  # the first batch is answered only when the test says so
        first = asyncio.ensure_future(gatherer.submit(1, "a"))
        await asyncio.sleep(0.01)
        second = await asyncio.wait_for(gatherer.submit(1, "b"), timeout=2)  # answered while the first waits
        assert not first.done()
        calls.release[1].set()
        return [await first, second]

    assert asyncio.run(main()) == ["1:a", "1:b"]
    assert calls.batches == [(1, ["a"]), (1, ["b"])]


def test_a_failure_reaches_every_caller_in_its_batch_and_no_other():
    calls = Calls()
    gatherer = Gatherer(calls.run)

    async def main() -> list[Any]:
        together = asyncio.gather(gatherer.submit(1, "boom"), gatherer.submit(1, "x"))
        failed = await together
        later = await gatherer.submit(1, "y")
        return [*failed, later]

    first, second, later = asyncio.run(main())
    assert isinstance(first, RuntimeError)
    assert first is second
    assert later == "1:y"


def test_a_caller_that_went_away_does_not_disturb_the_others():
    calls = Calls()
    gatherer = Gatherer(calls.run)

    async def main() -> Any:
        calls.release[1] = asyncio.Event()
        gone = asyncio.ensure_future(gatherer.submit(1, "a"))
        staying = asyncio.ensure_future(gatherer.submit(1, "b"))
        await asyncio.sleep(0.01)
        gone.cancel()
        calls.release[1].set()
        return await staying

    assert asyncio.run(main()) == "1:b"
