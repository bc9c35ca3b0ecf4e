"""The inventory, held in memory as columns (numpy), so a search is a few vector operations, not an index scan.

MariaDB answers a filter combination fast only when its most selective filter leads a B-tree; the rest scan a
whole covering index (docs/INVENTORY_SEARCH.md). Here each search is a boolean mask over the inventory's rows:
one comparison per criterion, an exact count, and a partial sort for the page. The meaning stays in
`vehicles.search`; nothing here restates a rule:

- a criterion over a few distinct values (make, model, state, body, fuel, transmission, drivetrain, title, keys,
  runs and drives, damage, year) is decided by its own Python test (`Criterion.test`) once per distinct value,
  and the rows whose value passed are selected;
- a checkbox whose test reads many columns (no reserve, buy now) is decided by its test per row when the row is
  loaded; "ending within 24 h" depends on the clock and applies `search.ending_window`;
- a bound (price, mileage) compares with the criterion's own operator and cast (`Criterion.bound`);
- distance: rows inside `core.geo.bounding_box`, then `search.vehicle_miles` per distinct location;
- free text: words are matched against the distinct tokens of make, model, trim and description with
  `search.token_matches` (the FULLTEXT prefix meaning) and full VINs exactly; a query `search` would send to
  LIKE (words under three letters, or SQLite) is not answered here (`None`: the caller asks the database).

Sorts are `search.SORTS`' orders with MariaDB's NULL placement (first ascending), ties by id.

One index per process (`inventory_index()`), loaded on first use and kept current by `refresh()` before every
search: one query on the `updated_at` index reads the vehicles changed since the previous refresh (from its start
minus REFRESH_LAG, which covers a transaction that commits after it stamped its rows; or a higher id), and those
rows are read again. `Vehicle.objects.update()` stamps `updated_at` (vehicles/models.py) as `save()` does, so
every ORM write is seen. Rows deleted without a trace (a bulk delete, a flushed test database) show as a count
that differs from the database's (`_counts_differ`): the index loads again. Text of a changed row is kept beside
the token table until the next full load (every FULL_RELOAD_SECONDS, or after CHANGED_RELOAD_SHARE of the rows
changed; in a background thread). A row a page fails to find is dropped at once (`drop`). Thread-safe (one lock).
"""

from __future__ import annotations

import threading
import time
from array import array
from collections.abc import Iterable, Mapping, Sequence
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import numpy as np
from django.conf import settings
from django.db import connections

from core.geo import bounding_box
from vehicles import search
from vehicles.models import Vehicle
from vehicles.search import Criterion, SearchContext

COUNT_CHECK_SECONDS = 30.0  # a large inventory's count (90 ms at 1M) is checked this often
COUNT_EVERY_SEARCH_UNDER = 20_000  # a small one's (a few ms) at every search
WALK_OVER = 20_000  # a search with more matches finds its page along a sort order computed at load
REFRESH_LAG = timedelta(seconds=10)  # transactions here are short; the hourly reload bounds a longer one
FULL_RELOAD_SECONDS = 3600.0
CHANGED_RELOAD_SHARE = 0.05  # a full load once this share of rows was changed after the last one
LOAD_CHUNK = 20_000
NULL = np.iinfo(np.int64).min + 1  # first ascending, and negated (descending) last: MariaDB's NULL placement
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# criterion name -> the columns its test reads, decided once per distinct value (tuple) of those columns
BY_VALUE: dict[str, tuple[str, ...]] = {
    "make": ("make",),
    "model": ("model",),
    "state": ("state",),
    "body_type": ("body_type",),
    "fuel_type": ("fuel_type",),
    "transmission": ("transmission",),
    "drivetrain": ("drivetrain",),
    "title_type": ("title_type",),
    "clean_title": ("title_type",),
    "runs_drives": ("starts", "drives"),
    "has_keys": ("keys_count",),
    "damage": ("damage_mask",),
    "year_min": ("year",),
    "year_max": ("year",),
}
# checkboxes whose test reads many columns: decided per row when it is loaded
PER_ROW = ("no_reserve", "buy_now")
CODED = tuple(sorted({column for columns in BY_VALUE.values() for column in columns}))
# (criterion, column as loaded); price columns hold cents
BOUNDS = {"price_min": "price", "price_max": "price", "mileage_max": "mileage"}
# `in_inventory`, `listing_price` and `ending_rank` are the model's generated columns: read, never recomputed
ROW_FIELDS = (
    "id", "updated_at", "in_inventory", *CODED, "mileage", "listing_price", "ending_rank", "current_price",
    "reserve_price", "buy_now_price", "bid_count", "auction_status", "auction_ends_at", "approved_at", "latitude",
    "longitude", "vin", "trim", "description",
)  # fmt: skip
TEXT_COLUMNS = tuple(name for name in search.TEXT_FIELDS if name != "vin")


