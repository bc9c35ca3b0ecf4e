"""The inventory's one parser: query parameters -> a criteria dict (vehicles/search.py decides what it means).

The page (/vehicles/), the API (GET /api/vehicles), saved searches and the Results page read their filters
through `VehicleFilter`; its form is the strict grammar (bad values are reported, never guessed), and
`criteria` is the canonical dict a saved search stores.
"""

from decimal import Decimal
from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django.http import QueryDict

from core.geo import zip_point
from core.us_states import NotAState, parse_state
from vehicles import condition, search
from vehicles.models import Vehicle

SORTS = search.SORTS
DEFAULT_SORT = search.DEFAULT_SORT
text_search = search.text_search  # kept for importers of the old location
MULTI = ("body_type", "fuel_type", "transmission", "drivetrain", "title_type", "damage")
FLAGS = ("no_reserve", "buy_now", "ending_24h", "runs_drives", "has_keys", "clean_title")
DAMAGE_CHOICES = [("none", "No damage reported"), *condition.DAMAGE_TYPES]


def _unused(queryset: QuerySet[Vehicle], name: str, value: Any) -> QuerySet[Vehicle]:
    return queryset  # every filter is applied together by `VehicleFilter.filter_queryset`


class VehicleFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method=_unused, label="Search make, model, trim, VIN or description")
    make = django_filters.CharFilter(method=_unused)
    model = django_filters.CharFilter(method=_unused)
    year_min = django_filters.NumberFilter(method=_unused, label="Year from", min_value=1900, max_value=2100)
    year_max = django_filters.NumberFilter(method=_unused, label="Year to", min_value=1900, max_value=2100)
    price_min = django_filters.NumberFilter(method=_unused, label="Price from", min_value=0, max_digits=12)
    price_max = django_filters.NumberFilter(method=_unused, label="Price to", min_value=0, max_digits=12)
    mileage_max = django_filters.NumberFilter(method=_unused, label="Max mileage", min_value=0, max_value=2147483647)
    body_type = django_filters.MultipleChoiceFilter(method=_unused, choices=Vehicle.BodyType.choices, label="Body type")
    fuel_type = django_filters.MultipleChoiceFilter(method=_unused, choices=Vehicle.FuelType.choices, label="Fuel")
    transmission = django_filters.MultipleChoiceFilter(method=_unused, choices=Vehicle.Transmission.choices)
    drivetrain = django_filters.MultipleChoiceFilter(method=_unused, choices=Vehicle.Drivetrain.choices)
    title_type = django_filters.MultipleChoiceFilter(method=_unused, choices=Vehicle.TitleType.choices, label="Title")
    state = django_filters.CharFilter(method=_unused, label="Located in (state)")
    no_reserve = django_filters.BooleanFilter(method=_unused, label="No reserve")
    buy_now = django_filters.BooleanFilter(method=_unused, label="Buy now available")
    ending_24h = django_filters.BooleanFilter(method=_unused, label="Ending within 24 hours")
    runs_drives = django_filters.BooleanFilter(method=_unused, label="Runs and drives")
    has_keys = django_filters.BooleanFilter(method=_unused, label="Has keys")
    clean_title = django_filters.BooleanFilter(method=_unused, label="Clean title only")
    damage = django_filters.MultipleChoiceFilter(
        method=_unused, choices=DAMAGE_CHOICES, label="Damage: none, or vehicles with these damage types"
    )
    distance = django_filters.NumberFilter(
        method=_unused, label="Within this many miles of `zip`", min_value=1, max_value=search.MAX_MILES
    )
    zip = django_filters.CharFilter(method=_unused, label="ZIP code for distance (default: the buyer's ZIP)")
    sort = django_filters.ChoiceFilter(
        method=_unused, choices=[(key, label) for key, (label, _) in SORTS.items()], empty_label=None
    )

    class Meta:
        model = Vehicle
        fields: list[str] = []

    def __init__(
        self,
        data: Any = None,
        queryset: QuerySet[Vehicle] | None = None,
        *,
        request: Any = None,
        prefix: str | None = None,
        default_zip: str = "",
    ) -> None:
        # django-filter's __init__ deep-copies every filter (and so rebuilds every form field) per request, a few ms
        # of each inventory request; ours are never bound to the instance (`filter_queryset` applies the criteria),
        # so the class's filters and one form class are shared.
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = queryset if queryset is not None else Vehicle.objects.all()
        self.request = request
        self.form_prefix = prefix
        self.filters = self.base_filters
        self.default_zip = default_zip or self._user_zip(request)
        self.form.clean = self._clean_form  # type: ignore[method-assign]

    @staticmethod
    def _user_zip(request: Any) -> str:
        user = getattr(request, "user", None)
        return getattr(user, "postal_code", "") if getattr(user, "is_authenticated", False) else ""

    @classmethod
    def _form_class(cls) -> type[forms.Form]:
        if "_shared_form_class" not in cls.__dict__:
            fields = {name: filter_.field for name, filter_ in cls.base_filters.items()}
            cls._shared_form_class = type(f"{cls.__name__}Form", (cls._meta.form,), fields)
        return cls.__dict__["_shared_form_class"]  # type: ignore[no-any-return]

    def get_form_class(self) -> type[forms.Form]:
        return self._form_class()

    def _clean_form(self) -> dict[str, Any]:
        data = forms.Form.clean(self.form) or self.form.cleaned_data
        for name in ("year_min", "year_max", "mileage_max", "distance"):
            value = data.get(name)
            if value is not None and value != int(value):
                self.form.add_error(name, "Enter a whole number.")
        for name in ("price_min", "price_max"):
            value = data.get(name)
            if value is not None and value != value.quantize(Decimal("0.01")):
                self.form.add_error(name, "Enter an amount with at most two decimals.")
        raw_zip = (data.get("zip") or "").strip()
        if raw_zip and zip_point(raw_zip) is None:
            self.form.add_error("zip", "Enter a US ZIP code we know, like 55401.")
        elif data.get("distance") and not (raw_zip or zip_point(self.default_zip)):
            self.form.add_error("zip", "Enter a ZIP code to search by distance.")
        try:
            parse_state(data.get("state"))
        except NotAState:
            self.form.add_error("state", "Choose a US state, like MN.")
        return data

    @property
    def criteria(self) -> dict[str, Any]:
        """The canonical criteria of a valid form ({} when unbound): what `search` applies and saved searches store."""
        if not self.is_bound or not self.form.is_valid():
            return {}
        return criteria_from_cleaned(self.form.cleaned_data, default_zip=self.default_zip)

    def filter_queryset(self, queryset: QuerySet[Vehicle]) -> QuerySet[Vehicle]:
        criteria = self.criteria
        return search.order(search.apply(queryset, criteria), criteria)

    @property
    def qs(self) -> QuerySet[Vehicle]:
        if not hasattr(self, "_qs"):
            if self.is_bound and not self.form.is_valid():
                self._qs = search.order(self.queryset.all(), {})
            else:
                self._qs = self.filter_queryset(self.queryset.all())
                # what InventoryPaginator hands to the inventory index (vehicles/paging.py)
                self._qs.search_criteria = self.criteria  # type: ignore[attr-defined]
        return self._qs


