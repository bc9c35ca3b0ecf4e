"""Batch import of a seller's vehicles from CSV rows (manage.py import_vehicles).

Two passes. First every row is validated (VIN check digit, required fields, numbers, price rules;
missing specs decoded from the VIN — network, so before any transaction) and photos named by VIN are
verified and re-encoded. Then valid rows are written: new vehicles without photos in chunks (one
transaction per chunk, falling back to one row per transaction if a chunk fails), the others one row
per transaction. A row is the unit: it is written whole (vehicle, event row, photos) or not at all.
Upsert by VIN: a re-run updates the seller's draft/rejected vehicles and never duplicates anything.
"""

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from core.errors import DomainError
from vehicles.images import ProcessedPhoto, UploadRejected, process_photo
from vehicles.models import Vehicle, VehicleEvent, VehiclePhoto
from vehicles.services.media import _refresh_cover
from vehicles.services.vin_decoding import vin_decode
from vehicles.storage import photo_storage
from vehicles.validation import EDITABLE_FIELDS, PRICE_FIELDS, VehicleInvalid, clean_vehicle_fields
from vehicles.vin import InvalidVin, validate_vin

PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
CHUNK = 500


@dataclass
class RowResult:
    line: int
    vin: str
    action: str = ""  # created | updated | unchanged | skipped | error (prefixed "would " on a dry run)
    errors: list[str] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)
    photos: list[tuple[str, ProcessedPhoto]] = field(default_factory=list)
    existing: Vehicle | None = None


@dataclass
class ImportReport:
    results: list[RowResult]
    dry_run: bool

    def count(self, action: str) -> int:
        return sum(1 for row in self.results if row.action.removeprefix("would ") == action)

    @property
    def errors(self) -> list[RowResult]:
        return [row for row in self.results if row.action == "error"]


def _photo_files(photos_dir: Path | None, vin: str) -> list[Path]:
    """`VIN.jpg`, `VIN_2.jpg`, `VIN-3.png`… in name order (the first becomes primary)."""
    if photos_dir is None:
        return []
    files = [
        path
        for path in photos_dir.iterdir()
        if path.suffix.lower() in PHOTO_SUFFIXES
        and (path.stem.upper() == vin or path.stem.upper().startswith((vin + "_", vin + "-")))
    ]
    return sorted(files, key=lambda p: (len(p.stem), p.stem.lower()))


def _validate_row(
    line: int, raw: dict[str, Any], *, seen: set[str], decode: bool, photos_dir: Path | None
) -> RowResult:
    data = {str(k).strip().lower(): v for k, v in raw.items() if k}
    # cells are trimmed, except amounts: the one amount grammar has no spaces, at every door (core.money)
    data = {k: (v.strip() if isinstance(v, str) and k not in PRICE_FIELDS else v) for k, v in data.items()}
    result = RowResult(line=line, vin=str(data.get("vin") or "").upper())
    try:
        vin = validate_vin(str(data.get("vin") or ""))
    except InvalidVin as exc:
        result.action, result.errors = "error", [f"vin: {exc.message}"]
        return result
    result.vin = vin
    if vin in seen:
        result.action, result.errors = "error", ["vin: appears twice in this file; only the first row is used"]
        return result
    seen.add(vin)
    values = {name: data[name] for name in EDITABLE_FIELDS if name in data and data[name] not in (None, "")}
    values["vin"] = vin
    if decode and any(not values.get(name) for name in ("year", "make", "model")):
        try:
            decoded = vin_decode(vin=vin)
        except DomainError as exc:
            result.action, result.errors = "error", [f"vin: could not be decoded ({exc.message})"]
            return result
        for name, value in decoded.specs.items():
            if name in EDITABLE_FIELDS and not values.get(name) and value not in (None, ""):
                values[name] = value
    try:
        result.fields = clean_vehicle_fields(values)
    except VehicleInvalid as exc:
        result.action = "error"
        result.errors = [f"{name}: {message}" for name, messages in exc.errors.items() for message in messages]
        return result
    for path in _photo_files(photos_dir, vin):
        try:
            result.photos.append((path.name, process_photo(path.read_bytes())))
        except UploadRejected as exc:
            result.action, result.errors = "error", [f"photo {path.name}: {exc.message}"]
            return result
    return result


def _plan(result: RowResult, existing: Vehicle | None, seller: Any) -> None:
    if result.action == "error":
        return
    if existing is None:
        result.action = "created"
    elif existing.seller_id != seller.pk:
        result.action, result.errors = "error", ["vin: this VIN belongs to another seller's vehicle"]
    elif not existing.is_editable_by_seller:
        result.action = "skipped"
        result.errors = [f"vehicle is {existing.get_status_display().lower()}; not changed (edit it in the dashboard)"]
    else:
        result.existing = existing
        attached = set(VehiclePhoto.objects.filter(vehicle=existing).values_list("original_name", flat=True))
        result.photos = [(name, photo) for name, photo in result.photos if name not in attached]
        changed = any(getattr(existing, name) != value for name, value in result.fields.items())
        result.action = "updated" if changed or result.photos else "unchanged"


