"""One meaning for a search: the inventory query (`search.apply`) and the Python predicate (`search.matches`)
that saved-search alerts use must pick exactly the same vehicles, on MariaDB, for every kind of filter."""

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.fixtures.vehicles import VehicleFactory
from vehicles import search
from vehicles.filters import VehicleFilter, typed
from vehicles.models import Vehicle

MAKES = {"Honda": ["Civic", "Accord"], "Ford": ["F-150", "Escape"], "Citroën": ["C4"], "Tesla": ["Model 3"]}
ZIPS = [("55401", "MN"), ("53202", "WI"), ("60601", "IL"), ("75201", "TX"), ("10001", "NY")]
WORDS = ["leather", "sunroof", "garage kept", "one owner", "tow package", "rust free"]


def _vehicles(rng: random.Random) -> list[Vehicle]:
    from core.geo import zip_point

    now = timezone.now()
    made = []
    for _ in range(60):
        make = rng.choice(list(MAKES))
        zip_code, state = rng.choice(ZIPS)
        point = zip_point(zip_code)
        assert point is not None
        status = rng.choice(["approved", "approved", "listed", "sold", "draft"])
        live = status == "listed"
        damage_bits = rng.choice([0, 0, 1, 8, 9, 32])
        made.append(
            VehicleFactory(
                make=make,
                model=rng.choice(MAKES[make]),
                trim=rng.choice(["", "EX", "Sport Limited"]),
                year=rng.randint(2010, 2024),
                mileage=rng.randint(1000, 200000),
                body_type=rng.choice(["sedan", "suv", "pickup"]),
                fuel_type=rng.choice(["gasoline", "hybrid", "electric"]),
                transmission=rng.choice(["automatic", "manual"]),
                drivetrain=rng.choice(["fwd", "awd"]),
                title_type=rng.choice(["clean", "clean", "salvage", "rebuilt"]),
                state=state,
                postal_code=zip_code,
                latitude=Decimal(str(point.latitude)),
                longitude=Decimal(str(point.longitude)),
                description=f"Nice car, {rng.choice(WORDS)} and {rng.choice(WORDS)}.",
                starting_price=Decimal(rng.randrange(2000, 40000, 500)),
                current_price=Decimal(rng.randrange(5000, 45000, 500)) if live and rng.random() < 0.6 else None,
                reserve_price=Decimal(45000) if rng.random() < 0.4 else None,
                buy_now_price=Decimal(60000) if rng.random() < 0.3 else None,
                bid_count=rng.choice([0, 0, 3]) if live else 0,
                status=status,
                auction_status="live" if live else "",
                auction_ends_at=now + timedelta(hours=rng.choice([2, 30])) if live else None,
                starts=rng.choice(["yes", "yes", "no", "with_assistance"]),
                drives=rng.choice(["yes", "yes", "no"]),
                keys_count=rng.choice([0, 1, 2, None]),
                damage_mask=damage_bits,
            )
        )
    return made


def _criteria(rng: random.Random) -> dict:
    params = QueryDict(mutable=True)
    if rng.random() < 0.5:
        make = rng.choice(list(MAKES))
        params["make"] = rng.choice([make, make.upper(), make.lower().replace("ë", "e")])
        if rng.random() < 0.4:
            params["model"] = rng.choice(MAKES[make])
    for _ in range(rng.randint(0, 3)):
        kind = rng.choice(
            ["year", "price", "mileage", "multi", "state", "flag", "damage", "distance", "q", "title"]
        )  # fmt: skip
        if kind == "year":
            params["year_min" if rng.random() < 0.5 else "year_max"] = str(rng.randint(2012, 2022))
        elif kind == "price":
            params["price_min" if rng.random() < 0.5 else "price_max"] = str(rng.randrange(5000, 40000, 500))
        elif kind == "mileage":
            params["mileage_max"] = str(rng.randint(10000, 150000))
        elif kind == "multi":
            name, choices = rng.choice(
                [("body_type", ["sedan", "suv", "pickup"]), ("fuel_type", ["gasoline", "hybrid", "electric"]),
                 ("transmission", ["automatic", "manual"]), ("drivetrain", ["fwd", "awd"])]
            )  # fmt: skip
            params.setlist(name, rng.sample(choices, rng.randint(1, 2)))
        elif kind == "title":
            params.setlist("title_type", rng.sample(["clean", "salvage", "rebuilt"], rng.randint(1, 2)))
        elif kind == "state":
            params["state"] = rng.choice(ZIPS)[1].lower()
        elif kind == "flag":
            params[rng.choice(["no_reserve", "buy_now", "ending_24h", "runs_drives", "has_keys", "clean_title"])] = (
                "true"
            )
        elif kind == "damage":
            params.setlist("damage", rng.sample(["none", "dent", "hail", "missing"], rng.randint(1, 2)))
        elif kind == "distance":
            params["distance"] = str(rng.choice([25, 100, 400]))
            params["zip"] = rng.choice(ZIPS)[0]
        elif kind == "q":
            params["q"] = rng.choice(["leather", "garage", "civ", "sport lim", "EX", "the sunroof", "owner rust"])
    filterset = VehicleFilter(params, queryset=Vehicle.objects.none())
    assert filterset.form.is_valid(), filterset.form.errors
    return filterset.criteria