class _Row:
    """One loaded row, read by the criteria's Python tests as they read a Vehicle."""

    __slots__ = ROW_FIELDS

    if TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any: ...

    def __init__(self, values: Sequence[Any]) -> None:
        for name, value in zip(ROW_FIELDS, values, strict=True):
            setattr(self, name, value)


def _cents(value: Decimal | None) -> int:
    return NULL if value is None else int(value * 100)


def _micros(value: datetime | None) -> int:
    return NULL if value is None else (value - EPOCH) // timedelta(microseconds=1)


class Hits:
    """The rows one search matched: how many, and any page of their ids in the search's order."""

    def __init__(self, index: InventoryIndex, mask: np.ndarray, criteria: Mapping[str, Any], miles: Any):
        self._index, self._cols, self._orders = index, index._cols, index._orders
        self._mask, self._positions = mask, np.flatnonzero(mask)
        self._criteria, self._miles = criteria, miles
        self.count = int(self._positions.size)

    def page(self, offset: int, limit: int) -> list[int]:
        with self._index._lock:
            positions = self._positions
            order = self._order()
            if order is not None and positions.size > WALK_OVER:
                positions = _walk(order, self._mask, self._cols["changed"], offset + limit)
            found = _page(self._cols, positions, self._criteria, self._miles, offset + limit)[offset:]
            return [int(pk) for pk in self._cols["id"][found]]

    def _order(self) -> np.ndarray | None:
        """The rows as loaded in this search's sort order (None for a distance sort)."""
        terms = _sort_terms(self._criteria)
        order = self._orders.get(tuple(t.lstrip("-") for t in terms[:-1]))
        if order is None:
            return None
        return order[::-1] if terms[0].startswith("-") else order


_BUFFER_TYPES = {"q": np.int64, "b": np.int8, "d": np.float64, "i": np.int32}


class _Columns:
    """Growable columns of the loaded rows (position = row number); `alive` says which are in the inventory."""

    INTS = ("id", "stamp", "year_value", "mileage", "price", "ends", "approved", "ending_rank")
    CODES = ("location", *(f"#{c}" for c in CODED))  # int32: a criterion reads a quarter of the bytes
    BOOLS = ("alive", *PER_ROW)
    FLOATS = ("lat", "lon")
    NAMES = (*INTS, *CODES, *BOOLS, *FLOATS)  # the order of `InventoryIndex._values_of`
    TYPECODES = {
        **dict.fromkeys(INTS, "q"), **dict.fromkeys(CODES, "i"), **dict.fromkeys(BOOLS, "b"),
        **dict.fromkeys(FLOATS, "d"),
    }  # fmt: skip
    EXTRA = ("changed",)  # changed since the load: its text is in `_changed_text`, its place in `_orders` stale

    def __init__(self, data: Mapping[str, Any] | None = None) -> None:
        data = data or {}
        self.n = len(data.get("id", ()))
        self.capacity = max(int(self.n * 1.1), 64)
        self.arrays: dict[str, np.ndarray] = {}
        kinds = (
            (self.INTS, np.int64),
            (self.CODES, np.int32),
            (self.BOOLS + self.EXTRA, bool),
            (self.FLOATS, np.float64),
        )
        for names, dtype in kinds:
            for name in names:
                column = np.zeros(self.capacity, dtype=dtype)
                if name in data:
                    column[: self.n] = np.frombuffer(data[name], dtype=_BUFFER_TYPES[self.TYPECODES[name]])
                self.arrays[name] = column

    def append(self) -> int:
        if self.n == self.capacity:
            self.capacity *= 2
            self.arrays = {name: np.resize(array, self.capacity) for name, array in self.arrays.items()}
        self.n += 1
        return self.n - 1

    def put(self, pos: int, values: Sequence[Any]) -> None:
        for name, value in zip(self.NAMES, values, strict=True):
            self.arrays[name][pos] = value

    def __getitem__(self, name: str) -> np.ndarray:
        return self.arrays[name][: self.n]


