"""Writes for the notifications domain.

CONTRACT (other apps rely on it; keep the signature):
    notify(*, user, kind, context, object_key=None) -> Notification | None
Call it after commit (inside `transaction.on_commit` or outside any transaction). `kind` names an
entry of `notifications.kinds.KINDS`; `context` is JSON-serialisable (strings, numbers, ISO times,
Decimals as strings) and feeds that kind's templates; `object_key` (e.g. "auction:42") groups the
same notification about the same object for digest-safe sending.

    notify_staff(*, kind, context, object_key=None) -> int   (number of staff users notified)

One notice per person per event: `notify` sends nothing when the same person was already told about the
same event (`event_key`: the kind, the object and `event`, which defaults to the whole context). Callers
whose events repeat with identical words (a daily reminder) pass `event` (e.g. the date).
"""

import hashlib
import json
from functools import partial
from typing import Any

import structlog
from django.contrib.auth import get_user_model
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from core.errors import NotAllowed, NotFound
from core.metrics import notifications_total
from notifications import live
from notifications.delivery import QueuedEmail, email_queue, schedule_send
from notifications.kinds import EMAIL, IN_APP, get_kind
from notifications.models import Notification, NotificationPreference, NotifiedEvent, UndeliverableEmail
from notifications.rendering import plain_context, render_in_app
from notifications.selectors import channel_choices, is_undeliverable, unread_count
from notifications.tokens import BadUnsubscribeToken, read_unsubscribe_token

logger = structlog.get_logger(__name__)
UNDELIVERABLE_REASONS = {"bounced", "rejected", "complained"}


def _after_commit(notification: Notification | None, queued: QueuedEmail | None) -> None:
    if notification is not None:
        live.push_created(notification, unread_count=unread_count(user=notification.user))
    if queued is not None:
        schedule_send(queued.delivery_id, countdown=queued.countdown)


def event_key(kind: str, object_key: str, event: str | None, context: dict[str, Any]) -> str:
    """The digest naming one event of `kind` about `object_key`: `event` when given, else the context's words."""
    what = event if event is not None else json.dumps(context, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{kind}\x1f{object_key}\x1f{what}".encode()).hexdigest()


def notify(
    *, user: Any, kind: str, context: dict[str, Any], object_key: str | None = None, event: str | None = None
) -> Notification | None:
    """Tell `user` about something: in-app row + live push + email, each as the user's preferences allow.

    Once per person per event: a second call for the same (user, kind, object_key, event) — `event` defaults
    to the context — sends nothing and returns None (the unique NotifiedEvent row decides, also between
    concurrent callers).

    Email is skipped for addresses the ESP reported undeliverable (until the user's email changes), and
    merged per (user, kind, object_key) within NOTIFY_EMAIL_WINDOW_SECONDS. Delivery failures (channel
    layer, broker, ESP) are logged, never raised. An undeclared kind raises `UnknownKind`.
    Returns the in-app notification, or None when the user turned the in-app channel off.
    """
    spec = get_kind(kind)
    if user is None or getattr(user, "pk", None) is None:
        logger.warning("notifications.no_user", kind=kind)
        return None
    data = plain_context(context)
    key = (object_key or "")[:120]
    choices = channel_choices(user=user, kind=spec)
    send_in_app = choices[IN_APP]
    email = (getattr(user, "email", "") or "").strip()
    send_email = bool(email) and choices[EMAIL] and not is_undeliverable(email)
    notification: Notification | None = None
    queued: QueuedEmail | None = None
    try:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    NotifiedEvent.objects.create(user=user, kind=spec.name, key=event_key(spec.name, key, event, data))
            except IntegrityError:
                logger.info("notifications.duplicate_skipped", kind=kind, user_id=user.pk)
                return None
            if send_in_app:
                rendered = render_in_app(spec, data)
                notification = Notification.objects.create(
                    user=user, kind=spec.name, title=rendered.title, body=rendered.body, url=rendered.url,
                    context=data, object_key=key,
                )  # fmt: skip
            if send_email:
                queued = email_queue(user_id=user.pk, kind=spec.name, context=data, object_key=key)
            transaction.on_commit(partial(_after_commit, notification, queued))
    except DatabaseError:
        logger.exception("notifications.notify_failed", kind=kind, user_id=user.pk)
        return None
    notifications_total.labels(kind=spec.name).inc()
    return notification


def notify_staff(*, kind: str, context: dict[str, Any], object_key: str | None = None, event: str | None = None) -> int:
    """Notify every active staff user (alerts such as overdue payments). Returns how many were notified."""
    get_kind(kind)
    staff = list(get_user_model().objects.filter(is_staff=True, is_active=True).order_by("pk"))
    for member in staff:
        notify(user=member, kind=kind, context=context, object_key=object_key, event=event)
    return len(staff)


def notification_mark_read(*, user: Any, notification_id: int) -> Notification:
    """Mark one of the user's notifications read (idempotent); other users' ids are not found."""
    notification = Notification.objects.for_user(user).filter(pk=notification_id).first()
    if notification is None:
        raise NotFound("Notification not found.")
    if notification.read_at is None:
        now = timezone.now()
        # conditional: a second tab marking the same row does not move read_at
        if Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now):
            notification.read_at = now
            transaction.on_commit(partial(_push_unread, user))
        else:
            notification.refresh_from_db(fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user: Any) -> int:
    marked = Notification.objects.for_user(user).unread().update(read_at=timezone.now())
    if marked:
        transaction.on_commit(partial(_push_unread, user))
    return marked


