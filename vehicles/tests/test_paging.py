"""The inventory paginator's shortcuts give what plain SQL gives: the count, and each page's vehicles in ORDER BY's
order (filter-first ids, the sort index, distance-sorted ids), for random searches and every sort."""

import random

from vehicles import paging, search
from vehicles.models import Vehicle
from vehicles.tests.test_search import _criteria, _vehicles


class _NoCache:
    def get(self, *args: object, **kwargs: object) -> None:
        return None

    def set(self, *args: object, **kwargs: object) -> None:
        return None


def test_pages_and_counts_match_plain_sql(transactional_db, monkeypatch):
    rng = random.Random(21)
    _vehicles(rng)
    monkeypatch.setattr(paging, "cache", _NoCache())  # every count computed (and the shared cache left alone)
    sorts = list(search.SORTS)
    checked = 0
    for n in range(120):
        criteria = {**_criteria(rng), "sort": rng.choice(sorts)}
        if criteria["sort"] == "distance":
            criteria.setdefault("zip", "55401")
        # the filter-first ids below its limit (most of these), and the sort index's order above it
        monkeypatch.setattr(paging, "FILTER_FIRST_UNDER", 5_000 if n % 2 else 3)
        queryset = search.order(search.apply(Vehicle.objects.in_inventory(), criteria), criteria)
        expected = list(queryset.values_list("pk", flat=True))
        paginator = paging.InventoryPaginator(queryset, 5)
        assert paginator.count == min(len(expected), paginator.cap), criteria
        for number in paginator.page_range:
            page = paginator.page(number)
            if paginator.words and paginator.capped:
                continue  # the dense text path has its own test
            assert [v.pk for v in page.object_list] == expected[(number - 1) * 5 : number * 5], (criteria, number)
        checked += len(expected) > 5
    assert checked > 20
