"""Load demo data once: each app contributes through `<app>/demo.py`, lowest layer first.

A demo module defines `seed(stdout)` and may define `refresh(stdout)`, run on later calls once the
demo is loaded (for example to relist vehicles whose demo auctions have all ended).
"""

import importlib
from types import ModuleType
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

DEMO_APPS = ["accounts", "notifications", "vehicles", "auctions", "offers", "orders", "fulfillment", "backoffice"]
MARKER_EMAIL = "staff@demo.test"


def demo_modules() -> list[tuple[str, ModuleType]]:
    modules = []
    for app in DEMO_APPS:
        if app not in settings.INSTALLED_APPS:
            continue
        try:
            modules.append((app, importlib.import_module(f"{app}.demo")))
        except ModuleNotFoundError as exc:
            if exc.name != f"{app}.demo":
                raise
    return modules


class Command(BaseCommand):
    help = "Create demo users, vehicles and live auctions (once; --force to add them again)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="seed even if demo data exists")

    def handle(self, *args: Any, **options: Any) -> None:
        loaded = get_user_model().objects.filter(email=MARKER_EMAIL).exists()
        step = "refresh" if loaded and not options["force"] else "seed"
        if step == "refresh":
            self.stdout.write("Demo data already loaded.")
        for app, module in demo_modules():
            action = getattr(module, step, None)
            if action is None:
                continue
            try:
                action(self.stdout)
            except Exception as exc:
                # Each app's services own their transactions, so a failure can leave part of the demo.
                raise CommandError(
                    f"Loading the {app} demo data failed ({exc}). Start again from an empty database: "
                    "delete var/db.sqlite3 and run `make run`."
                ) from exc
        if step == "seed":
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
