"""Demo users for `make run`. Password for all: demo-pass-123."""

from typing import Any

from allauth.account.models import EmailAddress

from accounts.models import User

DEMO_PASSWORD = "demo-pass-123"  # noqa: S105 - published in README for the local demo
DEMO_USERS: list[dict[str, Any]] = [
    {"email": "staff@demo.test", "first_name": "Sam", "last_name": "Staff", "is_staff": True, "is_superuser": True},
    {"email": "seller@demo.test", "first_name": "Dana", "last_name": "Dealer", "role": User.Role.SELLER},
    {"email": "buyer@demo.test", "first_name": "Bea", "last_name": "Buyer"},
    {"email": "buyer2@demo.test", "first_name": "Ben", "last_name": "Bidder"},
]
ADDRESS = {
    "address_line1": "100 Nicollet Mall",
    "city": "Minneapolis",
    "state": "MN",
    "postal_code": "55401",
    "phone": "612-555-0100",
}


def seed(stdout: Any) -> list[User]:
    users = []
    for spec in DEMO_USERS:
        user, created = User.objects.get_or_create(email=spec["email"], defaults={**ADDRESS, **spec})
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        EmailAddress.objects.update_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})
        users.append(user)
    stdout.write(f"  {len(users)} demo users")
    return users