class InventoryIndex:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._new_code = threading.Lock()
        self._cols = _Columns()
        self._orders: dict[tuple[str, ...], np.ndarray] = {}
        self._loaded_ids = np.zeros(0, dtype=np.int64)  # ids of the rows as loaded (sorted: position = index)
        self._appended: dict[int, int] = {}  # id -> position of a row added since the load
        self._codes: dict[str, dict[Any, int]] = {}  # column (or "location": latitude, longitude) -> value -> code
        self._values: dict[str, list[Any]] = {}  # column -> code -> value
        self._tokens: dict[str, np.ndarray] = {}  # token -> positions (as loaded)
        self._vin_sorted = np.zeros(0, dtype="S17")  # folded VINs of the rows as loaded, sorted
        self._vin_positions = np.zeros(0, dtype=np.int64)
        self._changed_text: dict[int, tuple[str, frozenset[str]]] = {}  # position -> (vin, tokens), changed since
        self._decided: dict[tuple[str, str], np.ndarray] = {}  # (criterion, value) -> passing codes
        self._since: datetime | None = None
        self._max_pk = 0
        self._loaded_at: float | None = None
        self._counted_at = 0.0
        self._count_misses = 0
        self._loading = False

    # --- keeping it current ---------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget everything: the next search loads the inventory again (tests between databases)."""
        with self._lock:
            self._loaded_at = None

    @property
    def ready(self) -> bool:
        return self._loaded_at is not None

    def refresh(self) -> None:
        """Read the rows changed since the last refresh (two indexed queries when none did). The first load is done
        here when the inventory is small (settings.INVENTORY_INDEX_SYNC_LOAD_UNDER rows), otherwise in a background
        thread (`ready` is False meanwhile); later full loads run in the background while this one answers."""
        with self._lock:
            now = time.monotonic()
            if self._loaded_at is None or self._shrunk():
                self._loaded_at = None
                self._reload()
                return
            started = datetime.now(UTC)
            self._load_changes()
            self._since = started
            if self._loading:
                return
            stale = now - self._loaded_at > FULL_RELOAD_SECONDS
            many_changed = len(self._changed_text) > CHANGED_RELOAD_SHARE * max(self._cols.n, 1000)
            if stale or many_changed or self._counts_differ(now):
                self._reload()

    def _small(self) -> bool:
        limit = settings.INVENTORY_INDEX_SYNC_LOAD_UNDER
        return Vehicle.objects.in_inventory()[: limit + 1].count() <= limit

    def _reload(self) -> None:
        """Load again: here when the inventory is small, otherwise in the background (if not already loading)."""
        if self._loading:
            return
        if self._small():
            self._load_all()
        else:
            self._load_in_background()

    def _counts_differ(self, now: float) -> bool:
        """Rows deleted without a trace (a bulk delete, a flushed test database) or missed: the inventory's count
        differs from the index's. Checked at every refresh of a small inventory, every COUNT_CHECK_SECONDS of a
        large one, where two checks in a row must differ (a transaction committing meanwhile is not a miss)."""
        small = self._cols.n <= COUNT_EVERY_SEARCH_UNDER
        if not small and now - self._counted_at < COUNT_CHECK_SECONDS:
            return False
        self._counted_at = now
        differs = Vehicle.objects.in_inventory().count() != int(np.count_nonzero(self._cols["alive"]))
        self._count_misses = self._count_misses + 1 if differs else 0
        return self._count_misses >= (1 if small else 2)

    def _load_in_background(self) -> None:
        def load() -> None:
            try:
                self._load_all()
            finally:
                self._loading = False
                connections.close_all()  # this thread's connections

        self._loading = True
        threading.Thread(target=load, name="inventory-index-load", daemon=True).start()

    def _shrunk(self) -> bool:
        """The table's highest id is below the highest loaded (rows deleted, or a test database flushed)."""
        top = Vehicle.objects.order_by("-pk").values_list("pk", flat=True).first()
        return (top or 0) < self._max_pk

    def drop(self, ids: Iterable[int]) -> None:
        """These vehicles are no longer in the inventory (a page's rows were not found)."""
        with self._lock:
            for pk in ids:
                pos = self._position(pk)
                if pos is not None:
                    self._cols.arrays["alive"][pos] = False

    @staticmethod
    def _rows(queryset: Any) -> Iterable[_Row]:
        """The rows in id order, LOAD_CHUNK at a time by id (mysqlclient would hold a whole result in memory)."""
        last = 0
        while True:
            chunk = list(queryset.filter(pk__gt=last).order_by("pk").values_list(*ROW_FIELDS)[:LOAD_CHUNK])
            for values in chunk:
                yield _Row(values)
            if len(chunk) < LOAD_CHUNK:
                return
            last = chunk[-1][0]

    def _position(self, pk: int) -> int | None:
        """The row's position: found among the loaded ids (sorted), else among the rows appended since."""
        at = int(np.searchsorted(self._loaded_ids, pk))
        if at < self._loaded_ids.size and self._loaded_ids[at] == pk:
            return at
        return self._appended.get(pk)

    def _load_all(self) -> None:
        """Read the whole inventory and swap it in (codes and locations are kept: they only grow)."""
        started, since = time.monotonic(), datetime.now(UTC)
        columns = [array(_Columns.TYPECODES[name]) for name in _Columns.NAMES]  # compact while loading
        postings: dict[str, array[int]] = {}
        vins: list[bytes] = []
        ctx = SearchContext(fulltext=True)
        for pos, row in enumerate(self._rows(Vehicle.objects.in_inventory())):
            for column, value in zip(columns, self._values_of(row, ctx), strict=True):
                column.append(value)
            vins.append(search.fold(row.vin).encode())
            text = tuple(str(getattr(row, name) or "") for name in TEXT_COLUMNS)
            for token in _tokens(text):
                found = postings.get(token)
                if found is None:
                    found = postings[token] = array("i")
                found.append(pos)
        loaded = _Columns(dict(zip(_Columns.NAMES, columns, strict=True)))
        tokens = {token: np.frombuffer(found, dtype=np.int32) for token, found in postings.items()}
        vin_array = np.array(vins, dtype="S17")
        order = np.argsort(vin_array, kind="stable")
        orders = _orders(loaded)
        with self._lock if self._loading else nullcontext():
            self._cols, self._tokens, self._changed_text, self._appended = loaded, tokens, {}, {}
            self._loaded_ids = loaded["id"].copy()
            self._orders = orders
            self._vin_sorted, self._vin_positions = vin_array[order], order.astype(np.int64)
            self._max_pk = int(self._loaded_ids[-1]) if self._loaded_ids.size else 0
            self._since = since  # the next refresh reads what changed while this load ran
            self._loaded_at = started
            self._count_misses = 0

    def _load_changes(self) -> None:
        stamps = Vehicle.objects.filter(pk__gt=self._max_pk)
        if self._since is not None:
            stamps = stamps | Vehicle.objects.filter(updated_at__gte=self._since - REFRESH_LAG)
        stamp = self._cols.arrays["stamp"]
        changed = [
            pk
            for pk, updated_at in stamps.order_by().values_list("pk", "updated_at")
            if (pos := self._position(pk)) is None or stamp[pos] != _micros(updated_at)
        ]
        ctx = SearchContext(fulltext=True)
        for start in range(0, len(changed), LOAD_CHUNK):
            chunk = changed[start : start + LOAD_CHUNK]
            found = set()
            for row in self._rows(Vehicle.objects.filter(pk__in=chunk)):
                found.add(row.id)
                self._update(row, ctx)
            for pk in set(chunk) - found:  # deleted
                if (pos := self._position(pk)) is not None:
                    self._cols.arrays["alive"][pos] = False

    def _update(self, row: _Row, ctx: SearchContext) -> None:
        self._max_pk = max(self._max_pk, row.id)
        pos = self._position(row.id)
        if pos is None:
            if not row.in_inventory:
                return
            pos = self._appended[row.id] = self._cols.append()
        self._cols.put(pos, self._values_of(row, ctx))
        text = tuple(str(getattr(row, name) or "") for name in TEXT_COLUMNS)
        self._changed_text[pos] = (str(row.vin).upper(), _tokens((*text, str(row.vin))))
        self._cols.arrays["changed"][pos] = True

    def _values_of(self, row: _Row, ctx: SearchContext) -> tuple[Any, ...]:
        """The row's value of every column, in `_Columns.NAMES` order."""
        point = None if row.latitude is None or row.longitude is None else (float(row.latitude), float(row.longitude))
        return (
            row.id,
            _micros(row.updated_at),
            NULL if row.year is None else row.year,
            NULL if row.mileage is None else row.mileage,
            _cents(row.listing_price),
            _micros(row.auction_ends_at),
            _micros(row.approved_at),
            row.ending_rank,
            -1 if point is None else self._code("location", point),
            *(self._code(column, getattr(row, column)) for column in CODED),
            row.in_inventory,
            *(search.BY_NAME[name].test(True, row, ctx) for name in PER_ROW),
            np.nan if point is None else point[0],
            np.nan if point is None else point[1],
        )

    def _code(self, column: str, value: Any) -> int:
        codes = self._codes.get(column)
        if codes is None:
            with self._new_code:
                self._values.setdefault(column, [])
                codes = self._codes.setdefault(column, {})
        code = codes.get(value)
        if code is None:
            with self._new_code:  # a background load and a refresh may meet a new value at once
                code = codes.get(value)
                if code is None:
                    code = len(codes)
                    self._values[column].append(value)
                    codes[value] = code
        return code

    # --- searching -------------------------------------------------------------------------------------

    def search(self, criteria: Mapping[str, Any], ctx: SearchContext | None = None) -> Hits | None:
        """The inventory vehicles meeting `criteria` (pageable in its sort order); None when the text query needs
        the database (see the module docstring)."""
        ctx = ctx or SearchContext()
        if criteria.get("q") and not ctx.fulltext:
            return None
        self.refresh()
        if not self.ready:
            return None
        with self._lock:
            cols = self._cols
            mask = cols["alive"].copy()
            for criterion in search.CRITERIA:
                value = criteria.get(criterion.name)
                if value in (None, "", [], False):
                    continue
                part = self._criterion_mask(criterion, value, ctx)
                if part is None:
                    return None
                mask &= part
            miles = self._distance(criteria, mask)
            return Hits(self, mask, criteria, miles)

    def _criterion_mask(self, criterion: Criterion, value: Any, ctx: SearchContext) -> Any:
        cols, name = self._cols, criterion.name
        if name in BY_VALUE:
            columns = BY_VALUE[name]
            codes = self._coded(columns)
            sizes = [len(self._values.get(column, ())) + 1 for column in columns]
            table = np.zeros(int(np.prod(sizes)), dtype=bool)  # code -> passes (a gather, not a search)
            passing = self._passing(criterion, value, ctx)
            table[passing[passing < table.size]] = True
            return table[codes]
        if name in PER_ROW:
            return cols[name]
        if name in BOUNDS:
            column = cols[BOUNDS[name]]
            threshold = criterion.bound.cast(value)  # type: ignore[union-attr]
            if BOUNDS[name] == "price":
                threshold = _cents(threshold)  # exact: criteria hold whole cents
            return (column != NULL) & criterion.bound.op(column, threshold)  # type: ignore[union-attr]
        if name == "ending_24h":
            start, end = search.ending_window(ctx)
            ends = cols["ends"]
            return (cols["ending_rank"] == 0) & (ends > _micros(start)) & (ends <= _micros(end))
        if name == "q":
            return self._text(str(value))
        raise LookupError(f"the inventory index does not know the criterion {name!r}")

    def _coded(self, columns: tuple[str, ...]) -> np.ndarray:
        if len(columns) == 1:
            return self._cols[f"#{columns[0]}"]
        first, second = (self._cols[f"#{c}"] for c in columns)
        return first * (len(self._values.get(columns[1], [])) + 1) + second

    def _passing(self, criterion: Criterion, value: Any, ctx: SearchContext) -> np.ndarray:
        """The codes (of the columns `criterion` reads) whose values pass its test, decided once per value."""
        columns = BY_VALUE[criterion.name]
        key = (criterion.name, repr(value))
        sizes = tuple(len(self._values.get(c, [])) for c in columns)
        cached = self._decided.get(key)
        if cached is not None and cached[0] == sizes:
            return cached[1]  # type: ignore[no-any-return]
        if len(columns) == 1:
            values = self._values.get(columns[0], [])
            passing = [
                code for code, v in enumerate(values) if criterion.test(value, SimpleNamespace(**{columns[0]: v}), ctx)
            ]
        else:
            firsts, seconds = (self._values.get(c, []) for c in columns)
            passing = [
                a * (len(seconds) + 1) + b
                for a, first in enumerate(firsts)
                for b, second in enumerate(seconds)
                if criterion.test(value, SimpleNamespace(**{columns[0]: first, columns[1]: second}), ctx)
            ]
        found = np.array(passing, dtype=np.int64)
        self._decided[key] = (sizes, found)  # type: ignore[assignment]
        return found

    def _text(self, text: str) -> np.ndarray | None:
        plan = search.text_plan(text, fulltext=True)
        if plan.substrings:
            return None
        cols = self._cols
        changed = cols["changed"]
        mask = np.ones(cols.n, dtype=bool)
        for vin in plan.vins:
            hit = np.zeros(cols.n, dtype=bool)
            hit[self._vin_range(search.fold(vin), exact=True)] = True
            hit &= ~changed
            for pos, (changed_vin, _) in self._changed_text.items():
                hit[pos] = changed_vin == vin
            mask &= hit
        for word in plan.prefixes:
            hit = np.zeros(cols.n, dtype=bool)
            for token, positions in self._tokens.items():
                if search.token_matches(token, word):
                    hit[positions] = True
            hit[self._vin_range(search.fold(word), exact=False)] = True
            hit &= ~changed
            for pos, (_, tokens) in self._changed_text.items():
                hit[pos] = any(search.token_matches(token, word) for token in tokens)
            mask &= hit
        return mask

    def _vin_range(self, folded: str, *, exact: bool) -> np.ndarray:
        """Positions of the loaded rows whose folded VIN equals `folded`, or starts with it (a VIN is one token)."""
        if not folded.isascii() or len(folded) > 17:
            return self._vin_positions[:0]
        low = np.searchsorted(self._vin_sorted, folded.encode(), side="left")
        high = np.searchsorted(self._vin_sorted, folded.encode() + (b"" if exact else b"\xff"), side="right")
        return self._vin_positions[low:high]

    def _distance(self, criteria: Mapping[str, Any], mask: np.ndarray) -> np.ndarray | None:
        """Miles from the search's ZIP per row (when it filters or sorts by distance); narrows `mask` in place."""
        point = search.search_point(criteria)
        if point is None or not (criteria.get("distance") or criteria.get("sort") == "distance"):
            return None
        cols = self._cols
        locations = cols["location"]
        within = locations >= 0
        limit = float(criteria["distance"]) if criteria.get("distance") else None
        if limit is not None:
            min_lat, max_lat, min_lon, max_lon = bounding_box(point, limit)
            within &= (cols["lat"] >= float(min_lat)) & (cols["lat"] <= float(max_lat))
            within &= (cols["lon"] >= float(min_lon)) & (cols["lon"] <= float(max_lon))
            mask &= within
        points = self._values.get("location", [])
        present = np.zeros(len(points) + 1, dtype=bool)
        present[locations[mask & within]] = True
        by_code = np.full(len(points) + 1, np.inf)
        for code in np.flatnonzero(present[:-1]).tolist():
            lat, lon = points[code]
            by_code[code] = search.vehicle_miles(SimpleNamespace(latitude=lat, longitude=lon), point)
        miles = by_code[locations]  # location -1 (unknown) reads the last cell: infinity
        if limit is not None:
            mask &= miles <= limit
        return miles


