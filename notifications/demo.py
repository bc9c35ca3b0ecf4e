"""Demo notifications for `make run`: a welcome note (and a sample of the bell) for each demo user."""

from typing import Any

from django.contrib.auth import get_user_model

from notifications.models import Notification
from notifications.services import notify

DEMO_EMAILS = ["staff@demo.test", "seller@demo.test", "buyer@demo.test", "buyer2@demo.test"]


def seed(stdout: Any) -> None:
    created = 0
    for user in get_user_model().objects.filter(email__in=DEMO_EMAILS).order_by("pk"):
        if Notification.objects.filter(user=user, kind="welcome", object_key="demo-welcome").exists():
            continue
        name = getattr(user, "first_name", "") or "there"
        notify(
            user=user,
            kind="welcome",
            context={
                "message": f"Hi {name}! New outbids, wins, offers and order updates show up here live.",
                "url": "/notifications/preferences/",
            },
            object_key="demo-welcome",
        )
        notify(
            user=user,
            kind="welcome",
            context={
                "message": "Tip: choose which emails you get on the preferences page.",
                "url": "/how-bidding-works/",
            },
            object_key="demo-tips",
        )
        created += 2
    stdout.write(f"  {created} demo notifications")
