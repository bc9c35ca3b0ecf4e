"""The inventory's filters and sorts, shared by the page (/vehicles/) and the API (GET /api/vehicles).

Sorts walk the generated, indexed columns (`in_inventory`, `listing_price`, `ending_rank`) so that a
page of results is read in index order instead of sorting the whole table.
"""

import re
from datetime import timedelta
from typing import Any

import django_filters
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from vehicles.models import OPEN_AUCTION_STATUSES, Vehicle

SORTS: dict[str, tuple[str, list[str]]] = {
    "ending": ("Ending soonest", ["ending_rank", "auction_ends_at", "id"]),
    "newest": ("Newly listed", ["-approved_at", "-id"]),
    "price_asc": ("Price: low to high", ["listing_price", "id"]),
    "price_desc": ("Price: high to low", ["-listing_price", "-id"]),
    "mileage": ("Mileage: lowest first", ["mileage", "id"]),
    "year_desc": ("Year: newest first", ["-year", "-id"]),
    "year_asc": ("Year: oldest first", ["year", "id"]),
}
DEFAULT_SORT = "ending"
MAX_TERMS = 6
VIN_LIKE = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")
WORD = re.compile(r"[^\W_]+")  # FULLTEXT splits words on punctuation too ("F-150" -> "F", "150")
# InnoDB's default FULLTEXT stopwords: never indexed, so a required "+the*" would match nothing.
INNODB_STOPWORDS = frozenset({
    "a", "about", "an", "are", "as", "at", "be", "by", "com", "de", "en", "for", "from", "how", "i", "in", "is", "it",
    "la", "of", "on", "or", "that", "the", "this", "to", "was", "what", "when", "where", "who", "will", "with", "und",
    "www",
})  # fmt: skip
FULLTEXT_MATCH = "MATCH (`make`, `model`, `trim`, `vin`, `description`) AGAINST (%s IN BOOLEAN MODE)"


def _contains_any(term: str) -> Q:
    return (
        Q(make__icontains=term)
        | Q(model__icontains=term)
        | Q(trim__icontains=term)
        | Q(vin__istartswith=term)
        | Q(description__icontains=term)
    )


def text_search(queryset: QuerySet[Vehicle], text: str, *, narrow_with: list[str] | None = None) -> QuerySet[Vehicle]:
    """Every word must match the make, model, trim, VIN or description (case-insensitive).

    On MariaDB/MySQL, words of 3+ characters go through the FULLTEXT index (migration 0003) as required
    prefix terms (`+accord*`), so a search does not scan the table; shorter words, and every word on
    other databases (SQLite for `make run`), use substring matches. A full VIN matches exactly.
    `narrow_with` (the make and model filters) adds their words as required FULLTEXT terms: the exact
    filters still apply, but the index then returns far fewer rows for a common word like "leather".
    Note: InnoDB makes rows searchable by FULLTEXT only once their transaction commits.
    """
    words: list[str] = []
    for term in text.split()[:MAX_TERMS]:
        if VIN_LIKE.match(term.upper()):
            queryset = queryset.filter(vin=term.upper())
        else:
            words.extend(WORD.findall(term))
    if connection.vendor == "mysql":
        indexed = [word for word in words if len(word) >= 3 and word.lower() not in INNODB_STOPWORDS]
        if indexed:
            hints = [
                w
                for h in narrow_with or []
                for w in WORD.findall(h)
                if len(w) >= 3 and w.lower() not in INNODB_STOPWORDS
            ]
            against = " ".join([*(f"+{word}*" for word in indexed), *(f"+{word}" for word in hints)])
            # .extra keeps MATCH as the bare WHERE condition, which is what lets MariaDB use the index
            # (an expression filter would compare its relevance score with TRUE).
            queryset = queryset.extra(where=[FULLTEXT_MATCH], params=[against])  # noqa: S610 - params are bound
            # Stopwords are not in the index; like any search engine we let them go when other words remain.
            words = [word for word in words if len(word) < 3 and word.lower() not in INNODB_STOPWORDS]
    for word in words:
        queryset = queryset.filter(_contains_any(word))
    return queryset


class VehicleFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Search make, model, trim, VIN or description")
    make = django_filters.CharFilter(field_name="make", lookup_expr="iexact")
    model = django_filters.CharFilter(field_name="model", lookup_expr="iexact")
    # bounds of the columns (PositiveSmallIntegerField, PositiveIntegerField): past them the database lookup
    # cannot be built (EmptyResultSet, a 500); inside them it is an ordinary, possibly empty, search
    year_min = django_filters.NumberFilter(
        field_name="year", lookup_expr="gte", label="Year from", min_value=0, max_value=32767
    )
    year_max = django_filters.NumberFilter(
        field_name="year", lookup_expr="lte", label="Year to", min_value=0, max_value=32767
    )
    price_min = django_filters.NumberFilter(field_name="listing_price", lookup_expr="gte", label="Price from")
    price_max = django_filters.NumberFilter(field_name="listing_price", lookup_expr="lte", label="Price to")
    mileage_max = django_filters.NumberFilter(
        field_name="mileage", lookup_expr="lte", label="Max mileage", min_value=0, max_value=2147483647
    )
    body_type = django_filters.MultipleChoiceFilter(choices=Vehicle.BodyType.choices, label="Body type", distinct=False)
    fuel_type = django_filters.MultipleChoiceFilter(choices=Vehicle.FuelType.choices, label="Fuel", distinct=False)
    transmission = django_filters.MultipleChoiceFilter(choices=Vehicle.Transmission.choices, distinct=False)
    drivetrain = django_filters.MultipleChoiceFilter(choices=Vehicle.Drivetrain.choices, distinct=False)
    title_type = django_filters.MultipleChoiceFilter(choices=Vehicle.TitleType.choices, label="Title", distinct=False)
    state = django_filters.CharFilter(field_name="state", lookup_expr="iexact", label="Located in (state)")
    no_reserve = django_filters.BooleanFilter(method="filter_no_reserve", label="No reserve")
    buy_now = django_filters.BooleanFilter(method="filter_buy_now", label="Buy now available")
    ending_24h = django_filters.BooleanFilter(method="filter_ending_24h", label="Ending within 24 hours")
    sort = django_filters.ChoiceFilter(
        method="filter_sort", choices=[(key, label) for key, (label, _) in SORTS.items()], empty_label=None
    )

    class Meta:
        model = Vehicle
        fields: list[str] = []

    def filter_q(self, queryset: QuerySet[Vehicle], name: str, value: str) -> QuerySet[Vehicle]:
        if not value.strip():
            return queryset
        data = self.form.cleaned_data
        return text_search(queryset, value, narrow_with=[data[name] for name in ("make", "model") if data.get(name)])

    def filter_no_reserve(self, queryset: QuerySet[Vehicle], name: str, value: bool | None) -> QuerySet[Vehicle]:
        return queryset.filter(reserve_price__isnull=True) if value else queryset

    def filter_buy_now(self, queryset: QuerySet[Vehicle], name: str, value: bool | None) -> QuerySet[Vehicle]:
        if not value:
            return queryset
        return queryset.filter(buy_now_price__isnull=False, auction_status__in=["", *OPEN_AUCTION_STATUSES])

    def filter_ending_24h(self, queryset: QuerySet[Vehicle], name: str, value: bool | None) -> QuerySet[Vehicle]:
        if not value:
            return queryset
        now = timezone.now()
        return queryset.filter(ending_rank=0, auction_ends_at__gt=now, auction_ends_at__lte=now + timedelta(hours=24))

    def filter_sort(self, queryset: QuerySet[Vehicle], name: str, value: str) -> QuerySet[Vehicle]:
        return queryset  # applied last in `qs`, whatever the other filters did

    @property
    def qs(self) -> QuerySet[Vehicle]:
        queryset: QuerySet[Vehicle] = super().qs
        sort = self.form.cleaned_data.get("sort") if self.is_bound and self.form.is_valid() else None
        return queryset.order_by(*SORTS[sort or DEFAULT_SORT][1])


def active_filter_count(params: Any) -> int:
    names = set(VehicleFilter.base_filters) - {"sort"}
    return sum(1 for name in names if any(str(v).strip() for v in params.getlist(name)))
