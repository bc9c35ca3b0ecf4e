"""Issue 16, item 4: after a bid, every listing surface shows the new price and bid count within about 2 s —
on a stack set up as `make run` sets it up (no Redis: file cache, filesystem broker, a separate Celery
worker), where each process once had its own cache and cards kept a price 30 s old."""

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from auctions.models import Auction
from tests.fixtures.browser import login_browser
from tests.fixtures.live_server import ROOT, running_server, server_env
from vehicles.templatetags.vehicle_tags import usd

pytestmark = pytest.mark.e2e

FRESH_SECONDS = 2.5  # "within a couple of seconds": the refresh's 1 s countdown, the broker's poll, a page load


@pytest.fixture
def make_run_stack(tmp_path: Path, transactional_db: None) -> Iterator[str]:
    """A web process and a Celery worker configured as under `make run` (but on the test database)."""
    env = {
        "REDIS_URL": "",
        "CACHE_DIR": str(tmp_path / "cache"),
        "CELERY_BROKER_URL": "filesystem://localhost//",
        "CELERY_RESULT_BACKEND": f"file://{tmp_path / 'celery' / 'results'}",
        "CELERY_FILESYSTEM_DIR": str(tmp_path / "celery"),
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--loglevel=WARNING"],
        cwd=ROOT,
        env=server_env(**env),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        with running_server(tmp_path / "web.log", **env) as url:
            yield url
    finally:
        worker.terminate()
        worker.wait(timeout=20)


def shows_soon(page: Page, url: str, check: Callable[[Page], bool]) -> float:
    """Reload `url` until `check(page)` holds; return how long it took (fails after FRESH_SECONDS)."""
    start = time.monotonic()
    while True:
        page.goto(url)
        if check(page):
            return time.monotonic() - start
        assert time.monotonic() - start < FRESH_SECONDS, f"{url} still stale: {page.locator('main').inner_text()[:400]}"
        time.sleep(0.2)


def test_a_bid_reaches_inventory_home_and_the_api_list_within_two_seconds(
    collected_static, browser: Browser, make_run_stack: str, auction_factory, bidder_factory
):
    live_url = make_run_stack
    auction = auction_factory(starting_price=Decimal("5000"), ends_at=timezone.now() + timedelta(hours=2))
    anna, ben = bidder_factory(first_name="Anna"), bidder_factory(first_name="Ben")
    pages = {}
    for user in (anna, ben):
        context = browser.new_context(timezone_id="America/Chicago", locale="en-US")
        login_browser(context, user, live_url)
        page = context.new_page()
        page.goto(f"{live_url}/vehicles/{auction.vehicle_id}/")
        expect(page.locator("[data-auction-room]")).to_have_attribute("data-connected", "true", timeout=15000)
        pages[user.pk] = page

    def card_shows(bids: int, price: Decimal) -> Callable[[Page], bool]:
        def check(page: Page) -> bool:
            card = page.locator(f'article.vehicle-card[data-vehicle-id="{auction.vehicle_id}"]').first
            text = card.inner_text() if card.count() else ""
            return f"{bids} bid{'s' if bids != 1 else ''}" in text and usd(price) in text

        return check

    def bid(user, amount: str, bids: int) -> Decimal:
        page = pages[user.pk]
        page.get_by_label("Your max bid").fill(amount)
        page.get_by_role("button", name="Place bid").click()
        expect(page.locator('[data-field="my_status"]')).to_have_text("You're the high bidder")
        expect(page.locator('[data-field="bid_count"]')).to_have_text(str(bids))
        return Auction.objects.get(pk=auction.pk).current_price

    viewer = pages[anna.pk].context.new_page()
    # the first bid reaches the cards...
    price = bid(anna, "6000", 1)
    shows_soon(viewer, f"{live_url}/vehicles/", card_shows(1, price))
    # ...and so does the next one, a moment later (it used to fall inside the first one's 30 s "refresh
    # pending" mark, left in the web process's own cache: the cards kept "1 bid")
    price = bid(ben, "7000", 2)
    assert price > Decimal("5000")
    shows_soon(viewer, f"{live_url}/vehicles/", card_shows(2, price))
    shows_soon(viewer, f"{live_url}/", card_shows(2, price))
    row = viewer.request.get(f"{live_url}/api/vehicles").json()["results"]
    mine = next(item for item in row if item["id"] == auction.vehicle_id)
    assert (mine["bid_count"], Decimal(mine["current_price"])) == (2, price)
