"""HTML pages: inventory, vehicle page with panels, seller dashboard and listing flow, staff review in the admin."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.fixtures.vehicles import valid_vin
from vehicles.inventory_index import inventory_index
from vehicles.models import Vehicle
from vehicles.services.media import attach_photo_bytes

pytestmark = pytest.mark.django_db
S = Vehicle.Status


def test_inventory_page_filters_counts_and_chips(client, vehicle_factory):
    vehicle_factory(make="Honda", model="Civic", body_type="sedan")
    vehicle_factory(make="Ford", model="F-150", body_type="pickup")
    page = client.get("/vehicles/?make=Ford&body_type=pickup&sort=price_asc").content.decode()
    assert "1 vehicle<" in page
    assert "F-150" in page
    assert "Civic" not in page
    assert "Remove filter Make: Ford" in page
    assert 'value="price_asc" selected' in page


def test_inventory_empty_state_suggests_removing_filters(client, vehicle_factory):
    vehicle_factory()
    page = client.get("/vehicles/?make=Lamborghini").content.decode()
    assert "No vehicles match these filters" in page
    assert "See all vehicles" in page


def test_inventory_page_queries_are_constant(client, vehicle_factory, photo_bytes):
    for _ in range(12):
        vehicle_factory()
    client.get("/vehicles/?make=Honda")  # warm the make and model list caches
    inventory_index().refresh()  # reading changed vehicles into the index is not the page's cost
    with CaptureQueriesContext(connection) as few:
        client.get("/vehicles/?make=Honda")
    for _ in range(12):
        vehicle_factory()
    inventory_index().refresh()
    with CaptureQueriesContext(connection) as many:
        client.get("/vehicles/?make=Honda")
    assert len(few) == len(many) <= 4


def test_vehicle_page_shows_specs_gallery_and_panels(client, vehicle_factory, photo_bytes, settings):
    settings.VEHICLE_PAGE_PANELS = ["vehicles.tests.test_pages.fake_panel", "vehicles.tests.test_pages.empty_panel"]
    vehicle = vehicle_factory(features=["Sunroof"], condition_notes="Dent on the hood", reserve_price=Decimal("9000"))
    attach_photo_bytes(vehicle=vehicle, data=photo_bytes("one"))
    attach_photo_bytes(vehicle=vehicle, data=photo_bytes("two"))
    page = client.get(f"/vehicles/{vehicle.pk}/").content.decode()
    assert "<h1" in page
    assert vehicle.title in page
    assert '<div id="auction-panel">Bid here</div>' in page  # panel HTML is not escaped
    assert "Sunroof" in page
    assert "Dent on the hood" in page
    assert "Show photo 2" in page
    assert "View photos full screen" in page
    assert "9000" not in page
    assert "9,000" not in page


def fake_panel(request, vehicle) -> str:
    return '<div id="auction-panel">Bid here</div>'


def empty_panel(request, vehicle) -> str:
    return ""


def test_draft_page_is_404_for_visitors(client, vehicle_factory):
    assert client.get(f"/vehicles/{vehicle_factory(status=S.DRAFT).pk}/").status_code == 404


def test_sell_page_invites_non_sellers_to_apply(client, user):
    assert b"/accounts/signup/" in client.get("/sell/").content
    client.force_login(user)
    assert b"Apply to become a seller" in client.get("/sell/").content
    from accounts.models import SellerProfile

    SellerProfile.objects.create(user=user, business_name="Lakeside Autos")
    assert b"is waiting for review" in client.get("/sell/").content


def test_sell_dashboard_counts_by_status(client, vehicle_factory, seller_factory):
    seller = seller_factory()
    vehicle_factory(seller=seller, status=S.DRAFT)
    vehicle_factory(seller=seller, status=S.DRAFT)
    vehicle_factory(seller=seller, status=S.APPROVED)
    client.force_login(seller)
    page = client.get("/sell/?status=draft").content.decode()
    assert 'data-status-tab="draft"' in page
    assert page.count("data-vehicle-row") == 2
    assert "List a vehicle" in page


def test_sell_dashboard_shows_a_sold_vehicle_at_its_sale_price(client, vehicle_factory, seller_factory):
    from decimal import Decimal

    seller = seller_factory()
    vehicle_factory(
        seller=seller, status=S.SOLD, starting_price=Decimal("12400"), sale_outcome="sold", sale_price=Decimal("24850")
    )
    client.force_login(seller)
    page = client.get("/sell/").content.decode()
    assert "$24,850" in page
    assert "$12,400" not in page


def test_listing_flow_creates_and_walks_the_steps(client, seller_factory, photo_bytes):
    seller = seller_factory()
    client.force_login(seller)
    response = client.post(
        "/sell/vehicles/new/",
        {"vin": valid_vin(4242), "year": "2019", "make": "Mazda", "model": "CX-5", "mileage": "40000"},
    )
    vehicle = Vehicle.objects.get(seller=seller)
    assert response.status_code == 302
    assert response["Location"] == f"/sell/vehicles/{vehicle.pk}/photos/"
    assert client.get(f"/sell/vehicles/{vehicle.pk}/photos/").status_code == 200
    response = client.post(
        f"/sell/vehicles/{vehicle.pk}/condition/",
        {
            "condition_grade": "good",
            "title_type": "clean",
            "features": "AWD\nHeated seats",
            "description": "x" * 40,
            "starts": "yes",
            "drives": "yes",
            "keys_count": "2",
            "damage_hood_type": "hail",
            "damage_hood_severity": "minor",
        },
    )
    assert response.status_code == 302
    response = client.post(
        f"/sell/vehicles/{vehicle.pk}/pricing/",
        {"starting_price": "12000", "reserve_price": "11000", "city": "Duluth", "state": "MN"},
    )
    assert response.status_code == 200
    assert "must be at least the starting price" in response.content.decode()
    client.post(f"/sell/vehicles/{vehicle.pk}/pricing/", {"starting_price": "12000", "city": "Duluth", "state": "MN"})
    review = client.get(f"/sell/vehicles/{vehicle.pk}/review/").content.decode()
    assert "Add at least one photo." in review
    attach_photo_bytes(vehicle=vehicle, data=photo_bytes("front"))
    response = client.post(f"/sell/vehicles/{vehicle.pk}/submit/")
    vehicle.refresh_from_db()
    assert vehicle.status == S.PENDING_REVIEW
    assert vehicle.features == ["AWD", "Heated seats"]
    assert vehicle.damage == [{"panel": "hood", "type": "hail", "severity": "minor", "photo_id": None}]
    assert vehicle.runs_drives is True


def test_listing_flow_shows_a_bad_vin_next_to_the_field(client, seller_factory):
    client.force_login(seller_factory())
    page = client.post(
        "/sell/vehicles/new/",
        {"vin": "5UXWX7C5XBA000000", "year": "2019", "make": "BMW", "model": "X5", "mileage": "1"},
    ).content.decode()
    assert 'id="id_vin_error"' in page
    assert "check digit" in page


def test_another_seller_cannot_open_my_listing_steps(client, vehicle_factory, seller_factory):
    vehicle = vehicle_factory(status=S.DRAFT)
    client.force_login(seller_factory())
    assert client.get(f"/sell/vehicles/{vehicle.pk}/specs/").status_code == 404
    assert client.post(f"/sell/vehicles/{vehicle.pk}/submit/").status_code == 404


def test_admin_approves_and_rejects_with_a_reason(client, staff_user, vehicle_factory):
    pending = vehicle_factory(status=S.PENDING_REVIEW)
    other = vehicle_factory(status=S.PENDING_REVIEW)
    client.force_login(staff_user)
    changelist = "/admin/vehicles/vehicle/"
    assert client.get(changelist).status_code == 200
    client.post(changelist, {"action": "approve_vehicles", "_selected_action": [pending.pk]})
    pending.refresh_from_db()
    assert pending.status == S.APPROVED
    form = client.post(changelist, {"action": "reject_vehicles", "_selected_action": [other.pk]})
    assert b"Reason (sent to the seller)" in form.content
    client.post(changelist, {"action": "reject_vehicles", "_selected_action": [other.pk], "apply": "1", "reason": ""})
    other.refresh_from_db()
    assert other.status == S.PENDING_REVIEW  # no reason, no rejection
    client.post(
        changelist,
        {"action": "reject_vehicles", "_selected_action": [other.pk], "apply": "1", "reason": "Blurry photos"},
    )
    other.refresh_from_db()
    assert (other.status, other.rejection_reason) == (S.REJECTED, "Blurry photos")
    assert client.get(f"/admin/vehicles/vehicle/{other.pk}/change/").status_code == 200


def test_home_page_shows_vehicle_rows(client, vehicle_factory):
    vehicle_factory(make="Subaru", model="Outback")
    page = client.get("/").content.decode()
    assert "Just listed" in page
    assert "Subaru Outback" in page


def test_vehicle_page_names_the_sellers_business(client, vehicle_factory):
    from accounts.models import SellerProfile

    vehicle = vehicle_factory()
    SellerProfile.objects.create(user=vehicle.seller, business_name="North Loop Motors")
    assert "North Loop Motors" in client.get(f"/vehicles/{vehicle.pk}/").content.decode()


def test_an_offer_only_vehicle_card_says_it_takes_offers_not_that_an_auction_is_coming(client, vehicle_factory):
    vehicle_factory(status=S.APPROVED, accepts_offers=True, make="Volkswagen", model="Passat")
    page = client.get("/vehicles/?make=Volkswagen").content.decode()
    assert "Takes offers" in page
    assert "Listed at" in page
    assert "Auction not yet scheduled" not in page


def test_the_watchlist_button_carries_both_of_its_labels_and_the_script_words_neither(client, vehicle_factory, user):
    import re
    from pathlib import Path

    # given a logged-in visitor on a vehicle's page, not watching it
    vehicle = vehicle_factory(status=Vehicle.Status.APPROVED)
    client.force_login(user)
    html = client.get(f"/vehicles/{vehicle.pk}/").content.decode()
    button = re.search(rf'<button[^>]*data-favorite-vehicle="{vehicle.pk}"[^>]*>', html, flags=re.S)
    assert button is not None
    # then its name says what a press does, and the other state's name is there for the script to switch to
    assert 'aria-label="Add to watchlist"' in button[0]
    assert 'data-label-add="Add to watchlist"' in button[0]
    assert 'data-label-remove="Remove from watchlist"' in button[0]
    script = (Path(__file__).resolve().parents[2] / "static" / "js" / "vehicles.js").read_text()
    assert "to watchlist" not in script
    assert "from watchlist" not in script


def test_the_results_page_offers_the_makes_of_ended_sales(client, vehicle_factory):
    """A sold make may have left the inventory: the Results page's make list comes from the results."""
    vehicle_factory(make="Mazda", model="Mazda3", status="sold", sale_outcome="sold", sale_price=Decimal("14000"))
    vehicle_factory(make="Honda", model="Civic")
    page = client.get("/results/", {"make": "Mazda"})
    assert page.context["makes"] == ["Mazda"]
    assert page.context["models"] == ["Mazda3"]


def test_filter_chips_read_as_a_visitor_wrote_them(client):
    page = client.get("/vehicles/?price_max=20000&price_min=9000.5&state=mn&body_type=suv").content.decode()
    for chip in ("Price to: $20,000.00", "Price from: $9,000.50", "State: MN", "Body: SUV"):
        assert f"Remove filter {chip}" in page, chip


def test_a_distance_sort_without_a_zip_says_what_it_needs(client, vehicle_factory):
    vehicle_factory()
    page = client.get("/vehicles/?sort=distance").content.decode()
    assert "Enter a ZIP code under Distance to sort by distance" in page
    assert "Enter a ZIP code under Distance" not in client.get("/vehicles/?sort=distance&zip=55401").content.decode()
