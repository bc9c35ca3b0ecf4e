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


def inventory_makes() -> list[str]:
    makes = cache.get(MAKES_KEY)
    if makes is None:
        makes = list(Vehicle.objects.in_inventory().order_by("make").values_list("make", flat=True).distinct())
        cache.set(MAKES_KEY, makes, CHOICES_SECONDS)
    return makes


def inventory_models(make: str) -> list[str]:
    if not make:
        return []
    key = _models_key(make)
    models = cache.get(key)
    if models is None:
        models = list(
            Vehicle.objects.in_inventory()
            .filter(make__iexact=make)
            .order_by("model")
            .values_list("model", flat=True)
            .distinct()
        )
        cache.set(key, models, CHOICES_SECONDS)
    return models


def inventory_choices_forget(make: str) -> None:
    """A vehicle entered the inventory: its make and model are offered at once, not after the cache expires."""
    cache.delete_many([MAKES_KEY, _models_key(make)])
