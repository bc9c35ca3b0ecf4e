"""The watchlist: idempotent add/remove, visibility, the API and the page."""

import pytest

from core.errors import NotFound
from vehicles import selectors, services
from vehicles.models import Favorite, Vehicle

pytestmark = pytest.mark.django_db


def test_favorite_add_is_idempotent(user, vehicle):
    services.favorite_add(user=user, vehicle_id=vehicle.pk)
    services.favorite_add(user=user, vehicle_id=vehicle.pk)
    assert Favorite.objects.filter(user=user).count() == 1
    assert selectors.is_favorite(user, vehicle.pk)
    assert services.favorite_remove(user=user, vehicle_id=vehicle.pk) is True
    assert services.favorite_remove(user=user, vehicle_id=vehicle.pk) is False
    assert not selectors.is_favorite(user, vehicle.pk)


def test_cannot_watch_someone_elses_draft(user, vehicle_factory):
    draft = vehicle_factory(status=Vehicle.Status.DRAFT)
    with pytest.raises(NotFound):
        services.favorite_add(user=user, vehicle_id=draft.pk)


def test_favorites_api_round_trip(auth_client, user, vehicle):
    client = auth_client(user)
    url = f"/api/favorites/vehicle/{vehicle.pk}"
    assert client.get(url).json()["data"]["is_favorite"] is False
    assert client.post(url).status_code == 201
    assert client.post(url).status_code == 201
    assert client.get(url).json()["data"]["is_favorite"] is True
    listing = client.get("/api/favorites").json()
    assert [row["id"] for row in listing["results"]] == [vehicle.pk]
    assert client.delete(url).json()["data"]["is_favorite"] is False
    assert client.get("/api/favorites").json()["count"] == 0


def test_favorites_need_a_login(api_client, vehicle):
    assert api_client.post(f"/api/favorites/vehicle/{vehicle.pk}").status_code == 401
    assert api_client.get("/api/favorites").status_code == 401


def test_unknown_vehicle_is_404(auth_client, user):
    assert auth_client(user).post("/api/favorites/vehicle/999999").status_code == 404


def test_watchlist_page_shows_hearts_and_empty_state(client, user, vehicle):
    client.force_login(user)
    assert b"Your watchlist is empty" in client.get("/watchlist/").content
    services.favorite_add(user=user, vehicle_id=vehicle.pk)
    page = client.get("/watchlist/").content.decode()
    assert vehicle.title in page
    assert "Remove from watchlist" in page


def test_watchlist_page_needs_a_login(client):
    assert client.get("/watchlist/").status_code == 302
