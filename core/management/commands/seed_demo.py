"""Load demo data once: each app contributes through `<app>/demo.py: seed(stdout)`, lowest layer first."""

import importlib
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User

DEMO_APPS = ["accounts", "notifications", "vehicles", "auctions", "offers", "orders", "fulfillment"]
MARKER_EMAIL = "staff@demo.test"


class Command(BaseCommand):
    help = "Create demo users, vehicles and live auctions (once; --force to add them again)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="seed even if demo data exists")

    def handle(self, *args: Any, **options: Any) -> None:
        if User.objects.filter(email=MARKER_EMAIL).exists() and not options["force"]:
            self.stdout.write("Demo data already loaded.")
            self._relist_ended_auctions()
            return
        for app in DEMO_APPS:
            if app not in settings.INSTALLED_APPS:
                continue
            try:
                module = importlib.import_module(f"{app}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{app}.demo":
                    raise
                continue
            try:
                module.seed(self.stdout)
            except Exception as exc:
                # Each app's services own their transactions, so a failure can leave part of the demo.
                raise CommandError(
                    f"Loading the {app} demo data failed ({exc}). Start again from an empty database: "
                    "delete var/db.sqlite3 and run `make run`."
                ) from exc
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))

    def _relist_ended_auctions(self) -> None:
        """On a later `make run`, when every demo auction has ended, put the unsold vehicles back on the block."""
        if "auctions" not in settings.INSTALLED_APPS:
            return
        from auctions import demo

        if demo.needs_refresh():
            self.stdout.write("The demo auctions had all ended; relisting the unsold vehicles:")
            demo.seed(self.stdout)
