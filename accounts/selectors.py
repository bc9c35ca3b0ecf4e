"""Reads for the accounts domain.

CONTRACT (auctions and offers rely on it; keep the signature):
    bidding_eligibility(user) -> Eligibility
    bidding_eligibility_many(users) -> {user id: Eligibility}   (logged-in users, one query)
    eligibility_sql(user_alias) -> (columns, joins, params)   SQL reading the eligibility of the rows of the
                                                          user table `user_alias` inside another SELECT
                                                          (auctions: with the clock, under the lock)
    eligibility_from_columns(values) -> Eligibility      those columns' values (ELIGIBILITY_COLUMNS), read;
                                                          NO_ACCOUNT stands for a user id with no account
`Eligibility.ok` is True when the user may bid or make offers; otherwise `missing` lists each
Requirement (code, label, url) still to do, in the order the user should do them. Codes:
"login", "email", "identity", "card", "suspended".

CONTRACT (vehicles relies on it for listing):
    selling_eligibility(user) -> Eligibility   codes "login", "suspended", "seller"
    user_can_sell(user) -> bool                 selling_eligibility(user).ok
"""

import functools
from dataclasses import dataclass, field
from datetime import date
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
    columns, joins, params = eligibility_sql("u")
    user_pk = connection.ops.quote_name(str(User._meta.pk.column))  # type: ignore[union-attr]
    placeholders = ", ".join(["%s"] * len(ids))
    sql = (
        f"SELECT u.{user_pk}, {columns} FROM {connection.ops.quote_name(User._meta.db_table)} u {joins} "  # noqa: S608 - names from models
        f"WHERE u.{user_pk} IN ({placeholders})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *ids])
        rows = {row[0]: row[1:] for row in cursor.fetchall()}
    today = timezone.localdate()
    return {pk: eligibility_from_columns(rows.get(pk, NO_ACCOUNT), today) for pk in ids}


ELIGIBILITY_COLUMNS = 4  # how many columns `eligibility_sql` reads per user
NO_ACCOUNT = (None, False, None, None)  # those columns for a user id that has no account


def eligibility_from_columns(values: tuple[Any, ...] | list[Any], today: date | None = None) -> Eligibility:
    """The values of `eligibility_sql`'s columns for one user (suspended at, verified email, ID check status,
    card expiry as year * 100 + month), as an Eligibility. `today` (the site's date) may be passed when
    reading many."""
    suspended_at, email_ok, id_status, card_expiry = values
    missing: list[Requirement] = []
    if suspended_at is not None:
        missing.append(SUSPENDED)
    if not email_ok:
        missing.append(EMAIL)
    if (id_status or IdentityVerification.Status.NOT_STARTED) != IdentityVerification.Status.APPROVED:
        missing.append(IDENTITY)
    today = today or timezone.localdate()
    if card_expiry is None or int(card_expiry) < today.year * 100 + today.month:  # as CardOnFile.is_expired
        missing.append(CARD)
    return Eligibility(missing)


def eligibility_sql(user_alias: str) -> tuple[str, str, list[Any]]:
    """SQL that reads eligibility for the rows of the user table, aliased `user_alias`, in another SELECT:
    `(columns, joins, params)` — ELIGIBILITY_COLUMNS columns for its SELECT list, LEFT JOINs (one-to-one
    tables) for its FROM clause right after the user table, and the parameters of the columns, which come
    before any of the statement's own. Read the columns back with `eligibility_from_columns`. Set-based, so
    the statement's text does not grow with the number of users (per-user subqueries made MariaDB spend
    ~40 µs each parsing and planning them: 3 ms for 25 bidders, under the auction lock)."""
    columns, joins = _eligibility_sql(connection.vendor, user_alias)
    return columns, joins, [True]


@functools.cache
def _eligibility_sql(vendor: str, user_alias: str) -> tuple[str, str]:
    def col(model: Any, name: str) -> str:
        return connection.ops.quote_name(model._meta.get_field(name).column)

    def table(model: Any) -> str:
        return connection.ops.quote_name(model._meta.db_table)

    email, identity, card = EmailAddress, IdentityVerification, CardOnFile
    user_pk = f"{user_alias}.{connection.ops.quote_name(str(User._meta.pk.column))}"  # type: ignore[union-attr]
    columns = (
        f"{user_alias}.{col(User, 'suspended_at')}, "  # noqa: S608 - names from models
        f"EXISTS(SELECT 1 FROM {table(email)} elig_email "
        f"WHERE elig_email.{col(email, 'user')} = {user_pk} AND elig_email.{col(email, 'verified')} = %s), "
        f"elig_identity.{col(identity, 'status')}, "
        f"elig_card.{col(card, 'exp_year')} * 100 + elig_card.{col(card, 'exp_month')}"
    )
    joins = (
        f"LEFT JOIN {table(identity)} elig_identity ON elig_identity.{col(identity, 'user')} = {user_pk} "
        f"LEFT JOIN {table(card)} elig_card ON elig_card.{col(card, 'user')} = {user_pk}"
    )
    return columns, joins


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
