"""Photos and documents: hand out upload tickets, verify what arrived, attach, reorder, delete.

Order of work in `photo_attach`/`document_attach`: read and verify the uploaded object and write the
derived files (storage I/O, never inside a transaction), then one short transaction that locks the
vehicle and inserts the row. If that transaction fails, the derived files are removed again.
"""

import uuid
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import transaction
from django.db.models import Max

from core.errors import Conflict, DomainError, NotAllowed, NotFound
from vehicles.images import UploadRejected, process_photo
from vehicles.models import Vehicle, VehicleDocument, VehiclePhoto
from vehicles.selectors import can_manage
from vehicles.services.lifecycle import _lock_vehicle, check_can_edit
from vehicles.storage import (
    DOCUMENT_TYPES,
    PHOTO_TYPES,
    UploadTicket,
    document_storage,
    make_ticket,
    photo_storage,
    read_ticket,
    safe_filename,
)

DOCUMENT_SIGNATURES = {"application/pdf": b"%PDF-", "image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG\r\n\x1a\n"}


def _vehicle_for(actor: Any, vehicle_id: int) -> Vehicle:
    vehicle = Vehicle.objects.filter(pk=vehicle_id).first()
    if vehicle is None:
        raise NotFound("No such vehicle.")
    if not can_manage(actor, vehicle):
        raise NotAllowed("Only the vehicle's seller or staff can change its files.")
    return vehicle


def _check_documents_open(vehicle: Vehicle) -> None:
    if vehicle.status in (Vehicle.Status.SOLD, Vehicle.Status.ARCHIVED):
        raise Conflict(f"Documents of a {vehicle.get_status_display().lower()} vehicle can no longer change.")


def upload_prepare(
    *, actor: Any, vehicle_id: int, kind: str, filename: str, content_type: str, size: int
) -> UploadTicket:
    """An upload ticket for one photo or document; refuses types and sizes that would be rejected anyway."""
    vehicle = _vehicle_for(actor, vehicle_id)
    if kind == "photo":
        check_can_edit(actor=actor, vehicle=vehicle)
        allowed, limit = PHOTO_TYPES, settings.VEHICLE_PHOTO_MAX_BYTES
        if VehiclePhoto.objects.filter(vehicle=vehicle).count() >= settings.VEHICLE_MAX_PHOTOS:
            raise Conflict(f"A vehicle can have at most {settings.VEHICLE_MAX_PHOTOS} photos.")
    elif kind == "document":
        _check_documents_open(vehicle)
        allowed, limit = DOCUMENT_TYPES, settings.VEHICLE_DOCUMENT_MAX_BYTES
    else:
        raise DomainError("kind must be photo or document", details={"kind": ["must be photo or document"]})
    if content_type not in allowed:
        names = ", ".join(sorted(ext.lstrip(".").upper() for ext in set(allowed.values())))
        raise UploadRejected(f"{safe_filename(filename)} is not an accepted file type ({names}).")
    if size <= 0:
        raise UploadRejected(f"{safe_filename(filename)} is empty.")
    if size > limit:
        raise UploadRejected(f"{safe_filename(filename)} is larger than {limit // (1024 * 1024)} MB.")
    return make_ticket(
        user_id=actor.pk,
        vehicle_id=vehicle.pk,
        kind=kind,
        content_type=content_type,
        filename=safe_filename(filename),
        max_bytes=limit,
    )


def claim_upload(*, actor: Any, vehicle_id: int, token: str, kind: str) -> dict[str, Any]:
    """The upload a ticket's token stands for, checked to be this actor's, for this vehicle and kind."""
    try:
        ticket = read_ticket(token)
    except signing.SignatureExpired:
        raise UploadRejected("The upload took too long and expired; please upload the file again.") from None
    except signing.BadSignature:
        raise UploadRejected("This upload is not recognised; please upload the file again.") from None
    if ticket["u"] != actor.pk or ticket["v"] != vehicle_id or ticket["kind"] != kind:
        raise NotAllowed("This upload belongs to another vehicle or user.")
    return ticket


