"""A vehicle's life as a listing: create, edit, submit, approve or reject, archive, delete.

Every status change writes a VehicleEvent in the same transaction; notifications go out after commit.
"""

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from core.errors import Conflict, DomainError, NotAllowed, NotFound
from vehicles.models import Vehicle, VehiclePhoto
from vehicles.selectors import can_manage, can_sell, inventory_choices_forget
from vehicles.services.listing import _vehicle_transition
from vehicles.services.saved_searches import mark_for_matching
from vehicles.validation import SPEC_FIELDS, clean_vehicle_fields, listing_problems

S = Vehicle.Status


def _lock_vehicle(vehicle_id: int) -> Vehicle:
    """Precondition: inside a transaction. Locks the vehicle row."""
    vehicle = Vehicle.objects.select_for_update().filter(pk=vehicle_id).first()
    if vehicle is None:
        raise NotFound("No such vehicle.")
    return vehicle


def check_can_edit(*, actor: Any, vehicle: Vehicle) -> None:
    """Sellers edit their own vehicle while it is a draft or was rejected; staff edit any unsold vehicle."""
    if not can_manage(actor, vehicle):
        raise NotAllowed("Only the vehicle's seller or staff can change it.")
    if actor.is_staff:
        if vehicle.status == S.SOLD:
            raise Conflict("A sold vehicle can no longer be changed.")
        return
    if not vehicle.is_editable_by_seller:
        raise Conflict(
            f"This vehicle is {vehicle.get_status_display().lower()}; it can be edited only while a draft or after rejection."
        )


def vehicle_create(*, seller: Any, data: dict[str, Any]) -> Vehicle:
    """Create a draft for an approved seller. `data` holds loosely typed field values (see validation)."""
    if not can_sell(seller):
        raise NotAllowed("Only approved sellers can list vehicles. Apply to sell from your account.")
    data, decoded_specs = _with_decoded_specs(data)
    fields = clean_vehicle_fields(data)
    try:
        with transaction.atomic():
            vehicle = Vehicle.objects.create(seller=seller, status=S.DRAFT, decoded_specs=decoded_specs, **fields)
            _record_created(vehicle, actor=seller)
    except IntegrityError as exc:
        if Vehicle.objects.filter(vin=fields["vin"]).exists():
            raise Conflict(
                "A vehicle with this VIN is already on the marketplace.", details={"vin": ["already listed"]}
            ) from exc
        raise
    return vehicle


