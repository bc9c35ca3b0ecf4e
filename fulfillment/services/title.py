"""The title track: documents from the seller, staff review, filing with the title service, the new title.

`awaiting_documents → documents_review → filed → title_issued → delivered_to_buyer`, with
`documents_rejected` (back to the seller with a reason) and `filing_rejected` (staff re-file or send it back
to the seller). Documents are uploaded like vehicle documents (vehicles.storage tickets, verified by
`vehicles.services.media.read_verified_document`) and kept in the same private storage. Every vendor call
runs outside any transaction; reports from the title service (webhook or poll) only move the track forward.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import structlog
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.models import SellerProfile
from core.errors import Conflict, DomainError, NotAllowed, NotFound, VendorUnavailable
from fulfillment import rules
from fulfillment.models import Fulfillment, TitleDocument, TitleStatus
from fulfillment.services.common import Source, Track, lock, record, role_of, set_title_status, tell, tell_staff
from fulfillment.title_vendor import TitleFilingRefused, TitleService, TitleTransfer, get_title_service
from orders.models import Order
from vehicles.images import UploadRejected
from vehicles.services.media import claim_upload, read_verified_document
from vehicles.storage import DOCUMENT_TYPES, UploadTicket, document_storage, make_ticket, new_key, safe_filename

logger = structlog.get_logger(__name__)
UPLOAD_KIND = "title_document"
UPLOADS_OPEN = (TitleStatus.AWAITING_DOCUMENTS, TitleStatus.DOCUMENTS_REJECTED, TitleStatus.DOCUMENTS_REVIEW)
CURRENT = (TitleDocument.Status.UPLOADED, TitleDocument.Status.APPROVED)


def required_kinds(order: Order) -> list[str]:
    """Front and back of the signed title and the odometer disclosure; a dealer adds the reassignment."""
    kinds = [TitleDocument.Kind.TITLE_FRONT, TitleDocument.Kind.TITLE_BACK, TitleDocument.Kind.ODOMETER]
    dealer = SellerProfile.objects.approved().filter(user_id=order.seller_id).exclude(dealer_license_number="").exists()
    if dealer:
        kinds.append(TitleDocument.Kind.REASSIGNMENT)
    return [str(kind) for kind in kinds]


def current_documents(fulfillment: Fulfillment) -> dict[str, TitleDocument]:
    """The newest document of each kind that is not replaced (uploaded, approved or rejected)."""
    newest: dict[str, TitleDocument] = {}
    for document in fulfillment.documents.exclude(status=TitleDocument.Status.REPLACED).order_by("kind", "-pk"):
        newest.setdefault(document.kind, document)
    return newest


def _check_uploader(order: Order, actor: Any) -> None:
    if role_of(order, actor) not in ("seller", "staff"):
        raise (
            NotFound("Order not found.")
            if role_of(order, actor) is None
            else NotAllowed("Only the seller (or staff) uploads the title documents.")
        )


def _check_kind(kind: str) -> None:
    if kind not in TitleDocument.Kind.values:
        raise DomainError(
            "Choose which document this is.",
            details={"kind": [f"must be one of {', '.join(TitleDocument.Kind.values)}"]},
        )


def _fulfillment_for(order_id: int, actor: Any) -> tuple[Order, Fulfillment]:
    fulfillment = Fulfillment.objects.select_related("order__vehicle").filter(order_id=order_id).first()
    if fulfillment is None:
        raise NotFound("Order not found, or not paid yet.")
    _check_uploader(fulfillment.order, actor)
    return fulfillment.order, fulfillment


def title_document_upload_prepare(
    *, actor: Any, order_id: int, kind: str, filename: str, content_type: str, size: int
) -> UploadTicket:
    """An upload ticket (presigned POST, or the local stand-in) for one title document: PDF, JPEG or PNG."""
    _check_kind(kind)
    order, fulfillment = _fulfillment_for(order_id, actor)
    if fulfillment.title_status not in UPLOADS_OPEN:
        raise Conflict("The title documents were already approved; ask staff if something must change.")
    _check_file(filename=filename, content_type=content_type, size=size)
    return make_ticket(
        user_id=actor.pk,
        vehicle_id=order.vehicle_id,
        kind=UPLOAD_KIND,
        content_type=content_type,
        filename=safe_filename(filename),
        max_bytes=settings.VEHICLE_DOCUMENT_MAX_BYTES,
    )


def _check_file(*, filename: str, content_type: str, size: int) -> None:
    name = safe_filename(filename)
    if content_type not in DOCUMENT_TYPES:
        raise UploadRejected(f"{name} is not a PDF, JPEG or PNG.")
    if size <= 0:
        raise UploadRejected(f"{name} is empty.")
    if size > settings.VEHICLE_DOCUMENT_MAX_BYTES:
        raise UploadRejected(f"{name} is larger than {settings.VEHICLE_DOCUMENT_MAX_BYTES // (1024 * 1024)} MB.")


def title_document_attach(*, actor: Any, order_id: int, upload_token: str, kind: str) -> TitleDocument:
    """Verify an uploaded title document (its first bytes must be a PDF, JPEG or PNG) and attach it."""
    _check_kind(kind)
    order, _ = _fulfillment_for(order_id, actor)
    ticket = claim_upload(actor=actor, vehicle_id=order.vehicle_id, token=upload_token, kind=UPLOAD_KIND)
    return _attach_stored(
        actor=actor,
        order_id=order_id,
        kind=kind,
        key=ticket["k"],
        content_type=ticket["ct"],
        name=ticket.get("name", ""),
    )


def title_document_upload(*, actor: Any, order_id: int, kind: str, upload: UploadedFile) -> TitleDocument:
    """The same upload without JavaScript: the file comes in the page's form and is stored by the server."""
    _check_kind(kind)
    order, fulfillment = _fulfillment_for(order_id, actor)
    if fulfillment.title_status not in UPLOADS_OPEN:
        raise Conflict("The title documents were already approved; ask staff if something must change.")
    content_type = (upload.content_type or "").split(";")[0].strip().lower()
    _check_file(filename=upload.name or "document", content_type=content_type, size=upload.size or 0)
    key = new_key(vehicle_id=order.vehicle_id, kind=UPLOAD_KIND, content_type=content_type)
    stored = document_storage().save(key, upload)
    return _attach_stored(
        actor=actor, order_id=order_id, kind=kind, key=stored, content_type=content_type, name=upload.name or ""
    )


