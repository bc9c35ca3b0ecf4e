"""A seller lists a vehicle end to end (VIN decode, two photos uploaded and reordered, AI draft, submit),
staff approve it in the admin, and a visitor finds it with two filters and a text search and opens it.

Runs its own daphne (DEBUG on, so WhiteNoise serves static files from the finders and /media/ is
served) with the NHTSA vPIC and OpenAI clients pointed at local fakes."""

import re
from collections.abc import Iterator
from contextlib import ExitStack
from decimal import Decimal
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from playwright.sync_api import Page, expect

from accounts.models import User
from tests.fakes.http import run_fake_server
from tests.fakes.openai import API_KEY, OpenAIHandler, OpenAIState
from tests.fakes.vpic import VpicHandler, VpicState
from tests.fixtures.browser import login_browser
from tests.fixtures.core import UserFactory
from tests.fixtures.live_server import running_daphne
from tests.fixtures.vehicles import VehicleFactory
from vehicles.images import gradient_photo
from vehicles.models import Vehicle, VehiclePhoto

pytestmark = pytest.mark.e2e
VIN = "1HGCM82633A004352"
OPENAI = OpenAIState()  # the fake's record of what the site sent (the AI draft's prompt)


@pytest.fixture(scope="module")
def vehicles_server(django_db_setup: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("vehicles-e2e")
    with ExitStack() as stack:
        vpic_url = stack.enter_context(run_fake_server(VpicHandler, state=VpicState()))
        openai_url = stack.enter_context(run_fake_server(OpenAIHandler, state=OPENAI))
        daphne = running_daphne(
            folder / "daphne.log",
            DEBUG="true",
            VPIC_ENABLED="true",
            VPIC_API_URL=vpic_url + "/api/vehicles",
            CLEARVIN_EMAIL="",
            OPENAI_API_KEY=API_KEY,
            OPENAI_BASE_URL=openai_url + "/v1",
            MEDIA_ROOT=str(folder / "media"),
            VEHICLE_PRIVATE_MEDIA_ROOT=str(folder / "private"),
        )
        yield stack.enter_context(daphne)


@pytest.fixture
def site(vehicles_server: str, transactional_db: None) -> str:
    return vehicles_server


def log_in(page: Page, base_url: str, user: User) -> None:
    page.context.clear_cookies()
    login_browser(page.context, user, base_url)


def photo_file(name: str, text: str, colours: tuple[tuple[int, int, int], tuple[int, int, int]]) -> dict:
    return {"name": name, "mimeType": "image/jpeg", "buffer": gradient_photo(text, top=colours[0], bottom=colours[1])}


def test_seller_lists_staff_approve_visitor_finds(page: Page, site: str, tmp_path: Path):
    seller = UserFactory(role=User.Role.SELLER, email="dana@dealer.test", first_name="Dana")
    staff = UserFactory(is_staff=True, is_superuser=True, email="sam@staff.test")
    for user in (seller, staff):
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    VehicleFactory(make="Honda", model="Civic", reserve_price=Decimal("9000"))
    VehicleFactory(make="Ford", model="F-150", body_type="pickup")
    page.set_default_timeout(15_000)

    # --- the seller: VIN and specs -------------------------------------------------------------------
    log_in(page, site, seller)
    page.goto(site + "/sell/")
    page.get_by_role("link", name="List a vehicle").first.click()
    page.get_by_label("VIN").fill(VIN.lower())
    page.get_by_role("button", name="Decode VIN").click()
    expect(page.locator("[data-decode-status]")).to_contain_text("Decoded from NHTSA vPIC: 2003 Honda Accord EX-V6")
    expect(page.get_by_label("Make")).to_have_value("Honda")
    expect(page.get_by_label("Model")).to_have_value("Accord")
    expect(page.get_by_label("Year")).to_have_value("2003")
    page.get_by_label("Mileage").fill("123456")
    page.get_by_label("Exterior color").fill("Graphite")
    page.get_by_role("button", name="Save and continue").click()

    # --- photos: two uploads, then the second dragged to the front ----------------------------------------
    expect(page.get_by_role("heading", name="Photos and documents")).to_be_visible()
    vehicle = Vehicle.objects.get(vin=VIN)
    page.locator("[data-photo-input]").set_input_files(
        [
            photo_file("front.jpg", "FRONT", ((30, 60, 110), (200, 120, 40))),
            photo_file("rear.jpg", "REAR", ((110, 30, 30), (40, 200, 120))),
        ]
    )
    tiles = page.locator("[data-photo-grid] > li")
    expect(tiles).to_have_count(2)
    first_id, second_id = (int(tiles.nth(i).get_attribute("data-photo-id")) for i in range(2))
    tiles.nth(1).locator("img").drag_to(tiles.nth(0).locator("img"))
    expect(page.locator("[data-gallery-status]")).to_contain_text("Order saved")
    expect(tiles.nth(0)).to_have_attribute("data-photo-id", str(second_id))
    assert list(VehiclePhoto.objects.filter(vehicle=vehicle).values_list("pk", flat=True)) == [second_id, first_id]
    page.get_by_role("link", name="Continue").click()

    # --- condition and the AI draft -----------------------------------------------------------------------
    page.get_by_label("Overall condition").select_option("good")
    # the structured report (issue 20): submission needs whether it starts and drives, and the keys
    page.get_by_label("Does it start?").select_option("yes")
    page.get_by_label("Does it drive?").select_option("yes")
    page.get_by_label("Keys").fill("2")
    page.get_by_label("Left front door: damage").select_option("dent")
    page.get_by_label("Left front door: severity").select_option("minor")
    page.get_by_label("Condition notes").fill("Small dent in the driver's door; new tires.")
    page.get_by_role("button", name="Draft a description").click()
    expect(page.locator("[data-draft-status]")).to_contain_text("Draft written")
    # the prompt carried the condition report as the form stood (not saved yet): runs and drives, keys, damage
    prompt = OPENAI.requests[-1]["body"]["messages"][-1]["content"]
    assert "runs and drives: yes" in prompt
    assert "keys: 2" in prompt
    assert "damage by panel: Left front door: dent, minor" in prompt
    assert "title brand: Clean" in prompt
    description = page.get_by_label("Description")
    expect(description).to_have_value(re.compile(r"2003 Honda Accord EX-V6.*Small dent", re.S))
    description.fill(description.input_value() + "\nSeller adds: garage kept.")
    page.get_by_role("button", name="Save and continue").click()

    # --- pricing and submit --------------------------------------------------------------------------------
    page.get_by_label("Starting price ($)").fill("4500")
    page.get_by_label("City").fill("Duluth")
    page.locator("#id_state").select_option("MN")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", name="Review and submit")).to_be_visible()
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_role("alert").or_(page.locator(".alert-success"))).to_contain_text("submitted for review")
    vehicle.refresh_from_db()
    assert vehicle.status == Vehicle.Status.PENDING_REVIEW
    assert "garage kept" in vehicle.description

    # --- staff approve in the admin -------------------------------------------------------------------------
    log_in(page, site, staff)
    page.goto(site + "/admin/vehicles/vehicle/?status__exact=pending_review")
    page.locator(f'input[name="_selected_action"][value="{vehicle.pk}"]').check()
    page.locator('select[name="action"]').select_option("approve_vehicles")
    page.get_by_role("button", name="Run").or_(page.get_by_role("button", name="Go")).click()
    expect(page.locator(".messagelist")).to_contain_text("Approved 1 vehicle")
    vehicle.refresh_from_db()
    assert vehicle.status == Vehicle.Status.APPROVED

    # --- a visitor finds it: two filters and a text search ----------------------------------------------------
    page.context.clear_cookies()
    page.goto(site + "/vehicles/")
    page.get_by_label("Make", exact=True).select_option("Honda")  # nothing submits on change (WCAG 3.2.2)
    expect(page).not_to_have_url(re.compile(r"make=Honda"))
    page.get_by_label("No reserve").check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"make=Honda.*no_reserve=true"))
    page.get_by_label("Search make, model, trim, VIN or description").fill("accord")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator("#results-heading")).to_have_text("1 vehicle")
    expect(page.get_by_role("link", name="Remove filter Make: Honda")).to_be_visible()
    page.get_by_role("link", name="2003 Honda Accord EX-V6").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("2003 Honda Accord EX-V6")
    expect(page.locator("[data-gallery-main]")).to_have_attribute("alt", re.compile("photo 1 of 2"))
    page.wait_for_load_state("load")  # the gallery's script has run (keys pressed before it are lost)
    gallery = page.locator("[data-gallery]")
    gallery.focus()
    page.keyboard.press("ArrowRight")
    expect(page.locator("[data-gallery-caption]")).to_contain_text("Photo 2 of 2")
    condition = page.get_by_role("region", name="Condition report").or_(
        page.locator("section", has=page.locator("#condition-heading"))
    )
    expect(condition.first).to_contain_text("Small dent in the driver's door; new tires.")


