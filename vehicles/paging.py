"""Paging the inventory so its cost stays bounded however many vehicles there are.

- The count stops at COUNT_CAP: "10,000+ vehicles" is what a visitor needs to know, and counting a million
  matches would cost more than the rest of the request (`SELECT COUNT(*) FROM (… LIMIT 10001)` reads at most
  10,001 index entries). Counts are cached briefly like the core paginator's.
- A search with few matches is sorted after filtering: walking a sort index (price, mileage, date …) until 24
  matches turn up reads the whole index when matches are rare. So for counts up to FILTER_FIRST_UNDER the page
  is read in two steps (a "deferred join"): the ids, filtered and sorted inside the covering index with ORDER BY
  terms no other index can provide (`column + 0`), then those rows by primary key. Broad searches keep the
  sort index's order (their 24 rows are found at once) and one query, except when sorted by distance (computed:
  every match is sorted anyway, so only ids are sorted, never whole rows).
- A page reads only the columns a card shows (`vehicles.cards.CARD_FIELDS`).
- A free-text search (MariaDB FULLTEXT) is counted only to TEXT_COUNT_CAP ("1,000+"): MATCH hands over every
  matching document and each is read from the table, so a common word ("leather", in a quarter of the
  vehicles) costs a read per match. When it has more matches than that, its page is read by walking the sort
  index with a LIKE superset of the words (`search.without_fulltext`) and keeping the rows that meet the
  FULLTEXT meaning in Python (`search.text_test`): matches are dense, so a page takes a few hundred rows.

All of the above is the fallback. A public inventory search (a queryset from `VehicleFilter.qs`, which carries
its `search_criteria`) is answered by the in-memory inventory index (vehicles/inventory_index.py: exact counts,
any filter combination in a few vector operations) when settings.INVENTORY_INDEX is on and the index can answer
it; the page's rows are then read by primary key with every filter applied again, so a row the index holds
stale is left out (and the index told).
"""

from functools import cached_property
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import F, OrderBy, QuerySet, Value

from core.paginator import COUNT_CACHE_SECONDS, count_cache_key
from vehicles import search
from vehicles.cards import CARD_FIELDS
from vehicles.inventory_index import Hits, inventory_index
from vehicles.models import Vehicle

COUNT_CAP = 10_000
TEXT_COUNT_CAP = 1_000
FILTER_FIRST_UNDER = 5_000
DENSE_CHUNK_MIN = 96
DENSE_CHUNKS_MAX = 20


def capped_count(queryset: QuerySet[Any], cap: int = COUNT_CAP) -> int:
    """min(number of rows, cap + 1): cap + 1 means "more than cap"."""
    return int(queryset.order_by().values("pk")[: cap + 1].count())


def filter_first(queryset: QuerySet[Any]) -> QuerySet[Any]:
    """The same order, written so that no index can provide it (MariaDB then filters by index and sorts)."""
    if connection.vendor != "mysql":
        return queryset
    terms: list[Any] = []
    for term in queryset.query.order_by:
        if not isinstance(term, str):
            return queryset
        name = term.lstrip("-")
        if name in queryset.query.annotations:
            terms.append(term)  # computed already (distance): never an index
            continue
        expression = F(name) + Value(0)
        terms.append(OrderBy(expression, descending=term.startswith("-")))
    return queryset.order_by(*terms)


