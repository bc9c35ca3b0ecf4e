"""GET /api/transport/quote and the vehicle page's "Delivery to your door" box."""

from decimal import Decimal

import pytest

from vehicles.models import Vehicle

pytestmark = pytest.mark.django_db


def test_quote_api_prices_door_to_door_from_the_vehicle_zip(api_client, vehicle):
    response = api_client.get(f"/api/transport/quote?vehicle={vehicle.pk}&zip=60601")
    assert response.status_code == 200, response.json()
    data = response.json()["data"]
    assert data["vehicle_id"] == vehicle.pk
    assert data["origin"] == {"zip": "55401", "city": "Minneapolis", "state": "MN"}
    assert data["destination"]["city"] == "Chicago"
    assert data["price"] == "685.65"
    assert sum(Decimal(line["amount"]) for line in data["lines"]) == Decimal(data["price"])
    assert (data["days_min"], data["days_max"]) == (2, 4)
    assert data["transport_type"] == "open"
    assert data["inoperable"] is False


def test_quote_api_marks_a_parts_car_inoperable_and_prices_enclosed(api_client, vehicle_factory):
    car = vehicle_factory(condition_grade=Vehicle.ConditionGrade.PARTS)
    data = api_client.get(f"/api/transport/quote?vehicle={car.pk}&zip=60601&enclosed=true").json()["data"]
    assert data["inoperable"] is True
    assert data["transport_type"] == "enclosed"
    assert [line["label"] for line in data["lines"]][-2:] == [
        "Enclosed trailer (40%)",
        "Inoperable vehicle (winch loading)",
    ]


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ("zip=00000", 400, "unknown_zip"),
        ("zip=5540", 400, "invalid_zip"),
        ("zip=", 400, "zip_required"),
        ("zip=55401&enclosed=yes", 400, None),
    ],
)
def test_quote_api_refuses_bad_input_clearly(api_client, vehicle, query, status, code):
    response = api_client.get(f"/api/transport/quote?vehicle={vehicle.pk}&{query}")
    assert response.status_code == status
    body = response.json()
    assert body["error"]
    if code:
        assert body["code"] == code
        assert body["details"]["zip"]


def test_quote_api_hides_vehicles_the_caller_may_not_see(api_client, vehicle_factory):
    draft = vehicle_factory(status=Vehicle.Status.DRAFT)
    assert api_client.get(f"/api/transport/quote?vehicle={draft.pk}&zip=55401").status_code == 404
    assert api_client.get("/api/transport/quote?vehicle=999999&zip=55401").status_code == 404
    assert api_client.get("/api/transport/quote?vehicle=abc&zip=55401").status_code == 400


def test_quote_api_says_so_when_the_vehicle_has_no_known_location(api_client, vehicle_factory):
    car = vehicle_factory(postal_code="")
    response = api_client.get(f"/api/transport/quote?vehicle={car.pk}&zip=55401")
    assert response.status_code == 409
    assert response.json()["code"] == "no_origin"


def test_vehicle_page_quotes_to_the_signed_in_buyers_address(client, user_factory, vehicle):
    buyer = user_factory(postal_code="60601")
    client.force_login(buyer)
    html = client.get(f"/vehicles/{vehicle.pk}/").content.decode()
    assert 'id="transport-quote"' in html
    assert 'value="60601"' in html
    assert "$685.65" in html


def test_vehicle_page_remembers_the_zip_asked_for_and_shows_an_unknown_zip_as_a_field_error(client, vehicle):
    page = client.get(f"/vehicles/{vehicle.pk}/?delivery_zip=00000").content.decode()
    assert "There is no US ZIP code 00000" in page
    assert 'aria-invalid="true"' in page
    client.get(f"/vehicles/{vehicle.pk}/?delivery_zip=60601")
    assert client.session.get("delivery_zip") == "60601"
    assert "$685.65" in client.get(f"/vehicles/{vehicle.pk}/").content.decode()


def test_sold_vehicles_show_no_quote_box(client, vehicle_factory):
    car = vehicle_factory(status=Vehicle.Status.SOLD)
    assert 'id="transport-quote"' not in client.get(f"/vehicles/{car.pk}/").content.decode()


def test_bid_form_total_includes_delivery_to_the_buyers_zip(client, live_auction, bidder_factory):
    buyer = bidder_factory(postal_code="60601")
    client.force_login(buyer)
    html = client.get(f"/vehicles/{live_auction.vehicle_id}/").content.decode()
    assert "With delivery to 60601:" in html
    assert "Door-to-door delivery to 60601 adds $685.65" in html


def test_buy_now_shows_the_total_with_delivery_to_the_buyers_zip(client, auction_factory, bidder_factory):
    auction = auction_factory(buy_now_price=Decimal("15000.00"))
    client.force_login(bidder_factory(postal_code="60601", state="MN"))
    html = client.get(f"/vehicles/{auction.vehicle_id}/").content.decode()
    from core.pricing import purchase_breakdown

    total = purchase_breakdown(price=Decimal("15000.00"), buyer_state="MN").total
    assert f"You pay ${total:,} in total; with delivery to 60601: ${total + Decimal('685.65'):,}." in html
