"""Counts and lists about a user that higher apps contribute without accounts importing them.

Settings (config/settings/base.py, block "accounts"):
- USER_DASHBOARD_COUNTERS: dotted callables (user) -> dict[str, int] for GET /api/users/dashboard.
  Keys start at 0 (DASHBOARD_KEYS); each counter adds or overrides keys. Auctions would add
  "auctions.selectors.dashboard_counts" returning {"active_bids", "leading", "won", "watchlist"}.
- USER_PUBLIC_COUNTERS: the same for the public profile (GET /api/users/<id>): never private numbers.
- USER_AUCTIONS_PROVIDER / USER_BIDS_PROVIDER: a dotted callable (user, viewer) -> list[dict] behind
  GET /api/users/<id>/auctions and /bids; empty until the auctions app names one.
The default counters below read vehicles through the app registry (no import of the vehicles app).
"""

from collections.abc import Callable
from functools import cache
from typing import Any

from django.apps import apps
from django.conf import settings
from django.utils.module_loading import import_string

DASHBOARD_KEYS = ("active_bids", "leading", "won", "watchlist", "open_orders", "listings")
PUBLIC_KEYS = ("listings", "auctions")


@cache
def _load(path: str) -> Callable[..., Any]:
    return import_string(path)


def _vehicle_model() -> Any:
    return apps.get_model("vehicles", "Vehicle") if apps.is_installed("vehicles") else None


def listing_counters(user: Any) -> dict[str, int]:
    """The seller's own listings that are not archived (drafts included: they are listings in progress)."""
    vehicle = _vehicle_model()
    if vehicle is None:
        return {}
    return {"listings": vehicle.objects.filter(seller=user).exclude(status="archived").count()}


def public_listing_counters(user: Any) -> dict[str, int]:
    vehicle = _vehicle_model()
    if vehicle is None:
        return {}
    return {"listings": vehicle.objects.filter(seller=user).published().count()}


def _counts(user: Any, keys: tuple[str, ...], paths: list[str]) -> dict[str, int]:
    counts = dict.fromkeys(keys, 0)
    for path in paths:
        for key, value in (_load(path)(user) or {}).items():
            counts[str(key)] = int(value)
    return counts


def dashboard_counts(user: Any) -> dict[str, int]:
    return _counts(user, DASHBOARD_KEYS, list(settings.USER_DASHBOARD_COUNTERS))


def public_counts(user: Any) -> dict[str, int]:
    return _counts(user, PUBLIC_KEYS, list(settings.USER_PUBLIC_COUNTERS))


def _provided(setting: str, user: Any, viewer: Any) -> list[dict[str, Any]]:
    path = getattr(settings, setting, "")
    return list(_load(path)(user, viewer)) if path else []


def user_auctions(user: Any, viewer: Any) -> list[dict[str, Any]]:
    return _provided("USER_AUCTIONS_PROVIDER", user, viewer)


def user_bids(user: Any, viewer: Any) -> list[dict[str, Any]]:
    return _provided("USER_BIDS_PROVIDER", user, viewer)
