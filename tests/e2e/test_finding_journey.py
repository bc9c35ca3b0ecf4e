"""Finding the right car, in a real browser against daphne:

1. A buyer saves an inventory search; staff approve a matching vehicle a seller submitted (admin action); the
   buyer's bell shows the alert live, the alert email arrives (with one-click unsubscribe), and opening the
   alert shows the vehicle with its condition report and badges.
2. A distance search sorted nearest first.
3. The Results page and "similar vehicles sold" on a vehicle page.
"""

import re
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from core.geo import zip_point
from tests.e2e.test_notifications_bell import static_files_from_finders  # noqa: F401 - serves /static/ to the browser
from tests.fixtures.browser import login_browser
from tests.fixtures.live_server import running_daphne
from vehicles.models import Vehicle

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def finding_server(django_db_setup: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """daphne whose emails land in files (eager Celery: the matching task runs right after the approval)."""
    mail_dir = tmp_path_factory.mktemp("finding-mail")
    log_path = tmp_path_factory.mktemp("finding-daphne") / "daphne.log"
    with running_daphne(
        log_path, DJANGO_SETTINGS_MODULE="accounts.tests.e2e_settings", EMAIL_FILE_PATH=str(mail_dir)
    ) as url:
        yield url, mail_dir


@pytest.fixture
def finding_live(finding_server: tuple[str, Path], transactional_db: None) -> tuple[str, Path]:
    return finding_server


def _email_to(mail_dir: Path, address: str, needle: str, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in mail_dir.glob("*.log"):
            text = path.read_text()
            if f"To: {address}" in text and needle in text:
                return text
        time.sleep(0.2)
    raise AssertionError(f"no email to {address} containing {needle!r} in {mail_dir}")


def _place(zip_code: str) -> dict:
    point = zip_point(zip_code)
    assert point is not None
    return {
        "postal_code": zip_code,
        "city": point.city,
        "state": point.state,
        "latitude": Decimal(str(point.latitude)),
        "longitude": Decimal(str(point.longitude)),
    }


def test_saved_search_alert_reaches_the_buyer_live_and_by_email(
    page: Page, browser: Browser, finding_live: tuple[str, Path], user_factory, staff_user, vehicle_factory
) -> None:
    live, mail_dir = finding_live
    buyer = user_factory(email="finder@example.test", first_name="Fay")
    # given a buyer who saves "Lotus, runs and drives" from the inventory page in one click
    login_browser(page.context, buyer, live)
    page.goto(live + "/vehicles/?make=Lotus&runs_drives=true")
    page.get_by_role("button", name="Save this search").click()
    expect(page.get_by_text("Saved “Lotus · runs and drives”")).to_be_visible()
    page.goto(live + "/saved-searches/")
    expect(page.get_by_role("heading", name="Lotus · runs and drives")).to_be_visible()
    page.goto(live + "/")
    expect(page.locator("#notification-bell")).to_have_attribute("data-live", "connected")

    # when a seller's matching Lotus (salvage title, hail on the hood) is approved by staff in the console
    vehicle = vehicle_factory(
        make="Lotus", model="Elise", status=Vehicle.Status.PENDING_REVIEW, submitted_at=timezone.now(),
        title_type="salvage", title_state="TX", keys_count=2,
        damage=[{"panel": "hood", "type": "hail", "severity": "moderate", "photo_id": None}], damage_mask=1 << 3,
        description="A light, honest Elise with a salvage title after hail.",
    )  # fmt: skip
    staff_context = browser.new_context(base_url=live)
    staff_page = staff_context.new_page()
    login_browser(staff_context, staff_user, live)
    staff_page.goto(live + "/admin/vehicles/vehicle/?status__exact=pending_review")
    staff_page.locator(f"input[name='_selected_action'][value='{vehicle.pk}']").check()
    staff_page.locator("select[name='action']").select_option("approve_vehicles")
    staff_page.get_by_role("button", name="Go").click()
    expect(staff_page.locator(".messagelist")).to_contain_text("pprove")
    staff_context.close()

    # then the buyer's bell shows the alert without a reload, and the email came with one-click unsubscribe
    expect(page.get_by_test_id("notification-badge")).to_have_text("1")
    email = _email_to(mail_dir, buyer.email, "Lotus")
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in email
    assert re.search(r"/notifications/unsubscribe/\S+", email)
    assert "/vehicles/" in email

    # and opening the alert shows the vehicle's condition report with its badges and the title warning
    page.get_by_role("button", name="Notifications, 1 unread").click()
    page.locator(".notification-menu").get_by_text("Lotus").first.click()
    expect(page).to_have_url(re.compile(rf"/vehicles/{vehicle.pk}/"))
    report = page.locator("#condition-report")
    expect(report.get_by_text("Runs and drives", exact=True)).to_be_visible()
    expect(report.get_by_text("Branded title", exact=False).first).to_be_visible()
    expect(report.locator("[data-title-warning]")).to_contain_text("Salvage, issued in TX")
    expect(report.locator("[data-damage='hood:hail']")).to_contain_text("Moderate")


def test_distance_search_sorts_nearest_first(page: Page, finding_live: tuple[str, Path], vehicle_factory) -> None:
    live, _ = finding_live
    far = vehicle_factory(make="Saab", model="9-3", **_place("75201"))  # Dallas
    near = vehicle_factory(make="Saab", model="9-5", **_place("55101"))  # St. Paul
    nearest = vehicle_factory(make="Saab", model="900", **_place("55401"))  # Minneapolis
    page.goto(live + "/vehicles/?make=Saab")
    page.get_by_label("Within", exact=True).select_option("100")
    page.get_by_label("of ZIP code").fill("55401")
    page.locator("#inventory-filters").get_by_role("button", name="Apply filters").click()
    page.get_by_label("Sort by").select_option("distance")
    page.get_by_role("button", name="Sort", exact=True).click()  # selects never submit on change (WCAG 3.2.2)
    page.wait_for_url(re.compile(r"sort=distance"))
    cards = page.locator("[data-vehicle-id]")
    expect(cards).to_have_count(2)
    assert [int(c) for c in cards.evaluate_all("els => els.map(e => e.dataset.vehicleId)")] == [nearest.pk, near.pk]
    expect(cards.first.locator("[data-distance]")).to_have_text("0 mi away")
    assert far.pk


def test_results_page_and_similar_vehicles_sold(page: Page, finding_live: tuple[str, Path], vehicle_factory) -> None:
    live, _ = finding_live
    now = timezone.now()
    sold = vehicle_factory(
        make="Volvo", model="240", year=1990, status=Vehicle.Status.SOLD, sale_outcome="sold",
        sale_price=Decimal("8400"), sale_ended_at=now, sale_bid_count=12, reserve_price=Decimal("8000"),
    )  # fmt: skip
    vehicle_factory(
        make="Volvo", model="240", year=1991, sale_outcome="reserve_not_met", sale_price=Decimal("5100"),
        sale_ended_at=now, sale_bid_count=4, reserve_price=Decimal("7777"),
    )  # fmt: skip
    looking = vehicle_factory(make="Volvo", model="240", year=1989)
    page.goto(live + "/results/?make=Volvo")
    rows = page.locator("[data-result]")
    expect(rows).to_have_count(2)
    expect(page.locator(f"[data-result='{sold.pk}']")).to_contain_text("$8,400.00")
    expect(page.get_by_text("Bid to $5,100.00")).to_be_visible()
    assert "7,777" not in page.content()
    page.goto(live + f"/vehicles/{looking.pk}/")
    similar = page.locator("#similar-sold")
    expect(similar.locator("[data-similar-range]")).to_contain_text("$8,400.00")
    expect(similar.locator(f"[data-similar-vehicle='{sold.pk}']")).to_be_visible()
