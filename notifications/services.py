"""Writes for the notifications domain.

CONTRACT (other apps rely on it; keep the signature):
    notify(*, user, kind, context, object_key=None) -> None
Call it after commit (inside `transaction.on_commit` or outside any transaction). `kind` names an
entry of `notifications.kinds.KINDS`; `context` is JSON-serialisable (strings, numbers, ISO times,
Decimals as strings) and feeds that kind's templates; `object_key` (e.g. "auction:42") groups the
same notification about the same object for digest-safe sending.
"""

from typing import Any

from django.conf import settings
from django.core.mail import send_mail


def notify(*, user: Any, kind: str, context: dict[str, Any], object_key: str | None = None) -> None:
    # Interim implementation (the notifications issue replaces it): a plain email.
    subject = str(context.get("subject") or kind.replace("_", " ").capitalize())
    body = str(context.get("message") or subject)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email], fail_silently=True)
