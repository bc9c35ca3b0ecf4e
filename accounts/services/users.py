"""Accounts: sign-up, profile, suspension."""

import logging
from functools import partial
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import AccountEvent, User
from accounts.services.events import event_record, notify_on_commit
from accounts.validation import clean_phone, clean_state, clean_zip
from core.errors import Conflict, DomainError, NotFound

logger = logging.getLogger(__name__)

PROFILE_FIELDS = ("first_name", "last_name", "phone", "address_line1", "address_line2", "city", "state", "postal_code")


def _send_email_confirmation(*, user_id: int, request: HttpRequest | None) -> None:
    address = EmailAddress.objects.filter(user_id=user_id, primary=True).first()
    if address and not address.verified:
        address.send_confirmation(request, signup=True)


def user_register(
    *,
    email: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
    request: HttpRequest | None = None,
) -> User:
    """Create a buyer account with an unverified email and send the verification link after commit.

    The same rules as the site's sign-up: unique email (case-insensitive), Django's password validators.
    """
    email = email.strip().lower()
    if not email:
        raise DomainError("Email is required.", details={"email": ["This field is required."]})
    candidate = User(email=email, first_name=first_name, last_name=last_name)
    try:
        validate_password(password, user=candidate)
    except Exception as exc:
        messages: list[Any] = list(getattr(exc, "messages", [str(exc)]))
        raise DomainError(messages[0], details={"password": messages}) from exc
    with transaction.atomic():
        if (
            User.objects.filter(email__iexact=email).exists()
            or EmailAddress.objects.filter(email__iexact=email).exists()
        ):
            raise Conflict("An account with this email already exists.", details={"email": ["Already registered."]})
        user = User.objects.create_user(email=email, password=password, first_name=first_name, last_name=last_name)
        EmailAddress.objects.create(user=user, email=email, primary=True, verified=False)
        transaction.on_commit(lambda: _send_email_confirmation(user_id=user.pk, request=request))
    return user


def user_profile_update(*, user: User, **changes: str) -> User:
    """Change name, phone and address. Unknown keys are refused; values are trimmed and checked."""
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise DomainError("Unknown profile fields.", details={key: ["Not a profile field."] for key in sorted(unknown)})
    cleaned = {key: str(value or "").strip() for key, value in changes.items()}
    if "state" in cleaned:
        cleaned["state"] = clean_state(cleaned["state"])
    if "postal_code" in cleaned:
        cleaned["postal_code"] = clean_zip(cleaned["postal_code"])
    if "phone" in cleaned:
        cleaned["phone"] = clean_phone(cleaned["phone"])
    limits = {key: getattr(User._meta.get_field(key), "max_length", None) or 0 for key in cleaned}
    too_long = {
        key: [f"At most {limits[key]} characters."] for key, value in cleaned.items() if len(value) > limits[key]
    }
    if too_long:
        raise DomainError("Some fields are too long.", details=too_long)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        for key, value in cleaned.items():
            setattr(locked, key, value)
        locked.save(update_fields=[*cleaned.keys()] if cleaned else None)
    for key, value in cleaned.items():
        setattr(user, key, value)
    return locked


def user_suspend(*, user_id: int, actor: User | None, reason: str) -> User:
    """Suspend an account: it can no longer bid, make offers or list. Staff give a reason; the user is told."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Give a reason for the suspension.", details={"reason": ["This field is required."]})
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id).first()
        if user is None:
            raise NotFound("No such user.")
        if user.suspended_at is not None:
            raise Conflict("This account is already suspended.")
        user.suspended_at = timezone.now()
        user.suspension_reason = reason
        user.save(update_fields=["suspended_at", "suspension_reason"])
        event_record(
            user=user,
            actor=actor,
            kind=AccountEvent.Kind.SUSPENDED,
            from_status="active",
            to_status="suspended",
            reason=reason,
        )
        transaction.on_commit(partial(announce_suspended, user.pk))
        notify_on_commit(
            user_id=user.pk,
            kind="account_suspended",
            context={"reason": reason, "status": "suspended"},
            object_key=f"account:{user.pk}",
        )
    return user


def announce_suspended(user_id: int) -> None:
    """After a suspension commits: start the tasks named in ACCOUNT_SUSPENDED_TASKS (auctions voids the bidder's
    bids on open auctions), by name, so accounts needs nothing from the apps above it. Their beat sweeps are
    the safety net when the broker is down."""
    from celery import current_app

    for name in settings.ACCOUNT_SUSPENDED_TASKS:
        try:
            current_app.tasks[name].delay(user_id)  # registered in every process (core.apps)
        except Exception:  # noqa: BLE001 - the sweep catches up
            logger.exception("account.suspended_task_failed: %s for user %s", name, user_id)


def user_reinstate(*, user_id: int, actor: User | None, reason: str) -> User:
    """Lift a suspension. The reason is recorded on the event row."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Give a reason for reinstating.", details={"reason": ["This field is required."]})
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id).first()
        if user is None:
            raise NotFound("No such user.")
        if user.suspended_at is None:
            raise Conflict("This account is not suspended.")
        user.suspended_at = None
        user.suspension_reason = ""
        user.save(update_fields=["suspended_at", "suspension_reason"])
        event_record(
            user=user,
            actor=actor,
            kind=AccountEvent.Kind.REINSTATED,
            from_status="suspended",
            to_status="active",
            reason=reason,
        )
    return user
