"""The seller's dashboard and the guided listing flow: VIN and specs → photos → condition → pricing → review."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.errors import DomainError
from vehicles import services
from vehicles.apis.output import DocumentOutput, PhotoOutput
from vehicles.forms import ConditionForm, PricingForm, ServiceForm, SpecsForm
from vehicles.models import Vehicle, VehicleDocument, VehiclePhoto
from vehicles.selectors import can_manage, can_sell, seller_status_counts, seller_vehicles, vehicle_pricing_panels
from vehicles.validation import listing_problems

STEPS = [
    ("specs", "VIN and specs"),
    ("photos", "Photos"),
    ("condition", "Condition"),
    ("pricing", "Pricing and location"),
    ("review", "Review and submit"),
]
STEP_NAMES = [name for name, _ in STEPS]
FORMS: dict[str, type[ServiceForm]] = {"specs": SpecsForm, "condition": ConditionForm, "pricing": PricingForm}
STATUS_TABS = [
    ("", "All"),
    (Vehicle.Status.DRAFT, "Drafts"),
    (Vehicle.Status.PENDING_REVIEW, "Pending review"),
    (Vehicle.Status.REJECTED, "Needs changes"),
    (Vehicle.Status.APPROVED, "Approved"),
    (Vehicle.Status.LISTED, "In auction"),
    (Vehicle.Status.SOLD, "Sold"),
    (Vehicle.Status.ARCHIVED, "Archived"),
]


def sell_home(request: HttpRequest) -> HttpResponse:
    """Sellers see their vehicles by status; everyone else an invitation to apply as a seller."""
    if not can_sell(request.user):
        return render(
            request,
            "vehicles/sell/apply.html",
            {"suspended": getattr(request.user, "suspended_at", None), "application": _application(request.user)},
        )
    status = request.GET.get("status", "")
    if status not in Vehicle.Status.values:
        status = ""
    counts = seller_status_counts(request.user)
    tabs = [
        {"status": key, "label": label, "count": counts[key] if key else sum(counts.values()), "active": key == status}
        for key, label in STATUS_TABS
    ]
    return render(
        request,
        "vehicles/sell/dashboard.html",
        {"tabs": tabs, "vehicles": seller_vehicles(request.user, status=status or None)[:200], "status": status},
    )


def _application(user: Any) -> Any:
    """The user's seller application (accounts' SellerProfile), if any."""
    if not user.is_authenticated:
        return None
    try:
        return user.seller_profile
    except ObjectDoesNotExist:
        return None


def _step_context(vehicle: Vehicle | None, current: str) -> dict[str, Any]:
    steps = []
    for index, (name, label) in enumerate(STEPS):
        url = reverse("vehicles:sell-step", args=[vehicle.pk, name]) if vehicle else None
        steps.append({"name": name, "label": label, "number": index + 1, "url": url, "current": name == current})
    position = STEP_NAMES.index(current)
    next_step = STEP_NAMES[position + 1] if position + 1 < len(STEP_NAMES) else None
    return {"steps": steps, "step": current, "vehicle": vehicle, "next_step": next_step}


@login_required
def vehicle_new(request: HttpRequest) -> HttpResponse:
    if not can_sell(request.user):
        messages.info(request, "Only approved sellers can list vehicles. Apply to sell first.")
        return redirect("vehicles:sell")
    form = SpecsForm(request.POST or None)
    if request.method == "POST":
        vehicle = form.apply_service(lambda data: services.vehicle_create(seller=request.user, data=data))
        if vehicle is not None:
            messages.success(request, f"Draft saved: {vehicle.title}. Now add photos.")
            return redirect("vehicles:sell-step", vehicle.pk, "photos")
    return render(request, "vehicles/sell/step_specs.html", {"form": form, **_step_context(None, "specs")})


def _own_vehicle(request: HttpRequest, vehicle_id: int) -> Vehicle:
    vehicle = Vehicle.objects.select_related("seller").filter(pk=vehicle_id).first()
    if vehicle is None or not can_manage(request.user, vehicle):
        raise Http404("No such vehicle")
    return vehicle


@login_required
def vehicle_step(request: HttpRequest, vehicle_id: int, step: str) -> HttpResponse:
    if step not in STEP_NAMES:
        raise Http404("No such step")
    vehicle = _own_vehicle(request, vehicle_id)
    editable = vehicle.is_editable_by_seller or request.user.is_staff
    if not editable and step != "review":
        messages.info(request, f"This vehicle is {vehicle.get_status_display().lower()}, so it cannot be edited now.")
        return redirect("vehicles:sell-step", vehicle.pk, "review")
    context = _step_context(vehicle, step)
    if step in FORMS:
        form = FORMS[step](request.POST or None, vehicle=vehicle)
        if request.method == "POST":
            saved = form.apply_service(
                lambda data: services.vehicle_update(vehicle_id=vehicle.pk, actor=request.user, data=data)
            )
            if saved is not None:
                messages.success(request, "Saved.")
                return redirect("vehicles:sell-step", vehicle.pk, context["next_step"] or "review")
        context["form"] = form
        if step == "pricing":
            context["extra_panels"] = vehicle_pricing_panels(request, vehicle)
    elif step == "photos":
        photos = VehiclePhoto.objects.filter(vehicle=vehicle)
        documents = VehicleDocument.objects.filter(vehicle=vehicle)
        context.update(
            {
                "photos": PhotoOutput(photos, many=True).data,
                "documents": DocumentOutput(documents, many=True).data,
                "document_kinds": VehicleDocument.Kind.choices,
                "max_photo_mb": settings.VEHICLE_PHOTO_MAX_BYTES // (1024 * 1024),
                "max_document_mb": settings.VEHICLE_DOCUMENT_MAX_BYTES // (1024 * 1024),
                "max_photos": settings.VEHICLE_MAX_PHOTOS,
            }
        )
    else:
        photo_count = VehiclePhoto.objects.filter(vehicle=vehicle).count()
        context.update(
            {
                "problems": listing_problems(vehicle, photo_count=photo_count) if editable else [],
                "photos": list(vehicle.photos.all()[:6]),
                "photo_count": photo_count,
                "editable": editable,
            }
        )
    return render(request, f"vehicles/sell/step_{step}.html", context)


@login_required
@require_POST
def vehicle_submit(request: HttpRequest, vehicle_id: int) -> HttpResponse:
    vehicle = _own_vehicle(request, vehicle_id)
    try:
        services.vehicle_submit(vehicle_id=vehicle.pk, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("vehicles:sell-step", vehicle.pk, "review")
    messages.success(
        request, f"{vehicle.title} was submitted for review. We will email you when staff have looked at it."
    )
    return redirect(reverse("vehicles:sell") + "?status=pending_review")


@login_required
@require_POST
def vehicle_remove(request: HttpRequest, vehicle_id: int) -> HttpResponse:
    """Delete a draft, or archive anything else the seller may withdraw."""
    vehicle = _own_vehicle(request, vehicle_id)
    try:
        if vehicle.status == Vehicle.Status.DRAFT:
            services.vehicle_delete(vehicle_id=vehicle.pk, actor=request.user)
            messages.success(request, f"Draft {vehicle.title} deleted.")
        else:
            services.vehicle_archive(vehicle_id=vehicle.pk, actor=request.user)
            messages.success(request, f"{vehicle.title} archived.")
    except DomainError as exc:
        messages.error(request, exc.message)
    return HttpResponseRedirect(reverse("vehicles:sell"))
