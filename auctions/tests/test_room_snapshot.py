"""Joiners of a room share the reads of its state (auctions/room_snapshot.py), never one that began before them."""

import asyncio
import threading
import time

import pytest
from asgiref.sync import async_to_sync, sync_to_async

from auctions import room_snapshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_joiners_share_a_read_that_has_not_started_and_never_one_that_has(
    live_auction, bidder_factory, place_bid, monkeypatch
):
    original = room_snapshot._read_public
    reads: list[int] = []
    release = threading.Event()

    def held_read(auction_id: int):  # type: ignore[no-untyped-def]
        reads.append(auction_id)
        if len(reads) == 1:
            release.wait(10)  # the first read has started (on the database thread) and is held there
        return original(auction_id)

    monkeypatch.setattr(room_snapshot, "_read_public", held_read)
    bidder = bidder_factory()

    async def scenario() -> None:
        first = asyncio.ensure_future(room_snapshot.public_snapshot(live_auction.pk))
        deadline = time.monotonic() + 10
        while not reads and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        assert reads, "the first read started"
        # a bid commits after the first read started: later joiners must not be given that read
        await sync_to_async(place_bid, thread_sensitive=False)(live_auction, bidder, "5000")
        later = [asyncio.ensure_future(room_snapshot.public_snapshot(live_auction.pk)) for _ in range(5)]
        await asyncio.sleep(0.05)
        release.set()
        states = [await first] + [await task for task in later]
        assert len(reads) == 2, "one read for the first joiner, one shared by the five that came while it ran"
        assert all(state is not None for state in states)
        assert [state["seq"] for state in states[1:]] == [1] * 5  # type: ignore[index]
        assert states[1]["viewer"]["my_status"] == "anonymous"  # type: ignore[index]

    async_to_sync(scenario)()


def test_a_missing_auction_has_no_snapshot(db) -> None:  # type: ignore[no-untyped-def]
    assert async_to_sync(room_snapshot.public_snapshot)(987654321) is None