def _attach_stored(*, actor: Any, order_id: int, kind: str, key: str, content_type: str, name: str) -> TitleDocument:
    data = read_verified_document(key=key, content_type=content_type)  # storage I/O, before the transaction
    try:
        with transaction.atomic(durable=True):
            order, fulfillment = lock(order_id)
            if fulfillment.title_status not in UPLOADS_OPEN:
                raise Conflict("The title documents were already approved; ask staff if something must change.")
            fulfillment.documents.filter(kind=kind).exclude(status=TitleDocument.Status.REPLACED).update(
                status=TitleDocument.Status.REPLACED
            )
            document = TitleDocument.objects.create(
                fulfillment=fulfillment,
                kind=kind,
                storage_name=key,
                original_name=safe_filename(name or "document"),
                content_type=content_type,
                size_bytes=len(data),
                uploaded_by=actor,
            )
            source = Source.STAFF if role_of(order, actor) == "staff" else Source.SELLER
            record(
                fulfillment,
                track=Track.TITLE,
                kind="document",
                message=f"{document.get_kind_display()} uploaded",
                source=source,
                actor=actor,
                document=document.pk,
            )
            _submit_if_complete(order, fulfillment, actor=actor, source=source)
    except Exception:
        document_storage().delete(key)
        raise
    return document


