from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import Warning, register


class NotificationsConfig(AppConfig):
    name = "notifications"

    def ready(self) -> None:
        # Email tracking is infrastructure (anymail's webhook), not domain flow: listening to its signal is fine.
        from anymail.signals import tracking

        from notifications.email_tracking import on_tracking_event

        tracking.connect(on_tracking_event, dispatch_uid="notifications.on_tracking_event")
        register(check_tracking_webhook_key)


def check_tracking_webhook_key(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """Without a verification key anymail accepts unsigned tracking posts: anyone could mark addresses undeliverable."""
    backend = str(getattr(settings, "EMAIL_BACKEND", ""))
    key = (getattr(settings, "ANYMAIL", {}) or {}).get("SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY")
    if "anymail.backends.sendgrid" in backend and not key:
        return [
            Warning(
                "SendGrid is the email backend but SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY is not set.",
                hint="Set it to the Event Webhook's public key so bounce reports are verified.",
                id="notifications.W001",
            )
        ]
    return []
