"""The inventory card as a plain function (`output.card`) says exactly what the declared serializer fields say,
and a page of cards (API and page) reads only `CARD_FIELDS`: no query per card."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework import serializers

from core.geo import miles_expression, zip_point
from tests.fixtures.vehicles import VehicleFactory
from vehicles.apis.output import VehicleCardOutput, card
from vehicles.cards import CARD_FIELDS
from vehicles.inventory_index import inventory_index
from vehicles.models import Vehicle

pytestmark = pytest.mark.django_db


def _variety() -> None:
    now = timezone.now()
    VehicleFactory()
    VehicleFactory(
        status="listed",
        auction_status="live",
        auction_ends_at=now + timedelta(hours=3),
        current_price=Decimal("7250.5"),
        reserve_price=Decimal("9000"),
        buy_now_price=Decimal("12000.00"),
        bid_count=4,
        approved_at=now - timedelta(days=2),
        cover_thumbnail="vehicles/1/thumb.jpg",
        title_type="salvage",
        title_state="WI",
        starts="no",
        keys_count=0,
        odometer_brand="not_actual",
        airbags_deployed="yes",
    )
    VehicleFactory(trim="", city="", state="", keys_count=None, starts="", drives="", starting_price=None)
    VehicleFactory(status="approved", accepts_offers=True, buy_now_price=Decimal("8000"), mileage=0)


def _generic(vehicle: Vehicle) -> dict:
    """What the declared fields give through DRF's generic path."""
    return dict(serializers.Serializer.to_representation(VehicleCardOutput(), vehicle))


def test_card_is_the_declared_fields() -> None:
    _variety()
    point = zip_point("53202")
    assert point is not None
    rows = Vehicle.objects.annotate(distance_miles=miles_expression("latitude", "longitude", point))
    for vehicle in [*Vehicle.objects.all(), *rows]:
        generic = _generic(vehicle)
        fast = card(vehicle)
        assert list(fast) == list(generic)
        assert fast == generic
        assert VehicleCardOutput(vehicle).data == generic


def test_a_page_of_cards_reads_only_card_fields(client) -> None:  # type: ignore[no-untyped-def]
    _variety()
    for vehicle in Vehicle.objects.only(*CARD_FIELDS):
        with CaptureQueriesContext(connection) as queries:
            card(vehicle)
            vehicle.condition_badges  # noqa: B018 - the page card's badges
            vehicle.is_public  # noqa: B018
        assert len(queries) == 0
    inventory_index().refresh()  # its first load reads whole rows (text tokens) once per process, not per page
    with CaptureQueriesContext(connection) as api:
        assert client.get("/api/vehicles?page_size=24").status_code == 200
    with CaptureQueriesContext(connection) as page:
        assert client.get("/vehicles/").status_code == 200
    for queries in (api, page):
        selects = [q["sql"] for q in queries.captured_queries if "FROM `vehicles_vehicle`" in q["sql"]]
        assert selects
        assert all("`description`" not in sql for sql in selects if "COUNT(" not in sql)
    assert len(api) <= 4, [q["sql"] for q in api.captured_queries]
    vehicle_reads = [q["sql"] for q in page.captured_queries if "FROM `vehicles_vehicle`" in q["sql"]]
    assert len(vehicle_reads) <= 5, vehicle_reads  # count, ids, rows, makes: none per card