def _submit_if_complete(order: Order, fulfillment: Fulfillment, *, actor: Any, source: str) -> None:
    """Every required document uploaded and none rejected: the set goes to staff review."""
    if fulfillment.title_status not in (TitleStatus.AWAITING_DOCUMENTS, TitleStatus.DOCUMENTS_REJECTED):
        return
    current = current_documents(fulfillment)
    complete = all(
        kind in current and current[kind].status != TitleDocument.Status.REJECTED for kind in required_kinds(order)
    )
    if not complete:
        return
    set_title_status(
        fulfillment,
        TitleStatus.DOCUMENTS_REVIEW,
        message="All title documents are in: staff review them (usually within one business day)",
        source=source,
        actor=actor,
    )
    tell_staff(
        order,
        f"Title documents to review: {order.number}",
        f"The seller uploaded the title documents of {order.vehicle}.",
    )


def title_documents_approve(*, order_id: int, actor: Any, service: TitleService | None = None) -> Fulfillment:
    """Staff approve the document set; the transfer is then filed with the title service (after commit, outside
    the transaction; if the service is down the filing task retries)."""
    with transaction.atomic(durable=True):
        order, fulfillment = lock(order_id)
        if fulfillment.title_status != TitleStatus.DOCUMENTS_REVIEW or fulfillment.documents_approved_at:
            raise Conflict("There are no title documents waiting for review on this order.")
        current = current_documents(fulfillment)
        missing = [kind for kind in required_kinds(order) if kind not in current]
        if missing:
            raise Conflict(f"Documents are missing: {', '.join(TitleDocument.Kind(k).label for k in missing)}.")
        now = timezone.now()
        TitleDocument.objects.filter(pk__in=[d.pk for d in current.values()]).update(
            status=TitleDocument.Status.APPROVED, reviewed_by=actor, reviewed_at=now, rejection_reason=""
        )
        fulfillment.documents_approved_at = now
        fulfillment.title_filing_attempt += 1
        fulfillment.save()
        record(
            fulfillment,
            track=Track.TITLE,
            kind="documents_approved",
            message="Title documents approved; filing the transfer with the title service",
            source=Source.STAFF,
            actor=actor,
        )
    title_file(order_id=order_id, service=service)
    fulfillment.refresh_from_db()
    return fulfillment


def title_documents_reject(*, order_id: int, actor: Any, reason: str, document_ids: list[int] | None = None) -> None:
    """Staff send the documents back to the seller with a reason (all of them, or those named)."""
    reason = reason.strip()
    if not reason:
        raise DomainError("Give the seller a reason: they see it and upload new documents.")
    with transaction.atomic(durable=True):
        order, fulfillment = lock(order_id)
        if fulfillment.title_status != TitleStatus.DOCUMENTS_REVIEW or fulfillment.documents_approved_at:
            raise Conflict("Only documents waiting for review can be rejected.")
        current = current_documents(fulfillment)
        chosen = [d for d in current.values() if document_ids is None or d.pk in document_ids]
        if not chosen:
            raise DomainError("Choose the documents to reject.")
        TitleDocument.objects.filter(pk__in=[d.pk for d in chosen]).update(
            status=TitleDocument.Status.REJECTED, rejection_reason=reason, reviewed_by=actor, reviewed_at=timezone.now()
        )
        set_title_status(
            fulfillment,
            TitleStatus.DOCUMENTS_REJECTED,
            message=f"Title documents need changes: {reason}",
            source=Source.STAFF,
            actor=actor,
            documents=[d.pk for d in chosen],
        )
        tell(order, "title_documents_rejected", who=["seller"], reason=reason)