def test_the_inventory_query_and_the_alert_predicate_pick_the_same_vehicles(transactional_db):
    """Every filter, alone and combined (FULLTEXT needs committed rows, hence transactional_db)."""
    rng = random.Random(20)
    vehicles = _vehicles(rng)
    ctx = search.SearchContext()
    checked = 0
    for _ in range(250):
        criteria = _criteria(rng)
        in_db = set(search.apply(Vehicle.objects.in_inventory(), criteria, ctx=ctx).values_list("pk", flat=True))
        fresh = Vehicle.objects.filter(pk__in=[v.pk for v in vehicles])
        in_python = {v.pk for v in fresh if search.matches(typed(criteria), v, ctx=ctx)}
        assert in_db == in_python, criteria
        checked += bool(in_db)
    assert checked > 60  # the criteria were not all empty-handed


def test_buy_now_lists_only_auctions_where_buy_now_is_still_offered(vehicle_factory):
    """As auctions.engine.buy_now_available: until the first bid, or with a reserve until the price reaches it."""
    live = {"auction_status": "live", "buy_now_price": Decimal(30000), "current_price": Decimal(12000)}
    offered = [
        vehicle_factory(**live, bid_count=0, reserve_price=None),
        vehicle_factory(**live, bid_count=3, reserve_price=Decimal(20000)),
    ]
    vehicle_factory(**live, bid_count=3, reserve_price=None)  # bid on, no reserve: gone
    vehicle_factory(**live, bid_count=3, reserve_price=Decimal(12000))  # the reserve is met: gone
    found = list(search.apply(Vehicle.objects.in_inventory(), {"buy_now": True}))
    assert sorted(v.pk for v in found) == sorted(v.pk for v in offered)
    assert all(search.matches({"buy_now": True}, v) for v in found)


def test_exact_filters_compare_with_equals_so_the_whole_index_is_used(vehicle_factory):
    vehicle_factory(make="Kia", model="Soul", state="MN")
    criteria = {"make": "kia", "model": "SOUL", "state": "mn"}
    with CaptureQueriesContext(connection) as captured:
        found = list(search.apply(Vehicle.objects.in_inventory(), criteria))
    assert len(found) == 1
    sql = captured.captured_queries[0]["sql"]
    assert "LIKE" not in sql
    assert "`vehicles_vehicle`.`make` = 'kia'" in sql


def test_distance_search_sorts_nearest_first_and_keeps_only_those_within_the_radius(vehicle_factory):
    from core.geo import zip_point

    def at(zip_code: str) -> Vehicle:
        point = zip_point(zip_code)
        return vehicle_factory(
            postal_code=zip_code, latitude=Decimal(str(point.latitude)), longitude=Decimal(str(point.longitude))
        )

    st_paul, milwaukee, minneapolis, dallas = at("55101"), at("53202"), at("55401"), at("75201")
    criteria = {"distance": 350, "zip": "55401", "sort": "distance"}
    found = list(search.order(search.apply(Vehicle.objects.in_inventory(), criteria), criteria))
    assert [v.pk for v in found] == [minneapolis.pk, st_paul.pk, milwaukee.pk]
    assert found[1].distance_miles == pytest.approx(9.5, abs=1.5)
    assert dallas.pk not in {v.pk for v in found}


def test_a_signed_in_buyers_zip_is_the_default_for_distance(rf, user_factory, vehicle_factory):
    buyer = user_factory(postal_code="53202")
    request = rf.get("/vehicles/", {"distance": "25"})
    request.user = buyer
    filterset = VehicleFilter(request.GET, queryset=Vehicle.objects.none(), request=request)
    assert filterset.criteria == {"distance": 25, "zip": "53202"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"distance": "25"}, "zip"),
        ({"distance": "25", "zip": "00000"}, "zip"),
        ({"distance": "9000", "zip": "55401"}, "distance"),
        ({"year_min": "2015.5"}, "year_min"),
        ({"price_max": "100.001"}, "price_max"),
        ({"state": "Minn"}, "state"),  # a state's name is read as its code; anything else is refused
        ({"damage": "scratches"}, "damage"),
    ],
)
def test_bad_filters_are_reported_not_guessed(api_client, params, field, db):
    response = api_client.get("/api/vehicles", params)
    assert response.status_code == 400
    assert field in response.json()["details"]


def test_every_vehicle_a_search_matches_is_filed_under_one_of_its_keys(transactional_db):
    """The saved-search index never hides a match: matches(criteria, v) implies shared keys."""
    rng = random.Random(7)
    vehicles = _vehicles(rng)
    for _ in range(200):
        criteria = _criteria(rng)
        keys = set(search.index_keys(criteria))
        for vehicle in vehicles:
            if search.matches(typed(criteria), vehicle):
                assert keys & set(search.vehicle_keys(vehicle)), (criteria, vehicle.make, vehicle.model)
