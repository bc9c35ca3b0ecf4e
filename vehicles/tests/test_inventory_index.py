"""The in-memory inventory index answers exactly as the database query (`search.apply` + `search.order`): the
same vehicles, in the same order, counted the same, for every kind of filter and sort, and it follows writes."""

import random
import threading
from decimal import Decimal

import pytest
from django.db import connection

from tests.fixtures.vehicles import VehicleFactory
from vehicles import inventory_index as inventory_index_module
from vehicles import search
from vehicles.inventory_index import InventoryIndex, inventory_index
from vehicles.models import Vehicle
from vehicles.tests.test_search import _criteria, _vehicles

SORTS = [*search.SORTS, None]


def _in_db(criteria: dict, ctx: search.SearchContext) -> list[int]:
    queryset = search.order(search.apply(Vehicle.objects.in_inventory(), criteria, ctx=ctx), criteria)
    return list(queryset.values_list("pk", flat=True))


@pytest.mark.parametrize("walk_over", [20_000, 0])
def test_every_filter_and_sort_picks_and_orders_the_same_vehicles_as_the_database(
    transactional_db, monkeypatch, walk_over
):
    """FULLTEXT needs committed rows, hence transactional_db; ties (same price, year, ZIP) are broken by id.
    walk_over=0: every page is found along the sort orders computed at load (`_walk`), as a broad search's."""
    monkeypatch.setattr(inventory_index_module, "WALK_OVER", walk_over)
    rng = random.Random(21)
    _vehicles(rng)
    index = InventoryIndex()
    ctx = search.SearchContext()
    answered = 0
    for _ in range(300):
        criteria = _criteria(rng)
        sort = rng.choice(SORTS)
        if sort:
            criteria["sort"] = sort
            if sort == "distance":
                criteria.setdefault("zip", "55401")
        hits = index.search(criteria, ctx)
        if hits is None:  # a word under three letters: the database answers (LIKE)
            assert any(len(w) < 3 for w in search.WORD.findall(criteria.get("q", ""))), criteria
            continue
        expected = _in_db(criteria, ctx)
        assert hits.count == len(expected), criteria
        assert hits.page(0, 100) == expected, criteria
        assert hits.page(3, 5) == expected[3:8], criteria
        answered += 1
    assert answered > 200


@pytest.mark.django_db
@pytest.mark.parametrize("walk_over", [20_000, 0])
def test_it_follows_updates_new_vehicles_and_ones_leaving_the_inventory(monkeypatch, walk_over):
    """walk_over=0: rows changed since the load are merged into the load's sort order."""
    monkeypatch.setattr(inventory_index_module, "WALK_OVER", walk_over)
    index = InventoryIndex()
    civic = VehicleFactory(make="Honda", model="Civic", status="approved", starting_price=Decimal("9000"))
    assert index.search({"make": "Honda"}).page(0, 10) == [civic.pk]

    accord = VehicleFactory(make="Honda", model="Accord", status="approved", starting_price=Decimal("8000"))
    Vehicle.objects.filter(pk=civic.pk).update(current_price=Decimal("12500.00"))  # the auction snapshot
    assert index.search({"make": "Honda", "sort": "price_asc"}).page(0, 10) == [accord.pk, civic.pk]
    assert index.search({"make": "Honda", "price_min": "10000.00"}).page(0, 10) == [civic.pk]

    accord.status = "sold"
    accord.save()
    hits = index.search({"make": "Honda"})
    assert (hits.count, hits.page(0, 10)) == (1, [civic.pk])


@pytest.mark.django_db
def test_text_of_a_changed_vehicle_is_searched_as_changed():
    index = InventoryIndex()
    ctx = search.SearchContext(fulltext=True)
    vehicle = VehicleFactory(status="approved", description="Garage kept, one owner")
    assert index.search({"q": "garage"}, ctx).page(0, 5) == [vehicle.pk]
    vehicle.description = "Sunroof and leather"
    vehicle.save()
    assert index.search({"q": "garage"}, ctx).count == 0
    assert index.search({"q": "leath"}, ctx).page(0, 5) == [vehicle.pk]
    assert index.search({"q": vehicle.vin}, ctx).page(0, 5) == [vehicle.pk]


@pytest.mark.django_db
def test_a_deleted_vehicle_leaves_the_index():
    vehicle = VehicleFactory(status="approved", make="Kia")
    assert inventory_index().search({"make": "Kia"}).count == 1
    vehicle.delete()
    assert inventory_index().search({"make": "Kia"}).count == 0


@pytest.mark.django_db
def test_the_api_and_the_page_are_answered_by_the_index_and_agree_with_it(client, settings):
    VehicleFactory.create_batch(5, status="approved", make="Subaru")
    VehicleFactory(status="approved", make="Subaru", title_type="salvage")
    body = client.get("/api/vehicles", {"make": "subaru", "clean_title": "true", "sort": "price_asc"}).json()
    assert body["count"] == 5
    settings.INVENTORY_INDEX = False
    assert client.get("/api/vehicles", {"make": "subaru", "clean_title": "true", "sort": "price_asc"}).json() == body
    settings.INVENTORY_INDEX = True
    page = client.get("/vehicles/", {"make": "Subaru", "title_type": "salvage"})
    assert page.status_code == 200
    assert page.context["page"].paginator.hits.count == 1


@pytest.mark.django_db
def test_a_row_the_index_holds_stale_is_left_off_the_page(client):
    """Another process changed it within the refresh interval: the page's confirming query drops it."""
    kept = VehicleFactory(status="approved", make="Mazda", starting_price=Decimal("5000"))
    gone = VehicleFactory(status="approved", make="Mazda", starting_price=Decimal("6000"))
    assert client.get("/api/vehicles", {"make": "Mazda"}).json()["count"] == 2
    with connection.cursor() as cursor:  # not through the ORM: this process's index is not told
        cursor.execute("UPDATE vehicles_vehicle SET status = 'sold' WHERE id = %s", [gone.pk])
    ids = [v["id"] for v in client.get("/api/vehicles", {"make": "Mazda"}).json()["results"]]
    assert ids == [kept.pk]


def test_a_refresh_racing_searches_never_breaks_a_search(transactional_db):
    """Writers (another thread's ORM updates) and searches at once: every answer is a consistent page."""
    vehicles = [VehicleFactory(status="approved", make="Ford", mileage=1000 * n) for n in range(1, 30)]
    index = inventory_index()
    assert index.search({"make": "Ford"}).count == 29
    start, errors = threading.Barrier(2), []

    def write() -> None:
        try:
            start.wait()
            for n, vehicle in enumerate(vehicles):
                Vehicle.objects.filter(pk=vehicle.pk).update(mileage=500_000 - n)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    writer = threading.Thread(target=write)
    writer.start()
    start.wait()
    while writer.is_alive():
        hits = index.search({"make": "Ford", "sort": "mileage"})
        assert hits is not None
        assert hits.count == 29
        assert len(set(hits.page(0, 29))) == 29
    writer.join()
    assert not errors
    final = index.search({"make": "Ford", "sort": "mileage"}).page(0, 29)
    assert final == [v.pk for v in reversed(vehicles)]