def _transfer_body(order: Order, fulfillment: Fulfillment) -> dict[str, Any]:
    vehicle, buyer, seller = order.vehicle, order.buyer, order.seller
    profile = SellerProfile.objects.filter(user_id=seller.pk).first()
    return {
        "external_id": order.number,
        "vin": vehicle.vin,
        "year": vehicle.year,
        "make": vehicle.make,
        "model": vehicle.model,
        "sale_date": timezone.localtime(order.sold_at).date().isoformat(),
        "sale_price": str(order.vehicle_price),
        "odometer": {"reading": vehicle.mileage, "status": "actual"},
        "seller": {
            "name": profile.business_name if profile else seller.get_full_name() or seller.email,
            "address": profile.address_line1 if profile else seller.address_line1,
            "city": profile.city if profile else seller.city,
            "state": profile.state if profile else seller.state,
            "zip": profile.postal_code if profile else seller.postal_code,
            "dealer_license": profile.dealer_license_number if profile else "",
        },
        "buyer": {
            "name": buyer.get_full_name() or buyer.email,
            "address": ", ".join(p for p in (buyer.address_line1, buyer.city, buyer.state, buyer.postal_code) if p),
            "dl_number": "",
        },
        "lien": None,
        "state": order.buyer_state or vehicle.title_state or vehicle.state,
    }


def title_file(*, order_id: int, service: TitleService | None = None) -> Fulfillment:
    """File the approved transfer with the title service, once per attempt (the Idempotency-Key is the order
    number and the attempt, so a retry after a timeout finds the first transfer). Precondition: no transaction
    is open. Safe to call again: a filed transfer is left alone."""
    fulfillment = Fulfillment.objects.select_related("order__vehicle", "order__buyer", "order__seller").get(
        order_id=order_id
    )
    if fulfillment.title_transfer_id or not fulfillment.documents_approved_at:
        return fulfillment
    if fulfillment.title_status != TitleStatus.DOCUMENTS_REVIEW:
        return fulfillment
    order = fulfillment.order
    key = f"{order.number}-title-{fulfillment.title_filing_attempt}"
    service = service or get_title_service()
    try:
        transfer = service.create_transfer(body=_transfer_body(order, fulfillment), idempotency_key=key)
    except VendorUnavailable as exc:
        Fulfillment.objects.filter(pk=fulfillment.pk).update(title_filing_error=exc.message)
        logger.warning("title.filing_unavailable", order=order.number, error=exc.message)
        return fulfillment
    except TitleFilingRefused as exc:
        with transaction.atomic(durable=True):
            order, fulfillment = lock(order_id)
            if fulfillment.title_status == TitleStatus.DOCUMENTS_REVIEW and not fulfillment.title_transfer_id:
                fulfillment.title_rejection_reason = exc.message
                set_title_status(fulfillment, TitleStatus.FILING_REJECTED, message=exc.message, source=Source.SYSTEM)
                tell_staff(order, f"Title filing refused: {order.number}", exc.message)
        return fulfillment
    with transaction.atomic(durable=True):
        order, fulfillment = lock(order_id)
        if fulfillment.title_transfer_id or fulfillment.title_status != TitleStatus.DOCUMENTS_REVIEW:
            return fulfillment
        fulfillment.title_transfer_id = transfer.id
        fulfillment.title_transfer_status = ""
        fulfillment.title_filing_error = ""
        set_title_status(
            fulfillment,
            TitleStatus.FILED,
            message="Title transfer filed with the title service",
            source=Source.SYSTEM,
            transfer=transfer.id,
        )
        tell(order, "title_status", who=["buyer", "seller"], status=TitleStatus.FILED.label)
    title_apply_report(transfer=transfer, source=Source.POLL)
    return fulfillment


def titles_file_approved() -> int:
    """Beat: file approved transfers whose filing has not gone through (the service was down)."""
    waiting = Fulfillment.objects.filter(
        title_status=TitleStatus.DOCUMENTS_REVIEW, documents_approved_at__isnull=False, title_transfer_id=""
    ).values_list("order_id", flat=True)
    filed = 0
    for order_id in list(waiting[:100]):
        if title_file(order_id=order_id).title_transfer_id:
            filed += 1
    return filed