def _read_uploaded(storage: Storage, key: str, limit: int) -> bytes:
    """The uploaded bytes; deletes the object and refuses it when it is missing or too large."""
    if not storage.exists(key):
        raise UploadRejected("The file did not arrive; please upload it again.")
    if storage.size(key) > limit:
        storage.delete(key)
        raise UploadRejected(f"The file is larger than {limit // (1024 * 1024)} MB.")
    with storage.open(key, "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        storage.delete(key)
        raise UploadRejected(f"The file is larger than {limit // (1024 * 1024)} MB.")
    return bytes(data)


def photo_attach(*, actor: Any, vehicle_id: int, upload_token: str) -> VehiclePhoto:
    """Verify an uploaded photo (a real JPEG/PNG/WebP, size and dimensions), store the display copy
    and thumbnail, and add it last in the gallery (first photo = primary)."""
    ticket = claim_upload(actor=actor, vehicle_id=vehicle_id, token=upload_token, kind="photo")
    check_can_edit(actor=actor, vehicle=_vehicle_for(actor, vehicle_id))
    storage = photo_storage()
    key = ticket["k"]
    data = _read_uploaded(storage, key, settings.VEHICLE_PHOTO_MAX_BYTES)
    try:
        processed = process_photo(data)
    except UploadRejected:
        storage.delete(key)
        raise
    stem = f"vehicles/{vehicle_id}/photos/{uuid.uuid4().hex}"
    image_name = storage.save(f"{stem}.jpg", ContentFile(processed.image))
    thumb_name = storage.save(f"{stem}_thumb.jpg", ContentFile(processed.thumbnail))
    storage.delete(key)
    try:
        return _insert_photo(
            actor=actor,
            vehicle_id=vehicle_id,
            image_name=image_name,
            thumb_name=thumb_name,
            width=processed.width,
            height=processed.height,
            size=len(processed.image),
            original_name=ticket.get("name", ""),
        )
    except Exception:
        storage.delete(image_name)
        storage.delete(thumb_name)
        raise


def _insert_photo(
    *,
    actor: Any,
    vehicle_id: int,
    image_name: str,
    thumb_name: str,
    width: int,
    height: int,
    size: int,
    original_name: str,
    check: bool = True,
) -> VehiclePhoto:
    with transaction.atomic():
        vehicle = _lock_vehicle(vehicle_id)
        if check:
            check_can_edit(actor=actor, vehicle=vehicle)
        photos = VehiclePhoto.objects.filter(vehicle=vehicle)
        if photos.count() >= settings.VEHICLE_MAX_PHOTOS:
            raise Conflict(f"A vehicle can have at most {settings.VEHICLE_MAX_PHOTOS} photos.")
        last = photos.aggregate(last=Max("position"))["last"]
        photo = VehiclePhoto.objects.create(
            vehicle=vehicle,
            image=image_name,
            thumbnail=thumb_name,
            position=0 if last is None else last + 1,
            width=width,
            height=height,
            size_bytes=size,
            original_name=original_name,
        )
        _refresh_cover(vehicle)
    return photo


def attach_photo_bytes(*, vehicle: Vehicle, data: bytes, original_name: str = "") -> VehiclePhoto:
    """Attach a photo from bytes already on the server (CSV import, demo data). Caller ensures permission."""
    processed = process_photo(data)
    storage = photo_storage()
    stem = f"vehicles/{vehicle.pk}/photos/{uuid.uuid4().hex}"
    image_name = storage.save(f"{stem}.jpg", ContentFile(processed.image))
    thumb_name = storage.save(f"{stem}_thumb.jpg", ContentFile(processed.thumbnail))
    return _insert_photo(
        actor=vehicle.seller,
        vehicle_id=vehicle.pk,
        image_name=image_name,
        thumb_name=thumb_name,
        width=processed.width,
        height=processed.height,
        size=len(processed.image),
        original_name=original_name,
        check=False,
    )


def photos_reorder(*, actor: Any, vehicle_id: int, photo_ids: list[int]) -> list[VehiclePhoto]:
    """Put the gallery in the given order (every photo exactly once); the first becomes primary."""
    with transaction.atomic():
        vehicle = _lock_vehicle(vehicle_id)
        check_can_edit(actor=actor, vehicle=vehicle)
        photos = {photo.pk: photo for photo in VehiclePhoto.objects.filter(vehicle=vehicle)}
        if sorted(photo_ids) != sorted(photos) or len(set(photo_ids)) != len(photo_ids):
            raise DomainError(
                "List every photo of this vehicle exactly once.", details={"photo_ids": ["must list every photo once"]}
            )
        changed = []
        for position, photo_id in enumerate(photo_ids):
            photo = photos[photo_id]
            if photo.position != position:
                photo.position = position
                changed.append(photo)
        VehiclePhoto.objects.bulk_update(changed, ["position"])
        _refresh_cover(vehicle)
    return [photos[photo_id] for photo_id in photo_ids]


def photo_delete(*, actor: Any, vehicle_id: int, photo_id: int) -> None:
    with transaction.atomic():
        vehicle = _lock_vehicle(vehicle_id)
        check_can_edit(actor=actor, vehicle=vehicle)
        photo = VehiclePhoto.objects.filter(vehicle=vehicle, pk=photo_id).first()
        if photo is None:
            raise NotFound("No such photo.")
        names = [photo.image.name or "", photo.thumbnail.name or ""]
        photo.delete()
        remaining = list(VehiclePhoto.objects.filter(vehicle=vehicle))
        for position, other in enumerate(remaining):
            other.position = position
        VehiclePhoto.objects.bulk_update(remaining, ["position"])
        _refresh_cover(vehicle)
        transaction.on_commit(lambda: _delete_names(photo_storage(), names))


def _refresh_cover(vehicle: Vehicle) -> None:
    """Precondition: the caller holds the vehicle's lock. Keeps `cover_thumbnail` = first photo's thumbnail."""
    first = VehiclePhoto.objects.filter(vehicle=vehicle).order_by("position", "pk").first()
    cover = (first.thumbnail.name or "") if first else ""
    if vehicle.cover_thumbnail != cover:
        vehicle.cover_thumbnail = cover
        vehicle.save(update_fields=["cover_thumbnail", "updated_at"])


def document_attach(
    *, actor: Any, vehicle_id: int, upload_token: str, kind: str, is_public: bool = False
) -> VehicleDocument:
    """Verify an uploaded document (PDF, JPEG or PNG by its first bytes, size) and attach it."""
    if kind not in VehicleDocument.Kind.values:
        raise DomainError(
            "Choose what kind of document this is.",
            details={"kind": [f"must be one of {', '.join(VehicleDocument.Kind.values)}"]},
        )
    ticket = claim_upload(actor=actor, vehicle_id=vehicle_id, token=upload_token, kind="document")
    _check_documents_open(_vehicle_for(actor, vehicle_id))
    storage = document_storage()
    key = ticket["k"]
    data = read_verified_document(key=key, content_type=ticket["ct"])
    try:
        with transaction.atomic():
            vehicle = _lock_vehicle(vehicle_id)
            _check_documents_open(vehicle)
            return VehicleDocument.objects.create(
                vehicle=vehicle,
                kind=kind,
                storage_name=key,
                original_name=ticket.get("name") or "document",
                content_type=ticket["ct"],
                size_bytes=len(data),
                is_public=bool(is_public),
                uploaded_by=actor,
            )
    except Exception:
        storage.delete(key)
        raise


def read_verified_document(*, key: str, content_type: str) -> bytes:
    """The bytes of an uploaded private document, once its size is within VEHICLE_DOCUMENT_MAX_BYTES and its
    first bytes are those of its declared type (PDF, JPEG or PNG); otherwise the object is deleted and
    UploadRejected says why. Storage I/O: never call it inside a transaction."""
    storage = document_storage()
    data = _read_uploaded(storage, key, settings.VEHICLE_DOCUMENT_MAX_BYTES)
    if content_type not in DOCUMENT_TYPES or not data.startswith(DOCUMENT_SIGNATURES.get(content_type, b"?")):
        storage.delete(key)
        raise UploadRejected("The file's content does not match its type; upload a PDF, JPEG or PNG.")
    return data


def document_delete(*, actor: Any, vehicle_id: int, document_id: int) -> None:
    with transaction.atomic():
        vehicle = _lock_vehicle(vehicle_id)
        if not can_manage(actor, vehicle):
            raise NotAllowed("Only the vehicle's seller or staff can remove its documents.")
        _check_documents_open(vehicle)
        document = VehicleDocument.objects.filter(vehicle=vehicle, pk=document_id).first()
        if document is None:
            raise NotFound("No such document.")
        name = document.storage_name
        document.delete()
        transaction.on_commit(lambda: _delete_names(document_storage(), [name]))


def delete_files_later(vehicle: Vehicle) -> None:
    """Precondition: inside the transaction that deletes the vehicle. Removes its files after commit."""
    photo_names = [
        str(name)
        for pair in VehiclePhoto.objects.filter(vehicle=vehicle).values_list("image", "thumbnail")
        for name in pair
    ]
    document_names = list(VehicleDocument.objects.filter(vehicle=vehicle).values_list("storage_name", flat=True))
    transaction.on_commit(lambda: _delete_names(photo_storage(), photo_names))
    transaction.on_commit(lambda: _delete_names(document_storage(), document_names))


def _delete_names(storage: Storage, names: list[str]) -> None:
    for name in names:
        if name:
            storage.delete(name)
