"""The saved searches, indexed in memory for matching a newly published vehicle (no search's query is run).

Each active search is filed under the values of its most selective exact criterion (`search.index_keys`:
make and model, make, distance cells, state, a text word, body/fuel, year or price bands, or "*"), with its
predicate prepared once (`search.matcher`). A vehicle is offered only to the searches filed under one of its
own values (`search.vehicle_keys`), and each candidate is decided in Python with the inventory's meaning.

One index per process, built on first use (its cost at 100,000 searches is not measured yet) and kept current by
`refresh()` before every match: one indexed query reads the searches changed since the last one (created,
edited, paused or resumed: `updated_at` at or after the previous refresh's start minus REFRESH_LAG, which covers
a write that committed up to that long after it stamped the row and clocks that far apart; or a primary key
above the highest seen); of those,
only rows whose `updated_at` differs from the one indexed are read whole and prepared again (a burst of
edits is prepared once, not at every refresh for the next REFRESH_LAG). A deleted
search is dropped when the matcher's confirming query (`confirm`) no longer finds it; a full reload every
FULL_RELOAD_SECONDS bounds what any missed change can cost. Thread-safe (one lock).
"""

import json
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from vehicles import search
from vehicles.filters import typed

REFRESH_LAG = timedelta(minutes=5)
FULL_RELOAD_SECONDS = 900.0
LOAD_CHUNK = 5000


@dataclass(frozen=True, slots=True)
class Entry:
    pk: int
    user_id: int
    keys: tuple[str, ...]
    test: search.Matcher


class SavedSearchIndex:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[str, dict[int, Entry]] = {}
        self._entries: dict[int, Entry] = {}
        self._stamps: dict[int, datetime | None] = {}  # pk -> updated_at as indexed (paused searches too)
        # criteria (as stored) -> their index keys and predicate, prepared once however many searches share them
        self._prepared: dict[str, tuple[tuple[str, ...], search.Matcher]] = {}
        self._since: datetime | None = None  # when the previous refresh started (the window's anchor)
        self._max_pk = 0
        self._loaded_at: float | None = None

    def __len__(self) -> int:
        return len(self._entries)

    # --- keeping it current ---------------------------------------------------------------------------

    def refresh(self) -> None:
        """Bring the index up to date with the database (a full load the first time and every
        FULL_RELOAD_SECONDS; otherwise only the rows changed since the last refresh)."""
        with self._lock:
            started = timezone.now()
            if self._loaded_at is None or time.monotonic() - self._loaded_at > FULL_RELOAD_SECONDS:
                self._load_all()
            else:
                self._load_changes()
            self._since = started

    def _rows(self, condition: Q) -> Iterable[tuple[int, int, Any, datetime | None, datetime]]:
        from vehicles.models import SavedSearch

        return (
            SavedSearch.objects.filter(condition)
            .order_by()
            .values_list("pk", "user_id", "criteria", "paused_at", "updated_at")
            .iterator(chunk_size=LOAD_CHUNK)
        )

    def _load_all(self) -> None:
        self._buckets, self._entries, self._stamps, self._prepared, self._max_pk = {}, {}, {}, {}, 0
        started = time.monotonic()
        for row in self._rows(Q()):
            self._apply(*row)
        self._loaded_at = started

    def _load_changes(self) -> None:
        from vehicles.models import SavedSearch

        window = Q(pk__gt=self._max_pk)
        if self._since is not None:
            window |= Q(updated_at__gte=self._since - REFRESH_LAG)
        stamps = SavedSearch.objects.filter(window).order_by().values_list("pk", "updated_at")
        changed = [pk for pk, stamp in stamps.iterator(chunk_size=LOAD_CHUNK) if self._stamps.get(pk, 0) != stamp]
        for start in range(0, len(changed), LOAD_CHUNK):
            for row in self._rows(Q(pk__in=changed[start : start + LOAD_CHUNK])):
                self._apply(*row)

    def _apply(self, pk: int, user_id: int, criteria: Any, paused_at: datetime | None, updated_at: datetime) -> None:
        self._drop(pk)
        self._stamps[pk] = updated_at
        self._max_pk = max(self._max_pk, pk)
        if paused_at is not None:
            return
        raw = criteria if isinstance(criteria, dict) else {}
        shape = json.dumps(raw, sort_keys=True, default=str)
        prepared = self._prepared.get(shape)
        if prepared is None:
            clean = typed(raw)
            prepared = self._prepared[shape] = (tuple(search.index_keys(clean)), search.matcher(clean))
        entry = Entry(pk, user_id, *prepared)
        self._entries[pk] = entry
        for key in entry.keys:
            self._buckets.setdefault(key, {})[pk] = entry

    def _drop(self, pk: int) -> None:
        self._stamps.pop(pk, None)
        entry = self._entries.pop(pk, None)
        if entry is None:
            return
        for key in entry.keys:
            bucket = self._buckets.get(key)
            if bucket is not None:
                bucket.pop(pk, None)
                if not bucket:
                    del self._buckets[key]

    def forget(self, pks: Iterable[int]) -> None:
        """Searches found deleted: out of the index."""
        with self._lock:
            for pk in pks:
                self._drop(pk)

    def reset(self) -> None:
        """Drop everything; the next refresh loads all searches again."""
        with self._lock:
            self.__init__()  # type: ignore[misc]

    # --- matching ---------------------------------------------------------------------------------------

    def candidates(self, vehicle: Any) -> list[Entry]:
        """The searches filed under one of the vehicle's values (each once), not yet decided."""
        found: dict[int, Entry] = {}
        with self._lock:
            for key in search.vehicle_keys(vehicle):
                bucket = self._buckets.get(key)
                if bucket:
                    found.update(bucket)
        return list(found.values())

    def matching(self, vehicle: Any, ctx: search.SearchContext) -> list[Entry]:
        """The candidates whose predicate the vehicle meets, except its seller's own searches. Searches with the
        same criteria share one predicate, decided once per vehicle (popular searches are saved by many)."""
        seller = vehicle.seller_id
        verdicts: dict[int, bool] = {}
        found = []
        for entry in self.candidates(vehicle):
            if entry.user_id == seller:
                continue
            verdict = verdicts.get(id(entry.test))
            if verdict is None:
                verdict = verdicts[id(entry.test)] = entry.test(vehicle, ctx)
            if verdict:
                found.append(entry)
        return found


INDEX = SavedSearchIndex()