def criteria_from_cleaned(data: dict[str, Any], *, default_zip: str = "") -> dict[str, Any]:
    """Cleaned form data -> canonical criteria (only what is set; JSON-storable)."""
    criteria: dict[str, Any] = {}
    text = " ".join(str(data.get("q") or "").split())
    if text:
        criteria["q"] = text[:200]
    for name in ("make", "model"):
        value = " ".join(str(data.get(name) or "").split())
        if value:
            criteria[name] = value[:80]
    try:
        state = parse_state(data.get("state"))
    except NotAState:
        state = ""  # the form shows the error
    if state:
        criteria["state"] = state
    for name in ("year_min", "year_max", "mileage_max"):
        if data.get(name) is not None:
            criteria[name] = int(data[name])
    for name in ("price_min", "price_max"):
        if data.get(name) is not None:
            criteria[name] = str(Decimal(data[name]).quantize(Decimal("0.01")))
    for name in MULTI:
        if data.get(name):
            criteria[name] = sorted(set(data[name]))
    for name in FLAGS:
        if data.get(name):
            criteria[name] = True
    zip_code = (data.get("zip") or "").strip() or (
        default_zip if data.get("distance") or data.get("sort") == "distance" else ""
    )
    point = zip_point(zip_code)
    if point is not None:
        criteria["zip"] = point.zip_code
    if data.get("distance") and point is not None:
        criteria["distance"] = int(data["distance"])
    if data.get("sort") and data["sort"] != DEFAULT_SORT:
        criteria["sort"] = data["sort"]
    return criteria


def typed(criteria: dict[str, Any]) -> dict[str, Any]:
    """Stored criteria with prices back as Decimals (JSON keeps them as strings)."""
    out = dict(criteria)
    for name in ("price_min", "price_max"):
        if out.get(name) is not None:
            out[name] = Decimal(str(out[name]))
    return out


def criteria_querystring(criteria: dict[str, Any]) -> str:
    """The inventory URL's query string for stored criteria (to open a saved search)."""
    from django.http import QueryDict

    params = QueryDict(mutable=True)
    for name, value in criteria.items():
        if isinstance(value, list):
            params.setlist(name, [str(v) for v in value])
        elif value is True:
            params[name] = "true"
        else:
            params[name] = str(value)
    return params.urlencode()


def active_filter_count(params: Any) -> int:
    names = set(VehicleFilter.base_filters) - {"sort"}
    return sum(1 for name in names if any(str(v).strip() for v in params.getlist(name)))
