"""The structured condition report: one set of rules for the form, the API and the CSV import; badges, the
branded-title warning (cards, vehicle page, bid panel), the inventory's condition filters, ZIP coordinates."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command

from vehicles import services
from vehicles.models import Vehicle
from vehicles.services.media import attach_photo_bytes
from vehicles.validation import VehicleInvalid, clean_vehicle_fields

pytestmark = pytest.mark.django_db


def test_damage_is_validated_ordered_and_summarised_as_bits():
    fields = clean_vehicle_fields(
        {
            "damage": [
                {"panel": "rear_bumper", "type": "dent", "severity": "minor"},
                {"panel": "hood", "type": "hail", "severity": "severe"},
            ]
        },  # fmt: skip
        current=Vehicle(),
    )
    assert [(e["panel"], e["type"]) for e in fields["damage"]] == [("hood", "hail"), ("rear_bumper", "dent")]
    assert fields["damage_mask"] == (1 << 0) | (1 << 3)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ([{"panel": "bonnet", "type": "dent", "severity": "minor"}], "panel must be one of"),
        ([{"panel": "hood", "type": "melted", "severity": "minor"}], "damage type must be one of"),
        ([{"panel": "hood", "type": "dent", "severity": "awful"}], "severity must be one of"),
        ([{"panel": "hood", "type": "dent", "severity": "minor", "colour": "red"}], "unknown key"),
        ([{"panel": "hood", "type": "dent", "severity": "minor"}] * 2, "listed twice"),
        ("hood:dent", "must be panel:type:severity"),
        ([{"panel": "hood", "type": "dent", "severity": "minor", "photo_id": "x"}], "photo_id must be"),
    ],
)
def test_bad_damage_is_refused_with_the_reason(damage, message):
    with pytest.raises(VehicleInvalid) as caught:
        clean_vehicle_fields({"damage": damage}, current=Vehicle())
    assert message in caught.value.errors["damage"][0]


def test_a_damage_photo_must_be_one_of_the_vehicles_photos(vehicle_factory, photo_bytes):
    vehicle, other = vehicle_factory(status="draft"), vehicle_factory(status="draft")
    theirs = attach_photo_bytes(vehicle=other, data=photo_bytes("other"))
    mine = attach_photo_bytes(vehicle=vehicle, data=photo_bytes("mine"))
    entry = {"panel": "hood", "type": "dent", "severity": "minor"}
    with pytest.raises(VehicleInvalid):
        services.vehicle_update(
            vehicle_id=vehicle.pk, actor=vehicle.seller, data={"damage": [{**entry, "photo_id": theirs.pk}]}
        )
    services.vehicle_update(
        vehicle_id=vehicle.pk, actor=vehicle.seller, data={"damage": [{**entry, "photo_id": mine.pk}]}
    )
    vehicle.refresh_from_db()
    assert vehicle.damage == [{**entry, "photo_id": mine.pk}]


def test_the_api_carries_the_report_both_ways(api_client, vehicle_factory):
    vehicle = vehicle_factory(status="draft")
    api_client.force_authenticate(vehicle.seller)
    body = {
        "starts": "with_assistance", "drives": "no", "keys_count": 0, "odometer_brand": "not_actual",
        "airbags_deployed": "yes", "title_type": "salvage", "title_state": "TX",
        "damage": [{"panel": "left_front_door", "type": "dent", "severity": "moderate"}],
        "announcements": "Frame damage.",
    }  # fmt: skip
    response = api_client.put(f"/api/vehicles/{vehicle.pk}", body, format="json")
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert data["damage"] == [
        {"panel": "left_front_door", "panel_label": "Left front door", "type": "dent", "type_label": "Dent",
         "severity": "moderate", "photo_id": None}
    ]  # fmt: skip
    assert [b["label"] for b in data["badges"]] == [
        "Starts with assistance", "No keys", "Branded title", "Odometer brand", "Airbags deployed",
    ]  # fmt: skip
    assert data["title_warning"].startswith("Branded title: Salvage, issued in TX.")
    bad = api_client.put(f"/api/vehicles/{vehicle.pk}", {"keys_count": 99, "starts": "maybe"}, format="json")
    assert bad.status_code == 400
    assert set(bad.json()["details"]) == {"keys_count", "starts"}


def test_csv_import_takes_the_same_fields_with_the_same_rules(tmp_path: Path, seller_factory):
    from tests.fixtures.vehicles import valid_vin

    seller = seller_factory()
    path = tmp_path / "cars.csv"
    path.write_text(
        "vin,year,make,model,mileage,starts,drives,keys_count,odometer_brand,title_type,title_state,damage,postal_code\n"
        f"{valid_vin(1)},2018,Honda,Civic,50000,yes,yes,2,actual,rebuilt,WI,hood:hail:minor; roof:hail:moderate,53202\n"
        f"{valid_vin(2)},2018,Honda,Civic,50000,yes,yes,2,actual,clean,,bonnet:dent:minor,55401\n"
    )
    call_command("import_vehicles", str(path), "--seller", seller.email, "--no-progress")
    imported = Vehicle.objects.get(vin=valid_vin(1))
    assert imported.damage_mask == 1 << 3
    assert len(imported.damage) == 2
    assert (imported.title_type, imported.title_state, imported.keys_count) == ("rebuilt", "WI", 2)
    assert imported.latitude == Decimal("43.038300") or imported.latitude is not None
    assert not Vehicle.objects.filter(vin=valid_vin(2)).exists()
    report = path.with_suffix(".errors.csv").read_text()
    assert "panel must be one of" in report


def test_coordinates_come_from_the_zip_and_an_unknown_zip_is_refused(vehicle_factory):
    from core.geo import zip_point

    vehicle = vehicle_factory(status="draft")
    services.vehicle_update(vehicle_id=vehicle.pk, actor=vehicle.seller, data={"postal_code": "53202"})
    vehicle.refresh_from_db()
    point = zip_point("53202")
    assert float(vehicle.latitude) == pytest.approx(point.latitude)
    assert float(vehicle.longitude) == pytest.approx(point.longitude)
    with pytest.raises(VehicleInvalid) as caught:
        services.vehicle_update(vehicle_id=vehicle.pk, actor=vehicle.seller, data={"postal_code": "00001"})
    assert caught.value.errors == {"postal_code": ["is not a US ZIP code we know"]}


def test_inventory_condition_filters(api_client, vehicle_factory):
    runner = vehicle_factory(starts="yes", drives="yes", keys_count=1)
    no_keys = vehicle_factory(starts="yes", drives="yes", keys_count=0)
    dead = vehicle_factory(starts="no", drives="no", keys_count=2, title_type="salvage", damage_mask=1 << 3)

    def found(params):
        response = api_client.get("/api/vehicles", params)
        assert response.status_code == 200
        return {row["id"] for row in response.json()["results"]}

    assert found({"runs_drives": "true"}) == {runner.pk, no_keys.pk}
    assert found({"has_keys": "true"}) == {runner.pk, dead.pk}
    assert found({"clean_title": "true"}) == {runner.pk, no_keys.pk}
    assert found({"damage": "none"}) == {runner.pk, no_keys.pk}
    assert found({"damage": "hail"}) == {dead.pk}
    assert found({"damage": ["none", "hail"]}) == {runner.pk, no_keys.pk, dead.pk}


def test_cards_show_badges_and_the_vehicle_page_the_report(client, vehicle_factory):
    vehicle = vehicle_factory(
        title_type="flood", title_state="LA", keys_count=1,
        damage=[{"panel": "hood", "type": "hail", "severity": "severe", "photo_id": None}], damage_mask=1 << 3,
        announcements="Sold as is.",
    )  # fmt: skip
    inventory = client.get("/vehicles/").content.decode()
    assert 'data-badge="Runs and drives"' in inventory
    assert 'data-badge="Keys"' in inventory
    assert 'data-badge="Branded title"' in inventory
    page = client.get(f"/vehicles/{vehicle.pk}/").content.decode()
    assert 'data-damage="hood:hail"' in page
    assert "Flood damage, issued in LA" in page
    assert "data-title-warning" in page
    assert "Sold as is." in page


def test_the_bid_panel_warns_about_a_branded_title_before_bidding(client, auction_factory, bidder_factory):
    auction = auction_factory(vehicle__title_type="salvage", vehicle__title_state="TX")
    client.force_login(bidder_factory())
    page = client.get(f"/vehicles/{auction.vehicle_id}/").content.decode()
    panel = page[page.index('id="auction"') :]
    assert panel.index("data-title-warning") < panel.index("data-bid-form")
    clean = auction_factory()
    assert "data-title-warning" not in client.get(f"/vehicles/{clean.vehicle_id}/").content.decode()