def _with_decoded_specs(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Fill year/make/model (and other blank specs) from the VIN decoders when they are missing, and keep
    what the decoder said in `decoded_specs`. Network: call only outside a transaction."""
    from vehicles.models import VinDecode
    from vehicles.services.vin_decoding import vin_decode
    from vehicles.vin import InvalidVin, validate_vin

    try:
        vin = validate_vin(str(data.get("vin") or ""))
    except InvalidVin:
        return data, {}  # clean_vehicle_fields reports it next to the field
    if any(_blank(data.get(name)) for name in ("year", "make", "model")):
        decoded = vin_decode(vin=vin)
        source, specs = decoded.source, decoded.specs
    else:
        row = VinDecode.objects.filter(vin=vin).first()
        if row is None:
            return data, {}
        source, specs = row.source, row.specs
    filled = dict(data)
    for name, value in specs.items():
        if name in SPEC_FIELDS and _blank(filled.get(name)) and value not in (None, ""):
            filled[name] = value
    return filled, {"source": source, **specs}


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _record_created(vehicle: Vehicle, *, actor: Any, message: str = "Created") -> None:
    from vehicles.models import VehicleEvent

    VehicleEvent.objects.create(vehicle=vehicle, actor=actor, from_status="", to_status=vehicle.status, message=message)


def vehicle_update(*, vehicle_id: int, actor: Any, data: dict[str, Any]) -> Vehicle:
    """Change the given fields (a partial update). The VIN may change only while the vehicle is a draft."""
    with transaction.atomic():
        vehicle = _lock_vehicle(vehicle_id)
        check_can_edit(actor=actor, vehicle=vehicle)
        fields = clean_vehicle_fields(data, current=vehicle)
        if "vin" in fields and fields["vin"] != vehicle.vin and vehicle.status != S.DRAFT and not actor.is_staff:
            raise Conflict("The VIN can be changed only while the vehicle is a draft.")
        if "vin" in fields and Vehicle.objects.filter(vin=fields["vin"]).exclude(pk=vehicle.pk).exists():
            raise Conflict(
                "A vehicle with this VIN is already on the marketplace.", details={"vin": ["already listed"]}
            )
        for name, value in fields.items():
            setattr(vehicle, name, value)
        vehicle.save(update_fields=[*fields, "updated_at"])
    return vehicle


def vehicle_submit(*, vehicle_id: int, actor: Any) -> Vehicle:
    """Draft or rejected → pending review, once the listing is complete (see `listing_problems`)."""
    with transaction.atomic():
        vehicle = _lock_vehicle(vehicle_id)
        if vehicle.seller_id != actor.pk:
            raise NotAllowed("Only the vehicle's seller can submit it for review.")
        if not can_sell(actor):
            raise NotAllowed("Your seller account is not active, so you cannot submit vehicles right now.")
        if not vehicle.is_editable_by_seller:
            raise Conflict(f"This vehicle is already {vehicle.get_status_display().lower()}.")
        problems = listing_problems(vehicle, photo_count=VehiclePhoto.objects.filter(vehicle=vehicle).count())
        if problems:
            raise DomainError("This listing is not complete yet: " + " ".join(problems), details={"missing": problems})
        vehicle.submitted_at = timezone.now()
        vehicle.save(update_fields=["submitted_at", "updated_at"])
        _vehicle_transition(vehicle=vehicle, to_status=S.PENDING_REVIEW, actor=actor, message="Submitted for review")
    return vehicle


def vehicle_approve(*, vehicle_id: int, actor: Any) -> Vehicle:
    """Staff approve a vehicle pending review; it appears in the inventory and the seller is told."""
    if not (actor and actor.is_staff):
        raise NotAllowed("Only staff can approve vehicles.")
    with transaction.atomic():
        vehicle = _lock_vehicle(vehicle_id)
        if vehicle.status == S.APPROVED:
            return vehicle
        if vehicle.status != S.PENDING_REVIEW:
            raise Conflict(
                f"Only a vehicle pending review can be approved; this one is {vehicle.get_status_display().lower()}."
            )
        vehicle.approved_at = timezone.now()
        vehicle.rejection_reason = ""
        vehicle.save(update_fields=["approved_at", "rejection_reason", "updated_at"])
        _vehicle_transition(vehicle=vehicle, to_status=S.APPROVED, actor=actor, message="Approved")
        transaction.on_commit(lambda: _notify_seller(vehicle, kind="vehicle_approved", reason=""))
        transaction.on_commit(lambda: inventory_choices_forget(vehicle.make))
        mark_for_matching(vehicle, reason="published")
    return vehicle


def vehicle_reject(*, vehicle_id: int, actor: Any, reason: str) -> Vehicle:
    """Staff send a vehicle back to its seller with a reason (required); the seller may edit and resubmit."""
    if not (actor and actor.is_staff):
        raise NotAllowed("Only staff can reject vehicles.")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(
            "Say why the vehicle is rejected; the seller sees the reason.", details={"reason": ["is required"]}
        )
    with transaction.atomic():
        vehicle = _lock_vehicle(vehicle_id)
        if vehicle.status not in (S.PENDING_REVIEW, S.APPROVED):
            raise Conflict(
                f"Only a vehicle pending review or approved can be rejected; this one is {vehicle.get_status_display().lower()}."
            )
        vehicle.rejection_reason = reason
        vehicle.save(update_fields=["rejection_reason", "updated_at"])
        _vehicle_transition(vehicle=vehicle, to_status=S.REJECTED, actor=actor, message=reason)
        transaction.on_commit(lambda: _notify_seller(vehicle, kind="vehicle_rejected", reason=reason))
    return vehicle


def vehicle_archive(*, vehicle_id: int, actor: Any) -> Vehicle:
    """Withdraw a vehicle that is not in an auction (draft, rejected, approved) from the marketplace."""
    with transaction.atomic():
        vehicle = _lock_vehicle(vehicle_id)
        if not can_manage(actor, vehicle):
            raise NotAllowed("Only the vehicle's seller or staff can archive it.")
        if vehicle.status == S.ARCHIVED:
            return vehicle
        if vehicle.status not in (S.DRAFT, S.REJECTED, S.APPROVED, S.PENDING_REVIEW):
            raise Conflict(f"A {vehicle.get_status_display().lower()} vehicle cannot be archived.")
        _vehicle_transition(vehicle=vehicle, to_status=S.ARCHIVED, actor=actor, message="Archived")
    return vehicle


def vehicle_delete(*, vehicle_id: int, actor: Any) -> None:
    """Sellers delete their own drafts; staff any vehicle nothing else refers to. Files go after commit."""
    from vehicles.services.media import delete_files_later

    with transaction.atomic():
        vehicle = _lock_vehicle(vehicle_id)
        if not can_manage(actor, vehicle):
            raise NotAllowed("Only the vehicle's seller or staff can delete it.")
        if not actor.is_staff and vehicle.status != S.DRAFT:
            raise Conflict("Only a draft can be deleted; archive the vehicle instead.")
        delete_files_later(vehicle)
        try:
            vehicle.delete()
        except ProtectedError as exc:
            raise Conflict("This vehicle has auctions or orders, so it cannot be deleted; archive it instead.") from exc


def _notify_seller(vehicle: Vehicle, *, kind: str, reason: str) -> None:
    from core.site_urls import absolute_url
    from notifications.services import notify

    approved = kind == "vehicle_approved"
    url = f"/vehicles/{vehicle.pk}/" if approved else f"/sell/vehicles/{vehicle.pk}/review/"
    subject = f"Approved: {vehicle.title}" if approved else f"Changes needed: {vehicle.title}"
    message = (
        f"Your {vehicle.title} is approved and visible in the inventory: {absolute_url(url)}"
        if approved
        else f"Your {vehicle.title} was not approved: {reason}\nEdit and resubmit it here: {absolute_url(url)}"
    )
    notify(
        user=vehicle.seller,
        kind=kind,
        # vehicle/reason/url are the contract; subject/message feed the plain-email fallback.
        context={"vehicle": vehicle.title, "reason": reason, "url": url, "subject": subject, "message": message},
        object_key=f"vehicle:{vehicle.pk}",
        event=timezone.now().isoformat(),  # each review is its own event, even with the same reason
    )
