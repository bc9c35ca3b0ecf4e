"""Subscribe our webhook to every Super Dispatch action and keep each subscription's verification token.

    python manage.py superdispatch_subscribe [--callback-url https://example.com/api/webhooks/super-dispatch]

Run once per environment (again after rotating credentials): webhooks whose token does not match are refused.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse

from core.errors import DomainError
from core.site_urls import absolute_url
from fulfillment.models import VendorWebhookSubscription
from fulfillment.super_dispatch import VENDOR, WEBHOOK_ACTIONS, get_carrier_network


class Command(BaseCommand):
    help = "Subscribe to Super Dispatch webhooks and store their verification tokens."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--callback-url", default="", help="defaults to SITE_URL + /api/webhooks/super-dispatch")

    def handle(self, *args: Any, **options: Any) -> None:
        callback = options["callback_url"] or absolute_url(reverse("webhook-super-dispatch"))
        network = get_carrier_network()
        for action in WEBHOOK_ACTIONS:
            try:
                token = network.subscribe(action=action, callback_url=callback)
            except DomainError as exc:
                raise CommandError(f"Subscribing to {action} failed: {exc.message}") from exc
            VendorWebhookSubscription.objects.update_or_create(
                vendor=VENDOR, action=action, defaults={"callback_url": callback, "verification_token": token}
            )
            self.stdout.write(f"{action}: subscribed")
