"""What an inventory search means, defined once: each filter as a database condition AND as a Python test.

The inventory page, `GET /api/vehicles`, saved searches and the Results page all search with a *criteria*
dict (canonical, JSON-storable: `{"make": "Honda", "year_min": 2015, "body_type": ["suv"], ...}`). Every
criterion below holds its two faces side by side:

- `q(value, ctx)` — the `Q` the inventory query applies (indexed columns; exact `=` for make/model/state,
  which MariaDB's case-insensitive collation compares without case, so the whole index is used);
- `test(value, vehicle, ctx)` — whether one vehicle passes, in Python, with the same meaning (case and
  accents folded as the collation does), used to match a newly published vehicle against saved searches
  without running any search's query. `vehicles/tests/test_search.py` checks the two agree on MariaDB.

Criteria come from `VehicleFilter` (vehicles/filters.py, the one parser for pages, API and saved searches).
"""

import math
import operator
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.db import connection
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from core.geo import ZipPoint, bounding_box, miles_between, miles_expression, zip_point
from vehicles import condition
from vehicles.models import INVENTORY_STATUSES, OPEN_AUCTION_STATUSES, Vehicle, buy_now_open_on_snapshot

MAX_TERMS = 6
MAX_MILES = 500
VIN_LIKE = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")
WORD = re.compile(r"[^\W_]+")  # FULLTEXT splits words on punctuation too ("F-150" -> "F", "150")
# InnoDB's default FULLTEXT stopwords: never indexed, so a required "+the*" would match nothing.
INNODB_STOPWORDS = frozenset({
    "a", "about", "an", "are", "as", "at", "be", "by", "com", "de", "en", "for", "from", "how", "i", "in", "is", "it",
    "la", "of", "on", "or", "that", "the", "this", "to", "was", "what", "when", "where", "who", "will", "with", "und",
    "www",
})  # fmt: skip
FULLTEXT_MATCH = "MATCH (`make`, `model`, `trim`, `vin`, `description`) AGAINST (%s IN BOOLEAN MODE)"
TEXT_FIELDS = ("make", "model", "trim", "vin", "description")


@dataclass(frozen=True)
class SearchContext:
    """What a criterion needs besides its value: the clock and the database's text-search dialect."""

    now: datetime = field(default_factory=timezone.now)
    fulltext: bool = field(default_factory=lambda: connection.vendor == "mysql")


@lru_cache(maxsize=8192)
def fold(text: str | None) -> str:
    """Case- and accent-insensitive form, as utf8mb4_unicode_ci compares ('Citroën' == 'CITROEN')."""
    if text is not None and text.isascii():
        return text.strip().casefold()  # nothing to decompose or drop
    decomposed = unicodedata.normalize("NFKD", (text or "").strip())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


# --- text ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TextPlan:
    """How a free-text query is searched: full VINs matched exactly, word prefixes through the FULLTEXT
    index (MariaDB), and substrings for short words (and every word on SQLite)."""

    vins: tuple[str, ...]
    prefixes: tuple[str, ...]
    substrings: tuple[str, ...]


def text_plan(text: str, *, fulltext: bool) -> TextPlan:
    vins: list[str] = []
    words: list[str] = []
    for term in text.split()[:MAX_TERMS]:
        if VIN_LIKE.match(term.upper()):
            vins.append(term.upper())
        else:
            words.extend(WORD.findall(term))
    prefixes: list[str] = []
    if fulltext:
        prefixes = [w for w in words if len(w) >= 3 and w.lower() not in INNODB_STOPWORDS]
        if prefixes:
            # Stopwords are not in the index; like any search engine we let them go when other words remain.
            words = [w for w in words if len(w) < 3 and w.lower() not in INNODB_STOPWORDS]
    return TextPlan(tuple(vins), tuple(prefixes), tuple(words))


def _word_q(word: str) -> Q:
    return (
        Q(make__icontains=word)
        | Q(model__icontains=word)
        | Q(trim__icontains=word)
        | Q(vin__istartswith=word)
        | Q(description__icontains=word)
    )


