"""Claims: the buyer opens one, the seller answers, anyone of the three sides adds a message, the seller's
deadline passes. Decisions and their money are in `claim_decisions.py`.

Locks, always in this order: the order (`orders.services.order_lock`), its fulfillment, the claim, the seller's
proceeds — the order completion takes, so a claim opened under them is seen by completion's hold check
(`fulfillment.holds.open_claims`) and can never be opened on a sale already completed. Photos are uploaded
and verified like title documents (a presigned POST or the page's form, then
`vehicles.services.media.read_verified_document`: PDF, JPEG or PNG by their first bytes) before the
transaction; a refused claim deletes the files it stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core.errors import Conflict, DomainError, NotAllowed, NotFound
from fulfillment import rules
from fulfillment.models import Fulfillment
from fulfillment.models_claims import (
    DECIDABLE_CLAIM_STATUSES,
    VEHICLE_CATEGORIES,
    Claim,
    ClaimCategory,
    ClaimEvent,
    ClaimPhoto,
    ClaimStatus,
)
from fulfillment.services.common import lock, role_of, tell
from notifications.services import notify_staff
from orders.live import broadcast_order_changed
from orders.models import Order
from vehicles.images import UploadRejected
from vehicles.services.media import claim_upload, read_verified_document
from vehicles.storage import DOCUMENT_TYPES, UploadTicket, document_storage, make_ticket, new_key, safe_filename

UPLOAD_KIND = "claim_photo"
MAX_PHOTOS = 10
MAX_TEXT = 4000
MIN_DESCRIPTION = 20
Role = ClaimEvent.Role


@dataclass(frozen=True)
class StoredFile:
    key: str
    content_type: str
    name: str
    size: int


# --- uploads --------------------------------------------------------------------------------------------------


def _order_for(order_id: int, actor: Any) -> tuple[Order, str]:
    order = Order.objects.select_related("vehicle").filter(pk=order_id).first()
    role = role_of(order, actor) if order is not None else None
    if order is None or role is None:
        raise NotFound("Order not found.")
    return order, role


def _check_file(*, filename: str, content_type: str, size: int) -> None:
    name = safe_filename(filename)
    if content_type not in DOCUMENT_TYPES:
        raise UploadRejected(f"{name} is not a JPEG, PNG or PDF.")
    if size <= 0:
        raise UploadRejected(f"{name} is empty.")
    if size > settings.VEHICLE_DOCUMENT_MAX_BYTES:
        raise UploadRejected(f"{name} is larger than {settings.VEHICLE_DOCUMENT_MAX_BYTES // (1024 * 1024)} MB.")


def claim_upload_prepare(*, actor: Any, order_id: int, filename: str, content_type: str, size: int) -> UploadTicket:
    """An upload ticket (presigned POST, or the local stand-in) for one claim photo of the order's buyer or
    seller; the token is then handed to `claim_open` / `claim_answer` / `claim_message`."""
    order, role = _order_for(order_id, actor)
    if role not in ("buyer", "seller"):
        raise NotAllowed("Only the buyer and the seller attach photos to a claim.")
    _check_file(filename=filename, content_type=content_type, size=size)
    return make_ticket(
        user_id=actor.pk,
        vehicle_id=order.vehicle_id,
        kind=UPLOAD_KIND,
        content_type=content_type,
        filename=safe_filename(filename),
        max_bytes=settings.VEHICLE_DOCUMENT_MAX_BYTES,
    )


def _delete(files: Sequence[StoredFile]) -> None:
    storage = document_storage()
    for stored in files:
        storage.delete(stored.key)


def _verify(key: str, content_type: str, name: str, kept: list[StoredFile]) -> None:
    try:
        data = read_verified_document(key=key, content_type=content_type)
    except Exception:
        _delete(kept)
        raise
    kept.append(StoredFile(key=key, content_type=content_type, name=safe_filename(name or "photo"), size=len(data)))


def store_uploads(
    *, actor: Any, order: Order, uploads: Sequence[UploadedFile] = (), tokens: Sequence[str] = ()
) -> list[StoredFile]:
    """Store and verify the files of one message: uploaded through the page's form, or already in storage
    with an upload token. Storage I/O: never inside a transaction. All or nothing."""
    if len(uploads) + len(tokens) > MAX_PHOTOS:
        raise DomainError(f"Attach at most {MAX_PHOTOS} photos.", details={"photos": ["Too many files."]})
    kept: list[StoredFile] = []
    for token in tokens:
        try:
            ticket = claim_upload(actor=actor, vehicle_id=order.vehicle_id, token=token, kind=UPLOAD_KIND)
        except DomainError:
            _delete(kept)
            raise
        _verify(ticket["k"], ticket["ct"], ticket.get("name", ""), kept)
    for upload in uploads:
        content_type = (upload.content_type or "").split(";")[0].strip().lower()
        try:
            _check_file(filename=upload.name or "photo", content_type=content_type, size=upload.size or 0)
        except DomainError:
            _delete(kept)
            raise
        key = new_key(vehicle_id=order.vehicle_id, kind=UPLOAD_KIND, content_type=content_type)
        stored = document_storage().save(key, upload)
        _verify(stored, content_type, upload.name or "", kept)
    return kept


# --- shared steps ---------------------------------------------------------------------------------------------


def claim_event(
    claim: Claim,
    *,
    kind: str,
    role: str,
    actor: Any = None,
    message: str = "",
    from_status: str = "",
    to_status: str = "",
    files: Sequence[StoredFile] = (),
    **data: Any,
) -> ClaimEvent:
    """Append a step (and its photos) to the claim. Precondition: the caller holds the claim's lock."""
    event = ClaimEvent.objects.create(
        claim=claim,
        kind=kind,
        role=role,
        actor=actor if getattr(actor, "pk", None) else None,
        message=message,
        from_status=from_status,
        to_status=to_status,
        data=data,
    )
    ClaimPhoto.objects.bulk_create(
        ClaimPhoto(
            claim=claim,
            event=event,
            storage_name=f.key,
            original_name=f.name,
            content_type=f.content_type,
            size_bytes=f.size,
            uploaded_by=actor if getattr(actor, "pk", None) else None,
        )
        for f in files
    )
    transaction.on_commit(partial(broadcast_order_changed, claim.order_id))
    return event


