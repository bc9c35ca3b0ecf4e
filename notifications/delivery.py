"""The email outbox: queue (merging bursts), claim, send through anymail, retry with backoff, sweep.

Flow: `email_queue` (inside notify's transaction) -> on commit `schedule_send` -> Celery task
`send_email_delivery` -> `email_delivery_send` claims the row with a conditional UPDATE and sends outside
any transaction. A failed send marks the row QUEUED again and the task retries with exponential backoff;
the caller of notify never sees the failure.
"""

import hashlib
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused
from celery.exceptions import Retry
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from core.metrics import vendor_calls_total
from notifications.kinds import EMAIL, KINDS
from notifications.models import EmailDelivery, EmailDeliveryEvent
from notifications.rendering import build_message, render_email
from notifications.selectors import channel_enabled, is_undeliverable
from notifications.tokens import preferences_url, unsubscribe_url

logger = structlog.get_logger(__name__)
Status = EmailDelivery.Status
MERGE_ATTEMPTS = 3
SWEEP_QUEUED_GRACE = timedelta(minutes=2)
SWEEP_SENDING_STALE = timedelta(minutes=10)
SWEEP_BATCH = 500


class TransientEmailError(Exception):
    """The ESP or network failed in a way worth retrying (5xx, 429, timeout, connection refused)."""

    def __init__(self, message: str, *, retry_in: float) -> None:
        super().__init__(message)
        self.retry_in = retry_in


@dataclass(frozen=True)
class QueuedEmail:
    delivery_id: int
    countdown: float


def pending_key_for(*, user_id: int, kind: str, object_key: str) -> str:
    return hashlib.sha256(f"{user_id}|{kind}|{object_key}".encode()).hexdigest()


def retry_delay(retries: int) -> float:
    """Exponential backoff with jitter: base, 2·base, 4·base … capped at an hour."""
    base = float(settings.NOTIFY_EMAIL_RETRY_BACKOFF_SECONDS)
    return min(base * (2**retries), 3600.0) + random.uniform(0, base / 2)  # noqa: S311 - jitter, not a secret


def _transition(delivery_id: int, from_status: str, to_status: str, note: str = "", **fields: Any) -> bool:
    """Compare-and-set the status; the event row is written only by the caller that won."""
    now = timezone.now()
    with transaction.atomic():
        changed = EmailDelivery.objects.filter(pk=delivery_id, status=from_status).update(
            status=to_status, updated_at=now, **fields
        )
        if changed:
            EmailDeliveryEvent.objects.create(
                delivery_id=delivery_id, from_status=from_status, to_status=to_status, note=note[:500], created_at=now
            )
    return bool(changed)


def email_queue(
    *, user_id: int, kind: str, context: dict[str, Any], object_key: str, now: datetime | None = None
) -> QueuedEmail | None:
    """Queue one email; return what to schedule after commit, or None when merged into a pending email.

    With an object_key and a window, the first notification creates a row collecting the burst
    (unique `pending_key`); the next ones within the window only UPDATE its context. Creation races are
    settled by the unique constraint: the loser merges into the winner's row.
    """
    now = now or timezone.now()
    window = max(0, int(settings.NOTIFY_EMAIL_WINDOW_SECONDS))
    fields = {"user_id": user_id, "kind": kind, "object_key": object_key, "context": context}
    if object_key and window:
        key = pending_key_for(user_id=user_id, kind=kind, object_key=object_key)
        for _ in range(MERGE_ATTEMPTS):
            with transaction.atomic():
                merged = EmailDelivery.objects.filter(pending_key=key, status=Status.QUEUED).update(
                    context=context, merged_count=F("merged_count") + 1, updated_at=now
                )
            if merged:
                return None
            try:
                with transaction.atomic():
                    delivery = EmailDelivery.objects.create(
                        **fields, pending_key=key, send_after=now + timedelta(seconds=window), created_at=now
                    )
                    EmailDeliveryEvent.objects.create(delivery=delivery, to_status=Status.QUEUED, created_at=now)
                return QueuedEmail(delivery_id=delivery.pk, countdown=window)
            except IntegrityError:
                continue  # another worker created the collecting row first: merge into it
        logger.warning("notifications.email_merge_gave_up", kind=kind, object_key=object_key)
    with transaction.atomic():
        delivery = EmailDelivery.objects.create(**fields, send_after=now, created_at=now)
        EmailDeliveryEvent.objects.create(delivery=delivery, to_status=Status.QUEUED, created_at=now)
    return QueuedEmail(delivery_id=delivery.pk, countdown=0)


def schedule_send(delivery_id: int, *, countdown: float = 0) -> None:
    """Hand the email to Celery. A broker outage is logged, not raised: the sweep sends it later."""
    from notifications.tasks import send_email_delivery

    try:
        if countdown > 0:
            send_email_delivery.apply_async(args=(delivery_id,), countdown=countdown)
        else:
            send_email_delivery.apply_async(args=(delivery_id,))
    except Retry:
        # eager mode (tests) propagates the task's retry instead of queueing it; the row waits for the sweep
        logger.info("notifications.email_retry_pending", delivery_id=delivery_id)
    except Exception:
        logger.exception("notifications.email_schedule_failed", delivery_id=delivery_id)