def _hint_words(criteria: Mapping[str, Any]) -> list[str]:
    """The make and model filters' words as extra required FULLTEXT terms: the exact filters still apply,
    but the index then returns far fewer rows for a common word like "leather"."""
    return [
        w
        for name in ("make", "model")
        for w in WORD.findall(str(criteria.get(name) or ""))
        if len(w) >= 3 and w.lower() not in INNODB_STOPWORDS
    ]


def text_search(
    queryset: QuerySet[Vehicle], text: str, *, criteria: Mapping[str, Any] | None = None, fulltext: bool | None = None
) -> QuerySet[Vehicle]:
    """Every word must match the make, model, trim, VIN or description (case-insensitive). On MariaDB words of
    3+ characters are required prefix terms (`+accord*`) of the FULLTEXT index (migration 0003). Note: InnoDB
    makes rows searchable by FULLTEXT only once their transaction commits."""
    plan = text_plan(text, fulltext=connection.vendor == "mysql" if fulltext is None else fulltext)
    for vin in plan.vins:
        queryset = queryset.filter(vin=vin)
    if plan.prefixes:
        hints = _hint_words(criteria or {})
        against = " ".join([*(f"+{w}*" for w in plan.prefixes), *(f"+{w}" for w in hints)])
        # .extra keeps MATCH as the bare WHERE condition, which is what lets MariaDB use the index
        # (an expression filter would compare its relevance score with TRUE).
        queryset = queryset.extra(where=[FULLTEXT_MATCH], params=[against])  # noqa: S610 - params are bound
    for word in plan.substrings:
        queryset = queryset.filter(_word_q(word))
    return queryset


def _fulltext_node(queryset: QuerySet[Vehicle]) -> Any:
    from django.db.models.sql.where import ExtraWhere

    for child in queryset.query.where.children:
        if isinstance(child, ExtraWhere) and child.sqls == [FULLTEXT_MATCH]:
            return child
    return None


def fulltext_prefixes(queryset: QuerySet[Vehicle]) -> tuple[str, ...]:
    """The prefix words of the FULLTEXT condition `text_search` put on this queryset (() when none)."""
    node = _fulltext_node(queryset)
    if node is None:
        return ()
    return tuple(term[1:-1] for term in str(node.params[0]).split() if term.startswith("+") and term.endswith("*"))


def without_fulltext(queryset: QuerySet[Vehicle]) -> QuerySet[Vehicle]:
    """The same search with its FULLTEXT condition replaced by a LIKE superset (every prefix word somewhere in
    the make, model, trim, VIN or description), which MariaDB can check while it walks a sort index: for a
    common word the first page is found in a few hundred rows, where MATCH reads every matching row first.
    The caller keeps the rows that pass `text_test` (the FULLTEXT meaning, in Python)."""
    node = _fulltext_node(queryset)
    if node is None:
        return queryset
    clone = queryset.all()
    clone.query.where.children = [c for c in clone.query.where.children if c is not node]
    for word in fulltext_prefixes(queryset):
        clone = clone.filter(_word_q(word))
    return clone


def token_matches(token: str, word: str) -> bool:
    """Whether a folded token of a vehicle's text meets one FULLTEXT prefix word (`+word*`)."""
    return token.startswith(fold(word))


def text_test(text: str, vehicle: Any, *, fulltext: bool) -> bool:
    plan = text_plan(text, fulltext=fulltext)
    if any(vehicle.vin != vin for vin in plan.vins):
        return False
    values = [fold(str(getattr(vehicle, name) or "")) for name in TEXT_FIELDS]
    tokens = [token for value in values for token in WORD.findall(value)]
    for word in plan.prefixes:
        if not any(token_matches(token, word) for token in tokens):
            return False
    for word in plan.substrings:
        w = fold(word)
        make, model, trim, vin, description = values
        if not (w in make or w in model or w in trim or vin.startswith(w) or w in description):
            return False
    return True


# --- the criteria ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bound:
    """A lower or upper bound: `op(actual, cast(value))` decides (scalars here, columns in the inventory index)."""

    op: Callable[[Any, Any], Any]
    cast: Callable[[Any], Any]


