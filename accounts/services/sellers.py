"""Seller applications: a buyer applies, staff approve (role becomes SELLER) or reject with a reason."""

from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.models import AccountEvent, SellerProfile, User
from accounts.services.events import event_record, notify_on_commit
from accounts.validation import clean_ein, clean_state, clean_zip, require
from core.errors import Conflict, DomainError, NotAllowed, NotFound

DOCUMENT_TYPES = {".pdf": "application/pdf", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}
DOCUMENT_MAX_BYTES = 10 * 1024 * 1024


def _clean_document(document: UploadedFile | None) -> UploadedFile | None:
    if document is None:
        return None
    name = (document.name or "").lower()
    if not any(name.endswith(ext) for ext in DOCUMENT_TYPES):
        raise DomainError(
            "The license document must be a PDF, JPG or PNG.", details={"license_document": ["Wrong file type."]}
        )
    if (document.size or 0) > DOCUMENT_MAX_BYTES:
        raise DomainError(
            "The license document must be 10 MB or smaller.", details={"license_document": ["File too large."]}
        )
    head = document.read(8)
    document.seek(0)
    if not (head.startswith(b"%PDF") or head.startswith(b"\x89PNG") or head.startswith(b"\xff\xd8\xff")):
        raise DomainError(
            "The license document is not a readable PDF or image.", details={"license_document": ["Unreadable file."]}
        )
    return document


def seller_application_submit(
    *,
    user: User,
    business_name: str,
    dealer_license_number: str,
    tax_id: str,
    address_line1: str,
    city: str,
    state: str,
    postal_code: str,
    license_document: UploadedFile | None = None,
) -> SellerProfile:
    """Apply to sell (or apply again after a rejection). Staff decide in the admin."""
    fields: dict[str, Any] = {
        "business_name": require(business_name, "business_name", "Business name"),
        "dealer_license_number": require(dealer_license_number, "dealer_license_number", "Dealer license number"),
        "tax_id": clean_ein(tax_id),
        "address_line1": require(address_line1, "address_line1", "Street address"),
        "city": require(city, "city", "City"),
        "state": clean_state(require(state, "state", "State")),
        "postal_code": clean_zip(require(postal_code, "postal_code", "ZIP code")),
    }
    document = _clean_document(license_document)
    with transaction.atomic():
        locked_user = User.objects.select_for_update().get(pk=user.pk)
        if locked_user.suspended_at is not None:
            raise NotAllowed("Your account is suspended; contact support.")
        if locked_user.is_seller:
            raise Conflict("You are already an approved seller.")
        application = SellerProfile.objects.select_for_update().filter(user=locked_user).first()
        previous = ""
        if application is None:
            application = SellerProfile(user=locked_user, **fields)
        elif application.awaits_decision():
            raise Conflict("Your application is already waiting for review.")
        elif application.accepts_resubmission():
            previous = application.status
            for key, value in fields.items():
                setattr(application, key, value)
            application.rejection_reason = ""
            application.decided_at = None
            application.decided_by = None
        else:
            raise Conflict("Your seller application has already been approved.")
        if document is not None:
            application.license_document = document
        application.status = SellerProfile.Status.PENDING
        application.submitted_at = timezone.now()
        application.save()
        event_record(
            user=locked_user,
            actor=locked_user,
            kind=AccountEvent.Kind.SELLER_APPLIED,
            from_status=previous,
            to_status=SellerProfile.Status.PENDING,
            data={"application_id": application.pk, "business_name": application.business_name},
        )
    return application


def _decide(*, application_id: int, actor: User, approve: bool, reason: str) -> SellerProfile:
    with transaction.atomic():
        # Lock order: the user row first, then the application (parents before children).
        user_id = SellerProfile.objects.filter(pk=application_id).values_list("user_id", flat=True).first()
        if user_id is None:
            raise NotFound("No such seller application.")
        user = User.objects.select_for_update().get(pk=user_id)
        application = SellerProfile.objects.select_for_update().get(pk=application_id)
        if not application.awaits_decision():
            raise Conflict(f"This application was already {application.get_status_display().lower()}.")
        application.status = SellerProfile.Status.APPROVED if approve else SellerProfile.Status.REJECTED
        application.rejection_reason = "" if approve else reason
        application.decided_at = timezone.now()
        application.decided_by = actor
        application.save(update_fields=["status", "rejection_reason", "decided_at", "decided_by", "updated_at"])
        if approve:
            user.role = User.Role.SELLER
            user.save(update_fields=["role"])
        event_record(
            user=user,
            actor=actor,
            kind=AccountEvent.Kind.SELLER_APPROVED if approve else AccountEvent.Kind.SELLER_REJECTED,
            from_status=SellerProfile.Status.PENDING,
            to_status=application.status,
            reason=reason,
            data={"application_id": application.pk},
        )
        notify_on_commit(
            user_id=user.pk,
            kind="seller_application_approved" if approve else "seller_application_rejected",
            context={
                "status": application.status,
                "business_name": application.business_name,
                "reason": reason,
            },
            object_key=f"seller_application:{application.pk}",
        )
    return application


def seller_application_approve(*, application_id: int, actor: User) -> SellerProfile:
    """Approve a pending application; the applicant becomes a seller."""
    return _decide(application_id=application_id, actor=actor, approve=True, reason="")


def seller_application_reject(*, application_id: int, actor: User, reason: str) -> SellerProfile:
    """Reject a pending application with a reason the applicant will read."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(
            "Give the applicant a reason for the rejection.", details={"reason": ["This field is required."]}
        )
    return _decide(application_id=application_id, actor=actor, approve=False, reason=reason)
