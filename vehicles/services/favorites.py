"""The watchlist. CONTRACT: `favorite_add(*, user, vehicle_id)`, `favorite_remove(*, user, vehicle_id)`
(auctions maps `/api/favorites/auction/<id>` onto them)."""

from typing import Any

from django.db import IntegrityError, transaction

from core.errors import NotAllowed
from vehicles.models import Favorite
from vehicles.selectors import vehicle_visible_to


def favorite_add(*, user: Any, vehicle_id: int) -> Favorite:
    """Watch a vehicle the user can see. Idempotent: the unique (user, vehicle) constraint decides."""
    if user is None or not user.is_authenticated:
        raise NotAllowed("Log in to keep a watchlist.")
    vehicle = vehicle_visible_to(vehicle_id=vehicle_id, user=user)
    try:
        with transaction.atomic():
            return Favorite.objects.create(user=user, vehicle=vehicle)
    except IntegrityError:
        return Favorite.objects.get(user=user, vehicle=vehicle)


def favorite_remove(*, user: Any, vehicle_id: int) -> bool:
    """Stop watching; returns whether the vehicle was on the watchlist."""
    if user is None or not user.is_authenticated:
        raise NotAllowed("Log in to keep a watchlist.")
    deleted, _ = Favorite.objects.filter(user=user, vehicle_id=vehicle_id).delete()
    return bool(deleted)
