"""ID verification with Persona: start (or resume) an inquiry, apply the vendor's decisions, staff overrides.

Every path that learns a decision — the redirect back (fetches the inquiry), the webhook (signed) and
the beat poll (fetches) — ends in `identity_verification_sync`, which moves the status forward only.
"""

from dataclasses import dataclass

import structlog
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import AccountEvent, IdentityVerification, User
from accounts.persona import get_persona, parse_webhook
from accounts.services.events import event_record, notify_on_commit
from core.errors import Conflict, DomainError, NotAllowed
from core.webhooks import record_delivery, verify_timestamped_signature

logger = structlog.get_logger(__name__)
Status = IdentityVerification.Status

# Persona inquiry status → ours. "completed" means every verification passed; without a decisioning
# workflow it is final, so it counts as approved (a later explicit "declined" still wins, see _may_move).
VENDOR_STATUS = {
    "created": Status.PENDING,
    "pending": Status.PENDING,
    "completed": Status.APPROVED,
    "approved": Status.APPROVED,
    "needs_review": Status.NEEDS_REVIEW,
    "declined": Status.DECLINED,
    "failed": Status.DECLINED,
    "expired": Status.EXPIRED,
}
RANK = {
    Status.NOT_STARTED: 0,
    Status.PENDING: 1,
    Status.NEEDS_REVIEW: 2,
    Status.APPROVED: 3,
    Status.DECLINED: 3,
    Status.EXPIRED: 3,
}
DECIDED = (Status.APPROVED, Status.DECLINED, Status.EXPIRED)


@dataclass(frozen=True)
class IdentityStart:
    inquiry_id: str
    redirect_url: str
    resumed: bool


def _verification_for(user: User) -> IdentityVerification:
    verification, _ = IdentityVerification.objects.get_or_create(user=user)
    return verification


def identity_verification_start(*, user: User, redirect_uri: str) -> IdentityStart:
    """Create the user's inquiry (or resume the running one) and return the hosted flow's URL.

    Idempotent per user: a second start while one is pending resumes it, and concurrent starts send the
    same Idempotency-Key so Persona answers with one inquiry. No network call runs inside a transaction.
    """
    _verification_for(user)
    with transaction.atomic():
        verification = IdentityVerification.objects.select_for_update().get(user=user)
        if verification.status == Status.APPROVED:
            raise Conflict("Your identity is already verified.")
        if verification.status == Status.NEEDS_REVIEW:
            raise Conflict("Your ID check is being reviewed. We will let you know the result.")
        running = verification.inquiry_id if verification.status == Status.PENDING else None
        if running is None and not verification.can_start_new_inquiry():
            raise NotAllowed("Your ID check cannot be restarted online. Please contact support.")
        attempt = verification.attempts + 1
    persona = get_persona()
    if running is not None:
        return IdentityStart(
            inquiry_id=running,
            redirect_url=persona.hosted_flow_url(inquiry_id=running, redirect_uri=redirect_uri),
            resumed=True,
        )
    inquiry = persona.create_inquiry(reference_id=str(user.pk), idempotency_key=f"user-{user.pk}-inquiry-{attempt}")
    with transaction.atomic():
        verification = IdentityVerification.objects.select_for_update().get(user=user)
        if verification.status == Status.PENDING and verification.inquiry_id:
            inquiry_id = verification.inquiry_id  # a concurrent start recorded it first
        else:
            previous = verification.status
            verification.inquiry_id = inquiry.id
            verification.status = Status.PENDING
            verification.vendor_status = inquiry.status
            verification.attempts = attempt
            verification.started_at = timezone.now()
            verification.decided_at = None
            verification.save()
            event_record(
                user=user,
                actor=user,
                kind=AccountEvent.Kind.IDENTITY_STARTED,
                from_status=previous,
                to_status=Status.PENDING,
                data={"inquiry_id": inquiry.id, "attempt": attempt},
            )
            inquiry_id = inquiry.id
    return IdentityStart(
        inquiry_id=inquiry_id,
        redirect_url=persona.hosted_flow_url(inquiry_id=inquiry_id, redirect_uri=redirect_uri),
        resumed=False,
    )


def _may_move(verification: IdentityVerification, new: str) -> bool:
    if verification.overridden_by_id is not None:
        return False  # a staff decision is not undone by the vendor
    if new == verification.status:
        return False
    if verification.status == Status.APPROVED and verification.vendor_status == "completed" and new == Status.DECLINED:
        return True  # "completed" then an explicit decline from a review workflow
    return RANK[Status(new)] > RANK[Status(verification.status)]