class InventoryPaginator(Paginator):  # type: ignore[type-arg]
    object_list: QuerySet[Any]

    @cached_property
    def words(self) -> tuple[str, ...]:
        """The FULLTEXT prefix words of a free-text search (() otherwise)."""
        return search.fulltext_prefixes(self.object_list) if connection.vendor == "mysql" else ()

    @cached_property
    def cap(self) -> int:
        return TEXT_COUNT_CAP if self.words else COUNT_CAP

    @cached_property
    def hits(self) -> Hits | None:
        """The inventory index's answer (None: the database answers)."""
        criteria = getattr(self.object_list, "search_criteria", None)
        if criteria is None or not settings.INVENTORY_INDEX:
            return None
        return inventory_index().search(criteria)

    @cached_property
    def counted(self) -> int:
        if self.hits is not None:
            return min(self.hits.count, self.cap + 1)
        key = count_cache_key(self.object_list)
        cached = cache.get(key) if key else None
        if cached is not None:
            return int(cached)
        value = capped_count(self.object_list, self.cap)
        if key and value >= 1000:
            cache.set(key, value, COUNT_CACHE_SECONDS)
        return value

    @cached_property
    def count(self) -> int:
        return min(self.counted, self.cap)

    @property
    def capped(self) -> bool:
        """More matches than `count` (shown as "10,000+", or "1,000+" for a free-text search)."""
        return self.counted > self.cap

    def page(self, number: Any) -> Any:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        rows = self.object_list.only(*CARD_FIELDS)  # what a card shows, not the description or condition report
        if self.hits is not None:
            return self._get_page(self._indexed_rows(rows, bottom, top), number, self)  # type: ignore[attr-defined]
        if self.words and self.capped:
            return self._get_page(self._dense_text_rows(bottom, top), number, self)  # type: ignore[attr-defined]
        if connection.vendor != "mysql" or (self.count > FILTER_FIRST_UNDER and not self._computed_order(rows)):
            return self._get_page(rows[bottom:top], number, self)  # type: ignore[attr-defined]
        ids = list(filter_first(rows).values_list("pk", flat=True)[bottom:top])
        by_id = {row.pk: row for row in rows.order_by().filter(pk__in=ids)} if ids else {}
        return self._get_page([by_id[pk] for pk in ids if pk in by_id], number, self)  # type: ignore[attr-defined]

    def _indexed_rows(self, rows: QuerySet[Any], bottom: int, top: int) -> list[Any]:
        """The index's page, read by primary key with every filter applied again (the FULLTEXT condition as its
        LIKE superset: MATCH would read every matching document first)."""
        assert self.hits is not None
        ids = self.hits.page(bottom, top - bottom)
        if not ids:
            return []
        by_id = {row.pk: row for row in search.without_fulltext(rows).order_by().filter(pk__in=ids)}
        missing = [pk for pk in ids if pk not in by_id]
        if missing:
            present = set(Vehicle.objects.in_inventory().filter(pk__in=missing).values_list("pk", flat=True))
            inventory_index().drop(pk for pk in missing if pk not in present)
        return [by_id[pk] for pk in ids if pk in by_id]

    @staticmethod
    def _computed_order(rows: QuerySet[Any]) -> bool:
        """Sorted by a computed value (distance): no index gives the order, so every match is sorted; the ids are
        sorted inside the covering index and only the page's rows read, however broad the search."""
        return any(isinstance(t, str) and t.lstrip("-") in rows.query.annotations for t in rows.query.order_by)

    def _dense_text_rows(self, bottom: int, top: int) -> list[Any]:
        """Rows bottom..top of a free-text search with more than TEXT_COUNT_CAP matches, in the search's order:
        the LIKE superset walked along the sort index in chunks, each row kept if it meets the words' FULLTEXT
        meaning (at most DENSE_CHUNKS_MAX chunks: the cap guarantees the matches are there)."""
        rows = search.without_fulltext(self.object_list).only(*CARD_FIELDS, *search.TEXT_FIELDS)
        text = " ".join(self.words)
        chunk = max(DENSE_CHUNK_MIN, 2 * top)
        found: list[Any] = []
        for n in range(DENSE_CHUNKS_MAX):
            batch = list(rows[n * chunk : (n + 1) * chunk])
            found += [row for row in batch if search.text_test(text, row, fulltext=True)]
            if len(found) >= top or len(batch) < chunk:
                break
        return found[bottom:top]