def title_apply_report(*, transfer: TitleTransfer, source: str) -> str:
    """Apply what the title service reports about a transfer (webhook or poll), once and only forward."""
    with transaction.atomic(durable=True):
        fulfillment = Fulfillment.objects.filter(title_transfer_id=transfer.id).only("order_id").first()
        if fulfillment is None:
            return "ignored: unknown transfer"
        order, fulfillment = lock(fulfillment.order_id)
        if fulfillment.title_transfer_id != transfer.id:
            return "ignored: an earlier transfer"
        step = rules.title_step(
            current_status=fulfillment.title_status,
            current_vendor_status=fulfillment.title_transfer_status,
            reported=transfer.status,
        )
        if step is None:
            return "ignored: not newer"
        fulfillment.title_transfer_status = transfer.status
        if step == fulfillment.title_status:
            fulfillment.save()
            record(
                fulfillment,
                track=Track.TITLE,
                kind="vendor_status",
                message=f"Title service: {transfer.status.replace('_', ' ')}",
                source=source,
                vendor_status=transfer.status,
            )
            return f"recorded {transfer.status}"
        if step == TitleStatus.TITLE_ISSUED:
            fulfillment.title_number = transfer.title_number
            fulfillment.title_issued_at = timezone.now()
            message = (
                f"New title issued (title number {transfer.title_number or 'to follow'}); it is mailed to the buyer"
            )
        elif step == TitleStatus.FILING_REJECTED:
            fulfillment.title_rejection_reason = transfer.reason or "The title service needs more documents."
            message = f"The title service could not complete the transfer: {fulfillment.title_rejection_reason}"
            tell_staff(order, f"Title filing rejected: {order.number}", message)
        else:
            message = f"Title service: {transfer.status.replace('_', ' ')}"
        set_title_status(fulfillment, step, message=message, source=source, vendor_status=transfer.status)
        tell(order, "title_status", who=["buyer", "seller"], status=TitleStatus(step).label)
        return f"moved to {step}"


def titles_poll(*, service: TitleService | None = None) -> int:
    """Beat: ask the title service about every transfer still in progress (a webhook may have been lost)."""
    service = service or get_title_service()
    open_transfers = Fulfillment.objects.filter(
        title_status__in=[TitleStatus.FILED, TitleStatus.FILING_REJECTED]
    ).exclude(title_transfer_id="")
    moved = 0
    for transfer_id in list(open_transfers.values_list("title_transfer_id", flat=True)[:200]):
        try:
            transfer = service.get_transfer(transfer_id)
        except VendorUnavailable:
            break  # down: try again at the next run
        except TitleFilingRefused:
            continue
        if title_apply_report(transfer=transfer, source=Source.POLL).startswith("moved"):
            moved += 1
    return moved


def title_refile(*, order_id: int, actor: Any, service: TitleService | None = None) -> Fulfillment:
    """Staff file again after the service rejected the filing (a new transfer, a new Idempotency-Key)."""
    with transaction.atomic(durable=True):
        order, fulfillment = lock(order_id)
        if fulfillment.title_status != TitleStatus.FILING_REJECTED:
            raise Conflict("Only a rejected filing can be filed again.")
        fulfillment.title_transfer_id = ""
        fulfillment.title_transfer_status = ""
        fulfillment.title_filing_attempt += 1
        set_title_status(
            fulfillment,
            TitleStatus.DOCUMENTS_REVIEW,
            message="Staff are filing the title transfer again",
            source=Source.STAFF,
            actor=actor,
        )
    return title_file(order_id=order_id, service=service)