def _sort_terms(criteria: Mapping[str, Any]) -> list[str]:
    """The search's ORDER BY terms (`search.SORTS` of `search.sort_of`; the last one is the id)."""
    return search.SORTS[search.sort_of(criteria)][1]


def _page(cols: _Columns, positions: np.ndarray, criteria: Mapping[str, Any], miles: Any, top: int) -> np.ndarray:
    """The first `top` of `positions` in the search's order (a partial sort: partition, then the ties)."""
    if top <= 0 or positions.size == 0:
        return positions[:0]
    terms = _sort_terms(criteria)
    ids = cols["id"][positions]
    keys: list[np.ndarray]
    if terms[0] == "distance_miles":
        keys = [miles[positions]]
    else:
        keys = [cols[_SORT_COLUMNS[term.lstrip("-")]][positions] for term in terms[:-1]]
        if terms[0].startswith("-"):
            keys = [-k for k in keys]
            ids = -ids
    combined = _combined(keys, ids)
    if combined is not None:  # one unique integer per row: a partition finds the page, no ties to sort
        if positions.size > top:
            part = np.argpartition(combined, top - 1)[:top]
            positions, combined = positions[part], combined[part]
        return positions[np.argsort(combined, kind="stable")[:top]]
    if positions.size > top:
        first = keys[0]
        kth = np.partition(first, top - 1)[top - 1]
        keep = first <= kth
        positions, ids, keys = positions[keep], ids[keep], [k[keep] for k in keys]
    order = np.lexsort([ids, *reversed(keys)])
    return positions[order[:top]]


