"""Reads for the accounts domain.

CONTRACT (auctions and offers rely on it; keep the signature):
    bidding_eligibility(user) -> Eligibility
    bidding_eligibility_many(users) -> {user id: Eligibility}   (logged-in users, one query)
`Eligibility.ok` is True when the user may bid or make offers; otherwise `missing` lists each
Requirement (code, label, url) still to do, in the order the user should do them. Codes:
"login", "email", "identity", "card", "suspended".

CONTRACT (vehicles relies on it for listing):
    selling_eligibility(user) -> Eligibility   codes "login", "suspended", "seller"
    user_can_sell(user) -> bool                 selling_eligibility(user).ok
"""

import functools
from dataclasses import dataclass, field
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.db import connection
from django.utils import timezone

from accounts.models import CardOnFile, IdentityVerification, SellerProfile, User


@dataclass(frozen=True)
class Requirement:
    code: str
    label: str
    url: str


@dataclass(frozen=True)
class Eligibility:
    missing: list[Requirement] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.missing

    @property
    def codes(self) -> list[str]:
        return [r.code for r in self.missing]

    @property
    def message(self) -> str:
        if self.ok:
            return "Ready to bid."
        return "Before you can bid: " + "; ".join(r.label for r in self.missing) + "."


LOGIN = Requirement("login", "log in or create an account", "/accounts/login/")
SUSPENDED = Requirement("suspended", "your account is suspended; contact support", "/account/")
EMAIL = Requirement("email", "verify your email address", "/accounts/email/")
IDENTITY = Requirement("identity", "verify your identity", "/account/identity/")
CARD = Requirement("card", "add a card on file", "/account/card/")
SELLER = Requirement("seller", "apply to sell and wait for approval", "/account/seller/")


def has_verified_email(user: Any) -> bool:
    return EmailAddress.objects.filter(user=user, verified=True).exists()


def identity_status(user: Any) -> str:
    status = IdentityVerification.objects.filter(user=user).values_list("status", flat=True).first()
    return status or IdentityVerification.Status.NOT_STARTED


def usable_card(user: Any) -> CardOnFile | None:
    card = CardOnFile.objects.filter(user=user).first()
    if card is None or card.is_expired(timezone.localdate()):
        return None
    return card


def bidding_eligibility(user: Any) -> Eligibility:
    """May this user bid or make offers? One indexed query (email, ID check and card read together);
    suspension comes from the user row already loaded. Called once per bid, so it stays this cheap."""
    if user is None or not user.is_authenticated:
        return Eligibility([LOGIN])
    return bidding_eligibility_many([user])[user.pk]


def bidding_eligibility_many(users: list[Any]) -> dict[Any, Eligibility]:
    """`bidding_eligibility` for several logged-in users in one query (a batch of live bids), by user id."""
    ids = list(dict.fromkeys(user.pk for user in users))
    rows = {row[0]: row[1:] for row in _eligibility_rows(ids)}
    today = timezone.localdate()
    found: dict[Any, Eligibility] = {}
    for user in users:
        email_ok, id_status, exp_year, exp_month = rows.get(user.pk, (False, None, None, None))
        missing: list[Requirement] = []
        if user.suspended_at is not None:
            missing.append(SUSPENDED)
        if not email_ok:
            missing.append(EMAIL)
        if (id_status or IdentityVerification.Status.NOT_STARTED) != IdentityVerification.Status.APPROVED:
            missing.append(IDENTITY)
        if exp_year is None or (exp_year, exp_month) < (today.year, today.month):  # as CardOnFile.is_expired
            missing.append(CARD)
        found[user.pk] = Eligibility(missing)
    return found


def _eligibility_rows(user_ids: list[Any]) -> list[tuple[Any, ...]]:
    """(user id, verified email?, ID check status, card expiry year, card expiry month) per user, one round trip.
    Plain SQL on the models' tables: the ORM spends longer composing four subqueries than MariaDB runs them."""
    if not user_ids:
        return []
    with connection.cursor() as cursor:
        cursor.execute(_eligibility_sql(connection.vendor, len(user_ids)), [True, *user_ids])
        return [(row[0], bool(row[1]), row[2], row[3], row[4]) for row in cursor.fetchall()]


@functools.cache
def _eligibility_sql(vendor: str, count: int) -> str:
    def col(model: Any, name: str) -> str:
        return connection.ops.quote_name(model._meta.get_field(name).column)

    def table(model: Any) -> str:
        return connection.ops.quote_name(model._meta.db_table)

    user = connection.ops.quote_name(User._meta.db_table)
    user_id = f"{user}.{connection.ops.quote_name(str(User._meta.pk.column))}"  # type: ignore[union-attr]
    email, identity, card = EmailAddress, IdentityVerification, CardOnFile
    placeholders = ", ".join(["%s"] * count)
    return (
        f"SELECT {user_id}, "  # noqa: S608 - names from models, values parameterised
        f"EXISTS(SELECT 1 FROM {table(email)} WHERE {col(email, 'user')} = {user_id} AND {col(email, 'verified')} = %s), "
        f"(SELECT {col(identity, 'status')} FROM {table(identity)} WHERE {col(identity, 'user')} = {user_id}), "
        f"(SELECT {col(card, 'exp_year')} FROM {table(card)} WHERE {col(card, 'user')} = {user_id}), "
        f"(SELECT {col(card, 'exp_month')} FROM {table(card)} WHERE {col(card, 'user')} = {user_id}) "
        f"FROM {user} WHERE {user_id} IN ({placeholders})"
    )


def selling_eligibility(user: Any) -> Eligibility:
    """May this user list vehicles? Approved sellers who are not suspended."""
    if user is None or not user.is_authenticated:
        return Eligibility([LOGIN])
    missing: list[Requirement] = []
    if user.suspended_at is not None:
        missing.append(SUSPENDED)
    if user.role != "seller":
        missing.append(SELLER)
    return Eligibility(missing)


def user_can_sell(user: Any) -> bool:
    return selling_eligibility(user).ok


def has_two_factor(user: Any) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


@dataclass(frozen=True)
class ReadinessStep:
    code: str
    title: str
    done: bool
    url: str
    action: str
    detail: str = ""


def readiness_steps(user: Any) -> list[ReadinessStep]:
    """The "Get ready to bid" checklist, in order; mirrors bidding_eligibility plus the optional 2FA step."""
    verification = IdentityVerification.objects.filter(user=user).first()
    id_status = verification.status if verification else IdentityVerification.Status.NOT_STARTED
    card = CardOnFile.objects.filter(user=user).first()
    card_ok = card is not None and not card.is_expired(timezone.localdate())
    id_detail = {
        "not_started": "Takes about two minutes with a photo ID.",
        "pending": "Started — finish the check or wait for the result.",
        "needs_review": "Under review. We will let you know the result.",
        "approved": "Verified.",
        "declined": "Not verified. Contact support if you think this is wrong.",
        "expired": "The check expired; start again.",
    }[id_status]
    card_detail = "No card yet."
    if card is not None:
        card_detail = f"{card.label}, expires {card.expiry}" + (" — expired, add a new card" if not card_ok else "")
    return [
        ReadinessStep("email", "Verify your email address", has_verified_email(user), EMAIL.url, "Manage email"),
        ReadinessStep(
            "identity", "Verify your identity", id_status == "approved", IDENTITY.url, "Verify my identity", id_detail
        ),
        ReadinessStep("card", "Add a card on file", card_ok, CARD.url, "Add a card", card_detail),
    ]


def seller_application(user: Any) -> SellerProfile | None:
    return SellerProfile.objects.filter(user=user).first()
