"""Reads for the accounts domain.

CONTRACT (auctions and offers rely on it; keep the signature):
    bidding_eligibility(user) -> Eligibility
    bidding_eligibility_many(users) -> {user id: Eligibility}   (logged-in users, one query)
    eligibility_columns(vendor) -> (sql, params_for)     SQL columns reading one user's eligibility inside
                                                          another statement (auctions: under the lock)
    eligibility_from_columns(values) -> Eligibility      those columns' values (ELIGIBILITY_COLUMNS), read
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
    """May this user bid or make offers? One query of indexed lookups (suspension, email, ID check and card
    read together)."""
    if user is None or not user.is_authenticated:
        return Eligibility([LOGIN])
    return bidding_eligibility_many([user])[user.pk]


def bidding_eligibility_many(users: list[Any]) -> dict[Any, Eligibility]:
    """`bidding_eligibility` for several logged-in users in one query, by user id (suspension as read now)."""
    ids = list(dict.fromkeys(user.pk for user in users))
    if not ids:
        return {}
    sql, params_for = eligibility_columns(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join([sql] * len(ids)), [p for pk in ids for p in params_for(pk)])
        row = cursor.fetchone()
    return {
        pk: eligibility_from_columns(row[ELIGIBILITY_COLUMNS * i : ELIGIBILITY_COLUMNS * (i + 1)])
        for i, pk in enumerate(ids)
    }


ELIGIBILITY_COLUMNS = 4  # how many columns `eligibility_columns` reads per user


def eligibility_from_columns(values: tuple[Any, ...] | list[Any]) -> Eligibility:
    """The values of `eligibility_columns` for one user (suspended at, verified email, ID check status, card
    expiry as year * 100 + month), as an Eligibility."""
    suspended_at, email_ok, id_status, card_expiry = values
    missing: list[Requirement] = []
    if suspended_at is not None:
        missing.append(SUSPENDED)
    if not email_ok:
        missing.append(EMAIL)
    if (id_status or IdentityVerification.Status.NOT_STARTED) != IdentityVerification.Status.APPROVED:
        missing.append(IDENTITY)
    today = timezone.localdate()
    if card_expiry is None or int(card_expiry) < today.year * 100 + today.month:  # as CardOnFile.is_expired
        missing.append(CARD)
    return Eligibility(missing)


def eligibility_columns(vendor: str) -> tuple[str, Any]:
    """Four SQL columns reading one user's eligibility, for a SELECT list of another statement (the bid
    batch reads them under the auction lock, with the clock): `(sql, params_for)`, where `params_for(user_id)`
    is the list of parameters for one copy of `sql`. Read them back with `eligibility_from_columns`."""
    return _eligibility_columns(vendor), _eligibility_params


def _eligibility_params(user_id: Any) -> list[Any]:
    return [user_id, user_id, True, user_id, user_id]


@functools.cache
def _eligibility_columns(vendor: str) -> str:
    def col(model: Any, name: str) -> str:
        return connection.ops.quote_name(model._meta.get_field(name).column)

    def table(model: Any) -> str:
        return connection.ops.quote_name(model._meta.db_table)

    user, email, identity, card = User, EmailAddress, IdentityVerification, CardOnFile
    user_pk = connection.ops.quote_name(str(User._meta.pk.column))  # type: ignore[union-attr]
    return (
        f"(SELECT {col(user, 'suspended_at')} FROM {table(user)} WHERE {user_pk} = %s), "  # noqa: S608 - names from models
        f"EXISTS(SELECT 1 FROM {table(email)} WHERE {col(email, 'user')} = %s AND {col(email, 'verified')} = %s), "
        f"(SELECT {col(identity, 'status')} FROM {table(identity)} WHERE {col(identity, 'user')} = %s), "
        f"(SELECT {col(card, 'exp_year')} * 100 + {col(card, 'exp_month')} FROM {table(card)} "
        f"WHERE {col(card, 'user')} = %s)"
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