def _push_unread(user: Any) -> None:
    live.push_unread_count(user.pk, unread_count=unread_count(user=user))


def preference_set(*, user: Any, kind: str, in_app: bool | None = None, email: bool | None = None) -> None:
    """Turn a kind's channels on/off for the user. Locked kinds (security, account, payment) refuse changes."""
    spec = get_kind(kind)
    if in_app is None and email is None:
        return
    if not spec.optional:
        if (in_app is not None and in_app != spec.in_app) or (email is not None and email != spec.email):
            raise NotAllowed(f"“{spec.name}” notifications cannot be turned off.", code="locked")
        return
    current = NotificationPreference.objects.filter(user=user, kind=spec.name).first()
    values = {
        "in_app": in_app if in_app is not None else (current.in_app if current else spec.in_app),
        "email": email if email is not None else (current.email if current else spec.email),
    }
    # the unique (user, kind) constraint settles concurrent first saves
    NotificationPreference.objects.update_or_create(user=user, kind=spec.name, defaults=values)


def preferences_update(*, user: Any, choices: dict[str, dict[str, bool]]) -> None:
    """Apply {kind: {"in_app": bool, "email": bool}} for optional kinds; locked kinds in `choices` are ignored."""
    with transaction.atomic():
        for kind_name, channels in choices.items():
            spec = get_kind(kind_name)
            if spec.optional:
                preference_set(user=user, kind=kind_name, in_app=channels.get(IN_APP), email=channels.get(EMAIL))


def unsubscribe(*, token: str) -> tuple[Any, str]:
    """Turn one kind's email off from a signed link (no login). Returns (user, kind name)."""
    try:
        claim = read_unsubscribe_token(token)
        spec = get_kind(claim.kind)
    except (BadUnsubscribeToken, KeyError) as exc:
        raise NotFound("This unsubscribe link is invalid or has expired.") from exc
    user = get_user_model().objects.filter(pk=claim.user_id).first()
    if user is None:
        raise NotFound("This unsubscribe link is invalid or has expired.")
    if spec.optional:
        preference_set(user=user, kind=spec.name, email=False)
    return user, spec.name


def email_mark_undeliverable(*, email: str, reason: str, detail: str = "") -> bool:
    """Record that the ESP cannot deliver to `email` (bounce, drop, spam complaint). Idempotent."""
    address = (email or "").strip().lower()
    if not address:
        return False
    _, created = UndeliverableEmail.objects.update_or_create(
        email=address, defaults={"reason": reason[:30], "detail": (detail or "")[:500], "marked_at": timezone.now()}
    )
    logger.info("notifications.email_undeliverable", reason=reason, created=created)
    return True


def email_mark_deliverable(*, email: str) -> int:
    """Forget an undeliverable mark (staff, or the user after fixing their mailbox)."""
    deleted, _ = UndeliverableEmail.objects.filter(email=(email or "").strip().lower()).delete()
    return deleted
