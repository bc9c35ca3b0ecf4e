"""Reads for the vehicles domain: who may see or change what, watchlists, the home page's rows."""

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.safestring import SafeString, mark_safe

from core.errors import NotFound
from vehicles.models import Favorite, Vehicle, VehicleDocument


def can_sell(user: Any) -> bool:
    """An active, approved (role seller), not suspended user may list vehicles."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and getattr(user, "role", "") == "seller"
        and getattr(user, "suspended_at", None) is None
    )


def can_manage(user: Any, vehicle: Vehicle) -> bool:
    """The vehicle's seller or staff."""
    return bool(user is not None and user.is_authenticated and (user.is_staff or vehicle.seller_id == user.pk))


def vehicle_visible_to(*, vehicle_id: int, user: Any) -> Vehicle:
    """A published vehicle for anyone; any other status only for its seller and staff (else NotFound)."""
    vehicle = Vehicle.objects.select_related("seller").filter(pk=vehicle_id).first()
    if vehicle is None or not (vehicle.is_public or can_manage(user, vehicle)):
        raise NotFound("No such vehicle.")
    return vehicle


def seller_public_name(user: Any) -> str:
    """The seller's business name (accounts' SellerProfile), else their public display name."""
    try:
        name = user.seller_profile.business_name
    except ObjectDoesNotExist:
        name = ""
    return str(name or getattr(user, "display_name", "") or "Private seller")


# --- documents ---------------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _access_checks(paths: tuple[str, ...]) -> list[Any]:
    return [import_string(path) for path in paths]


def can_read_documents(user: Any, vehicle: Vehicle) -> bool:
    """Private documents: the seller, staff, and whoever a check in VEHICLE_DOCUMENT_ACCESS_CHECKS
    admits (orders adds the buyer after a sale). Each check is `(user, vehicle) -> bool`."""
    if can_manage(user, vehicle):
        return True
    if user is None or not user.is_authenticated:
        return False
    return any(check(user, vehicle) for check in _access_checks(tuple(settings.VEHICLE_DOCUMENT_ACCESS_CHECKS)))


def documents_for(user: Any, vehicle: Vehicle) -> QuerySet[VehicleDocument]:
    documents = vehicle.documents.all()
    return documents if can_read_documents(user, vehicle) else documents.filter(is_public=True)


# --- watchlist --------------------------------------------------------------------------------------


def is_favorite(user: Any, vehicle_id: int) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return Favorite.objects.filter(user=user, vehicle_id=vehicle_id).exists()


def favorite_vehicle_ids(user: Any, vehicle_ids: Iterable[int]) -> set[int]:
    """Which of these vehicles the user watches, in one query (cards mark their heart with it)."""
    ids = list(vehicle_ids)
    if user is None or not user.is_authenticated or not ids:
        return set()
    return set(Favorite.objects.filter(user=user, vehicle_id__in=ids).values_list("vehicle_id", flat=True))


def watcher_ids(vehicle_id: int) -> list[int]:
    """Users watching this vehicle (for alerts that higher apps send about its auctions)."""
    return list(Favorite.objects.filter(vehicle_id=vehicle_id).order_by("user_id").values_list("user_id", flat=True))


def watched_vehicle_ids() -> QuerySet[Any, Any]:
    """A subquery of the vehicles someone watches: `...filter(vehicle_id__in=watched_vehicle_ids())`."""
    return Favorite.objects.values("vehicle_id")


def watchlist(user: Any) -> QuerySet[Vehicle]:
    """The user's watched vehicles (published or their own), most recently added first."""
    return (
        Vehicle.objects.filter(favorites__user=user).select_related("seller").order_by("-favorites__created_at", "-pk")
    )


# --- seller dashboard ---------------------------------------------------------------------------------


def seller_status_counts(user: Any) -> dict[str, int]:
    rows = Vehicle.objects.owned_by(user).values("status").annotate(n=Count("pk")).order_by()
    counts = dict.fromkeys(Vehicle.Status.values, 0)
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