@dataclass(frozen=True)
class Criterion:
    """One filter: its parameter name, its database condition and its Python test (the same meaning)."""

    name: str
    q: Callable[[Any, SearchContext], Q]
    test: Callable[[Any, Any, SearchContext], bool]
    bound: Bound | None = None


def _exact(field_name: str) -> Criterion:
    # The collation makes `=` case-insensitive on MariaDB (and uses the whole index, unlike iexact's LIKE);
    # SQLite (make run) compares case-sensitively, so it gets iexact.
    def q(value: Any, ctx: SearchContext) -> Q:
        lookup = "exact" if connection.vendor == "mysql" else "iexact"
        return Q(**{f"{field_name}__{lookup}": value})

    return Criterion(field_name, q, lambda value, v, ctx: fold(getattr(v, field_name)) == fold(value))


def _bound(
    name: str, field_name: str, op: str, read: Callable[[Any], Any] | None = None, cast: Callable[[Any], Any] = int
) -> Criterion:
    bound = Bound(operator.ge if op == "gte" else operator.le, cast)

    def test(value: Any, v: Any, ctx: SearchContext) -> bool:
        actual = read(v) if read else getattr(v, field_name)
        if actual is None:
            return False
        return bool(bound.op(actual, bound.cast(value)))

    return Criterion(name, lambda value, ctx: Q(**{f"{field_name}__{op}": cast(value)}), test, bound)


def _money(value: Any) -> Decimal:
    return Decimal(str(value))


def _one_of(field_name: str) -> Criterion:
    return Criterion(
        field_name,
        lambda values, ctx: Q(**{f"{field_name}__in": list(values)}),
        lambda values, v, ctx: getattr(v, field_name) in values,
    )


def _flag(name: str, q: Q, test: Callable[[Any, SearchContext], bool]) -> Criterion:
    """A checkbox: applies only when true."""
    return Criterion(name, lambda value, ctx: q if value else Q(), lambda value, v, ctx: not value or test(v, ctx))


def _listing_price(v: Any) -> Decimal | None:
    return v.current_price if v.current_price is not None else v.starting_price


def ending_window(ctx: SearchContext) -> tuple[datetime, datetime]:
    return ctx.now, ctx.now + timedelta(hours=24)


def _ending_q(value: Any, ctx: SearchContext) -> Q:
    if not value:
        return Q()
    start, end = ending_window(ctx)
    return Q(ending_rank=0, auction_ends_at__gt=start, auction_ends_at__lte=end)


def _ending_test(value: Any, v: Any, ctx: SearchContext) -> bool:
    if not value:
        return True
    start, end = ending_window(ctx)
    ends = v.auction_ends_at
    return v.auction_status in OPEN_AUCTION_STATUSES and ends is not None and start < ends <= end


def _damage_q(values: Any, ctx: SearchContext) -> Q:
    from django.db.models.lookups import GreaterThan

    bits = sum(condition.DAMAGE_BITS[v] for v in values if v in condition.DAMAGE_BITS)
    q = Q(damage_mask=0) if "none" in values else Q(pk__in=[])
    if bits:
        q |= Q(GreaterThan(F("damage_mask").bitand(bits), 0))
    return q


def _damage_test(values: Any, v: Any, ctx: SearchContext) -> bool:
    bits = sum(condition.DAMAGE_BITS[x] for x in values if x in condition.DAMAGE_BITS)
    return ("none" in values and v.damage_mask == 0) or bool(v.damage_mask & bits)


def _text_q(value: Any, ctx: SearchContext) -> Q:
    return Q()  # applied by `apply` (FULLTEXT needs `.extra`), see text_search