def set_claim_status(claim: Claim, to_status: str, **fields: Any) -> str:
    """Change status (and the named fields); returns the old status. Precondition: the claim's lock is held."""
    from_status = claim.status
    claim.status = to_status
    for name, value in fields.items():
        setattr(claim, name, value)
    claim.save()
    return from_status


def lock_claim(claim_id: int) -> tuple[Order, Fulfillment, Claim]:
    """Lock the claim's order, its fulfillment, then the claim (the house's order). Precondition: inside a
    transaction."""
    order_id = Claim.objects.filter(pk=claim_id).values_list("order_id", flat=True).first()
    if order_id is None:
        raise NotFound("Claim not found.")
    order, fulfillment = lock(order_id)
    claim = Claim.objects.select_for_update().get(pk=claim_id)
    return order, fulfillment, claim


def claim_path(claim: Claim) -> str:
    return f"{reverse('orders:detail', args=[claim.order_id])}#claim-{claim.pk}"


def tell_claim(order: Order, claim: Claim, kind: str, *, who: Sequence[str], **context: Any) -> None:
    """After commit, notify the buyer and/or the seller about a step of the claim (in-app, live, email)."""
    for role in who:
        tell(
            order, kind, who=[role], claim=claim.number, category=claim.get_category_display(), role=role,
            url=claim_path(claim), **context,
        )  # fmt: skip


def tell_staff_claim(claim: Claim, subject: str, message: str) -> None:
    context = {
        "subject": subject,
        "message": message,
        "url": reverse("admin:fulfillment_claim_change", args=[claim.pk]),
    }
    transaction.on_commit(
        partial(notify_staff, kind="staff_alert", context=context, object_key=f"claim:{claim.pk}:staff")
    )


def _text(value: str, *, field: str, minimum: int = 1, label: str = "a message") -> str:
    value = (value or "").strip()
    if len(value) < minimum:
        raise DomainError(
            f"Write {label}" + (f" (at least {minimum} characters)." if minimum > 1 else "."),
            details={field: ["This field is required." if not value else f"At least {minimum} characters."]},
        )
    if len(value) > MAX_TEXT:
        raise DomainError(f"At most {MAX_TEXT:,} characters.", details={field: ["Too long."]})
    return value


