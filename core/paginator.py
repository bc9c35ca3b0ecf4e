"""A Paginator whose large counts are cached for a short while.

The inventory's result count is a COUNT(*) over every matching row: with 100,000 vehicles it is most of
a search's time (tens of ms), while the page itself reads 24 rows by an index. Counts of at least
CACHE_FROM rows are kept COUNT_CACHE_SECONDS per query (ordering aside, so every sort shares one count):
"12,480 vehicles" may be half a minute old, which nobody can tell; small counts, where one more or less
shows, are always exact.
"""

import hashlib
from functools import cached_property
from typing import Any

from django.core.cache import cache
from django.core.paginator import Paginator

COUNT_CACHE_SECONDS = 30
CACHE_FROM = 1000


def count_cache_key(queryset: Any) -> str | None:
    query = getattr(queryset, "query", None)
    if query is None:
        return None
    unordered = query.clone()
    unordered.clear_ordering(force=True)
    sql, params = unordered.sql_with_params()
    return "paginator-count:" + hashlib.sha256(f"{sql}|{params!r}".encode()).hexdigest()


class CachedCountPaginator(Paginator):
    @cached_property
    def count(self) -> int:
        key = count_cache_key(self.object_list)
        if key is None:
            return super().count
        cached = cache.get(key)
        if cached is not None:
            return int(cached)
        value = int(super().count)
        if value >= CACHE_FROM:
            cache.set(key, value, COUNT_CACHE_SECONDS)
        return value
