"""Public pages: the inventory, a vehicle's page, private documents, the watchlist."""

from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header

from core.errors import NotFound
from core.money import format_usd
from core.replica import replica_reads_view
from core.us_states import STATE_CHOICES, NotAState, parse_state
from vehicles.condition import damage_rows, panel_map
from vehicles.filters import DAMAGE_CHOICES, SORTS, VehicleFilter
from vehicles.models import Vehicle, VehicleDocument
from vehicles.paging import InventoryPaginator
from vehicles.search import sort_of
from vehicles.selectors import (
    can_manage,
    can_read_documents,
    documents_for,
    favorite_vehicle_ids,
    inventory_makes,
    inventory_models,
    is_favorite,
    seller_public_name,
    similar_sold,
    vehicle_page_panels,
    vehicle_visible_to,
    watchlist,
)
from vehicles.storage import document_storage, is_s3
from vehicles.transport import quote_box

PAGE_SIZE = 24
PAGE_SIZES = ("24", "48", "96")
FILTER_LABELS = {
    "q": "Search",
    "make": "Make",
    "model": "Model",
    "year_min": "Year from",
    "year_max": "Year to",
    "price_min": "Price from",
    "price_max": "Price to",
    "mileage_max": "Max miles",
    "body_type": "Body",
    "fuel_type": "Fuel",
    "transmission": "Transmission",
    "drivetrain": "Drivetrain",
    "title_type": "Title",
    "state": "State",
    "no_reserve": "No reserve",
    "buy_now": "Buy now",
    "ending_24h": "Ending within 24 h",
    "runs_drives": "Runs and drives",
    "has_keys": "Has keys",
    "clean_title": "Clean title only",
    "damage": "Damage",
    "distance": "Within (miles)",
    "zip": "ZIP",
}
BOOLEAN_FILTERS = {"no_reserve", "buy_now", "ending_24h", "runs_drives", "has_keys", "clean_title"}
MULTI_FILTERS = ("body_type", "fuel_type", "transmission", "drivetrain", "title_type", "damage")
DISTANCE_OPTIONS = [25, 50, 100, 250, 500]
CHOICE_LABELS: dict[str, dict[str, str]] = {
    "body_type": dict(Vehicle.BodyType.choices),
    "fuel_type": dict(Vehicle.FuelType.choices),
    "transmission": dict(Vehicle.Transmission.choices),
    "drivetrain": dict(Vehicle.Drivetrain.choices),
    "title_type": dict(Vehicle.TitleType.choices),
    "damage": dict(DAMAGE_CHOICES),
}


def _chip_value(name: str, value: str) -> str:
    """A filter value as a visitor reads it: choice labels, "$20,000.00", "MN" (as given when it does not parse)."""
    if name in CHOICE_LABELS:
        return CHOICE_LABELS[name].get(value, value)
    try:
        if name in ("price_min", "price_max"):
            return format_usd(Decimal(value))
        if name == "state":
            return parse_state(value)
    except (InvalidOperation, ValueError, NotAState):
        pass
    return value


def _active_filters(params: Any) -> list[dict[str, str]]:
    """One chip per active filter value, each with the URL that removes just that value."""
    chips = []
    for name, label in FILTER_LABELS.items():
        for value in params.getlist(name):
            if not str(value).strip() or (name in BOOLEAN_FILTERS and value not in ("true", "True", "1", "on")):
                continue
            remaining = params.copy()
            remaining.setlist(name, [v for v in params.getlist(name) if v != value])
            remaining.pop("page", None)
            shown = _chip_value(name, value)
            text = label if name in BOOLEAN_FILTERS else f"{label}: {shown}"
            chips.append({"label": text, "remove_url": "?" + remaining.urlencode()})
    return chips