def _nulls_at_ends(key: np.ndarray) -> np.ndarray:
    """NULL (ascending) just below the other values, negated NULL (descending) just above: the same order in a
    narrow range."""
    null, negated = key == NULL, key == -NULL
    if not (null.any() or negated.any()):
        return key
    rest = key[~(null | negated)]
    low, high = (int(rest.min()), int(rest.max())) if rest.size else (0, 0)
    return np.where(null, low - 1, np.where(negated, high + 1, key))


def _combined(keys: list[np.ndarray], ids: np.ndarray) -> np.ndarray | None:
    """The sort keys and the id packed into one int64 per row, in the same order (None when they do not fit)."""
    if any(k.dtype.kind != "i" for k in keys) or ids.size == 0:
        return None
    parts = [_nulls_at_ends(k) for k in keys] + [ids]
    lows = [int(p.min()) for p in parts]
    widths = [(int(p.max()) - low).bit_length() for p, low in zip(parts, lows, strict=True)]
    if sum(widths) > 62:
        return None
    combined = np.zeros(ids.size, dtype=np.int64)
    for part, low, width in zip(parts, lows, widths, strict=True):
        combined = (combined << width) | (part - low)
    return combined


def _walk(order: np.ndarray, mask: np.ndarray, changed: np.ndarray, top: int) -> np.ndarray:
    """Candidates for the first `top` matches of a broad search: the first `top` unchanged matching rows along
    the order computed at load (read chunk by chunk: a few thousand rows when matches are common), and every
    matching row changed since the load (its place in that order may be stale). `_page` sorts the candidates."""
    found, need, start, chunk = [], top, 0, 4096
    while need > 0 and start < order.size:
        rows = order[start : start + chunk]
        kept = rows[mask[rows] & ~changed[rows]][:need]
        found.append(kept)
        need -= kept.size
        start += chunk
        chunk *= 2
    found.append(np.flatnonzero(mask & changed))
    return np.concatenate(found)


def _orders(cols: _Columns) -> dict[tuple[str, ...], np.ndarray]:
    """Every ascending sort of `search.SORTS` over all loaded rows (a descending one is its reverse: ties by id)."""
    orders = {}
    for _, terms in search.SORTS.values():
        names = tuple(term.lstrip("-") for term in terms[:-1])
        if names in orders or any(name not in _SORT_COLUMNS for name in names):
            continue
        combined = _combined([cols[_SORT_COLUMNS[name]] for name in names], cols["id"])
        if combined is not None:
            orders[names] = np.argsort(combined, kind="stable").astype(np.int32)
    return orders


_SORT_COLUMNS = {
    "ending_rank": "ending_rank",
    "auction_ends_at": "ends",
    "approved_at": "approved",
    "listing_price": "price",
    "mileage": "mileage",
    "year": "year_value",
}


def _tokens(text: Sequence[str]) -> frozenset[str]:
    return frozenset(token for value in text for token in search.WORD.findall(search.fold(value)))


_INDEX = InventoryIndex()


def inventory_index() -> InventoryIndex:
    return _INDEX
