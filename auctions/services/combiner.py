"""Concurrent bids on one auction in one process share a transaction (flat combining, group commit).

On a hot lot, bids queue for the auction's row lock, and each holder keeps it for a commit, whose log
flush is the slowest step. Here, the first thread to bid on an auction becomes its *leader*: it takes every
bid waiting in this process for that auction (its own first), decides them in one transaction
(bid_batch.place_batch) and hands each waiting thread its own result. Bids that arrive meanwhile wait for
the next batch, led by the first of them. With no contention a batch is one bid and nothing changes; under
contention the row is locked once per batch instead of once per bid. Other processes still meet at the
row lock, so correctness never depends on this: it only saves work.

Each thread leads at most one batch, so nobody's answer waits behind an endless stream of others' bids.
"""

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from auctions.services.bid_batch import BidRequest, Outcome

MAX_BATCH = 100  # bids per transaction: bounds how long the row lock is held


@dataclass(eq=False)
class _Ticket:
    requests: list[BidRequest]
    ready: threading.Event = field(default_factory=threading.Event)
    outcomes: list[Outcome] | None = None


class Combiner:
    def __init__(self, run: Callable[[int, list[BidRequest]], list[Outcome]], max_batch: int = MAX_BATCH) -> None:
        self._run = run
        self._max_batch = max_batch
        self._lock = threading.Lock()
        self._waiting: dict[int, list[_Ticket]] = {}
        self._leading: set[int] = set()

    def submit(self, auction_id: int, requests: list[BidRequest]) -> list[Outcome]:
        """Decide `requests` (in order, possibly with other threads' bids); one outcome per request."""
        ticket = _Ticket(requests)
        with self._lock:
            self._waiting.setdefault(auction_id, []).append(ticket)
            lead = auction_id not in self._leading
            if lead:
                self._leading.add(auction_id)
        if not lead:
            ticket.ready.wait()
            if ticket.outcomes is not None:
                return ticket.outcomes
        self._lead(auction_id)  # first in, or handed the lead by the last leader
        assert ticket.outcomes is not None
        return ticket.outcomes

    def _take(self, auction_id: int) -> list[_Ticket]:
        with self._lock:
            waiting = self._waiting.get(auction_id, [])
            taken: list[_Ticket] = []
            size = 0
            while waiting and (not taken or size + len(waiting[0].requests) <= self._max_batch):
                ticket = waiting.pop(0)
                taken.append(ticket)
                size += len(ticket.requests)
            return taken

    def _lead(self, auction_id: int) -> None:
        batch = self._take(auction_id)  # the leader's own ticket is first
        try:
            requests = [request for ticket in batch for request in ticket.requests]
            try:
                outcomes = self._run(auction_id, requests)
            except Exception as exc:  # noqa: BLE001 - delivered to every waiting caller, raised there
                outcomes = [exc] * len(requests)
            start = 0
            for ticket in batch:
                ticket.outcomes = outcomes[start : start + len(ticket.requests)]
                start += len(ticket.requests)
        finally:
            with self._lock:
                waiting = self._waiting.get(auction_id)
                if waiting:
                    waiting[0].ready.set()  # the next leader; its outcomes are still None
                else:
                    self._waiting.pop(auction_id, None)
                    self._leading.discard(auction_id)
            for ticket in batch:
                if ticket.outcomes is None:  # interrupted before deciding: nothing was committed for them
                    ticket.outcomes = [RuntimeError("The bid could not be placed; try again.")] * len(ticket.requests)
                ticket.ready.set()