@replica_reads_view  # inventory reads decide nothing: the read replica may answer (core/replica.py)
def inventory(request: HttpRequest) -> HttpResponse:
    filterset = VehicleFilter(request.GET or None, queryset=Vehicle.objects.in_inventory(), request=request)
    size = int(request.GET["page_size"]) if request.GET.get("page_size") in PAGE_SIZES else PAGE_SIZE
    paginator = InventoryPaginator(filterset.qs, size)  # bounded count, filter-first sort (vehicles/paging.py)
    page = paginator.get_page(request.GET.get("page"))
    vehicles = list(page.object_list)
    without_page = request.GET.copy()
    without_page.pop("page", None)
    context = {
        "filter": filterset,
        "form": filterset.form,
        "page": page,
        "vehicles": vehicles,
        "favorite_ids": favorite_vehicle_ids(request.user, [v.pk for v in vehicles]),
        "makes": inventory_makes(),
        "models": inventory_models(request.GET.get("make", "")),
        "sorts": [(key, label) for key, (label, _) in SORTS.items()],
        "current_sort": request.GET.get("sort") or "ending",
        # a distance sort needs a ZIP (the search's or the buyer's): say so instead of sorting otherwise silently
        "distance_sort_needs_zip": request.GET.get("sort") == "distance" and sort_of(filterset.criteria) != "distance",
        "chips": _active_filters(request.GET),
        "querystring": without_page.urlencode(),
        "body_types": Vehicle.BodyType.choices,
        "fuel_types": Vehicle.FuelType.choices,
        "transmissions": Vehicle.Transmission.choices,
        "drivetrains": Vehicle.Drivetrain.choices,
        "title_types": Vehicle.TitleType.choices,
        "state_choices": STATE_CHOICES,
        "state_value": filterset.criteria.get("state", ""),
        "selected": {name: request.GET.getlist(name) for name in MULTI_FILTERS},
        "mileage_options": [25_000, 50_000, 75_000, 100_000, 150_000, 200_000],
        "damage_choices": DAMAGE_CHOICES,
        "distance_options": DISTANCE_OPTIONS,
        "zip_value": request.GET.get("zip") or filterset.default_zip,
        "default_zip": filterset.default_zip,
        "can_save_search": bool(filterset.criteria) or not request.GET,
        "now": timezone.now(),
    }
    return render(request, "vehicles/inventory.html", context)


def vehicle_detail(request: HttpRequest, vehicle_id: int) -> HttpResponse:
    try:
        vehicle = vehicle_visible_to(vehicle_id=vehicle_id, user=request.user)
    except NotFound:
        raise Http404("No such vehicle") from None
    photos = list(vehicle.photos.all())
    context = {
        "vehicle": vehicle,
        "photos": photos,
        "damage": damage_rows(vehicle.damage, {photo.pk: photo for photo in photos}),
        "panel_map": panel_map(vehicle.damage),
        "similar": similar_sold(vehicle),
        "documents": list(documents_for(request.user, vehicle)),
        "can_read_private": can_read_documents(request.user, vehicle),
        "is_manager": can_manage(request.user, vehicle),
        "is_favorite": is_favorite(request.user, vehicle.pk),
        "seller_name": seller_public_name(vehicle.seller),
        "panels": vehicle_page_panels(request, vehicle),
        "transport": quote_box(request, vehicle),
        "events": list(vehicle.events.all()[:20]) if can_manage(request.user, vehicle) else [],
        "now": timezone.now(),
    }
    return render(request, "vehicles/detail.html", context)


def document_download(request: HttpRequest, vehicle_id: int, document_id: int) -> HttpResponseBase:
    """Public documents for anyone who can see the vehicle; private ones for the seller, staff and the
    readers VEHICLE_DOCUMENT_ACCESS_CHECKS admits. S3 answers with a five-minute signed URL."""
    try:
        vehicle = vehicle_visible_to(vehicle_id=vehicle_id, user=request.user)
    except NotFound:
        raise Http404("No such vehicle") from None
    document = VehicleDocument.objects.filter(vehicle=vehicle, pk=document_id).first()
    if document is None or not (document.is_public or can_read_documents(request.user, vehicle)):
        if not request.user.is_authenticated:
            return HttpResponseRedirect("/accounts/login/?" + urlencode({"next": request.get_full_path()}))
        raise Http404("No such document")
    storage: Any = document_storage()
    if is_s3(storage):
        disposition = content_disposition_header(False, document.original_name) or "inline"
        return HttpResponseRedirect(
            storage.url(document.storage_name, parameters={"ResponseContentDisposition": disposition}, expire=300)
        )
    response = FileResponse(storage.open(document.storage_name, "rb"), content_type=document.content_type)
    response["Content-Disposition"] = content_disposition_header(False, document.original_name) or "inline"
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def watchlist_page(request: HttpRequest) -> HttpResponse:
    paginator = Paginator(watchlist(request.user), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    vehicles = list(page.object_list)
    return render(
        request,
        "vehicles/watchlist.html",
        {"page": page, "vehicles": vehicles, "favorite_ids": {v.pk for v in vehicles}, "now": timezone.now()},
    )
