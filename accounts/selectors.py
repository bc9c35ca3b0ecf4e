"""Reads for the accounts domain.

CONTRACT (auctions and offers rely on it; keep the signature):
    bidding_eligibility(user) -> Eligibility
`Eligibility.ok` is True when the user may bid or make offers; otherwise `missing` lists each
Requirement (code, label, url) still to do, in the order the user should do them. Codes:
"login", "email", "identity", "card", "suspended".
"""

from dataclasses import dataclass, field
from typing import Any

from allauth.account.models import EmailAddress


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


def bidding_eligibility(user: Any) -> Eligibility:
    # Interim implementation: the accounts issue adds the ID check and card on file.
    if user is None or not user.is_authenticated:
        return Eligibility([Requirement("login", "log in or create an account", "/accounts/login/")])
    missing: list[Requirement] = []
    if user.suspended_at is not None:
        missing.append(Requirement("suspended", "your account is suspended; contact support", "/account/"))
    if not EmailAddress.objects.filter(user=user, verified=True).exists():
        missing.append(Requirement("email", "verify your email address", "/accounts/email/"))
    return Eligibility(missing)