def listing_snapshot(order: Order) -> dict[str, Any]:
    """The condition report as the vehicle was listed, kept with the claim."""
    vehicle = order.vehicle
    return {
        "title": str(vehicle),
        "vin": vehicle.vin,
        "mileage": vehicle.mileage,
        "title_type": vehicle.get_title_type_display(),
        "title_state": vehicle.title_state,
        "condition_grade": vehicle.get_condition_grade_display() if vehicle.condition_grade else "",
        "condition_notes": vehicle.condition_notes,
        "starts": vehicle.get_starts_display() if vehicle.starts else "",
        "drives": vehicle.get_drives_display() if vehicle.drives else "",
        "keys": vehicle.keys_count,
        "odometer_brand": vehicle.get_odometer_brand_display() if vehicle.odometer_brand else "",
        "airbags_deployed": vehicle.get_airbags_deployed_display() if vehicle.airbags_deployed else "",
        "damage": vehicle.damage or [],
        "announcements": vehicle.announcements,
        "description": vehicle.description,
    }


# --- the buyer opens a claim ----------------------------------------------------------------------------------


def claim_open(
    *,
    actor: Any,
    order_id: int,
    category: str,
    description: str,
    uploads: Sequence[UploadedFile] = (),
    photo_tokens: Sequence[str] = (),
    now: datetime | None = None,
) -> Claim:
    """The buyer opens a claim: a category, a description and (about the vehicle) at least one photo. Refused
    outside its window (`rules.claim_refusal`), while another claim on the order is open, for a category
    already decided on this order, and once the sale completed. The seller is told and has 2 business days to
    answer; staff are alerted; the proceeds are held while it is open."""
    if category not in ClaimCategory.values:
        raise DomainError("Choose what the claim is about.", details={"category": ["Invalid choice."]})
    description = _text(description, field="description", minimum=MIN_DESCRIPTION, label="what is wrong")
    order, role = _order_for(order_id, actor)
    if role != "buyer":
        raise NotAllowed("Only the buyer opens a claim on an order.")
    if category in VEHICLE_CATEGORIES and not (uploads or photo_tokens):
        raise DomainError("Attach at least one photo that shows the problem.", details={"photos": ["Required."]})
    files = store_uploads(actor=actor, order=order, uploads=uploads, tokens=photo_tokens)
    try:
        with transaction.atomic(durable=True):
            claim = _open_locked(actor=actor, order_id=order_id, category=category, description=description,
                                 files=files, now=now or timezone.now())  # fmt: skip
    except Exception:
        _delete(files)
        raise
    return claim


def _open_locked(
    *, actor: Any, order_id: int, category: str, description: str, files: Sequence[StoredFile], now: datetime
) -> Claim:
    order, fulfillment = lock(order_id)
    if fulfillment.completed_at is not None or order.status != Order.Status.IN_FULFILLMENT:
        raise Conflict("This sale is closed; claims can no longer be opened on it.", code="claim_closed")
    refusal = rules.claim_refusal(
        category=category,
        delivered_at=order.delivered_at,
        delivery_method=fulfillment.delivery_method,
        title_status=fulfillment.title_status,
        title_promised_by=fulfillment.title_promised_by,
        window_seconds=settings.FULFILLMENT_CLAIM_WINDOW_SECONDS,
        now=now,
    )
    if refusal:
        raise Conflict(refusal, code="claim_not_allowed")
    # MariaDB enforces no conditional unique constraint: one open claim per order is checked here, under the
    # order's lock, which every writer of claims on this order holds.
    existing = Claim.objects.filter(order_id=order.pk)
    if existing.open().exists():
        raise Conflict("A claim on this order is already open; add to it instead.", code="claim_open")
    if existing.filter(category=category).exists():
        raise Conflict("A claim about this was already decided on this order.", code="claim_decided")
    seller_due = rules.claim_seller_due_at(now)
    claim = Claim.objects.create(
        order=order,
        buyer_id=order.buyer_id,
        seller_id=order.seller_id,
        category=category,
        description=description,
        opened_at=now,
        seller_due_at=seller_due,
        due_at=seller_due,
        listing_snapshot=listing_snapshot(order),
    )
    claim_event(
        claim, kind="opened", role=Role.BUYER, actor=actor, message=description, to_status=claim.status, files=files,
        category=category,
    )  # fmt: skip
    tell_claim(order, claim, "claim_opened", who=["seller", "buyer"], due_at=seller_due.isoformat())
    tell_staff_claim(
        claim,
        f"Claim {claim.number} opened on {order.number}",
        f"{claim.get_category_display()}: the seller answers by {timezone.localtime(seller_due):%a %b %-d %-I:%M %p}.",
    )
    return claim


# --- answers and messages -------------------------------------------------------------------------------------


