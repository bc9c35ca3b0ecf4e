"""Concurrent bids on one auction in one process share a transaction (flat combining, group commit).

On a hot lot, bids queue for the auction's row lock, and each holder keeps it for a commit, whose log
flush is the slowest step. Here the first caller to bid on an auction becomes its *leader*: it opens the
transaction and waits for the row lock, and only once the lock is granted takes every bid waiting in this
process for that auction (its own first, in arrival order), decides them together
(bid_batch.place_batch) and hands each waiting caller its own outcome. Bids that arrive while it waits for
the lock join its batch; bids that arrive after it took them find no leader waiting, so the first of them
leads the next batch and waits at the lock at once. A process therefore keeps one batch at the lock and one
deciding, and the batch waiting for the lock grows instead of the queue. With no contention a batch is one
bid and nothing changes. Other processes still meet at the row lock, so correctness never depends on this:
it only saves work.

Each caller leads at most one batch (its own bid is in it), so nobody's answer waits behind an endless
stream of others' bids. Callers are threads (`submit`) or coroutines (`submit_async`, which leads in a
worker thread); both kinds meet in the same batches.
"""

import asyncio
import contextlib
import threading
from collections.abc import Callable
from typing import Any

from auctions.services.bid_batch import BidRequest, Outcome

MAX_BATCH = 100  # bids per transaction: bounds how long the row lock is held

# run(auction_id, take) -> one outcome per request take() returned. It must call take() once, as soon as it
# holds the auction's lock; take() returns the batch (and returns it again if called again).
Run = Callable[[int, Callable[[], list[BidRequest]]], list[Outcome]]


class _Ticket:
    """One caller's requests. A thread caller waits on `ready`: woken when its outcomes are set, or (outcomes
    still None) when it leads the next batch. A coroutine waits on `future`, set in its loop when its outcomes
    are; a batch it is to lead runs as a task of that loop, not as part of the caller, so a caller that goes
    away (a cancelled request) never leaves the auction's queue without a leader."""

    def __init__(self, requests: list[BidRequest], loop: asyncio.AbstractEventLoop | None = None) -> None:
        self.requests = requests
        self.outcomes: list[Outcome] | None = None
        self.loop = loop
        self.future: asyncio.Future[None] | None = loop.create_future() if loop is not None else None
        self.ready = threading.Event()