def seller_vehicles(user: Any, *, status: str | None = None) -> QuerySet[Vehicle]:
    vehicles = Vehicle.objects.owned_by(user).annotate(photo_count=Count("photos")).order_by("-updated_at")
    return vehicles.filter(status=status) if status else vehicles


# --- home page and panels -----------------------------------------------------------------------------


def ending_soon(limit: int = 8) -> list[Vehicle]:
    now = timezone.now()
    return list(
        Vehicle.objects.in_inventory()
        .filter(ending_rank=0, auction_ends_at__gt=now)
        .order_by("ending_rank", "auction_ends_at", "pk")[:limit]
    )


def newly_listed(limit: int = 8) -> list[Vehicle]:
    return list(Vehicle.objects.in_inventory().order_by("-approved_at", "-pk")[:limit])


@lru_cache(maxsize=8)
def _panel_callables(paths: tuple[str, ...]) -> list[Any]:
    return [import_string(path) for path in paths]


def vehicle_page_panels(request: HttpRequest, vehicle: Vehicle) -> list[SafeString]:
    """HTML panels that higher apps (auctions, offers) render for this vehicle; empty ones are dropped.

    The callables are trusted code named in settings.VEHICLE_PAGE_PANELS, so their HTML is marked safe.
    """
    panels = []
    for panel in _panel_callables(tuple(settings.VEHICLE_PAGE_PANELS)):
        html = panel(request, vehicle)
        if html:
            panels.append(mark_safe(html))  # noqa: S308 - trusted panels from settings
    return panels


def vehicle_pricing_panels(request: HttpRequest, vehicle: Vehicle) -> list[SafeString]:
    """HTML that higher apps show under the listing's pricing step (settings.VEHICLE_PRICING_PANELS, e.g. the
    offers app's automatic answers): their own forms, after the step's form."""
    panels = []
    for panel in _panel_callables(tuple(getattr(settings, "VEHICLE_PRICING_PANELS", ()))):
        html = panel(request, vehicle)
        if html:
            panels.append(mark_safe(html))  # noqa: S308 - trusted panels from settings
    return panels


def dashboard_counters(user: Any) -> dict[str, int]:
    """For GET /api/users/dashboard (settings.USER_DASHBOARD_COUNTERS)."""
    return {"watchlist": Favorite.objects.filter(user=user).count()}


# --- the inventory filter's choices (cached: every inventory page shows them) ----------------------------------
MAKES_KEY = "vehicles:inventory:makes"
CHOICES_SECONDS = 300


def _models_key(make: str) -> str:
    return f"vehicles:inventory:models:{make.lower()[:40]}"


def _distinct(key: str, queryset: QuerySet[Vehicle], field: str) -> list[str]:
    """The distinct values of `field` in `queryset`, sorted, cached CHOICES_SECONDS under `key`."""
    values = cache.get(key)
    if values is None:
        values = list(queryset.order_by(field).values_list(field, flat=True).distinct())
        cache.set(key, values, CHOICES_SECONDS)
    return values  # type: ignore[no-any-return]


def inventory_makes() -> list[str]:
    return _distinct(MAKES_KEY, Vehicle.objects.in_inventory(), "make")


def inventory_models(make: str) -> list[str]:
    if not make:
        return []
    return _distinct(_models_key(make), Vehicle.objects.in_inventory().filter(make__iexact=make), "model")


def result_makes() -> list[str]:
    """The makes of ended sales (the Results page's make list: sold makes may have left the inventory)."""
    return _distinct("vehicles:results:makes", Vehicle.objects.filter(sale_outcome__in=RESULT_OUTCOMES), "make")


def result_models(make: str) -> list[str]:
    if not make:
        return []
    sold = Vehicle.objects.filter(sale_outcome__in=RESULT_OUTCOMES, make__iexact=make)
    return _distinct(f"vehicles:results:models:{make.lower()[:40]}", sold, "model")