CRITERIA: list[Criterion] = [
    Criterion("q", _text_q, lambda value, v, ctx: text_test(value, v, fulltext=ctx.fulltext)),
    _exact("make"),
    _exact("model"),
    _bound("year_min", "year", "gte"),
    _bound("year_max", "year", "lte"),
    _bound("price_min", "listing_price", "gte", _listing_price, _money),
    _bound("price_max", "listing_price", "lte", _listing_price, _money),
    _bound("mileage_max", "mileage", "lte"),
    _one_of("body_type"),
    _one_of("fuel_type"),
    _one_of("transmission"),
    _one_of("drivetrain"),
    _one_of("title_type"),
    _exact("state"),
    _flag("no_reserve", Q(reserve_price__isnull=True), lambda v, ctx: v.reserve_price is None),
    # auctions.engine.buy_now_available on the listing snapshot (vehicles.models.buy_now_open_on_snapshot, beside
    # its SQL twin, the indexed generated column `Vehicle.buy_now_open`).
    _flag("buy_now", Q(buy_now_open=True), lambda v, ctx: buy_now_open_on_snapshot(v)),
    Criterion("ending_24h", _ending_q, _ending_test),
    _flag("runs_drives", Q(runs_drives=True), lambda v, ctx: condition.runs_and_drives(v.starts, v.drives)),
    _flag("has_keys", Q(keys_count__gte=1), lambda v, ctx: (v.keys_count or 0) >= 1),
    _flag("clean_title", Q(title_type=condition.CLEAN_TITLE), lambda v, ctx: v.title_type == condition.CLEAN_TITLE),
    Criterion("damage", _damage_q, _damage_test),
]
BY_NAME = {criterion.name: criterion for criterion in CRITERIA}
#: Names a criteria dict may hold besides the filters above: the distance pair and the sort.
EXTRA_KEYS = ("distance", "zip", "sort")


# --- distance -------------------------------------------------------------------------------------------


def search_point(criteria: Mapping[str, Any]) -> ZipPoint | None:
    return zip_point(criteria.get("zip")) if criteria.get("zip") else None


def _distance_q(point: ZipPoint, miles: float) -> Q:
    min_lat, max_lat, min_lon, max_lon = bounding_box(point, miles)
    return Q(
        latitude__gte=min_lat,
        latitude__lte=max_lat,
        longitude__gte=min_lon,
        longitude__lte=max_lon,
    )


def vehicle_miles(vehicle: Any, point: ZipPoint) -> float | None:
    if vehicle.latitude is None or vehicle.longitude is None:
        return None
    here = ZipPoint("", "", "", float(vehicle.latitude), float(vehicle.longitude))
    return miles_between(point, here)


# --- applying and matching ------------------------------------------------------------------------------


def apply(
    queryset: QuerySet[Vehicle], criteria: Mapping[str, Any], *, ctx: SearchContext | None = None
) -> QuerySet[Vehicle]:
    """The vehicles of `queryset` that meet every criterion (sorting is `order`'s job)."""
    ctx = ctx or SearchContext()
    condition_q = Q()
    for criterion in CRITERIA:
        value = criteria.get(criterion.name)
        if value not in (None, "", [], False):
            condition_q &= criterion.q(value, ctx)
    queryset = queryset.filter(condition_q)
    if criteria.get("q"):
        queryset = text_search(queryset, str(criteria["q"]), criteria=criteria, fulltext=ctx.fulltext)
    point = search_point(criteria)
    if criteria.get("distance") and point is not None:
        miles = float(criteria["distance"])
        queryset = queryset.filter(_distance_q(point, miles))
        queryset = queryset.annotate(distance_miles=miles_expression("latitude", "longitude", point)).filter(
            distance_miles__lte=miles
        )
    return queryset


Matcher = Callable[[Any, SearchContext], bool]


def matcher(criteria: Mapping[str, Any]) -> Matcher:
    """`matches` for one criteria dict, prepared once (only its set criteria, the distance point looked up):
    the saved-search index keeps one per search and calls it for every new vehicle filed under its keys."""
    checks = tuple(
        (criterion.test, value)
        for criterion in CRITERIA
        if (value := criteria.get(criterion.name)) not in (None, "", [], False)
    )
    point = search_point(criteria) if criteria.get("distance") else None
    miles = float(criteria["distance"]) if criteria.get("distance") else None

    def test(vehicle: Any, ctx: SearchContext) -> bool:
        if vehicle.status not in INVENTORY_STATUSES:
            return False
        for check, value in checks:
            if not check(value, vehicle, ctx):
                return False
        if miles is None:
            return True
        found = vehicle_miles(vehicle, point) if point is not None else None
        return found is not None and found <= miles

    return test


