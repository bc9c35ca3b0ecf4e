"""Demo data of the staff console for `make run`: one staff member per role, a seller application waiting for
review, and a shill-looking bidder (buyer2 shares a browser with the seller) for the fraud flags.
Password for all: demo-pass-123 (accounts.demo)."""

from typing import Any

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group

from accounts.demo import DEMO_PASSWORD
from accounts.models import SellerProfile, User
from backoffice.fraud import fraud_scan
from backoffice.roles import AUCTIONS, FINANCE, SUPPORT, ensure_roles
from backoffice.services import device_sighting_record

STAFF = [
    ("support@demo.test", "Sky", "Support", SUPPORT),
    ("finance@demo.test", "Fran", "Finance", FINANCE),
    ("auctions@demo.test", "Alex", "Auctioneer", AUCTIONS),
]
SHARED_DEVICE = "demo-shared-device-0000000001"


def seed(stdout: Any) -> None:
    from datetime import timedelta

    ensure_roles()
    for email, first, last, role in STAFF:
        member, created = User.objects.get_or_create(
            email=email, defaults={"first_name": first, "last_name": last, "is_staff": True}
        )
        if created:
            member.set_password(DEMO_PASSWORD)
            member.save()
        EmailAddress.objects.update_or_create(
            user=member, email=member.email, defaults={"verified": True, "primary": True}
        )
        member.groups.set([Group.objects.get(name=role)])
    applicant, created = User.objects.get_or_create(
        email="applicant@demo.test", defaults={"first_name": "Pat", "last_name": "Applicant"}
    )
    if created:
        applicant.set_password(DEMO_PASSWORD)
        applicant.save()
        SellerProfile.objects.create(
            user=applicant, business_name="Lake Street Autos", dealer_license_number="MN-D004242", tax_id="41-1234567",
            address_line1="2900 E Lake St", city="Minneapolis", state="MN", postal_code="55406",
        )  # fmt: skip
    seller = User.objects.filter(email="seller@demo.test").first()
    shill = User.objects.filter(email="buyer2@demo.test").first()
    if seller is not None and shill is not None:
        device_sighting_record(user_id=seller.pk, device_id=SHARED_DEVICE, ip_address="127.0.0.1")
        device_sighting_record(user_id=shill.pk, device_id=SHARED_DEVICE, ip_address="127.0.0.1")
    flags = 0
    while True:
        result = fraud_scan(lag=timedelta(0))
        flags += len(result.flags)
        if result.bids == 0:
            break
    stdout.write(
        f"  console: staff per role (support@, finance@, auctions@demo.test), a seller application to review, "
        f"{flags} fraud flag(s) on buyer2"
    )