def claim_answer(
    *,
    actor: Any,
    claim_id: int,
    message: str,
    uploads: Sequence[UploadedFile] = (),
    photo_tokens: Sequence[str] = (),
    now: datetime | None = None,
) -> Claim:
    """The seller's answer (text and photos): the claim goes to staff for a decision within 2 business days.
    A later message from the seller is `claim_message`."""
    message = _text(message, field="message", label="your answer")
    claim = Claim.objects.select_related("order__vehicle").filter(pk=claim_id).first()
    if claim is None or role_of(claim.order, actor) is None:
        raise NotFound("Claim not found.")
    if role_of(claim.order, actor) != "seller":
        raise NotAllowed("Only the seller answers a claim.")
    files = store_uploads(actor=actor, order=claim.order, uploads=uploads, tokens=photo_tokens)
    try:
        with transaction.atomic(durable=True):
            order, _, claim = lock_claim(claim_id)
            if claim.status != ClaimStatus.AWAITING_SELLER or claim.seller_answered_at is not None:
                raise Conflict("This claim is not waiting for your answer; add a message instead.", code="answered")
            now = now or timezone.now()
            decision_due = rules.claim_decision_due_at(now)
            from_status = set_claim_status(
                claim, ClaimStatus.IN_REVIEW, seller_answered_at=now, decision_due_at=decision_due, due_at=decision_due
            )
            claim_event(
                claim, kind="seller_answered", role=Role.SELLER, actor=actor, message=message,
                from_status=from_status, to_status=claim.status, files=files,
            )  # fmt: skip
            tell_claim(order, claim, "claim_answered", who=["buyer"], due_at=decision_due.isoformat())
            tell_staff_claim(claim, f"Claim {claim.number}: the seller answered", message[:300])
    except Exception:
        _delete(files)
        raise
    return claim


def claim_message(
    *,
    actor: Any,
    claim_id: int,
    message: str,
    uploads: Sequence[UploadedFile] = (),
    photo_tokens: Sequence[str] = (),
) -> ClaimEvent:
    """A message on an open claim from the buyer, the seller or staff (staff need `fulfillment.answer_claim`);
    the other sides are told."""
    message = _text(message, field="message")
    claim = Claim.objects.select_related("order__vehicle").filter(pk=claim_id).first()
    role = role_of(claim.order, actor) if claim is not None else None
    if claim is None or role is None:
        raise NotFound("Claim not found.")
    if role == "staff" and not actor.has_perm("fulfillment.answer_claim"):
        raise NotAllowed("You may not answer claims.")
    files = (
        store_uploads(actor=actor, order=claim.order, uploads=uploads, tokens=photo_tokens) if role != "staff" else []
    )
    try:
        with transaction.atomic(durable=True):
            order, _, claim = lock_claim(claim_id)
            if not claim.is_open:
                raise Conflict("This claim was decided; messages are closed.", code="claim_decided")
            event = claim_event(claim, kind="message", role=role, actor=actor, message=message, files=files)
            others = [side for side in ("buyer", "seller") if side != role]
            tell_claim(order, claim, "claim_message", who=others, author=role, message=message[:300])
            if role != "staff":
                tell_staff_claim(claim, f"Claim {claim.number}: a message from the {role}", message[:300])
    except Exception:
        _delete(files)
        raise
    return event


# --- deadlines --------------------------------------------------------------------------------------------------


def claims_sweep(*, now: datetime | None = None) -> int:
    """Beat: a seller who did not answer by their deadline — the claim goes to staff (both parties and staff
    told, once: a conditional UPDATE claims each claim)."""
    now = now or timezone.now()
    moved = 0
    due = Claim.objects.filter(status=ClaimStatus.AWAITING_SELLER, seller_due_at__lt=now).values_list("pk", flat=True)
    for claim_id in list(due):
        with transaction.atomic(durable=True):
            order, _, claim = lock_claim(claim_id)
            if claim.status != ClaimStatus.AWAITING_SELLER or claim.seller_due_at >= now:
                continue
            decision_due = rules.claim_decision_due_at(now)
            from_status = set_claim_status(
                claim, ClaimStatus.IN_REVIEW, decision_due_at=decision_due, due_at=decision_due
            )
            claim_event(
                claim, kind="seller_late", role=Role.SYSTEM, message="The seller did not answer in time; our staff "
                "decide on what the buyer sent.", from_status=from_status, to_status=claim.status,
            )  # fmt: skip
            tell_claim(order, claim, "claim_seller_late", who=["buyer", "seller"], due_at=decision_due.isoformat())
            tell_staff_claim(claim, f"Claim {claim.number}: the seller did not answer", "Decide on the buyer's claim.")
        moved += 1
    return moved


def claim_is_decidable(claim: Claim) -> bool:
    return claim.status in DECIDABLE_CLAIM_STATUSES