def matches(criteria: Mapping[str, Any], vehicle: Any, *, ctx: SearchContext | None = None) -> bool:
    """Whether `vehicle` is in the inventory and meets every criterion: `apply`'s meaning, in Python."""
    return matcher(criteria)(vehicle, ctx or SearchContext())


SORTS: dict[str, tuple[str, list[str]]] = {
    "ending": ("Ending soonest", ["ending_rank", "auction_ends_at", "id"]),
    "newest": ("Newly listed", ["-approved_at", "-id"]),
    "price_asc": ("Price: low to high", ["listing_price", "id"]),
    "price_desc": ("Price: high to low", ["-listing_price", "-id"]),
    "mileage": ("Mileage: lowest first", ["mileage", "id"]),
    "year_desc": ("Year: newest first", ["-year", "-id"]),
    "year_asc": ("Year: oldest first", ["year", "id"]),
    "distance": ("Distance: nearest first", ["distance_miles", "id"]),
}
DEFAULT_SORT = "ending"


def sort_of(criteria: Mapping[str, Any]) -> str:
    """The sort a search gets: `criteria["sort"]`, except that "distance" needs a ZIP (the search's, or the
    buyer's default) and sorts as the default one without it."""
    sort = criteria.get("sort") or DEFAULT_SORT
    if sort not in SORTS or (sort == "distance" and search_point(criteria) is None):
        return DEFAULT_SORT
    return str(sort)


def order(queryset: QuerySet[Vehicle], criteria: Mapping[str, Any]) -> QuerySet[Vehicle]:
    """Sort by `sort_of(criteria)`."""
    sort = sort_of(criteria)
    point = search_point(criteria)
    if sort == "distance" and point is not None and "distance_miles" not in queryset.query.annotations:
        queryset = queryset.annotate(distance_miles=miles_expression("latitude", "longitude", point))
    return queryset.order_by(*SORTS[sort][1])


# --- saved-search index keys ---------------------------------------------------------------------------
# A saved search is filed under the values of its most selective exact criterion; a vehicle is offered only
# to the searches filed under one of its own values (or under "*", the searches with no exact criterion).

KEYED = (("fuel_type", "fu"), ("body_type", "bo"), ("drivetrain", "dr"), ("transmission", "tr"))
GEO_CELL_DEGREES = 1.0
MAX_GEO_CELLS = 64


def _cell(latitude: float, longitude: float) -> tuple[int, int]:
    return int(math.floor(latitude / GEO_CELL_DEGREES)), int(math.floor(longitude / GEO_CELL_DEGREES))


def _geo_keys(criteria: Mapping[str, Any]) -> list[str]:
    """The one-degree cells a distance search's bounding box touches ([] when too many to be selective)."""
    point = search_point(criteria)
    if not criteria.get("distance") or point is None:
        return []
    min_lat, max_lat, min_lon, max_lon = bounding_box(point, float(criteria["distance"]))
    (low_lat, low_lon), (high_lat, high_lon) = _cell(min_lat, min_lon), _cell(max_lat, max_lon)
    if (high_lat - low_lat + 1) * (high_lon - low_lon + 1) > MAX_GEO_CELLS:
        return []
    return [f"geo:{a}:{b}" for a in range(low_lat, high_lat + 1) for b in range(low_lon, high_lon + 1)]


def index_keys(criteria: Mapping[str, Any]) -> list[str]:
    if criteria.get("make") and criteria.get("model"):
        return [f"mm:{fold(criteria['make'])}|{fold(criteria['model'])}"[:120]]
    if criteria.get("make"):
        return [f"mk:{fold(criteria['make'])}"[:120]]
    geo = _geo_keys(criteria)
    if geo:
        return geo
    if criteria.get("state"):
        return [f"st:{fold(criteria['state'])}"]
    word = _first_prefix_word(criteria)
    if word:
        return [f"qw:{word}"]
    for name, prefix in KEYED:
        if criteria.get(name):
            return sorted({f"{prefix}:{value}" for value in criteria[name]})
    years = _bands(criteria.get("year_min"), criteria.get("year_max"), 1, low=1900, most=12)
    if years:
        return [f"yr:{year}" for year in years]
    prices = _bands(criteria.get("price_min"), criteria.get("price_max"), PRICE_BAND, low=0, most=10)
    if prices:
        return [f"pr:{band}" for band in prices]
    return ["*"]


