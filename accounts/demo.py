"""Demo users for `make run`. Password for all: demo-pass-123.

buyer@demo.test and buyer2@demo.test are ready to bid (approved ID check, a sandbox Visa on file);
seller@demo.test is an approved seller; staff@demo.test is staff.
"""

from typing import Any

from allauth.account.models import EmailAddress
from django.utils import timezone

from accounts.authorize_net import BillTo, CardInput
from accounts.authorize_net_sandbox import SandboxGateway
from accounts.models import AccountEvent, CardOnFile, IdentityVerification, SellerProfile, User

DEMO_PASSWORD = "demo-pass-123"  # noqa: S105 - published in README for the local demo
DEMO_USERS: list[dict[str, Any]] = [
    {"email": "staff@demo.test", "first_name": "Sam", "last_name": "Staff", "is_staff": True, "is_superuser": True},
    {"email": "seller@demo.test", "first_name": "Dana", "last_name": "Dealer", "role": User.Role.SELLER},
    {"email": "buyer@demo.test", "first_name": "Bea", "last_name": "Buyer"},
    {"email": "buyer2@demo.test", "first_name": "Ben", "last_name": "Bidder"},
]
READY_TO_BID = ("buyer@demo.test", "buyer2@demo.test")
ADDRESS = {
    "address_line1": "100 Nicollet Mall",
    "city": "Minneapolis",
    "state": "MN",
    "postal_code": "55401",
    "phone": "612-555-0100",
}


def _approve_identity(user: User) -> None:
    now = timezone.now()
    _, created = IdentityVerification.objects.get_or_create(
        user=user,
        defaults={
            "status": IdentityVerification.Status.APPROVED,
            "vendor_status": "approved",
            "inquiry_id": f"inq_sandbox_demo{user.pk}",
            "attempts": 1,
            "started_at": now,
            "decided_at": now,
        },
    )
    if created:
        AccountEvent.objects.create(
            user=user,
            kind=AccountEvent.Kind.IDENTITY_CHANGED,
            from_status="pending",
            to_status="approved",
            data={"source": "demo"},
        )


def _add_sandbox_card(user: User) -> None:
    if CardOnFile.objects.filter(user=user).exists():
        return
    card = CardInput("4111111111111111", 12, timezone.localdate().year + 3, "123")
    bill_to = BillTo(user.first_name, user.last_name, user.address_line1, user.city, user.state, user.postal_code)
    result = SandboxGateway().create_customer_profile(
        merchant_customer_id=f"user-{user.pk}", email=user.email, card=card, bill_to=bill_to
    )
    saved = CardOnFile.objects.create(
        user=user,
        customer_profile_id=result.customer_profile_id,
        payment_profile_id=result.payment_profile_id,
        brand=result.brand,
        last4=result.last4,
        exp_month=card.exp_month,
        exp_year=card.exp_year,
    )
    AccountEvent.objects.create(
        user=user, kind=AccountEvent.Kind.CARD_ADDED, to_status=saved.label, data={"source": "demo"}
    )


def _approve_seller(user: User, staff: User | None) -> None:
    SellerProfile.objects.get_or_create(
        user=user,
        defaults={
            "business_name": "Dana's North Loop Motors",
            "dealer_license_number": "MN-D004217",
            "tax_id": "41-1234567",
            "address_line1": "200 Washington Ave N",
            "city": "Minneapolis",
            "state": "MN",
            "postal_code": "55401",
            "status": SellerProfile.Status.APPROVED,
            "decided_at": timezone.now(),
            "decided_by": staff,
        },
    )


def seed(stdout: Any) -> list[User]:
    users = []
    for spec in DEMO_USERS:
        user, created = User.objects.get_or_create(email=spec["email"], defaults={**ADDRESS, **spec})
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        EmailAddress.objects.update_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})
        users.append(user)
    by_email = {user.email: user for user in users}
    for email in READY_TO_BID:
        _approve_identity(by_email[email])
        _add_sandbox_card(by_email[email])
    _approve_seller(by_email["seller@demo.test"], by_email.get("staff@demo.test"))
    stdout.write(f"  {len(users)} demo users (buyers ready to bid, seller approved)")
    return users