def identity_verification_sync(*, inquiry_id: str, vendor_status: str, source: str) -> IdentityVerification | None:
    """Apply the vendor's inquiry status (from a fetch or a signed webhook). Forward-only; None for unknown inquiries."""
    new = VENDOR_STATUS.get(vendor_status)
    with transaction.atomic():
        verification = IdentityVerification.objects.select_for_update().filter(inquiry_id=inquiry_id).first()
        if verification is None:
            logger.info("identity.unknown_inquiry", inquiry_id=inquiry_id, source=source)
            return None
        verification.last_checked_at = timezone.now()
        if new is None or not _may_move(verification, new):
            verification.save(update_fields=["last_checked_at", "updated_at"])
            return verification
        previous = verification.status
        verification.status = new
        verification.vendor_status = vendor_status
        if new in DECIDED:
            verification.decided_at = timezone.now()
        verification.save()
        event_record(
            user=verification.user,
            kind=AccountEvent.Kind.IDENTITY_CHANGED,
            from_status=previous,
            to_status=new,
            data={"inquiry_id": inquiry_id, "vendor_status": vendor_status, "source": source},
        )
        if new in (Status.APPROVED, Status.DECLINED, Status.NEEDS_REVIEW, Status.EXPIRED):
            notify_on_commit(
                user_id=verification.user_id,
                kind="identity_verification_result",
                context={"status": new, "status_label": Status(new).label},
                object_key=f"identity:{verification.user_id}",
            )
    return verification


def identity_verification_refresh(*, inquiry_id: str, source: str) -> IdentityVerification | None:
    """Fetch the inquiry from Persona (outside any transaction) and apply its status."""
    inquiry = get_persona().get_inquiry(inquiry_id)
    return identity_verification_sync(inquiry_id=inquiry_id, vendor_status=inquiry.status, source=source)


def identity_verification_return(*, user: User, inquiry_id: str) -> IdentityVerification:
    """The hosted flow sent the user back: fetch their inquiry (never trust the query string's status)."""
    verification = IdentityVerification.objects.filter(user=user).first()
    if verification is None or not inquiry_id or verification.inquiry_id != inquiry_id:
        raise NotAllowed("That verification does not belong to your account.")
    return identity_verification_refresh(inquiry_id=inquiry_id, source="redirect") or verification


def persona_webhook_receive(*, body: bytes, signature_header: str, now: float | None = None) -> str:
    """Verify, de-duplicate on the event id and apply a Persona webhook. Returns "processed", "duplicate" or "ignored".

    Raises core.webhooks.WebhookRejected for unsigned, forged, stale or malformed deliveries.
    """
    verify_timestamped_signature(
        header=signature_header,
        body=body,
        secret=settings.PERSONA_WEBHOOK_SECRET,
        tolerance_seconds=settings.PERSONA_WEBHOOK_TOLERANCE_SECONDS,
        now=now,
    )
    event = parse_webhook(body)
    with transaction.atomic():
        if not record_delivery(
            vendor="persona", event_id=event.id, event_type=event.name, payload={"inquiry": event.inquiry_id}
        ):
            return "duplicate"
        if not event.inquiry_id or not event.inquiry_status:
            return "ignored"
        result = identity_verification_sync(
            inquiry_id=event.inquiry_id, vendor_status=event.inquiry_status, source="webhook"
        )
    return "processed" if result is not None else "ignored"


def identity_verification_override(*, user_id: int, status: str, actor: User, reason: str) -> IdentityVerification:
    """Staff set the ID check's status by hand (after a manual review), with a reason. Vendor updates then stop."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Give a reason for the override.", details={"reason": ["This field is required."]})
    if status not in (Status.APPROVED, Status.DECLINED, Status.NEEDS_REVIEW, Status.NOT_STARTED):
        raise DomainError(
            "Staff can set approved, declined, needs review or not started.", details={"status": ["Invalid."]}
        )
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise DomainError("No such user.")
    _verification_for(user)
    with transaction.atomic():
        verification = IdentityVerification.objects.select_for_update().get(user_id=user_id)
        previous = verification.status
        verification.status = status
        verification.overridden_by = actor if status != Status.NOT_STARTED else None
        verification.override_reason = reason
        verification.decided_at = timezone.now() if status in DECIDED else None
        if status == Status.NOT_STARTED:
            verification.inquiry_id = None  # a reset: the user starts a fresh inquiry
        verification.save()
        event_record(
            user=user,
            actor=actor,
            kind=AccountEvent.Kind.IDENTITY_OVERRIDDEN,
            from_status=previous,
            to_status=status,
            reason=reason,
            data={"inquiry_id": verification.inquiry_id or ""},
        )
        if status in (Status.APPROVED, Status.DECLINED):
            notify_on_commit(
                user_id=user_id,
                kind="identity_verification_result",
                context={"status": status, "status_label": Status(status).label, "reason": reason},
                object_key=f"identity:{user_id}",
            )
    return verification
