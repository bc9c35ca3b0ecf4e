"""The vehicles API: inventory filters and sorts, visibility, seller CRUD permissions, query counts."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.fixtures.vehicles import valid_vin
from vehicles.inventory_index import inventory_index
from vehicles.models import Vehicle

pytestmark = pytest.mark.django_db
S = Vehicle.Status


def ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


@pytest.fixture
def lot(vehicle_factory):
    now = timezone.now()
    return {
        "accord": vehicle_factory(make="Honda", model="Accord", year=2018, mileage=64000, starting_price=Decimal("9000")),
        "civic": vehicle_factory(
            make="Honda", model="Civic", year=2021, mileage=12000, starting_price=Decimal("15000"),
            reserve_price=Decimal("16000"), description="Garage kept, one owner",
        ),
        "f150": vehicle_factory(
            make="Ford", model="F-150", trim="Lariat", year=2016, mileage=120000, body_type="pickup",
            drivetrain="4wd", starting_price=Decimal("12000"), current_price=Decimal("18500"),
            auction_status="live", auction_ends_at=now + timedelta(hours=3), bid_count=7, state="WI",
            reserve_price=Decimal("20000"),
        ),
        "tesla": vehicle_factory(
            make="Tesla", model="Model 3", year=2020, mileage=30000, fuel_type="electric",
            starting_price=Decimal("25000"), buy_now_price=Decimal("32000"), auction_status="scheduled",
            auction_ends_at=now + timedelta(days=3), reserve_price=Decimal("26000"),
        ),
        "draft": vehicle_factory(make="Honda", model="Accord", status=S.DRAFT),
        "sold": vehicle_factory(make="Honda", model="Accord", status=S.SOLD),
    }  # fmt: skip


def test_inventory_lists_only_approved_and_listed(api_client, lot):
    found = ids(api_client.get("/api/vehicles"))
    assert set(found) == {lot[k].pk for k in ("accord", "civic", "f150", "tesla")}


def test_default_sort_is_ending_soonest_then_the_rest(api_client, lot):
    found = ids(api_client.get("/api/vehicles"))
    assert found[:2] == [lot["f150"].pk, lot["tesla"].pk]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("make=honda", ["accord", "civic"]),
        ("make=Honda&model=civic", ["civic"]),
        ("year_min=2019&year_max=2021", ["civic", "tesla"]),
        ("price_min=15000", ["civic", "f150", "tesla"]),
        ("price_max=12000", ["accord"]),
        ("mileage_max=30000", ["civic", "tesla"]),
        ("body_type=pickup", ["f150"]),
        ("body_type=pickup&body_type=sedan", ["accord", "civic", "f150", "tesla"]),
        ("fuel_type=electric", ["tesla"]),
        ("drivetrain=4wd", ["f150"]),
        ("state=wi", ["f150"]),
        ("no_reserve=true", ["accord"]),
        ("buy_now=true", ["tesla"]),
        ("ending_24h=true", ["f150"]),
        ("title_type=salvage", []),
    ],
)
def test_each_filter_narrows_the_inventory(api_client, lot, query, expected):
    assert set(ids(api_client.get("/api/vehicles?" + query))) == {lot[k].pk for k in expected}


@pytest.mark.django_db(transaction=True)  # InnoDB FULLTEXT sees rows only once committed
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("garage", ["civic"]),
        ("lariat", ["f150"]),
        ("honda civic", ["civic"]),
        ("HONDA   accord", ["accord"]),
        ("F-150", ["f150"]),
        ("civic with garage", ["civic"]),
        ("gar", ["civic"]),
        ("zz", []),
    ],
)
def test_text_search_matches_every_word(api_client, lot, query, expected):
    assert set(ids(api_client.get("/api/vehicles", {"q": query}))) == {lot[k].pk for k in expected}


@pytest.mark.django_db(transaction=True)
def test_text_search_finds_a_vin_and_a_vin_prefix(api_client, lot):
    vin = lot["civic"].vin
    assert ids(api_client.get(f"/api/vehicles?q={vin.lower()}")) == [lot["civic"].pk]
    assert lot["civic"].pk in ids(api_client.get(f"/api/vehicles?q={vin[:11]}"))


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("price_asc", ["accord", "civic", "f150", "tesla"]),
        ("price_desc", ["tesla", "f150", "civic", "accord"]),
        ("mileage", ["civic", "tesla", "accord", "f150"]),
        ("year_desc", ["civic", "tesla", "accord", "f150"]),
    ],
)
def test_sorts(api_client, lot, sort, expected):
    assert ids(api_client.get("/api/vehicles?sort=" + sort)) == [lot[k].pk for k in expected]


def test_price_sort_uses_the_current_bid_when_there_is_one(api_client, lot):
    rows = api_client.get("/api/vehicles?sort=price_desc").json()["results"]
    f150 = next(row for row in rows if row["id"] == lot["f150"].pk)
    assert f150["price"] == "18500.00"
    assert f150["bid_count"] == 7


def test_public_json_never_shows_the_reserve_amount(api_client, lot):
    detail = api_client.get(f"/api/vehicles/{lot['civic'].pk}").json()["data"]
    assert detail["has_reserve"] is True
    assert detail["reserve_price"] is None
    assert "16000" not in str(api_client.get("/api/vehicles").json())


def test_seller_sees_their_own_reserve(auth_client, lot):
    detail = auth_client(lot["civic"].seller).get(f"/api/vehicles/{lot['civic'].pk}").json()["data"]
    assert detail["reserve_price"] == "16000.00"


def test_bad_filter_value_is_a_400_with_the_error_shape(api_client, lot):
    response = api_client.get("/api/vehicles?year_min=abc")
    assert response.status_code == 400
    assert "year_min" in response.json()["details"]


def test_pagination_shape(api_client, lot):
    body = api_client.get("/api/vehicles?page_size=2").json()
    assert (body["count"], body["pages"], len(body["results"])) == (4, 2, 2)


def test_queries_per_page_do_not_grow_with_page_size(api_client, vehicle_factory, settings):
    for _ in range(30):
        vehicle_factory()
    counts = []
    inventory_index().refresh()  # the first load is once per process, not per page
    for size in (5, 30):
        with CaptureQueriesContext(connection) as queries:
            assert api_client.get(f"/api/vehicles?page_size={size}&make=Honda&sort=price_asc").status_code == 200
        counts.append(len(queries))
    # the inventory index's refresh (highest id, changed rows, the small inventory's count) + the page's rows
    assert counts[0] == counts[1] <= 4
    settings.INVENTORY_INDEX = False
    counts = []
    for size in (5, 30):
        with CaptureQueriesContext(connection) as queries:
            assert api_client.get(f"/api/vehicles?page_size={size}&make=Honda&sort=price_asc").status_code == 200
        counts.append(len(queries))
    # the database path: count + ids + rows (a narrow search reads its page ids from a covering index first)
    assert counts[0] == counts[1] <= 3


def test_a_narrow_search_pages_in_sort_order_through_the_deferred_join(api_client, vehicle_factory):
    prices = [9000, 3000, 7000, 1000, 5000]
    made = {price: vehicle_factory(make="Saab", starting_price=Decimal(price)).pk for price in prices}
    first = api_client.get("/api/vehicles?make=Saab&sort=price_asc&page_size=3").json()
    second = api_client.get("/api/vehicles?make=Saab&sort=price_asc&page_size=3&page=2").json()
    assert [r["id"] for r in first["results"] + second["results"]] == [made[p] for p in sorted(prices)]
    assert (first["count"], first["count_capped"]) == (5, False)


def test_draft_is_hidden_from_others_but_visible_to_its_seller(api_client, auth_client, lot, user):
    url = f"/api/vehicles/{lot['draft'].pk}"
    assert api_client.get(url).status_code == 404
    assert auth_client(user).get(url).status_code == 404
    assert auth_client(lot["draft"].seller).get(url).status_code == 200


def test_mine_lists_my_vehicles_in_every_status(auth_client, lot):
    seller = lot["draft"].seller
    assert ids(auth_client(seller).get("/api/vehicles?mine=true")) == [lot["draft"].pk]


def test_seller_creates_via_api(auth_client, seller_factory):
    seller = seller_factory()
    response = auth_client(seller).post(
        "/api/vehicles",
        {"vin": valid_vin(77), "year": 2017, "make": "Mazda", "model": "CX-5", "mileage": 50000, "features": ["AWD"]},
        format="json",
    )
    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert data["status"] == "draft"
    assert data["features"] == ["AWD"]


def test_non_seller_cannot_create(auth_client, user):
    response = auth_client(user).post(
        "/api/vehicles",
        {"vin": valid_vin(78), "year": 2017, "make": "Mazda", "model": "CX-5", "mileage": 1},
        format="json",
    )
    assert response.status_code == 403
    assert "seller" in response.json()["error"]


def test_anonymous_cannot_create(api_client):
    assert api_client.post("/api/vehicles", {}, format="json").status_code == 401


def test_create_with_bad_vin_is_a_400_next_to_the_field(auth_client, seller_factory):
    response = auth_client(seller_factory()).post(
        "/api/vehicles",
        {"vin": "5UXWX7C5XBA000000", "year": 2017, "make": "X", "model": "Y", "mileage": 1},
        format="json",
    )
    assert response.status_code == 400
    assert "check digit" in response.json()["details"]["vin"][0]


def test_another_seller_gets_403_on_put_and_delete(auth_client, lot, seller_factory):
    intruder = auth_client(seller_factory())
    url = f"/api/vehicles/{lot['draft'].pk}"
    assert intruder.put(url, {"mileage": 1}, format="json").status_code == 403
    assert intruder.delete(url).status_code == 403


def test_seller_edits_a_draft_but_not_an_approved_vehicle(auth_client, lot):
    seller = auth_client(lot["draft"].seller)
    response = seller.put(f"/api/vehicles/{lot['draft'].pk}", {"mileage": 65000, "trim": "Sport"}, format="json")
    assert response.status_code == 200
    assert response.json()["data"]["trim"] == "Sport"
    approved = auth_client(lot["accord"].seller)
    assert approved.put(f"/api/vehicles/{lot['accord'].pk}", {"mileage": 1}, format="json").status_code == 409


def test_delete_only_drafts_for_sellers_any_for_staff(auth_client, lot, staff_user):
    assert auth_client(lot["accord"].seller).delete(f"/api/vehicles/{lot['accord'].pk}").status_code == 409
    assert auth_client(lot["draft"].seller).delete(f"/api/vehicles/{lot['draft'].pk}").status_code == 204
    assert auth_client(staff_user).delete(f"/api/vehicles/{lot['accord'].pk}").status_code == 204


def test_submit_incomplete_draft_lists_what_is_missing(auth_client, lot):
    response = auth_client(lot["draft"].seller).post(f"/api/vehicles/{lot['draft'].pk}/submit")
    assert response.status_code == 400
    assert "Add at least one photo." in response.json()["details"]["missing"]


def test_upload_ticket_api(auth_client, lot):
    response = auth_client(lot["draft"].seller).post(
        f"/api/vehicles/{lot['draft'].pk}/uploads",
        {"kind": "photo", "filename": "a.jpg", "content_type": "image/jpeg", "size": 1000},
        format="json",
    )
    assert response.status_code == 201
    assert {"url", "fields", "token", "max_bytes"} <= set(response.json()["data"])


def test_upload_ticket_api_refuses_other_types(auth_client, lot):
    response = auth_client(lot["draft"].seller).post(
        f"/api/vehicles/{lot['draft'].pk}/uploads",
        {"kind": "photo", "filename": "a.exe", "content_type": "application/x-msdownload", "size": 1000},
        format="json",
    )
    assert response.status_code == 400
    assert "not an accepted file type" in response.json()["error"]


def test_a_dense_text_search_is_counted_to_its_cap_and_paged_along_the_sort(
    api_client, vehicle_factory, monkeypatch, transactional_db
):
    """More text matches than the text cap: "N+" and each page walked along the sort order with a LIKE superset,
    keeping only the FULLTEXT meaning (a word *starting* with the term: "pleather" contains it, but is not it)."""
    from vehicles import paging

    monkeypatch.setattr(paging, "TEXT_COUNT_CAP", 3)
    matching = {
        price: vehicle_factory(make="Volvo", starting_price=Decimal(price), description=text).pk
        for price, text in [(4000, "Leather seats"), (2000, "leatherette trim"), (8000, "Black LEATHER"),
                            (6000, "leather, sunroof"), (1000, "Heated leather")]
    }  # fmt: skip
    vehicle_factory(make="Volvo", starting_price=Decimal(1500), description="Pleather seats")
    vehicle_factory(make="Volvo", starting_price=Decimal(500), description="Cloth seats")
    pages = [
        api_client.get(f"/api/vehicles?make=Volvo&q=leather&sort=price_asc&page_size=2&page={n}").json() for n in (1, 2)
    ]
    assert (pages[0]["count"], pages[0]["count_capped"]) == (3, True)
    found = [row["id"] for page in pages for row in page["results"]]
    assert found == [matching[p] for p in (1000, 2000, 4000)]
    monkeypatch.setattr(paging, "TEXT_COUNT_CAP", 1000)
    exact = api_client.get("/api/vehicles?make=Volvo&q=leather&sort=price_asc&page_size=10").json()
    assert (exact["count"], exact["count_capped"]) == (5, False)
    assert [row["id"] for row in exact["results"]] == [matching[p] for p in sorted(matching)]


def test_a_card_offers_buy_now_exactly_when_the_buy_now_filter_finds_it(api_client, vehicle_factory):
    """One rule (vehicles.models.buy_now_open_on_snapshot) for the card's flag and the filter: after the first bid
    without a reserve, or once the price reached the reserve, buy now is gone from both."""
    live = {"auction_status": "live", "buy_now_price": Decimal(30000), "current_price": Decimal(12000)}
    offered = [
        vehicle_factory(**live, bid_count=0, reserve_price=None),
        vehicle_factory(**live, bid_count=3, reserve_price=Decimal(20000)),
    ]
    vehicle_factory(**live, bid_count=2, reserve_price=None)
    vehicle_factory(**live, bid_count=2, reserve_price=Decimal(12000))
    cards = api_client.get("/api/vehicles?page_size=10").json()["results"]
    flagged = sorted(card["id"] for card in cards if card["buy_now_available"])
    filtered = sorted(card["id"] for card in api_client.get("/api/vehicles?buy_now=true").json()["results"])
    assert flagged == filtered == sorted(v.pk for v in offered)
