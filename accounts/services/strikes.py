"""Non-payment strikes (BIDDING.md "After the sale"): an order cancelled for non-payment adds one; at
`Strike.STRIKES_TO_SUSPEND` the account is suspended until staff reinstate it. A reinstated member who gets
another strike is suspended again (strikes stay on the record)."""

from django.db import IntegrityError, transaction

from accounts.models import AccountEvent, Strike, User
from accounts.services.events import event_record
from accounts.services.users import user_suspend
from core.errors import DomainError, NotFound


def user_strike_add(*, user_id: int, source: str, reason: str, actor: User | None) -> Strike:
    """Record a strike once per `source` (a second call returns the first strike) and suspend the account
    when it reaches the limit. Joins the caller's transaction (e.g. the order's cancellation)."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Give a reason for the strike.", details={"reason": ["This field is required."]})
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id).first()
        if user is None:
            raise NotFound("No such user.")
        existing = Strike.objects.filter(user=user, source=source).first()
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                strike = Strike.objects.create(user=user, source=source, reason=reason, actor=actor)
        except IntegrityError:
            return Strike.objects.get(user=user, source=source)
        count = Strike.objects.filter(user=user).count()
        event_record(
            user=user,
            actor=actor,
            kind=AccountEvent.Kind.STRIKE_ADDED,
            reason=reason,
            data={"source": source, "strikes": count},
        )
        if count >= Strike.STRIKES_TO_SUSPEND and user.suspended_at is None:
            user_suspend(
                user_id=user.pk,
                actor=actor,
                reason=f"{count} non-payment strikes (latest: {reason}). Staff may reinstate the account.",
            )
    return strike