class Combiner:
    def __init__(self, run: Run, max_batch: int = MAX_BATCH) -> None:
        self._run = run
        self._max_batch = max_batch
        self._lock = threading.Lock()
        self._waiting: dict[int, list[_Ticket]] = {}
        self._leader_waiting: set[int] = set()  # auctions whose leader has not taken its batch yet
        self._leading_tasks: set[asyncio.Task[None]] = set()  # referenced until done (asyncio keeps weak ones)

    def submit(self, auction_id: int, requests: list[BidRequest]) -> list[Outcome]:
        """Decide `requests` (in order, possibly with other callers' bids); one outcome per request."""
        ticket = _Ticket(requests)
        if not self._enqueue(auction_id, ticket):
            ticket.ready.wait()
        if ticket.outcomes is None:  # first in, or handed the lead
            self.lead(auction_id)
        assert ticket.outcomes is not None
        return ticket.outcomes

    async def submit_async(self, auction_id: int, requests: list[BidRequest]) -> list[Outcome]:
        """`submit` for a coroutine: waits without a thread; a batch it leads runs in a worker thread."""
        loop = asyncio.get_running_loop()
        ticket = _Ticket(requests, loop)
        if self._enqueue(auction_id, ticket):
            self._lead_in_loop(auction_id)
        assert ticket.future is not None
        await ticket.future
        assert ticket.outcomes is not None
        return ticket.outcomes

    def _lead_in_loop(self, auction_id: int) -> None:
        """Lead one batch from the running event loop, in a worker thread, as a task of its own."""
        from channels.db import database_sync_to_async

        task = asyncio.ensure_future(database_sync_to_async(self.lead, thread_sensitive=False)(auction_id))
        self._leading_tasks.add(task)
        task.add_done_callback(self._leading_tasks.discard)

    def _enqueue(self, auction_id: int, ticket: _Ticket) -> bool:
        """Queue the ticket; True when its caller must lead (no leader is waiting to take a batch)."""
        with self._lock:
            self._waiting.setdefault(auction_id, []).append(ticket)
            if auction_id in self._leader_waiting:
                return False
            self._leader_waiting.add(auction_id)
            return True

    def _take(self, auction_id: int) -> list[_Ticket]:
        """The batch: waiting tickets in order, up to the cap. The first left over (if any) leads next."""
        with self._lock:
            waiting = self._waiting.get(auction_id, [])
            taken: list[_Ticket] = []
            size = 0
            while waiting and (not taken or size + len(waiting[0].requests) <= self._max_batch):
                ticket = waiting.pop(0)
                taken.append(ticket)
                size += len(ticket.requests)
            following = waiting[0] if waiting else None
            if following is None:
                self._waiting.pop(auction_id, None)
                self._leader_waiting.discard(auction_id)
        if following is not None:
            self._hand_lead(auction_id, following)
        return taken

    def _hand_lead(self, auction_id: int, ticket: _Ticket) -> None:
        """The ticket's caller leads the next batch: its thread, or a task in its event loop; if that loop has
        closed (the caller is gone), a thread of its own, so the queue never stops."""
        if ticket.loop is None:
            ticket.ready.set()  # outcomes still None: the caller's thread leads
            return
        try:
            ticket.loop.call_soon_threadsafe(self._lead_in_loop, auction_id)
        except RuntimeError:  # "Event loop is closed"
            threading.Thread(target=self._lead_alone, args=(auction_id,), daemon=True).start()

    def _lead_alone(self, auction_id: int) -> None:
        from django.db import connections

        try:
            self.lead(auction_id)
        finally:
            connections.close_all()  # this thread's own connection

    def lead(self, auction_id: int) -> None:
        """Run one batch: take the waiting bids once the lock is held, decide them, wake their callers."""
        batch: list[_Ticket] | None = None

        def take() -> list[BidRequest]:
            nonlocal batch
            if batch is None:
                batch = self._take(auction_id)
            return [request for ticket in batch for request in ticket.requests]

        outcomes: list[Any] = []
        try:
            outcomes = self._run(auction_id, take)
        except Exception as exc:  # noqa: BLE001 - delivered to every caller in the batch, raised there
            outcomes = [exc] * len(take())
        finally:
            if batch is None:  # the run never took its batch (interrupted): take it now, so the queue moves on
                take()
                outcomes = []
            assert batch is not None
            start = 0
            for ticket in batch:
                mine = outcomes[start : start + len(ticket.requests)]
                start += len(ticket.requests)
                if len(mine) != len(ticket.requests):  # interrupted: nothing was committed for them
                    mine = [RuntimeError("The bid could not be placed; try again.")] * len(ticket.requests)
                ticket.outcomes = mine
            _wake(batch)


def _wake(tickets: list[_Ticket]) -> None:
    """Hand callers their outcomes: threads at once; coroutines with one call into each event loop, not one
    per ticket (each such call writes to the loop's wake-up pipe)."""
    by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
    for ticket in tickets:
        if ticket.loop is None:
            ticket.ready.set()
        else:
            assert ticket.future is not None
            by_loop.setdefault(ticket.loop, []).append(ticket.future)
    for loop, futures in by_loop.items():
        with contextlib.suppress(RuntimeError):  # its loop has closed: nobody is waiting any more
            loop.call_soon_threadsafe(_resolve, futures)


def _resolve(futures: list["asyncio.Future[None]"]) -> None:
    for future in futures:
        if not future.done():
            future.set_result(None)