def _skip_reason(delivery: EmailDelivery) -> str:
    user = delivery.user
    kind = KINDS.get(delivery.kind)
    if kind is None:
        return "kind no longer declared"
    if not getattr(user, "email", ""):
        return "user has no email address"
    if not channel_enabled(user=user, kind=kind, channel=EMAIL):
        return "email turned off for this kind"
    if is_undeliverable(user.email):
        return "address marked undeliverable"
    return ""


def _is_retryable(exc: Exception) -> bool:
    if isinstance(exc, AnymailRecipientsRefused):
        return False
    if isinstance(exc, AnymailAPIError):
        status = getattr(exc, "status_code", None)
        return status is None or status >= 500 or status in (408, 429)
    return isinstance(exc, OSError)  # network and SMTP errors


def email_delivery_send(*, delivery_id: int) -> str:
    """Claim a queued email and send it. Returns the outcome: sent, skipped, failed or not_queued.

    Raises TransientEmailError when the send should be retried (the row is QUEUED again, due after the
    backoff in `retry_in`); after 1 + NOTIFY_EMAIL_MAX_RETRIES attempts the row is marked failed instead.
    Must run outside a transaction (it calls the ESP).
    """
    now = timezone.now()
    with transaction.atomic():
        claimed = EmailDelivery.objects.filter(pk=delivery_id, status=Status.QUEUED).update(
            status=Status.SENDING, pending_key=None, claimed_at=now, updated_at=now, attempts=F("attempts") + 1
        )
        if not claimed:
            return "not_queued"  # already sent, or another worker holds it
        EmailDeliveryEvent.objects.create(
            delivery_id=delivery_id, from_status=Status.QUEUED, to_status=Status.SENDING, created_at=now
        )
    delivery = EmailDelivery.objects.select_related("user").get(pk=delivery_id)
    reason = _skip_reason(delivery)
    if reason:
        _transition(delivery_id, Status.SENDING, Status.SKIPPED, reason)
        return "skipped"

    kind = KINDS[delivery.kind]
    user: Any = delivery.user
    to = user.email
    unsubscribe = unsubscribe_url(user_id=user.pk, kind=kind.name) if kind.optional else ""
    first_name = getattr(user, "first_name", "") or ""
    rendered = render_email(
        kind, delivery.context, first_name=first_name, unsubscribe_url=unsubscribe, preferences_url=preferences_url()
    )
    message = build_message(
        rendered,
        to=to,
        unsubscribe_url=unsubscribe,
        tags=[kind.name],
        metadata={"delivery_id": str(delivery_id), "kind": kind.name},
    )
    try:
        message.send()
    except Exception as exc:
        retryable = _is_retryable(exc)
        error = f"{type(exc).__name__}: {exc}"[:2000]
        vendor_calls_total.labels(vendor="email", result="error").inc()
        logger.warning("notifications.email_send_failed", delivery_id=delivery_id, retryable=retryable, error=error)
        if retryable and delivery.attempts <= settings.NOTIFY_EMAIL_MAX_RETRIES:
            retry_in = retry_delay(delivery.attempts - 1)
            _transition(
                delivery_id,
                Status.SENDING,
                Status.QUEUED,
                error,
                last_error=error,
                send_after=timezone.now() + timedelta(seconds=retry_in),
            )
            raise TransientEmailError(error, retry_in=retry_in) from exc
        _transition(delivery_id, Status.SENDING, Status.FAILED, error, last_error=error)
        return "failed"

    status = getattr(message, "anymail_status", None)
    message_id = str(getattr(status, "message_id", "") or "")[:100]
    _transition(
        delivery_id, Status.SENDING, Status.SENT, to_email=to, sent_at=timezone.now(), esp_message_id=message_id
    )
    vendor_calls_total.labels(vendor="email", result="ok").inc()
    return "sent"


def email_deliveries_sweep(*, now: datetime | None = None) -> int:
    """Re-schedule emails whose task was lost and release claims of workers that died mid-send."""
    now = now or timezone.now()
    rows = list(
        EmailDelivery.objects.due_for_sweep(
            queued_before=now - SWEEP_QUEUED_GRACE, claimed_before=now - SWEEP_SENDING_STALE
        ).values_list("pk", "status")[:SWEEP_BATCH]
    )
    scheduled = 0
    for delivery_id, status in rows:
        if status == Status.SENDING and not _transition(
            delivery_id, Status.SENDING, Status.QUEUED, "released a stale claim (worker lost mid-send)"
        ):
            continue
        schedule_send(delivery_id)
        scheduled += 1
    return scheduled
