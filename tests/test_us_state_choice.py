"""One US state choice everywhere a state is entered: the listing's pricing step, the profile, seller and
delivery forms, the API, the CSV import. "Minnesota" becomes MN, never MI; what is not a state is refused
(issue 16 item 7)."""

import csv
import io

import pytest
from django.core.management import call_command

from core.us_states import STATE_CHOICES, NotAState, parse_state
from tests.fixtures.vehicles import valid_vin
from vehicles.models import Vehicle

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("typed", "code"),
    [("MN", "MN"), ("mn", "MN"), (" Minnesota ", "MN"), ("minnesota", "MN"), ("Michigan", "MI"),
     ("new  york", "NY"), ("District of Columbia", "DC"), ("", "")],
)  # fmt: skip
def test_a_code_or_a_full_name_is_the_states_code(typed, code):
    assert parse_state(typed) == code


@pytest.mark.parametrize("typed", ["Minn", "Minnesot", "XX", "M", "Minnesota!", "55401", 7, ["MN"], True])
def test_what_is_not_a_state_is_refused(typed):
    with pytest.raises(NotAState):
        parse_state(typed)


def test_the_choice_lists_each_state_once_by_name():
    labels = dict(STATE_CHOICES)
    assert labels["MN"] == "Minnesota (MN)"
    assert labels["MI"] == "Michigan (MI)"
    assert len(labels) == len(STATE_CHOICES)


def draft(seller_factory, vehicle_factory):
    seller = seller_factory()
    return seller, vehicle_factory(seller=seller, status=Vehicle.Status.DRAFT, state="", title_state="")


def test_the_pricing_step_is_a_state_select_and_minnesota_is_mn(client, seller_factory, vehicle_factory):
    seller, vehicle = draft(seller_factory, vehicle_factory)
    client.force_login(seller)
    page = client.get(f"/sell/vehicles/{vehicle.pk}/pricing/").content.decode()
    assert '<select name="state"' in page
    assert '<option value="MN">Minnesota (MN)</option>' in page
    # a client that posts the name (no browser select) still gets Minnesota
    client.post(
        f"/sell/vehicles/{vehicle.pk}/pricing/", {"starting_price": "12000", "city": "Duluth", "state": "Minnesota"}
    )
    vehicle.refresh_from_db()
    assert vehicle.state == "MN"


def test_the_pricing_step_refuses_what_is_not_a_state(client, seller_factory, vehicle_factory):
    seller, vehicle = draft(seller_factory, vehicle_factory)
    client.force_login(seller)
    response = client.post(
        f"/sell/vehicles/{vehicle.pk}/pricing/", {"starting_price": "12000", "city": "Duluth", "state": "Minn"}
    )
    assert response.status_code == 200
    assert "Choose a US state" in response.content.decode()
    vehicle.refresh_from_db()
    assert vehicle.state == ""


def test_the_condition_steps_title_state_is_the_same_select(client, seller_factory, vehicle_factory):
    seller, vehicle = draft(seller_factory, vehicle_factory)
    client.force_login(seller)
    page = client.get(f"/sell/vehicles/{vehicle.pk}/condition/").content.decode()
    assert '<select name="title_state"' in page


@pytest.mark.parametrize(("sent", "status", "stored"), [("Minnesota", 200, "MN"), ("mn", 200, "MN"), ("Minn", 400, "")])
def test_the_vehicle_api_takes_a_state_or_refuses_it(
    auth_client, seller_factory, vehicle_factory, sent, status, stored
):
    seller, vehicle = draft(seller_factory, vehicle_factory)
    response = auth_client(seller).patch(f"/api/vehicles/{vehicle.pk}", {"state": sent}, format="json")
    assert response.status_code == status, response.content
    if status == 400:
        assert "state" in response.json()["details"]
    vehicle.refresh_from_db()
    assert vehicle.state == stored


@pytest.mark.parametrize(("sent", "status", "stored"), [("Minnesota", 200, "MN"), ("Minn", 400, "WI")])
def test_the_profile_api_takes_a_state_or_refuses_it(auth_client, user, sent, status, stored):
    user.state = "WI"
    user.save(update_fields=["state"])
    response = auth_client().put("/api/users/profile", {"state": sent}, format="json")
    assert response.status_code == status, response.content
    user.refresh_from_db()
    assert user.state == stored


def test_the_profile_page_offers_the_same_select(client, user):
    client.force_login(user)
    page = client.get("/account/profile/").content.decode()
    assert ">Minnesota (MN)</option>" in page
    assert ">Michigan (MI)</option>" in page


def test_the_csv_import_turns_names_into_codes_and_reports_the_rest(tmp_path, seller_factory):
    seller = seller_factory()
    path = tmp_path / "cars.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["vin", "year", "make", "model", "mileage", "starting_price", "state"])
        writer.writerow([valid_vin(701), 2019, "Honda", "Civic", 30000, "9000", "Minnesota"])
        writer.writerow([valid_vin(702), 2019, "Honda", "Civic", 30000, "9000", "Minn"])
    out = io.StringIO()
    call_command(
        "import_vehicles", str(path), "--seller", seller.email, "--no-progress", stdout=out, stderr=io.StringIO()
    )
    assert Vehicle.objects.get(vin=valid_vin(701)).state == "MN"
    assert not Vehicle.objects.filter(vin=valid_vin(702)).exists()
    report = list(csv.DictReader((tmp_path / "cars.errors.csv").open()))
    assert report[0]["error"].startswith("state:")


def test_the_inventory_state_filter_is_a_select_and_reads_names(client, vehicle_factory):
    page = client.get("/vehicles/").content.decode()
    assert '<select class="form-select form-select-sm" id="f-state" name="state">' in page
    assert client.get("/vehicles/?state=Minnesota").status_code == 200
    assert "Choose a US state" in client.get("/vehicles/?state=Minn").content.decode()