def test_visitor_hearts_a_vehicle_and_finds_it_on_the_watchlist(page: Page, site: str):
    buyer = UserFactory(email="bea@buyer.test")
    EmailAddress.objects.create(user=buyer, email=buyer.email, verified=True, primary=True)
    wanted = VehicleFactory(make="Subaru", model="Outback", trim="Touring")
    VehicleFactory(make="Mazda", model="CX-5")
    log_in(page, site, buyer)
    page.goto(site + "/vehicles/?make=Subaru")
    card = page.locator(f'[data-vehicle-id="{wanted.pk}"]')
    card.get_by_role("button", name="Add to watchlist").click()
    expect(card.get_by_role("button", name="Remove from watchlist")).to_be_visible()
    page.goto(site + "/watchlist/")
    expect(page.get_by_role("heading", name="2018 Subaru Outback Touring")).to_be_visible()
    page.get_by_role("button", name="Remove from watchlist").click()
    expect(page.get_by_role("button", name="Add to watchlist")).to_be_visible()
    page.reload()
    expect(page.get_by_text("Your watchlist is empty")).to_be_visible()


def test_a_failed_photo_upload_shows_its_error_not_a_full_progress_bar(page: Page, site: str):
    """Issue 16, item 11: a photo the server refuses after the upload said "not added" and why."""
    seller = UserFactory(role=User.Role.SELLER)
    vehicle = VehicleFactory(seller=seller, status=Vehicle.Status.DRAFT)
    log_in(page, site, seller)
    page.goto(f"{site}/sell/vehicles/{vehicle.pk}/photos/")
    corrupt = {"name": "broken.jpg", "mimeType": "image/jpeg", "buffer": b"\xff\xd8\xff\xe0 not really a photo" * 50}
    page.locator("[data-photo-input]").set_input_files([corrupt])
    failed = page.locator("[data-upload-failed]")
    expect(failed).to_have_count(1)
    expect(failed.get_by_role("alert")).to_contain_text("Not added:")
    expect(failed.locator(".progress")).to_have_count(0)
    expect(page.locator("[data-photo-grid] > li")).to_have_count(0)
    assert not VehiclePhoto.objects.filter(vehicle=vehicle).exists()
