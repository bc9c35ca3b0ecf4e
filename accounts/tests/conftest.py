"""Helpers for the accounts tests only."""

from typing import Any

import pytest


@pytest.fixture
def sent_notifications(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Record `notifications.services.notify` calls (the contract) instead of delivering them."""
    calls: list[dict[str, Any]] = []

    def record(
        *, user: Any, kind: str, context: dict[str, Any], object_key: str | None = None, event: str | None = None
    ) -> None:
        calls.append({"user": user, "kind": kind, "context": context, "object_key": object_key})

    monkeypatch.setattr("notifications.services.notify", record)
    return calls


@pytest.fixture
def logged_in(client: Any, user: Any) -> Any:
    """Django test client logged in as `user` (email verified, as allauth requires)."""
    from allauth.account.models import EmailAddress

    EmailAddress.objects.update_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def _no_allauth_rate_limits(settings: Any) -> None:
    """allauth's rate limits live in the shared Redis cache and outlast a test; tests that need them opt in."""
    settings.ACCOUNT_RATE_LIMITS = False
