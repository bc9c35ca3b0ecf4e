"""Paging the inventory so its cost stays bounded however many vehicles there are.

- The count stops at COUNT_CAP: "10,000+ vehicles" is what a visitor needs to know, and counting a million
  matches would cost more than the rest of the request (`SELECT COUNT(*) FROM (… LIMIT 10001)` reads at most
  10,001 index entries). Counts are cached briefly like the core paginator's.
- A search with few matches is sorted after filtering: walking a sort index (price, mileage, date …) until 24
  matches turn up reads the whole index when matches are rare. So for counts up to FILTER_FIRST_UNDER the page
  is read in two steps (a "deferred join"): the ids, filtered and sorted inside the covering index with ORDER BY
  terms no other index can provide (`column + 0`), then those rows by primary key. Broad searches keep the
  sort index's order (their 24 rows are found at once) and one query.
"""

from functools import cached_property
from typing import Any

from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import F, OrderBy, QuerySet, Value

from core.paginator import COUNT_CACHE_SECONDS, count_cache_key

COUNT_CAP = 10_000
FILTER_FIRST_UNDER = 5_000


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
    def counted(self) -> int:
        key = count_cache_key(self.object_list)
        cached = cache.get(key) if key else None
        if cached is not None:
            return int(cached)
        value = capped_count(self.object_list)
        if key and value >= 1000:
            cache.set(key, value, COUNT_CACHE_SECONDS)
        return value

    @cached_property
    def count(self) -> int:
        return min(self.counted, COUNT_CAP)

    @property
    def capped(self) -> bool:
        """More matches than `count` (shown as "10,000+")."""
        return self.counted > COUNT_CAP

    def page(self, number: Any) -> Any:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        rows = self.object_list
        if self.count > FILTER_FIRST_UNDER or connection.vendor != "mysql":
            return self._get_page(rows[bottom:top], number, self)  # type: ignore[attr-defined]
        ids = list(filter_first(rows).values_list("pk", flat=True)[bottom:top])
        by_id = {row.pk: row for row in rows.order_by().filter(pk__in=ids)} if ids else {}
        return self._get_page([by_id[pk] for pk in ids if pk in by_id], number, self)  # type: ignore[attr-defined]