PRICE_BAND = 5000


def _first_prefix_word(criteria: Mapping[str, Any]) -> str:
    """The first three letters of the first FULLTEXT prefix word: every matching vehicle has a token starting
    with them (substring matching, on SQLite, has no such guarantee: no key then)."""
    if not criteria.get("q") or connection.vendor != "mysql":
        return ""
    plan = text_plan(str(criteria["q"]), fulltext=True)
    return fold(plan.prefixes[0])[:3] if plan.prefixes and not plan.vins else ""


def _bands(low_value: Any, high_value: Any, width: int, *, low: int, most: int) -> list[int]:
    """The bands [low_value, high_value] covers (needs an upper bound and at most `most` bands)."""
    if high_value is None:
        return []
    start = int(Decimal(str(low_value if low_value is not None else low)) // width)
    end = int(Decimal(str(high_value)) // width)
    return list(range(start, end + 1)) if 0 <= end - start < most else []


def vehicle_keys(vehicle: Any) -> list[str]:
    keys = [
        f"mm:{fold(vehicle.make)}|{fold(vehicle.model)}"[:120],
        f"mk:{fold(vehicle.make)}"[:120],
        f"st:{fold(vehicle.state)}",
        "*",
    ]
    keys += [f"{prefix}:{getattr(vehicle, name)}" for name, prefix in KEYED if getattr(vehicle, name)]
    if vehicle.latitude is not None and vehicle.longitude is not None:
        keys.append("geo:{}:{}".format(*_cell(float(vehicle.latitude), float(vehicle.longitude))))
    tokens = {token[:3] for name in TEXT_FIELDS for token in WORD.findall(fold(str(getattr(vehicle, name) or "")))}
    keys += [f"qw:{token}" for token in sorted(tokens) if len(token) == 3]
    keys.append(f"yr:{vehicle.year}")
    price = _listing_price(vehicle)
    if price is not None:
        keys.append(f"pr:{int(price // PRICE_BAND)}")
    return keys


def describe(criteria: Mapping[str, Any]) -> str:
    """A short human summary of a search ('Honda Civic · 2015+ · ≤ $20,000 · within 50 mi of 55401')."""
    parts: list[str] = []
    if criteria.get("q"):
        parts.append(f"“{criteria['q']}”")
    name = " ".join(str(criteria[k]) for k in ("make", "model") if criteria.get(k))
    if name:
        parts.append(name)
    low, high = criteria.get("year_min"), criteria.get("year_max")
    if low or high:
        parts.append(f"{low or ''}–{high or ''}" if low and high else (f"{low}+" if low else f"up to {high}"))
    if criteria.get("price_max"):
        parts.append(f"≤ ${Decimal(str(criteria['price_max'])):,.0f}")
    if criteria.get("price_min"):
        parts.append(f"≥ ${Decimal(str(criteria['price_min'])):,.0f}")
    if criteria.get("mileage_max"):
        parts.append(f"≤ {int(criteria['mileage_max']):,} mi")
    for key in ("body_type", "fuel_type", "transmission", "drivetrain", "title_type"):
        if criteria.get(key):
            parts.append(", ".join(str(v).replace("_", " ") for v in criteria[key]))
    if criteria.get("state"):
        parts.append(f"in {criteria['state']}")
    if criteria.get("distance") and criteria.get("zip"):
        parts.append(f"within {criteria['distance']} mi of {criteria['zip']}")
    labels = {
        "no_reserve": "no reserve",
        "buy_now": "buy now",
        "ending_24h": "ending within 24 h",
        "runs_drives": "runs and drives",
        "has_keys": "has keys",
        "clean_title": "clean title",
    }
    parts += [label for key, label in labels.items() if criteria.get(key)]
    if criteria.get("damage"):
        parts.append("damage: " + ", ".join(criteria["damage"]))
    return " · ".join(parts) or "All vehicles"