def _save_photo_files(vin: str, photos: list[tuple[str, ProcessedPhoto]]) -> list[dict[str, Any]]:
    storage = photo_storage()
    saved = []
    for name, photo in photos:
        stem = f"vehicles/imported/{vin}/{uuid.uuid4().hex}"
        saved.append(
            {
                "image": storage.save(f"{stem}.jpg", ContentFile(photo.image)),
                "thumbnail": storage.save(f"{stem}_thumb.jpg", ContentFile(photo.thumbnail)),
                "width": photo.width,
                "height": photo.height,
                "size_bytes": len(photo.image),
                "original_name": name,
            }
        )
    return saved


def _write_row(result: RowResult, seller: Any) -> None:
    """One row in one transaction: the vehicle (created or updated), its event row and its photos. Photo
    files are stored first (storage I/O stays outside the transaction) and removed if the row fails."""
    saved = _save_photo_files(result.vin, result.photos) if result.photos else []
    try:
        with transaction.atomic():
            if result.existing is None:
                vehicle = Vehicle.objects.create(seller=seller, status=Vehicle.Status.DRAFT, **result.fields)
                VehicleEvent.objects.create(
                    vehicle=vehicle, actor=seller, to_status=vehicle.status, message="Imported from CSV"
                )
            else:
                vehicle = Vehicle.objects.select_for_update().get(pk=result.existing.pk)
                if not vehicle.is_editable_by_seller:
                    raise DomainError(f"vehicle became {vehicle.get_status_display().lower()} during the import")
                for name, value in result.fields.items():
                    setattr(vehicle, name, value)
                vehicle.save()
            if saved:
                start = VehiclePhoto.objects.filter(vehicle=vehicle).count()
                VehiclePhoto.objects.bulk_create(
                    [VehiclePhoto(vehicle=vehicle, position=start + i, **photo) for i, photo in enumerate(saved)]
                )
                _refresh_cover(vehicle)
    except Exception:
        _delete_saved(saved)
        raise


def _delete_saved(saved: list[dict[str, Any]]) -> None:
    storage = photo_storage()
    for photo in saved:
        storage.delete(photo["image"])
        storage.delete(photo["thumbnail"])


def _write_chunk(results: list[RowResult], seller: Any) -> None:
    """New vehicles without photos, many per transaction (the import's fast path)."""
    with transaction.atomic():
        vehicles = Vehicle.objects.bulk_create(
            [Vehicle(seller=seller, status=Vehicle.Status.DRAFT, **row.fields) for row in results]
        )
        if any(vehicle.pk is None for vehicle in vehicles):
            ids = dict(Vehicle.objects.filter(vin__in=[row.vin for row in results]).values_list("vin", "pk"))
            for vehicle in vehicles:
                vehicle.pk = ids[vehicle.vin]
        VehicleEvent.objects.bulk_create(
            [
                VehicleEvent(vehicle_id=v.pk, actor=seller, to_status=v.status, message="Imported from CSV")
                for v in vehicles
            ]
        )


def vehicles_import(
    *,
    rows: Iterable[dict[str, Any]],
    seller: Any,
    photos_dir: Path | None = None,
    dry_run: bool = False,
    decode: bool = True,
    progress: Callable[[int, int], None] | None = None,
    first_line: int = 2,
) -> ImportReport:
    """Validate every row, then (unless `dry_run`) write the valid ones. Never inside a transaction."""
    seen: set[str] = set()
    rows = list(rows)
    total = len(rows) * (1 if dry_run else 2)
    results = []
    for index, raw in enumerate(rows):
        results.append(_validate_row(first_line + index, raw, seen=seen, decode=decode, photos_dir=photos_dir))
        if progress:
            progress(index + 1, total)
    existing = {v.vin: v for v in Vehicle.objects.filter(vin__in=[r.vin for r in results if r.action != "error"])}
    for result in results:
        _plan(result, existing.get(result.vin), seller)
    if dry_run:
        for result in results:
            if result.action in ("created", "updated", "unchanged"):
                result.action = "would " + result.action if result.action != "unchanged" else result.action
        return ImportReport(results=results, dry_run=True)

    done = len(rows)
    fast = [r for r in results if r.action == "created" and not r.photos]
    for start in range(0, len(fast), CHUNK):
        chunk = fast[start : start + CHUNK]
        try:
            _write_chunk(chunk, seller)
        except (IntegrityError, DomainError):
            for row in chunk:
                _write_one(row, seller)
        done += len(chunk)
        if progress:
            progress(done, total)
    for result in results:
        if result.action in ("updated",) or (result.action == "created" and result.photos):
            _write_one(result, seller)
            done += 1
            if progress:
                progress(done, total)
    if progress:
        progress(total, total)
    return ImportReport(results=results, dry_run=False)


def _write_one(result: RowResult, seller: Any) -> None:
    try:
        _write_row(result, seller)
    except IntegrityError:
        result.action, result.errors = "error", ["vin: a vehicle with this VIN was created meanwhile"]
    except DomainError as exc:
        result.action, result.errors = "error", [exc.message]
