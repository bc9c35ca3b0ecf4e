from typing import Any

from django.core.management.base import BaseCommand

from backoffice.roles import ROLES, ensure_roles


class Command(BaseCommand):
    help = "Create or update the staff roles (support, finance, auctions, admin) and their permissions."

    def handle(self, *args: Any, **options: Any) -> None:
        ensure_roles()
        self.stdout.write(f"Roles up to date: {', '.join([*ROLES, 'admin'])}.")