def inventory_choices_forget(make: str) -> None:
    """A vehicle entered the inventory: its make and model are offered at once, not after the cache expires."""
    cache.delete_many([MAKES_KEY, _models_key(make)])


# --- saved searches -------------------------------------------------------------------------------------


def saved_searches_for(user: Any) -> QuerySet[Any]:
    """The user's saved searches, newest first, with how many vehicles each matched."""
    from vehicles.models import SavedSearch

    return SavedSearch.objects.filter(user=user).annotate(match_count=Count("matches")).order_by("-created_at", "-pk")


def saved_search_get(*, user: Any, search_id: int) -> Any:
    saved = saved_searches_for(user).filter(pk=search_id).select_related("user").first()
    if saved is None:
        raise NotFound("No such saved search.", code="saved_search_not_found")
    return saved


# --- sold results (read replicas may serve these: reads only) ------------------------------------------------
RESULT_OUTCOMES = ("sold", "reserve_not_met")
RESULT_SORTS: dict[str, tuple[str, list[str]]] = {
    "recent": ("Most recent", ["-sale_ended_at", "-id"]),
    "price_desc": ("Price: high to low", ["-sale_price", "-id"]),
    "price_asc": ("Price: low to high", ["sale_price", "id"]),
    "mileage": ("Mileage: lowest first", ["mileage", "id"]),
    "year_desc": ("Year: newest first", ["-year", "-id"]),
}
SIMILAR_YEARS = 2
SIMILAR_LIMIT = 8


def sale_results(criteria: dict[str, Any], *, outcome: str = "", sort: str = "recent") -> QuerySet[Vehicle]:
    """Ended sales (sold, or reserve not met with the high bid) filtered with the inventory's criteria.
    The inventory-only criteria (price, auction flags) do not apply to past sales and are ignored."""
    from vehicles import search

    past = {k: v for k, v in criteria.items() if k not in RESULTS_IGNORED}
    outcomes = [outcome] if outcome in RESULT_OUTCOMES else list(RESULT_OUTCOMES)
    vehicles = search.apply(Vehicle.objects.filter(sale_outcome__in=outcomes), past)
    if criteria.get("price_min") is not None:
        vehicles = vehicles.filter(sale_price__gte=criteria["price_min"])
    if criteria.get("price_max") is not None:
        vehicles = vehicles.filter(sale_price__lte=criteria["price_max"])
    return vehicles.order_by(*RESULT_SORTS.get(sort, RESULT_SORTS["recent"])[1])


RESULTS_IGNORED = ("price_min", "price_max", "no_reserve", "buy_now", "ending_24h", "sort")


def similar_sold(vehicle: Vehicle, *, limit: int = SIMILAR_LIMIT) -> dict[str, Any]:
    """Vehicles of the same make and model, within two model years, that sold: the latest few and the
    price range of all of them (sold prices only; reserve-not-met high bids are not prices)."""
    from django.db.models import Max, Min

    base = Vehicle.objects.filter(
        make=vehicle.make,
        model=vehicle.model,
        sale_outcome="sold",
        year__gte=vehicle.year - SIMILAR_YEARS,
        year__lte=vehicle.year + SIMILAR_YEARS,
    ).exclude(pk=vehicle.pk)
    stats = base.aggregate(low=Min("sale_price"), high=Max("sale_price"), count=Count("pk"))
    return {
        "vehicles": list(base.order_by("-sale_ended_at", "-pk")[:limit]),
        "low": stats["low"],
        "high": stats["high"],
        "count": stats["count"],
        "years": (vehicle.year - SIMILAR_YEARS, vehicle.year + SIMILAR_YEARS),
    }


def title_warning(vehicle: Any) -> str:
    """The branded-title warning for a vehicle ('' when the title is clean): for the bid, offer and buy-now
    forms. Template: `{% include "vehicles/_title_warning.html" with vehicle=... %}`."""
    return str(getattr(vehicle, "title_warning", "") or "")