def title_return_to_seller(*, order_id: int, actor: Any, reason: str) -> None:
    """Staff: the filing needs new documents from the seller."""
    reason = reason.strip()
    if not reason:
        raise DomainError("Give the seller a reason.")
    with transaction.atomic(durable=True):
        order, fulfillment = lock(order_id)
        if fulfillment.title_status != TitleStatus.FILING_REJECTED:
            raise Conflict("Only a rejected filing goes back to the seller.")
        fulfillment.title_transfer_id = ""
        fulfillment.title_transfer_status = ""
        fulfillment.documents_approved_at = None
        fulfillment.documents.filter(status=TitleDocument.Status.APPROVED).update(
            status=TitleDocument.Status.REJECTED, rejection_reason=reason
        )
        set_title_status(
            fulfillment,
            TitleStatus.DOCUMENTS_REJECTED,
            message=f"New title documents needed: {reason}",
            source=Source.STAFF,
            actor=actor,
        )
        tell(order, "title_documents_rejected", who=["seller"], reason=reason)


def title_mark_delivered(*, order_id: int, actor: Any) -> None:
    """The buyer (or staff) confirms the new title arrived: the title track ends."""
    with transaction.atomic(durable=True):
        order, fulfillment = lock(order_id)
        role = role_of(order, actor)
        if role not in ("buyer", "staff"):
            raise NotFound("Order not found.") if role is None else NotAllowed("Only the buyer confirms the title.")
        if fulfillment.title_status != TitleStatus.TITLE_ISSUED:
            raise Conflict("The new title has not been issued yet.")
        fulfillment.title_delivered_at = timezone.now()
        set_title_status(
            fulfillment,
            TitleStatus.DELIVERED_TO_BUYER,
            message="The buyer has the new title",
            source=Source.BUYER if role == "buyer" else Source.STAFF,
            actor=actor,
        )
        tell(
            order,
            "title_status",
            who=["seller"] if role == "buyer" else ["buyer", "seller"],
            status="delivered to the buyer",
        )


def title_documents_sweep(*, now: datetime | None = None) -> int:
    """Beat: remind the seller 1 and 2 business days after payment, then, past the due date, tell them, the
    buyer (storage stops counting) and staff, once. Each notice is claimed with a conditional UPDATE."""
    now = now or timezone.now()
    sent = 0
    for fulfillment in (
        Fulfillment.objects.open()
        .awaiting_documents()
        .select_related("order__vehicle", "order__buyer", "order__seller")
    ):
        order = fulfillment.order
        paid_at = order.paid_at or fulfillment.started_at
        for number in (1, 2):
            if fulfillment.documents_reminders_sent >= number or now < rules.document_reminder_at(paid_at, number):
                continue
            with transaction.atomic(durable=True):
                claimed = Fulfillment.objects.filter(pk=fulfillment.pk, documents_reminders_sent=number - 1).update(
                    documents_reminders_sent=number
                )
                if claimed:
                    record(
                        fulfillment, track=Track.TITLE, kind="reminder", message=f"Reminder {number} sent to the seller"
                    )
                    tell(
                        order,
                        "title_documents_reminder",
                        who=["seller"],
                        due_at=fulfillment.documents_due_at.isoformat(),
                    )
                    sent += 1
            fulfillment.documents_reminders_sent = max(fulfillment.documents_reminders_sent, number)
        if fulfillment.documents_late_at is None and now > fulfillment.documents_due_at:
            with transaction.atomic(durable=True):
                if Fulfillment.objects.filter(pk=fulfillment.pk, documents_late_at__isnull=True).update(
                    documents_late_at=now
                ):
                    record(
                        fulfillment,
                        track=Track.TITLE,
                        kind="late",
                        message="The seller is late with the title documents: the buyer's storage clock stops",
                    )
                    tell(order, "title_documents_late", who=["seller"])
                    tell(
                        order,
                        "title_status",
                        who=["buyer"],
                        status="waiting for the seller's documents (no storage is charged meanwhile)",
                    )
                    tell_staff(
                        order,
                        f"Title documents late: {order.number}",
                        f"The seller of {order.vehicle} missed the document deadline.",
                    )
                    sent += 1
    return sent
