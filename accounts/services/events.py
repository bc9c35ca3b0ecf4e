"""Event rows and after-commit notifications shared by the accounts services."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import AccountEvent, User


def event_record(
    *,
    user: User,
    kind: str,
    actor: User | None = None,
    from_status: str = "",
    to_status: str = "",
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> AccountEvent:
    """Append one event row. Call inside the transaction that changes the status."""
    return AccountEvent.objects.create(
        user=user,
        actor=actor if actor is not None and actor.pk else None,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        data=data or {},
    )


def notify_on_commit(
    *, user_id: int, kind: str, context: dict[str, str], object_key: str, event: str | None = None
) -> None:
    """Tell the user through the notifications app once the surrounding transaction commits. Each call is its
    own event (`event`, default: this moment), since account changes are already decided once under a lock
    and may repeat with the same words (suspended, reinstated, suspended again)."""
    event = event or timezone.now().isoformat()

    def send() -> None:
        from notifications.services import notify

        user = User.objects.filter(pk=user_id).first()
        if user is not None:
            notify(user=user, kind=kind, context=context, object_key=object_key, event=event)

    transaction.on_commit(send)
